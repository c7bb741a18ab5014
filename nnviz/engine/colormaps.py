"""Colour maps as small lookup tables (uploaded as 256x1 textures).

Diverging maps colour weights: t = 0 is the most negative weight, 0.5 zero,
1 the most positive. The sequential ACTIVATION map colours neuron activity,
from dim violet (silent) to pale yellow (firing); it is perceptually ordered
and readable with any colour-vision deficiency, like "orange-purple" and
"blue-orange". The ends of every map are bright enough to read as additive
light on the dark background.
"""

from __future__ import annotations

import functools

import numpy as np

from nnviz.errors import NnvizError

TABLE_SIZE = 256

# (position, sRGB 0-255) control points, interpolated linearly.
_CONTROL_POINTS: dict[str, list[tuple[float, tuple[int, int, int]]]] = {
    # Moreland's cool-warm: blue (negative) - light grey - red (positive).
    "coolwarm": [
        (0.0, (59, 76, 192)), (0.25, (141, 176, 254)), (0.5, (221, 221, 221)),
        (0.75, (244, 154, 124)), (1.0, (180, 4, 38)),
    ],
    # ColorBrewer PuOr order (orange negative, purple positive), ends
    # lightened so they stay visible as light on a dark background.
    "orange-purple": [
        (0.0, (230, 97, 1)), (0.25, (253, 184, 99)), (0.5, (235, 235, 235)),
        (0.75, (178, 171, 210)), (1.0, (128, 96, 200)),
    ],
    # Okabe–Ito blue and orange: distinct for all common colour-vision types.
    "blue-orange": [
        (0.0, (20, 120, 220)), (0.25, (110, 180, 240)), (0.5, (225, 225, 225)),
        (0.75, (250, 190, 90)), (1.0, (230, 130, 0)),
    ],
    # Inferno-like, starting above black so silent neurons stay visible.
    "activation": [
        (0.0, (52, 26, 92)), (0.25, (120, 28, 109)), (0.5, (196, 58, 80)),
        (0.75, (246, 142, 26)), (1.0, (252, 240, 150)),
    ],
}

WEIGHT_COLORMAPS = ("coolwarm", "orange-purple", "blue-orange")
COLORMAP_NAMES = WEIGHT_COLORMAPS  # the names users may choose (CLI, settings)
ACTIVATION_COLORMAP = "activation"
DEFAULT_WEIGHT_COLORMAP = "coolwarm"


def colormap_table(name: str, size: int = TABLE_SIZE) -> np.ndarray:
    """(size, 4) uint8 RGBA table, alpha 255."""
    points = _control_points(name)
    positions = np.array([p for p, _ in points])
    colors = np.array([c for _, c in points], dtype=np.float64)
    t = np.linspace(0.0, 1.0, size)
    table = np.empty((size, 4), dtype=np.uint8)
    for channel in range(3):
        table[:, channel] = np.round(np.interp(t, positions, colors[:, channel]))
    table[:, 3] = 255
    return table


def sample(name: str, t) -> np.ndarray:
    """RGB in [0, 1] at t (clamped to [0, 1]), as the GPU samples the table: linearly between its entries."""
    table = _rgb_table(name)
    x = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0) * (TABLE_SIZE - 1)
    low = np.minimum(x.astype(np.intp), TABLE_SIZE - 2)
    weight = (x - low)[..., None]
    return table[low] * (1.0 - weight) + table[low + 1] * weight


@functools.lru_cache(maxsize=None)
def _rgb_table(name: str) -> np.ndarray:
    """(TABLE_SIZE, 3) float64 in [0, 1], read-only: made once per map (the HUD samples thousands of values)."""
    table = colormap_table(name)[:, :3].astype(np.float64) / 255.0
    table.flags.writeable = False
    return table


def _control_points(name: str):
    try:
        return _CONTROL_POINTS[name]
    except KeyError:
        raise NnvizError(f"unknown colormap '{name}'; choose one of: {', '.join(WEIGHT_COLORMAPS)}") from None
