"""Drawing rules that both Python and the shaders need, defined once here.

Python passes the constants to GLSL as ``#define``s (ShaderLibrary), and
rules that need per-neuron or per-line decisions (which lines are drawn, how
big a sphere is) run here in NumPy and reach the GPU as data: picking, the HUD
and the shaders then cannot disagree.
"""

from __future__ import annotations

import numpy as np

from nnviz.engine.colormaps import sample

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
#: An unlit input sphere's colour (sRGB, 0-1); weak weights of a heatmap fade to it.
INPUT_DARK = (0.10, 0.11, 0.15)
#: Auto scale = AUTO_SCALE_SIGMAS x RMS(values): a robust stand-in for max |w| (about the 99th
#: percentile of a Gaussian) that costs one dot product.
AUTO_SCALE_SIGMAS = 2.5


def visible_lines(values: np.ndarray, threshold: float) -> np.ndarray:
    """Indices of the lines drawn: |w| at or above the threshold, and never a zero weight.

    The renderer draws exactly these (as a compact index list) and the HUD
    counts with the same function.
    """
    if threshold <= 0:
        return np.flatnonzero(values)
    return np.flatnonzero(np.abs(values) >= threshold)


# -------------------------------------------------------------- lines drawn
#: An 8-bit framebuffer rounds additive contributions below ~1/510 to zero, so the faint lines of
#: dense layers would vanish however many overlap. Lines fainter than the profile's minimum opacity
#: (nnviz/engine/quality.py) are instead kept with probability opacity / minimum and drawn at the
#: minimum: the same expected light, and a per-line hash (not a per-frame random) keeps the choice
#: stable. The rest are never sent to the GPU.
FULL_FRAMEBUFFER_OPACITY = 3.0 / 255.0
#: Lines thinner than this (pixels) are drawn this wide and proportionally fainter.
MIN_LINE_WIDTH = 1.0
#: Opacity factor for lines not touching the selected neuron.
SELECTED_DIM = 0.08
#: A selected neuron's lines all meet at it: a fan of n lines gets opacity SELECTED_GAIN / sqrt(n)
#: (at most 1), and weak ones fade with |w|^2 as elsewhere, so 784 incoming lines stay readable
#: instead of adding to a glare.
SELECTED_GAIN = 6.0
SELECTED_WIDTH = 1.4


def line_hashes(count: int) -> np.ndarray:
    """A stable pseudo-random number in [0, 1) per line index (Wang's integer hash)."""
    h = np.arange(count, dtype=np.uint32)
    h = (h ^ np.uint32(61)) ^ (h >> np.uint32(16))
    h *= np.uint32(9)
    h ^= h >> np.uint32(4)
    h *= np.uint32(0x27D4EB2D)
    h ^= h >> np.uint32(15)
    return (h >> np.uint32(8)).astype(np.float32) / np.float32(16777216.0)


def drawn_lines(values: np.ndarray, candidates: np.ndarray, matrices: np.ndarray, scales: np.ndarray,
                gains: np.ndarray, hashes: np.ndarray, line_width: float, min_opacity: float,
                selected_in: np.ndarray | None = None, selected_out: np.ndarray | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lines worth drawing, and how: (line ids, opacity, width in pixels), float32.

    `candidates` are the visible lines (visible_lines), `matrices` each line's
    weight matrix, `scales` and `gains` per matrix the |value| drawn at full
    strength and the opacity of a full-strength line; `selected_in` /
    `selected_out` the lines ending / starting at the selected neuron, if any.
    A line's opacity grows with its strength squared (weak weights fade fast),
    its width linearly; a line whose light the framebuffer could not show is
    thinned as described at FULL_FRAMEBUFFER_OPACITY.
    """
    lines = np.asarray(candidates)
    matrix = matrices[lines]
    strength = np.abs(values[lines]).astype(np.float32)
    strength /= scales[matrix]
    np.clip(strength, 0.0, 1.0, out=strength)
    squared = strength * strength
    opacity = gains[matrix] * squared
    width = np.float32(line_width) * (np.float32(0.5) + np.float32(0.8) * strength)
    if selected_in is not None:
        touching = np.zeros(len(hashes), dtype=np.int8)  # per line id: 1 ends at the selection, 2 starts there
        touching[selected_in] = 1
        touching[selected_out] = 2
        role = touching[lines]
        opacity[role == 0] *= np.float32(SELECTED_DIM)
        for code, fan in ((1, len(selected_in)), (2, len(selected_out))):
            mine = role == code
            opacity[mine] = (0.04 + 0.96 * squared[mine]) * min(1.0, SELECTED_GAIN / np.sqrt(max(fan, 1)))
            width[mine] *= np.float32(SELECTED_WIDTH)
    drawn_width = np.maximum(width, np.float32(MIN_LINE_WIDTH))
    opacity *= width / drawn_width
    faint = opacity < min_opacity
    keep = ~faint | (hashes[lines] * np.float32(min_opacity) < opacity)
    opacity[faint] = min_opacity
    return lines[keep].astype(np.int32), opacity[keep].astype(np.float32), drawn_width[keep].astype(np.float32)


def colour_positions(values: np.ndarray, value_range: tuple[float, float], out: np.ndarray | None = None) -> np.ndarray:
    """Where each value falls on a colour map spanning value_range, clamped to [0, 1]."""
    lo, hi = value_range
    out = np.subtract(values, lo, out=out, dtype=np.float32)
    out *= np.float32(1.0 / max(hi - lo, 1e-12))
    return np.clip(out, 0.0, 1.0, out=out)


def diverging_positions(values: np.ndarray, scale: float) -> np.ndarray:
    """Signed values on a diverging colour map: -scale, 0 and +scale at 0, 0.5 and 1."""
    return 0.5 + 0.5 * np.clip(np.asarray(values, dtype=np.float32) / np.float32(max(scale, 1e-12)), -1.0, 1.0)


def robust_scale(values: np.ndarray) -> float:
    """AUTO_SCALE_SIGMAS x RMS: near max |v| for Gaussian values, deaf to outliers, one dot product."""
    if not values.size:
        return 1.0
    return AUTO_SCALE_SIGMAS * float(np.sqrt(np.dot(values, values) / values.size))


def heatmap_colors(values: np.ndarray, colormap: str, scale: float | None = None) -> np.ndarray:
    """(n, 3) sRGB in [0, 1]: values painted as the input grid paints a selected neuron's weights.

    The diverging map at `scale` (robust_scale(values) when None), each colour faded towards
    INPUT_DARK as its value weakens (spheres.vert does the same per input sphere).
    """
    values = np.asarray(values, dtype=np.float32).reshape(-1)
    scale = max(robust_scale(values) if scale is None else scale, 1e-12)
    strength = np.clip(np.abs(values) / np.float32(scale), 0.0, 1.0)[:, None]
    dark = np.array(INPUT_DARK)
    return dark + (sample(colormap, diverging_positions(values, scale)) - dark) * strength


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
        "INPUT_DARK": f"vec3({', '.join(_float(c) for c in INPUT_DARK)})",
    }


def _float(value: float) -> str:
    return repr(float(value))


def _vec2(pair: tuple[float, float]) -> str:
    return f"vec2({_float(pair[0])}, {_float(pair[1])})"
