"""Draws a whole network in a constant number of instanced draw calls.

Static geometry (neuron positions and radii) is uploaded once. Per frame the
caller feeds NumPy arrays; each setter copies into a persistent float32
staging array and performs one texture write, so a frame costs two small
uploads (weights, activations) and two draw calls whatever the layer sizes:
  1. spheres: one ray-cast impostor quad per neuron, opaque, depth written;
     rings around them show biases, the predicted/true class and selection;
  2. lines: one screen-space quad per weight, additive premultiplied blending
     with depth test on and depth writes off (order-independent).
"""

from __future__ import annotations

from typing import Sequence

import moderngl
import numpy as np

from nnviz.engine import colormaps
from nnviz.engine.gpu_arrays import LinearTexture, colormap_texture
from nnviz.engine.layout import NetworkLayout
from nnviz.engine.shader_library import ShaderLibrary

MAX_LAYERS = 16  # matches engine_common.glsl
BACKGROUND_COLOR = (0.012, 0.016, 0.035)  # near-black blue: additive lines read as light
# Auto weight scale = AUTO_SCALE_SIGMAS x RMS(W) per layer: a robust stand-in for
# max |w| (about the 99th percentile of a Gaussian) that costs one dot product.
AUTO_SCALE_SIGMAS = 2.5
# Opacity of a full-scale line is LINE_GAIN * n ** -LINE_GAIN_FALLOFF, n the
# number of lines in its weight matrix: dense matrices cover every pixel many
# times over, so their lines must be fainter for additive blending not to
# saturate to white (a falloff of 1 would keep the total light constant;
# 0.8 lets a 16 x 16 layer stay brighter than the 784 x 16 fan, which reads
# better). Tuned by eye on 784-16-16-10 and 784-512-512-10.
LINE_GAIN = 63.0
LINE_GAIN_FALLOFF = 0.8
DEFAULT_LINE_WIDTH = 2.0
# Drawn sphere radius / layout radius at the two ends of a neuron's value
# (pixel intensity for inputs, colour-map position otherwise). Set here and
# handed to spheres.vert, so picking (drawn_radii) and drawing agree exactly.
PIXEL_SIZE = (0.9, 1.05)
ACTIVATION_SIZE = (0.8, 1.15)

_TEXTURE_UNITS = {
    "u_neurons": 0, "u_activations": 1, "u_biases": 2, "u_heatmap": 3,
    "u_weight_cmap": 4, "u_activation_cmap": 5, "u_weights": 6,
}


class NetworkRenderer:
    def __init__(
        self,
        ctx: moderngl.Context,
        layout: NetworkLayout,
        *,
        activation_range: tuple[float, float] = (0.0, 1.0),
        output_range: tuple[float, float] = (0.0, 1.0),
        colormap: str = colormaps.DEFAULT_WEIGHT_COLORMAP,
        line_width: float = DEFAULT_LINE_WIDTH,
        shaders: ShaderLibrary | None = None,
    ):
        if layout.num_layers > MAX_LAYERS:
            raise ValueError(f"at most {MAX_LAYERS} layers can be drawn, got {layout.num_layers}")
        self.ctx = ctx
        self.layout = layout
        self.background_color = BACKGROUND_COLOR
        self._owns_shaders = shaders is None
        self._shaders = shaders or ShaderLibrary(ctx)
        self._sphere_program = self._shaders.program("spheres.vert", "spheres.frag")
        self._line_program = self._shaders.program("lines.vert", "lines.frag")
        self._sphere_vao = ctx.vertex_array(self._sphere_program, [])
        self._line_vao = ctx.vertex_array(self._line_program, [])

        sizes = layout.layer_sizes
        self._neurons = LinearTexture(ctx, layout.num_neurons, components=4)
        self._neurons.values[:, :3] = layout.positions
        self._neurons.values[:, 3] = layout.radii
        self._neurons.upload()
        self._activations = LinearTexture(ctx, layout.num_neurons)
        self._biases = LinearTexture(ctx, layout.num_neurons)
        self._heatmap = LinearTexture(ctx, sizes[0])
        self._weights = LinearTexture(ctx, layout.num_edges)
        # Per-layer views into the staging arrays: copying into them is the
        # only per-frame work besides the upload.
        self._weight_flat_views = _layer_views(self._weights.values, layout.edge_offsets)
        self._weight_views = [
            flat.reshape(fan_in, fan_out)
            for flat, fan_in, fan_out in zip(self._weight_flat_views, sizes[:-1], sizes[1:])
        ]
        self._activation_views = _layer_views(self._activations.values, layout.layer_offsets)
        self._bias_views = _layer_views(self._biases.values, layout.layer_offsets)
        self._hidden_activations = self._activations.values[layout.layer_offsets[1]:layout.layer_offsets[-2]]
        self._hidden_range = (0.0, 1.0)
        self._colour_ranges = {"u_activation_range": (0.0, 1.0), "u_output_range": (0.0, 1.0)}
        self._heatmap_on = False
        self._weight_cmap = colormap_texture(ctx, colormaps.colormap_table(colormap))
        self._activation_cmap = colormap_texture(ctx, colormaps.colormap_table(colormaps.ACTIVATION_COLORMAP))
        self.colormap = colormap

        # The shader keeps one scale per weight matrix (the driver may trim the
        # array to the matrices a network has); written straight from this buffer.
        self._weight_scale_uniform = self._line_program["u_weight_scale"]
        self._weight_scale_buffer = np.ones(self._weight_scale_uniform.array_length, dtype=np.float32)
        self._weight_scales = self._weight_scale_buffer[:len(sizes) - 1]
        self._fixed_weight_scale: float | None = None
        self._uploaded_bytes = 0
        self.stats = {"draw_calls": 0, "bytes_uploaded": 0}

        # Looked up once: draw() writes them every frame.
        self._view_uniform = self._sphere_program["u_view"]
        self._projection_uniform = self._sphere_program["u_projection"]
        self._view_projection_uniform = self._line_program["u_view_projection"]
        self._view_projection = np.empty((4, 4), dtype=np.float32)
        self._viewport_uniform = self._line_program["u_viewport_size"]
        self._init_static_uniforms(activation_range, output_range, line_width)

    # -- per-frame data -------------------------------------------------

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Weight matrices W_k of shape (fan_in, fan_out); one texture upload."""
        self._check_count(weights, len(self._weight_views), "weight matrices")
        for view, matrix in zip(self._weight_views, weights):
            _copy_checked(view, matrix, "weight matrix")
        if self._fixed_weight_scale is None:
            self._update_auto_weight_scales()
        self._uploaded_bytes += self._weights.upload()

    def set_activations(self, activations: Sequence[np.ndarray]) -> None:
        """Per-layer 1-D arrays: layer 0 pixel intensities in [0, 1], others activations."""
        self._check_count(activations, len(self._activation_views), "activation arrays")
        for view, values in zip(self._activation_views, activations):
            _copy_checked(view, values, "activation array")
        if not np.isfinite(self._hidden_range).all() and self._hidden_activations.size:
            self._apply_observed_hidden_range()
        self._uploaded_bytes += self._activations.upload()

    def set_biases(self, biases: Sequence[np.ndarray] | None) -> None:
        """Per-layer biases for layers 1..L-1, drawn as a subtle inner ring; None hides them."""
        if biases is None:
            self._sphere_program["u_show_biases"].value = 0
            return
        self._check_count(biases, len(self._bias_views) - 1, "bias arrays")
        for view, values in zip(self._bias_views[1:], biases):
            _copy_checked(view, values, "bias array")
        self._sphere_program["u_bias_scale"].value = _max_abs(self._biases.values[self.layout.layer_offsets[1]:])
        self._sphere_program["u_show_biases"].value = 1
        self._uploaded_bytes += self._biases.upload()

    def set_labels(self, predicted: int | None, true: int | None) -> None:
        """Ring the predicted class: green if right, red if wrong (then the true class gets a dashed
        green ring), amber when the true class is unknown (None)."""
        self._sphere_program["u_predicted"].value = self._output_neuron(predicted)
        self._sphere_program["u_true"].value = self._output_neuron(true)

    def set_input_heatmap(self, values: np.ndarray | None, scale: float | None = None) -> None:
        """Colour the input spheres by `values` through the weight colour map; None shows pixels again.

        scale: |v| drawn at full colour (default AUTO_SCALE_SIGMAS x RMS); weaker values fade to dark.
        """
        if values is None:
            self._sphere_program["u_use_heatmap"].value = 0
            self._heatmap_on = False
            return
        _copy_checked(self._heatmap.values, np.asarray(values).reshape(-1), "input heatmap")
        if scale is None:  # robust, like the lines' scale: one outlier must not wash the rest out
            scale = _robust_scale(self._heatmap.values)
        self._sphere_program["u_heatmap_scale"].value = max(float(scale), 1e-12)
        self._sphere_program["u_use_heatmap"].value = 1
        self._heatmap_on = True
        self._uploaded_bytes += self._heatmap.upload()

    # -- display settings (uniforms: no geometry is rebuilt) ---------------

    def set_weight_threshold(self, threshold: float) -> None:
        self._line_program["u_threshold"].value = max(float(threshold), 0.0)

    def set_weight_scale(self, scale: float | None) -> None:
        """|w| drawn at full colour and opacity; None: AUTO_SCALE_SIGMAS x RMS per layer, every set_weights."""
        if scale is None:
            self._fixed_weight_scale = None
            self._update_auto_weight_scales()
        else:
            self._fixed_weight_scale = float(scale)
            self._weight_scales[:] = max(float(scale), 1e-12)
            self._weight_scale_uniform.write(self._weight_scale_buffer)

    @property
    def weight_scales(self) -> np.ndarray:
        """The scale in use for each weight matrix (read-only copy)."""
        return self._weight_scales.copy()

    def set_colormap(self, name: str) -> None:
        self._weight_cmap.write(colormaps.colormap_table(name))
        self.colormap = name

    def set_activation_range(self, hidden: tuple[float, float], output: tuple[float, float] | None = None) -> None:
        """Values mapped to the ends of the activation colour map, for hidden and output layers.

        An infinite end (ReLU: (0, inf)) is replaced at every set_activations by
        the observed extreme of the hidden activations, so unbounded layers
        still use the whole colour map.
        """
        self._hidden_range = tuple(map(float, hidden))
        if np.isfinite(self._hidden_range).all():
            self._set_colour_range("u_activation_range", self._hidden_range)
        else:
            self._apply_observed_hidden_range()
        if output is not None:
            self._set_colour_range("u_output_range", tuple(map(float, output)))

    def set_line_width(self, pixels: float) -> None:
        self._line_program["u_line_width"].value = float(pixels)

    def set_selection(self, neuron: int | None) -> None:
        index = self._neuron_or_none(neuron)
        self._sphere_program["u_selected"].value = index
        self._line_program["u_selected"].value = index

    def set_hover(self, neuron: int | None) -> None:
        self._sphere_program["u_hovered"].value = self._neuron_or_none(neuron)

    def drawn_radii(self) -> np.ndarray:
        """Each sphere's radius as last drawn (values swell spheres a little): for exact picking."""
        layout, values = self.layout, self._activations.values
        first, output = layout.layer_offsets[1], layout.layer_offsets[-2]
        position = np.empty(layout.num_neurons, dtype=np.float32)
        sizes = np.empty_like(position)
        for lo, hi, uniform in ((first, output, "u_activation_range"), (output, layout.num_neurons, "u_output_range")):
            start, end = self._colour_ranges[uniform]
            position[lo:hi] = (values[lo:hi] - start) / max(end - start, 1e-12)
        np.clip(position, 0.0, 1.0, out=position)
        sizes[first:] = ACTIVATION_SIZE[0] + (ACTIVATION_SIZE[1] - ACTIVATION_SIZE[0]) * position[first:]
        if self._heatmap_on:
            sizes[:first] = 1.0
        else:
            pixels = np.clip(values[:first], 0.0, 1.0)
            sizes[:first] = PIXEL_SIZE[0] + (PIXEL_SIZE[1] - PIXEL_SIZE[0]) * pixels
        return layout.radii * sizes

    # -- drawing ------------------------------------------------------------

    def draw(self, view: np.ndarray, projection: np.ndarray) -> None:
        """Draw into ctx.fbo (the framebuffer last bound with .use()).

        Matrices use pyrr's layout (row vectors: clip = p @ view @ projection),
        whose bytes are what a GLSL mat4 expects. All GL state used is set here.
        """
        ctx = self.ctx
        view = np.ascontiguousarray(view, dtype=np.float32)
        projection = np.ascontiguousarray(projection, dtype=np.float32)
        self._view_uniform.write(view)
        self._projection_uniform.write(projection)
        # Row-vector convention: world -> clip is view then projection.
        np.matmul(view, projection, out=self._view_projection)
        self._view_projection_uniform.write(self._view_projection)
        _, _, width, height = ctx.viewport
        self._viewport_uniform.value = (float(width), float(height))
        for texture, unit in self._textures_by_unit:
            texture.use(unit)

        framebuffer = ctx.fbo
        ctx.enable_only(moderngl.DEPTH_TEST)
        ctx.depth_func = "<"
        framebuffer.depth_mask = True
        self._sphere_vao.render(moderngl.TRIANGLE_STRIP, vertices=4, instances=self.layout.num_neurons)
        draw_calls = 1
        if self.layout.num_edges:
            ctx.enable_only(moderngl.DEPTH_TEST | moderngl.BLEND)
            ctx.blend_equation = moderngl.FUNC_ADD
            ctx.blend_func = moderngl.ONE, moderngl.ONE
            framebuffer.depth_mask = False
            self._line_vao.render(moderngl.TRIANGLE_STRIP, vertices=4, instances=self.layout.num_edges)
            framebuffer.depth_mask = True
            draw_calls += 1
        self.stats = {"draw_calls": draw_calls, "bytes_uploaded": self._uploaded_bytes}
        self._uploaded_bytes = 0

    def release(self) -> None:
        for array in (self._neurons, self._activations, self._biases, self._heatmap, self._weights):
            array.release()
        for obj in (self._weight_cmap, self._activation_cmap, self._sphere_vao, self._line_vao):
            obj.release()
        if self._owns_shaders:
            self._shaders.release()

    # -- helpers --------------------------------------------------------

    def _apply_observed_hidden_range(self) -> None:
        lo, hi = self._hidden_range
        values = self._hidden_activations
        if values.size:
            lo = lo if np.isfinite(lo) else float(values.min())
            hi = hi if np.isfinite(hi) else float(values.max())
        lo, hi = (lo if np.isfinite(lo) else 0.0), (hi if np.isfinite(hi) else 1.0)
        self._set_colour_range("u_activation_range", (lo, max(hi, lo + 1e-6)))

    def _set_colour_range(self, uniform: str, value: tuple[float, float]) -> None:
        self._colour_ranges[uniform] = value
        self._sphere_program[uniform].value = value

    def _update_auto_weight_scales(self) -> None:
        for k, flat in enumerate(self._weight_flat_views):
            self._weight_scales[k] = _robust_scale(flat)
        np.maximum(self._weight_scales, 1e-12, out=self._weight_scales)
        self._weight_scale_uniform.write(self._weight_scale_buffer)

    def _init_static_uniforms(self, activation_range, output_range, line_width) -> None:
        layout = self.layout
        offsets = layout.layer_offsets.astype(np.int32)
        for program in (self._sphere_program, self._line_program):
            _set_uniform(program, "u_layer_count", layout.num_layers)
            self._set_array("u_layer_offsets", offsets, program)
            for name, unit in _TEXTURE_UNITS.items():
                _set_uniform(program, name, unit)
        self._set_array("u_edge_offsets", layout.edge_offsets.astype(np.int32), self._line_program)
        lines_per_matrix = np.diff(layout.edge_offsets).astype(np.float64)
        gain = np.minimum(1.0, LINE_GAIN * lines_per_matrix ** -LINE_GAIN_FALLOFF)
        self._set_array("u_layer_gain", gain, self._line_program)
        self._weight_scale_uniform.write(self._weight_scale_buffer)
        self._sphere_program["u_background"].value = tuple(self.background_color)
        self._sphere_program["u_pixel_size"].value = PIXEL_SIZE
        self._sphere_program["u_activation_size"].value = ACTIVATION_SIZE
        self.set_activation_range(activation_range, output_range)
        self.set_line_width(line_width)
        self.set_weight_threshold(0.0)
        self.set_selection(None)
        self.set_hover(None)
        self.set_labels(None, None)
        self.set_biases(None)
        self.set_input_heatmap(None)
        textures = {
            "u_neurons": self._neurons, "u_activations": self._activations, "u_biases": self._biases,
            "u_heatmap": self._heatmap, "u_weight_cmap": self._weight_cmap,
            "u_activation_cmap": self._activation_cmap, "u_weights": self._weights,
        }
        self._textures_by_unit = [(textures[name], unit) for name, unit in _TEXTURE_UNITS.items()]

    @staticmethod
    def _set_array(name: str, values: np.ndarray, program: moderngl.Program) -> None:
        # Drivers shorten uniform arrays to the last element a shader reads,
        # so write exactly as many elements as the linked program kept.
        if name not in program:
            return
        uniform = program[name]
        dtype = np.int32 if values.dtype.kind in "iu" else np.float32
        data = np.zeros(uniform.array_length, dtype=dtype)
        count = min(len(values), uniform.array_length)
        data[:count] = values[:count]
        uniform.write(data)

    def _output_neuron(self, label: int | None) -> int:
        if label is None:
            return -1
        output_size = self.layout.layer_sizes[-1]
        if not 0 <= int(label) < output_size:
            raise ValueError(f"class {label} out of range 0..{output_size - 1}")
        return int(self.layout.layer_offsets[-2]) + int(label)

    def _neuron_or_none(self, neuron: int | None) -> int:
        if neuron is None:
            return -1
        self.layout.layer_of_neuron(neuron)  # validates the index
        return int(neuron)

    @staticmethod
    def _check_count(arrays, expected: int, what: str) -> None:
        if len(arrays) != expected:
            raise ValueError(f"expected {expected} {what}, got {len(arrays)}")


def _layer_views(values: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [values[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)]


def _copy_checked(destination: np.ndarray, source, what: str) -> None:
    source = np.asarray(source)
    if source.shape != destination.shape:
        raise ValueError(f"{what} has shape {source.shape}, expected {destination.shape}")
    np.copyto(destination, source, casting="unsafe")


def _robust_scale(values: np.ndarray) -> float:
    """AUTO_SCALE_SIGMAS x RMS: near max |v| for Gaussian values, deaf to outliers, one dot product."""
    return AUTO_SCALE_SIGMAS * float(np.sqrt(np.dot(values, values) / values.size))


def _max_abs(values: np.ndarray) -> float:
    # max(-min, max) needs no temporary array, unlike np.abs(values).max().
    return max(float(values.max()), -float(values.min()), 1e-12)


def _set_uniform(program: moderngl.Program, name: str, value) -> None:
    if name in program:
        program[name].value = value
