"""Draws a whole network in a constant number of draw calls (one per kind of quad, nnviz/engine/quads.py).

Per frame: `prepare(frame, style)` runs the CPU-side rules (which lines are
visible, each sphere's size and colour position, per-matrix scales) and
uploads one texture each for line values, visible lines and neuron state;
`draw(view, projection)` writes the uniforms from that same style object (so
selection and hover changed after prepare, without new data, still show) and
issues two draw calls whatever the layer sizes:
  1. spheres: one ray-cast impostor quad per neuron, depth written where the
     sphere is; rings around them show biases, the predicted/true class and
     selection, blended (alpha) without hiding what is drawn later;
  2. lines: one screen-space quad per visible line, additive premultiplied
     blending with depth test on and depth writes off (order-independent).
`rebuild(layout)` replaces everything that depends on the topology.
"""

from __future__ import annotations

import moderngl
import numpy as np

from nnviz.engine import colormaps, quads, rules
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.gpu_arrays import LinearTexture, colormap_texture
from nnviz.engine.gpu_resources import GpuResources
from nnviz.engine.layout import NetworkLayout
from nnviz.engine.quads import QuadDraw
from nnviz.engine.shader_library import ShaderLibrary
from nnviz.engine.style import RenderStyle

# Auto line scale: rules.robust_scale per matrix.
# Opacity of a full-scale line is LINE_GAIN * n ** -LINE_GAIN_FALLOFF, n the
# number of lines in its weight matrix: dense matrices cover every pixel many
# times over, so their lines must be fainter for additive blending not to
# saturate to white (a falloff of 1 would keep the total light constant;
# 0.8 lets a 16 x 16 layer stay brighter than the 784 x 16 fan, which reads
# better). Tuned by eye on 784-16-16-10 and 784-512-512-10.
LINE_GAIN = 63.0
LINE_GAIN_FALLOFF = 0.8

# Textures that depend on the layout, released by rebuild().
_LAYOUT_TEXTURES = ("u_neurons", "u_neuron_state", "u_line_endpoints", "u_line_values", "u_visible_lines",
                    "u_line_style")


def engine_shaders(ctx: moderngl.Context) -> ShaderLibrary:
    """A shader library with the engine's rules defined for GLSL (share one to compile once)."""
    return ShaderLibrary(ctx, defines={**rules.glsl_defines(), **quads.glsl_defines()})


class NetworkRenderer:
    def __init__(self, ctx: moderngl.Context, layout: NetworkLayout, *, shaders: ShaderLibrary | None = None):
        self.ctx = ctx
        self._owns_shaders = shaders is None
        self._shaders = shaders or engine_shaders(ctx)
        self._sphere_program = self._shaders.program("spheres.vert", "spheres.frag")
        self._line_program = self._shaders.program("lines.vert", "lines.frag")
        self._sphere_quads = QuadDraw(ctx, self._sphere_program)
        self._line_quads = QuadDraw(ctx, self._line_program)
        self.resources = GpuResources()
        self.resources.textures["u_weight_cmap"] = colormap_texture(ctx, colormaps.colormap_table(colormaps.DEFAULT_WEIGHT_COLORMAP))
        self.resources.textures["u_activation_cmap"] = colormap_texture(
            ctx, colormaps.colormap_table(colormaps.ACTIVATION_COLORMAP))
        self._weight_colormap = colormaps.DEFAULT_WEIGHT_COLORMAP
        self.rebuild(layout)

    # -- topology ---------------------------------------------------------

    def rebuild(self, layout: NetworkLayout) -> None:
        """Take a new layout (layer sizes changed): reallocate and fill everything that depends on it."""
        if layout.num_layers > rules.MAX_LAYERS:
            raise ValueError(f"at most {rules.MAX_LAYERS} layers can be drawn, got {layout.num_layers}")
        ctx, textures = self.ctx, self.resources.textures
        self.resources.release(*_LAYOUT_TEXTURES)
        self.layout = layout
        connectivity = layout.connectivity

        neurons = LinearTexture(ctx, layout.num_neurons, components=4)
        neurons.values[:, :3] = layout.positions
        neurons.values[:, 3] = layout.radii
        neurons.upload()
        endpoints = LinearTexture(ctx, max(connectivity.num_edges, 1), components=4, dtype="i4")
        sources, targets, matrices = connectivity.endpoints()
        endpoints.values[:len(sources), 0] = sources
        endpoints.values[:len(sources), 1] = targets
        endpoints.values[:len(sources), 2] = matrices
        endpoints.upload()
        textures.update({
            "u_neurons": neurons,
            "u_neuron_state": LinearTexture(ctx, layout.num_neurons, components=4),
            "u_line_endpoints": endpoints,
            "u_line_values": LinearTexture(ctx, max(connectivity.num_edges, 1)),
            "u_visible_lines": LinearTexture(ctx, max(connectivity.num_edges, 1), dtype="i4"),
            "u_line_style": LinearTexture(ctx, max(connectivity.num_edges, 1), components=2),
        })
        lines_per_matrix = np.diff(connectivity.edge_offsets).astype(np.float64)
        self._line_gains = np.minimum(1.0, LINE_GAIN * lines_per_matrix ** -LINE_GAIN_FALLOFF).astype(np.float32)
        self._line_matrices = matrices.astype(np.int32)
        self._line_hashes = rules.line_hashes(connectivity.num_edges)
        self.resources.uniforms.update({
            "u_input_count": int(layout.layer_sizes[0]),
            "u_weight_scale": np.ones(connectivity.num_matrices, np.float32),
            "u_predicted": -1,
            "u_true": -1,
            "u_use_heatmap": 0,
            "u_heatmap_scale": 1.0,
            "u_bias_scale": 1.0,
            "u_neuron_diverging": 0,
        })
        self._drawn_radii = layout.radii.copy()
        self._style = RenderStyle()
        self._visible_count = 0
        self._drawn_count = 0
        self._uploaded_bytes = 0

    def move_neurons(self, positions: np.ndarray) -> None:
        """Draw the neurons (and their lines) at `positions` (N, 3) instead of the layout's: an animation's step."""
        neurons = self.resources.textures["u_neurons"]
        neurons.values[:, :3] = positions
        neurons.upload()

    # -- per frame ------------------------------------------------------------

    def prepare(self, frame: FrameSnapshot, style: RenderStyle) -> None:
        """Run the CPU-side rules for this frame and style and upload the results (three texture writes)."""
        layout, uniforms, textures = self.layout, self.resources.uniforms, self.resources.textures
        self._style = style
        if tuple(frame.layer_sizes) != tuple(layout.layer_sizes):
            raise ValueError(f"frame of layers {list(frame.layer_sizes)} does not fit the layout "
                             f"{list(layout.layer_sizes)}: rebuild the renderer first")
        if style.colormap != self._weight_colormap:
            textures["u_weight_cmap"].write(colormaps.colormap_table(style.colormap))
            self._weight_colormap = style.colormap

        line_values = textures["u_line_values"]
        values = frame.edge_values(style.line_channel)
        np.copyto(line_values.values[:len(values)], values, casting="unsafe")
        uniforms["u_weight_scale"] = self._line_scales(line_values.values[:len(values)], style.weight_scale)
        visible = rules.visible_lines(frame.weights, style.threshold)
        self._visible_count = len(visible)
        drawn, opacity, width = self._drawn_lines(line_values.values[:len(values)], visible, style)
        self._drawn_count = len(drawn)
        textures["u_visible_lines"].values[:len(drawn)] = drawn
        line_style = textures["u_line_style"].values
        line_style[:len(drawn), 0] = opacity
        line_style[:len(drawn), 1] = width

        state = textures["u_neuron_state"]
        self._fill_neuron_state(state.values, frame, style)
        self._drawn_radii = layout.radii * state.values[:, 1]
        uniforms["u_predicted"] = self._output_neuron(frame.predicted_class) if style.show_labels else -1
        uniforms["u_true"] = self._output_neuron(frame.true_class) if style.show_labels else -1
        self._uploaded_bytes = (line_values.upload() + textures["u_visible_lines"].upload(len(drawn))
                                + textures["u_line_style"].upload(len(drawn)) + state.upload())

    def _drawn_lines(self, values: np.ndarray, visible: np.ndarray, style: RenderStyle):
        selected = self._neuron_or_none(style.selected)
        connectivity = self.layout.connectivity
        ends = (connectivity.incoming(selected), connectivity.outgoing(selected)) if selected >= 0 else (None, None)
        return rules.drawn_lines(values, visible, self._line_matrices, self.resources.uniforms["u_weight_scale"],
                                 self._line_gains, self._line_hashes, style.line_width * style.pixel_scale,
                                 style.min_line_opacity, *ends)

    def draw(self, view: np.ndarray, projection: np.ndarray) -> None:
        """Draw the prepared frame, in the style it was prepared with, into ctx.fbo (bound last with .use()).

        Matrices use pyrr's layout (row vectors: clip = p @ view @ projection),
        whose bytes are what a GLSL mat4 expects. All GL state used is set here.
        """
        ctx, uniforms, style = self.ctx, self.resources.uniforms, self._style
        view = np.ascontiguousarray(view, dtype=np.float32)
        projection = np.ascontiguousarray(projection, dtype=np.float32)
        selected = self._neuron_or_none(style.selected)
        _, _, width, height = ctx.viewport
        uniforms.update({
            "u_view": view,
            "u_projection": projection,
            # Row-vector convention: world -> clip is view then projection.
            "u_view_projection": view @ projection,
            "u_viewport_size": (float(width), float(height)),
            "u_selected": selected,
            "u_hovered": self._neuron_or_none(style.hovered),
            "u_show_biases": int(style.show_biases),
            "u_background": tuple(map(float, style.background)),
        })

        framebuffer = ctx.fbo
        # Spheres blend their anti-aliased rims and rings over what is behind (see spheres.frag).
        ctx.enable_only(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.blend_equation = moderngl.FUNC_ADD
        ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        ctx.depth_func = "<"
        framebuffer.depth_mask = True
        self.resources.bind(self._sphere_program)
        self._sphere_quads.render(self.layout.num_neurons)
        if self._drawn_count:
            ctx.enable_only(moderngl.DEPTH_TEST | moderngl.BLEND)
            ctx.blend_equation = moderngl.FUNC_ADD
            ctx.blend_func = moderngl.ONE, moderngl.ONE
            framebuffer.depth_mask = False
            self.resources.bind(self._line_program)
            self._line_quads.render(self._drawn_count)
            framebuffer.depth_mask = True

    # -- what the last prepare() decided --------------------------------------

    @property
    def drawn_radii(self) -> np.ndarray:
        """Each sphere's radius as drawn (values swell spheres a little): for exact picking."""
        return self._drawn_radii

    @property
    def weight_scales(self) -> np.ndarray:
        """|value| drawn at full colour, per weight matrix (a copy)."""
        return self.resources.uniforms["u_weight_scale"].copy()

    @property
    def visible_line_count(self) -> int:
        """Lines at or above the threshold (what the HUD counts as shown)."""
        return self._visible_count

    @property
    def drawn_line_count(self) -> int:
        """Lines sent to the GPU: the visible ones whose light the framebuffer can show (rules.drawn_lines)."""
        return self._drawn_count

    @property
    def bytes_uploaded(self) -> int:
        """Bytes the last prepare() sent to the GPU."""
        return self._uploaded_bytes

    def release(self) -> None:
        self.resources.release()
        self._sphere_quads.release()
        self._line_quads.release()
        if self._owns_shaders:
            self._shaders.release()

    # -- rules applied per frame ---------------------------------------------

    def _line_scales(self, values: np.ndarray, fixed: float | None) -> np.ndarray:
        offsets = self.layout.edge_offsets
        if fixed is not None:
            scales = np.full(len(offsets) - 1, fixed, np.float32)
        else:
            scales = np.array([rules.robust_scale(values[a:b]) for a, b in zip(offsets[:-1], offsets[1:])], np.float32)
        return np.maximum(scales, np.float32(1e-12))

    def _fill_neuron_state(self, state: np.ndarray, frame: FrameSnapshot, style: RenderStyle) -> None:
        """Columns: colour position in [0, 1], size factor (drawn / layout radius), bias, heatmap value."""
        layout, uniforms = self.layout, self.resources.uniforms
        first, output = int(layout.layer_offsets[1]), int(layout.layer_offsets[-2])
        activations = frame.activations
        position, size = state[:, 0], state[:, 1]
        np.clip(activations[:first], 0.0, 1.0, out=position[:first])
        if style.neuron_channel is None:
            # One range for every hidden layer (an open end resolved over all of them), or one each.
            offsets = layout.layer_offsets
            blocks = ([(first, output, style.hidden_range)] if not style.hidden_ranges else
                      [(offsets[k], offsets[k + 1], value_range)
                       for k, value_range in enumerate(style.hidden_ranges, start=1)])
            if style.hidden_ranges and len(style.hidden_ranges) != len(offsets) - 3:
                raise ValueError(f"{len(style.hidden_ranges)} hidden ranges for {len(offsets) - 3} hidden layers")
            for start, end, value_range in blocks:
                hidden = activations[start:end]
                rules.colour_positions(hidden, _resolve_range(value_range, hidden), out=position[start:end])
            rules.colour_positions(activations[output:], style.output_range, out=position[output:])
            size[first:] = rules.size_factors(position[first:], rules.ACTIVATION_SIZE)
            uniforms["u_neuron_diverging"] = 0
        else:
            # Signed values (error signals): the diverging map, strong ones bigger.
            values = frame.neuron_values(style.neuron_channel)[first:]
            position[first:] = rules.diverging_positions(values, rules.robust_scale(values))
            size[first:] = rules.size_factors(np.abs(2.0 * position[first:] - 1.0), rules.ACTIVATION_SIZE)
            uniforms["u_neuron_diverging"] = 1

        if style.input_heatmap is not None:
            heatmap = np.asarray(style.input_heatmap, dtype=np.float32).reshape(-1)
            if heatmap.shape != (first,):
                raise ValueError(f"input heatmap has {heatmap.size} values, the input layer {first}")
            state[:first, 3] = heatmap
            uniforms["u_heatmap_scale"] = max(rules.robust_scale(heatmap), 1e-12)
            uniforms["u_use_heatmap"] = 1
            size[:first] = 1.0  # the weights are the picture: no pixel swelling
        else:
            uniforms["u_use_heatmap"] = 0
            size[:first] = rules.size_factors(position[:first], rules.PIXEL_SIZE)

        rings = frame.biases if style.ring_channel == "biases" else frame.neuron_values(style.ring_channel)[first:]
        state[first:, 2] = rings
        uniforms["u_bias_scale"] = _max_abs(rings) if rings.size else 1.0

    def _output_neuron(self, label: int | None) -> int:
        if label is None:
            return -1
        return int(self.layout.layer_offsets[-2]) + int(label)

    def _neuron_or_none(self, neuron: int | None) -> int:
        if neuron is None:
            return -1
        self.layout.layer_of_neuron(neuron)  # validates the index
        return int(neuron)


def _resolve_range(value_range: tuple[float, float], values: np.ndarray) -> tuple[float, float]:
    """Infinite ends (ReLU: (0, inf)) become the observed extremes, so unbounded layers use the whole map."""
    lo, hi = map(float, value_range)
    if values.size:
        lo = lo if np.isfinite(lo) else float(values.min())
        hi = hi if np.isfinite(hi) else float(values.max())
    lo, hi = (lo if np.isfinite(lo) else 0.0), (hi if np.isfinite(hi) else 1.0)
    return lo, max(hi, lo + 1e-6)


def _max_abs(values: np.ndarray) -> float:
    # max(-min, max) needs no temporary array, unlike np.abs(values).max().
    return max(float(values.max()), -float(values.min()), 1e-12)
