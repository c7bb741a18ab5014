"""Offscreen context, framebuffer read-back, PNG output and the one-call image renderer."""

from __future__ import annotations

import moderngl
import numpy as np
import pytest

from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.engine import colormaps, context
from nnviz.engine.camera import Camera
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.layout import layout_network
from nnviz.engine.style import RenderStyle
from nnviz.engine.image_io import load_png, save_png
from nnviz.engine.offscreen import OffscreenTarget, render_network_image
from nnviz.errors import NnvizError


def test_missing_egl_is_a_one_line_error_that_says_what_to_install(monkeypatch):
    def no_egl(**_):
        raise Exception("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(moderngl, "create_standalone_context", no_egl)
    with pytest.raises(NnvizError) as caught:
        context.create_context()
    message = str(caught.value)
    assert "\n" not in message
    assert "apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri" in message and "libEGL.so.1" in message


def test_save_png_round_trips_size_and_pixels(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    save_png(tmp_path / "a.png", rgb)
    assert np.array_equal(load_png(tmp_path / "a.png"), rgb)


def test_save_png_to_a_missing_directory_is_a_user_error(tmp_path):
    with pytest.raises(NnvizError, match="missing"):
        save_png(tmp_path / "missing" / "a.png", np.zeros((2, 2, 3), np.uint8))


@pytest.mark.gl
@pytest.mark.parametrize("samples", [0, 4])
def test_read_rgb_puts_row_zero_at_the_top(gl_ctx, samples):
    target = OffscreenTarget(gl_ctx, 40, 30, samples=samples)
    target.use()
    target.clear((0.0, 0.0, 1.0))
    gl_ctx.scissor = (0, 20, 40, 10)  # GL's y is up: the top ten rows
    target.clear((1.0, 0.0, 0.0))
    gl_ctx.scissor = None
    image = target.read_rgb()
    target.release()
    assert image.shape == (30, 40, 3) and image.dtype == np.uint8
    assert (image[:10] == [255, 0, 0]).all() and (image[10:] == [0, 0, 255]).all()


@pytest.mark.gl
def test_multisampling_is_used_when_available(gl_ctx):
    target = OffscreenTarget(gl_ctx, 8, 8, samples=4)
    assert target.samples == min(4, gl_ctx.max_samples) or gl_ctx.max_samples < 2
    target.release()
    assert OffscreenTarget(gl_ctx, 8, 8, samples=1).samples == 0


@pytest.mark.gl
def test_rendered_png_has_the_requested_size(gl_ctx, tmp_path):
    sizes = [784, 16, 16, 10]
    rng = np.random.default_rng(5)
    weights = [rng.normal(scale=0.2, size=(a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(scale=0.1, size=n) for n in sizes[1:]]
    activations = [rng.random(n) for n in sizes]
    frame = FrameSnapshot.from_layers(weights, biases, activations, predicted_class=3, true_class=3)
    rgb = render_network_image(frame, width=320, height=200, camera="front", input_shape=(28, 28), ctx=gl_ctx)
    assert rgb.shape == (200, 320, 3)
    save_png(tmp_path / "frame.png", rgb)
    assert load_png(tmp_path / "frame.png").shape == (200, 320, 3)
    assert rgb.std() > 5  # something was drawn


@pytest.mark.gl
def test_unbounded_activation_range_still_uses_the_colour_map(gl_ctx):
    # ReLU layers report (0, inf); the renderer must pick a finite range from the data.
    # A bounded (0, 1) range would paint 5 and 10 the same brightest colour.
    activations = [np.zeros(4), np.array([0.0, 5.0, 10.0]), np.zeros(2)]
    frame = FrameSnapshot.from_layers([np.zeros((4, 3)), np.zeros((3, 2))], [np.zeros(3), np.zeros(2)], activations)
    style = RenderStyle(hidden_range=(0.0, float("inf")), show_biases=False)
    rgb = render_network_image(frame, style, width=240, height=160, camera="front", samples=0, ctx=gl_ctx)
    layout = layout_network([4, 3, 2])
    camera = Camera.preset("front", layout, 240 / 160)
    x, y = camera.project(layout.layer_positions(1), 240, 160).T
    centres = rgb[np.floor(160 - y).astype(int), np.floor(x).astype(int)].astype(float) / 255
    palette = colormaps.sample(colormaps.ACTIVATION_COLORMAP, [0.0, 0.5, 1.0])
    nearest = [int(np.argmin(np.linalg.norm(palette - colour, axis=1))) for colour in centres]
    assert nearest == [0, 1, 2]  # 0, 5 and 10 span the whole map


# A plain triangle with hard edges: only multisampling can give its edge pixels partial coverage.
_TRIANGLE_VERTEX = """
#version 330 core
void main() {
    vec2 corners[3] = vec2[3](vec2(-0.9, -0.8), vec2(0.8, -0.9), vec2(-0.7, 0.9));
    gl_Position = vec4(corners[gl_VertexID], 0.0, 1.0);
}
"""
_WHITE_FRAGMENT = "#version 330 core\nout vec4 color;\nvoid main() { color = vec4(1.0); }\n"


@pytest.mark.gl
def test_multisampled_target_antialiases_hard_edges(gl_ctx):
    program = gl_ctx.program(vertex_shader=_TRIANGLE_VERTEX, fragment_shader=_WHITE_FRAGMENT)
    vao = gl_ctx.vertex_array(program, [])
    partial = {}
    for samples in (0, 4):
        target = OffscreenTarget(gl_ctx, 64, 64, samples=samples)
        target.use()
        target.clear((0.0, 0.0, 0.0))
        vao.render(moderngl.TRIANGLES, vertices=3)
        grey = target.read_rgb()[:, :, 0]
        partial[samples] = int(np.count_nonzero((grey > 20) & (grey < 235)))
        target.release()
    vao.release()
    program.release()
    assert partial[0] == 0
    assert partial[4] > 60  # the three edges are ~170 pixels long
