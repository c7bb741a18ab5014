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
