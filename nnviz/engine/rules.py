"""Drawing rules that both Python and the shaders need, defined once here.

Python passes the constants to GLSL as ``#define``s (ShaderLibrary), and
rules that need per-neuron or per-line decisions (which lines are drawn, how
big a sphere is) run here in NumPy and reach the GPU as data: picking, the HUD
and the shaders then cannot disagree.
"""

from __future__ import annotations

import numpy as np

#: Neuron layers the renderer draws (sizes the shaders' per-matrix uniform arrays).
MAX_LAYERS = 16

# Drawn sphere radius / layout radius at the two ends of a neuron's colour
# position (pixel intensity for inputs, colour-map position otherwise).
PIXEL_SIZE = (0.9, 1.05)
ACTIVATION_SIZE = (0.8, 1.15)
# Ring bands around a sphere, in layout radii from its centre: the bias ring
# inside, the label / selection ring outside; each clears the largest sphere.
INNER_RING = (1.20, 1.32)
OUTER_RING = (1.42, 1.68)
#: Quad margin beyond what a neuron shows, in layout radii: room for the anti-aliased edge.
EDGE_MARGIN = 0.04
SPHERE_EXTENT = max(PIXEL_SIZE[1], ACTIVATION_SIZE[1]) + EDGE_MARGIN
INNER_RING_EXTENT = INNER_RING[1] + EDGE_MARGIN
OUTER_RING_EXTENT = OUTER_RING[1] + EDGE_MARGIN


def visible_lines(values: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the lines drawn: |w| at or above the threshold, and never a zero weight.

    The renderer draws exactly these (as a compact index list) and the HUD
    counts with the same function.
    """
    if threshold <= 0:
        return np.flatnonzero(values)
    return np.flatnonzero(np.abs(values) >= threshold)


def colour_positions(values: np.ndarray, value_range: tuple[float, float], out: np.ndarray | None = None) -> np.ndarray:
    """Where each value falls on a colour map spanning value_range, clamped to [0, 1]."""
    lo, hi = value_range
    out = np.subtract(values, lo, out=out, dtype=np.float32)
    out *= np.float32(1.0 / max(hi - lo, 1e-12))
    return np.clip(out, 0.0, 1.0, out=out)


def diverging_positions(values: np.ndarray, scale: float) -> np.ndarray:
    """Signed values on a diverging colour map: -scale, 0 and +scale at 0, 0.5 and 1."""
    return 0.5 + 0.5 * np.clip(np.asarray(values, dtype=np.float32) / np.float32(max(scale, 1e-12)), -1.0, 1.0)


def size_factors(positions: np.ndarray, size_range: tuple[float, float]) -> np.ndarray:
    """Drawn radius / layout radius for colour positions in [0, 1]."""
    lo, hi = size_range
    return lo + (hi - lo) * positions


def glsl_defines() -> dict[str, str]:
    """The constants above as GLSL #define values."""
    return {
        "MAX_LAYERS": str(MAX_LAYERS),
        "INNER_RING": _vec2(INNER_RING),
        "OUTER_RING": _vec2(OUTER_RING),
        "SPHERE_EXTENT": _float(SPHERE_EXTENT),
        "INNER_RING_EXTENT": _float(INNER_RING_EXTENT),
        "OUTER_RING_EXTENT": _float(OUTER_RING_EXTENT),
    }


def _float(value: float) -> str:
    return repr(float(value))


def _vec2(pair: tuple[float, float]) -> str:
    return f"vec2({_float(pair[0])}, {_float(pair[1])})"
