"""RenderStyle: how a frame is drawn, as plain CPU-side values the app changes between frames.

Nothing here touches OpenGL: NetworkRenderer.prepare(frame, style) applies
the fields that decide data (threshold, scale, line channel, ranges, heatmap,
labels, and which lines are drawn how: selection, line width, pixel scale,
minimum opacity) and keeps the style; draw() reads the rest (the selection and
hover rings, biases, background) from the same object, so a hover set after
prepare still shows. One style can draw any frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.engine import colormaps, rules

BACKGROUND_COLOR = (0.012, 0.016, 0.035)  # near-black blue: additive lines read as light
DEFAULT_LINE_WIDTH = 2.0


@dataclass
class RenderStyle:
    colormap: str = colormaps.DEFAULT_WEIGHT_COLORMAP
    threshold: float = 0.0  # lines with |w| below this are not drawn
    weight_scale: float | None = None  # |value| drawn at full colour; None: robust per-matrix scale each frame
    line_width: float = DEFAULT_LINE_WIDTH  # pixels, for a full-scale line
    # Target pixels per window pixel: below 1 when the scene is drawn at a lower resolution and scaled up.
    pixel_scale: float = 1.0
    # Lines fainter than this are thinned, not drawn faint (rules.drawn_lines; set by the quality profile).
    min_line_opacity: float = rules.FULL_FRAMEBUFFER_OPACITY
    line_channel: str = "weights"  # which per-line values colour the lines
    # A per-neuron channel (e.g. error signals) that colours hidden and output
    # spheres on the diverging map instead of their activations; None: activations.
    neuron_channel: str | None = None
    ring_channel: str = "biases"  # what the inner ring shows: biases, or a per-neuron channel (e.g. their change)
    selected: int | None = None  # neuron index
    hovered: int | None = None
    # Values mapped to the ends of the activation colour map. An infinite end
    # (ReLU: (0, inf)) is replaced each frame by the observed extreme.
    hidden_range: tuple[float, float] = (0.0, 1.0)
    # One range per hidden layer where their activations differ; empty: hidden_range for all.
    hidden_ranges: tuple[tuple[float, float], ...] = ()
    output_range: tuple[float, float] = (0.0, 1.0)
    show_biases: bool = True
    show_labels: bool = True  # rings on the predicted and the true class
    input_heatmap: np.ndarray | None = None  # one value per input neuron, painted instead of the pixels
    background: tuple[float, float, float] = BACKGROUND_COLOR

    def __post_init__(self):
        colormaps.colormap_table(self.colormap)  # a bad name fails here, not at draw time
