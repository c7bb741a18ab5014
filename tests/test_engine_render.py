"""What the renderer draws, checked on real pixels read back from EGL + llvmpipe."""

from __future__ import annotations

import moderngl
import numpy as np
import pytest

from gl_fixtures import Scene, gl_ctx, gl_draw_calls, gl_loader, gl_session_ctx, gl_shaders  # noqa: F401  (fixtures)
from nnviz.engine import colormaps
from nnviz.engine.frame import FrameSnapshot
from nnviz.engine.layout import layout_network

pytestmark = pytest.mark.gl

DEFAULT = [784, 16, 16, 10]


def _zeros(sizes):
    return [np.zeros((a, b), np.float32) for a, b in zip(sizes[:-1], sizes[1:])]


def _seven() -> np.ndarray:
    """A digit-like "7": no mirror image or rotation of it is close to itself."""
    image = np.zeros((28, 28), np.float32)
    image[4:8, 6:23] = 1.0  # top bar
    for row in range(8, 25):  # stroke down to the lower left
        column = int(22 - (row - 8) * 0.55)
        image[row, column - 2:column + 1] = 1.0
    return image


@pytest.fixture
def scene(gl_ctx, gl_shaders):
    scenes = []

    def make(sizes=DEFAULT, input_shape=(28, 28), **options):
        made = Scene(gl_ctx, gl_shaders, layout_network(sizes, input_shape=input_shape), **options)
        scenes.append(made)
        return made

    yield make
    for made in scenes:
        made.release()


def test_neuron_centre_shows_that_neurons_colour_even_with_lines_through_it(scene):
    s = scene()
    values = np.array([0.0, 0.25, 0.5, 0.75, 1.0] * 4, np.float32)[:16]
    s.set(activations=[np.zeros(784), values, np.zeros(16), np.zeros(10)])
    rng = np.random.default_rng(1)
    # Bright weights everywhere: the spheres must still win the depth test at their centres.
    s.set(weights=[rng.normal(size=shape).astype(np.float32) for shape in [(784, 16), (16, 16), (16, 10)]])
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.layer_bounds(1), s.aspect)
    image = s.render()
    seen = s.colors_at(image, s.layout.layer_positions(1))
    palette = colormaps.sample(colormaps.ACTIVATION_COLORMAP, np.array([0.0, 0.25, 0.5, 0.75, 1.0]))
    for value, color in zip(values, seen):
        nearest = np.argmin(np.linalg.norm(palette - color, axis=1))
        assert palette[nearest] == pytest.approx(colormaps.sample(colormaps.ACTIVATION_COLORMAP, value))
        # Lit, not just the right hue: within the lighting's range of the base colour.
        assert np.abs(color - palette[nearest]).max() < 0.2


def _line_scene(scene, weight, threshold=0.0, colormap="coolwarm"):
    """Two layers of three; only W[0, 2] non-zero, so one diagonal line, seen from the front."""
    s = scene(sizes=[3, 3], input_shape=None, colormap=colormap)
    weights = np.zeros((3, 3), np.float32)
    weights[0, 2] = weight
    s.style.weight_scale = 1.0
    s.set(weights=[weights])
    s.style.threshold = threshold
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.bounds(), s.aspect)
    source, target = s.layout.positions[0], s.layout.positions[3 + 2]
    return s, (source + target) / 2


def test_line_changes_hue_when_its_weight_changes_sign(scene):
    s, midpoint = _line_scene(scene, +0.9)
    positive = s.colors_at(s.render(), midpoint)[0]
    s.set(weights=[np.array([[0, 0, -0.9], [0, 0, 0], [0, 0, 0]], np.float32)])
    negative = s.colors_at(s.render(), midpoint)[0]
    background = np.array(s.style.background)
    assert positive.sum() > background.sum() + 0.3 and negative.sum() > background.sum() + 0.3
    assert positive[0] > positive[2] + 0.2  # coolwarm: positive is red
    assert negative[2] > negative[0] + 0.2  # negative is blue


def test_colour_blind_safe_colormap_changes_line_colours(scene):
    s, midpoint = _line_scene(scene, +0.9, colormap="orange-purple")
    purple = s.colors_at(s.render(), midpoint)[0]
    s.set(weights=[np.array([[0, 0, -0.9], [0, 0, 0], [0, 0, 0]], np.float32)])
    orange = s.colors_at(s.render(), midpoint)[0]
    assert purple[2] > purple[1] + 0.1 and orange[0] > orange[2] + 0.2
    s.style.colormap = "coolwarm"
    assert s.colors_at(s.render(), midpoint)[0][2] > s.colors_at(s.render(), midpoint)[0][0]  # blue again


def test_weight_below_threshold_leaves_no_trace(scene):
    s, _ = _line_scene(scene, 0.0)
    empty = s.render()
    s.set(weights=[np.array([[0, 0, 0.3], [0, 0, 0], [0, 0, 0]], np.float32)])
    s.style.threshold = 0.5
    assert np.array_equal(s.render(), empty)
    # The same weight above the threshold is drawn: the comparison above can fail.
    s.style.threshold = 0.2
    assert not np.array_equal(s.render(), empty)


def test_input_grid_shows_the_digit_the_right_way_round(scene):
    s = scene(sizes=[784, 10], samples=4)
    digit = _seven()
    s.set(activations=[digit.ravel(), np.zeros(10)])
    s.camera.apply_preset("input", s.layout, s.aspect)
    brightness = s.colors_at(s.render(), s.layout.layer_positions(0)).mean(axis=1).reshape(28, 28)

    def correlation(a, b):
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    assert correlation(brightness, digit) > 0.9
    # A mirrored, upside-down or transposed grid would match one of these instead.
    for flipped in (digit[::-1], digit[:, ::-1], digit.T, digit[::-1, ::-1]):
        assert correlation(brightness, flipped) < correlation(brightness, digit) - 0.3


def test_frame_is_neither_blank_nor_one_colour(scene):
    s = scene(samples=4)
    rng = np.random.default_rng(2)
    s.set(weights=[rng.normal(scale=0.1, size=(a, b)) for a, b in zip(DEFAULT[:-1], DEFAULT[1:])],
          activations=[_seven().ravel()] + [rng.random(n) for n in DEFAULT[1:]])
    s.camera.apply_preset("default", s.layout, s.aspect)
    image = s.render()
    background = np.round(np.array(s.style.background) * 255)
    differs = np.abs(image.astype(int) - background).sum(axis=2) > 12
    assert 0.05 < differs.mean() < 0.9
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200


def test_selection_dims_other_lines_and_keeps_its_own(scene):
    s = scene(sizes=[3, 3], input_shape=None)
    s.style.weight_scale = 1.0
    s.set(weights=[np.full((3, 3), 0.5, np.float32)])
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.bounds(), s.aspect)
    p = s.layout.positions
    # Horizontal lines 0->3 (touches the selection) and 2->5 (does not): midpoints cross nothing else.
    own, other = (p[0] + p[3]) / 2, (p[2] + p[5]) / 2
    before = s.colors_at(s.render(), [own, other]).sum(axis=1)
    s.style.selected = 0
    after = s.colors_at(s.render(), [own, other]).sum(axis=1)
    background = sum(s.style.background)
    assert after[0] >= before[0] - 0.02
    assert after[1] - background < 0.25 * (before[1] - background)
    s.style.selected = None
    assert np.allclose(s.colors_at(s.render(), [own, other]).sum(axis=1), before, atol=0.02)


def _ring_color(s, neuron):
    """Colour in the outer ring band, to the right of a neuron on screen."""
    centre = s.layout.positions[neuron]
    ring_point = centre + s.camera.right * s.layout.radii[neuron] * 1.55
    return s.colors_at(s.render(), ring_point)[0]


def test_output_rings_mark_right_and_wrong_predictions(scene):
    s = scene(sizes=[4, 10], input_shape=None, samples=4)
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.layer_bounds(1), s.aspect)
    three, seven = s.layout.neuron_index(1, 3), s.layout.neuron_index(1, 7)
    background = np.array(s.style.background)
    assert np.allclose(_ring_color(s, seven), background, atol=0.03)
    s.set(predicted=7, true=7)
    right = _ring_color(s, seven)
    assert right[1] > right[0] + 0.3  # green
    s.set(predicted=3, true=7)
    wrong = _ring_color(s, three)
    assert wrong[0] > wrong[1] + 0.3  # red on the (wrong) prediction


def test_input_heatmap_recolours_input_spheres_and_none_restores_pixels(scene):
    s = scene(sizes=[784, 10])
    s.camera.apply_preset("input", s.layout, s.aspect)
    heat = np.zeros(784, np.float32)
    heat[0], heat[783] = 1.0, -1.0
    pixel_view = s.colors_at(s.render(), s.layout.positions[[0, 783]])
    s.style.input_heatmap = heat
    red, blue, neutral = s.colors_at(s.render(), s.layout.positions[[0, 783, 400]])
    assert red[0] > red[2] + 0.3 and blue[2] > blue[0] + 0.3
    assert neutral.max() < 0.3 < min(red.max(), blue.max())  # a zero weight stays dark
    s.style.input_heatmap = None
    assert np.allclose(s.colors_at(s.render(), s.layout.positions[[0, 783]]), pixel_view)


def test_draw_calls_do_not_grow_with_the_network(scene, gl_draw_calls):
    for sizes in ([784, 16, 16, 10], [784, 512, 512, 10]):
        s = scene(sizes=sizes, width=64, height=48)
        s.camera.apply_preset("default", s.layout, s.aspect)
        rng = np.random.default_rng(3)
        weights = [rng.normal(size=(a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
        s.set(weights=weights, activations=[rng.random(n).astype(np.float32) for n in sizes])
        before = gl_draw_calls()
        s.render()
        assert gl_draw_calls() - before == 2  # counted at the GL entry points, not by the renderer
        # One upload each for line values, the drawn lines' ids and their (opacity, width), and neuron
        # state, texture row padding aside.
        lines, neurons, drawn = sum(w.size for w in weights), sum(sizes), s.renderer.drawn_line_count
        assert 0 < drawn <= lines
        expected = 4 * lines + (4 + 8) * drawn + 16 * neurons
        assert expected <= s.renderer.bytes_uploaded < expected + 3 * 4 * 4096 * 4


def test_draw_sets_the_gl_state_it_needs(scene, gl_ctx):
    s = scene(samples=0)
    rng = np.random.default_rng(4)
    s.set(weights=[rng.normal(size=(a, b)) for a, b in zip(DEFAULT[:-1], DEFAULT[1:])],
          activations=[_seven().ravel()] + [rng.random(n) for n in DEFAULT[1:]])
    s.camera.apply_preset("default", s.layout, s.aspect)
    clean = s.render()
    # State another user of the context (pyglet, a HUD) might leave behind.
    gl_ctx.enable_only(moderngl.CULL_FACE | moderngl.BLEND)
    gl_ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
    gl_ctx.depth_func = ">"
    gl_ctx.cull_face = "front"
    s.target.use()
    gl_ctx.fbo.depth_mask = False
    assert np.array_equal(s.render(), clean)


def test_frames_reject_wrong_shapes_and_accept_any_float_arrays(scene):
    s = scene(sizes=[4, 3, 2], input_shape=None)
    s.set(weights=[np.ones((4, 3), np.float64), np.ones((3, 2), np.int64)])
    s.render()
    assert np.allclose(s.renderer.weight_scales, 2.5)  # 2.5 x RMS of all-ones matrices
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        s.set(weights=[np.ones((3, 4)), np.ones((3, 2))])
    with pytest.raises(ValueError, match="expected"):
        s.set(activations=[np.ones(4), np.ones(3)])
    with pytest.raises(ValueError, match="predicted_class 2"):
        s.set(predicted=2)
    s.style.selected = 9
    with pytest.raises(IndexError):
        s.render()


def test_lit_spheres_have_no_dark_holes_at_their_centres(scene):
    # Regression: pow() of a tiny negative (rounding) made the centre pixel NaN/black.
    s = scene(sizes=[784, 10], width=1280, height=720)
    s.set(activations=[np.ones(784, np.float32), np.zeros(10)])
    s.camera.apply_preset("input", s.layout, s.aspect)
    image = s.render().min(axis=2) / 255.0
    rows, cols = s.pixel_of(s.layout.layer_positions(0))
    # The 3x3 pixels around every projected centre (spheres are ~20 px wide here).
    around = np.stack([image[rows + dr, cols + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    assert around.min() > 0.6


def test_drawn_radii_match_the_spheres_on_screen_so_picking_is_exact(scene):
    from nnviz.engine.picking import pick_sphere

    s = scene(sizes=[784, 3, 10])
    # Colour-map ends 0 and 1: the smallest and the largest drawn size.
    s.set(activations=[np.zeros(784), np.array([1.0, 0.0, 1.0], np.float32), np.zeros(10)])
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.layer_bounds(1), s.aspect)
    image = s.render()
    radii = s.renderer.drawn_radii
    background = np.array(s.style.background)
    width, height = s.width, s.height
    for index in range(3):
        neuron = s.layout.neuron_index(1, index)
        centre = s.layout.positions[neuron]
        inside = centre + s.camera.right * radii[neuron] * 0.9
        outside = centre + s.camera.right * radii[neuron] * 1.1
        assert not np.allclose(s.colors_at(image, inside)[0], background, atol=0.03)
        assert np.allclose(s.colors_at(image, outside)[0], background, atol=0.03)
        for point, expected in ((inside, neuron), (outside, None)):
            x, y = s.camera.project(point[None], width, height)[0]
            origin, direction = s.camera.ray(x, y, width, height)
            assert pick_sphere(origin, direction, s.layout.positions, radii) == expected
    assert radii[s.layout.neuron_index(1, 0)] > s.layout.radii[s.layout.neuron_index(1, 0)] * 1.1


def test_rebuild_takes_a_new_topology_and_draws_it_like_a_new_renderer(scene):
    rng = np.random.default_rng(6)
    grown = [5, 7, 3]
    old = scene(sizes=[5, 2, 3], input_shape=None, width=160, height=120)
    old.render()
    old.layout = layout_network(grown)
    old.renderer.rebuild(old.layout)
    fresh = scene(sizes=grown, input_shape=None, width=160, height=120)
    old.frame = fresh.set(weights=[rng.normal(size=(a, b)) for a, b in zip(grown[:-1], grown[1:])],
                          activations=[rng.random(n) for n in grown])
    for s in (old, fresh):
        s.camera.apply_preset("front", s.layout, s.aspect)
    image = fresh.render()
    assert np.array_equal(old.render(), image) and image.std() > 5
    assert old.renderer.drawn_radii.shape == (15,)


def test_lines_can_be_coloured_by_another_channel_of_the_frame(scene):
    """A per-line channel (e.g. weight changes) colours the lines; the weights still decide which are drawn."""
    s, midpoint = _line_scene(scene, +0.9)
    weights = [s.frame.weight_matrix(0)]
    change = np.zeros(9, np.float32)
    change[2] = -0.9  # the drawn line W[0, 2] moved towards negative
    s.frame = FrameSnapshot.from_layers(weights, [np.zeros(3)], [np.zeros(3), np.zeros(3)],
                                        edge_channels={"change": change})
    by_weight = s.colors_at(s.render(), midpoint)[0]
    s.style.line_channel = "change"
    by_change = s.colors_at(s.render(), midpoint)[0]
    assert by_weight[0] > by_weight[2] + 0.2 and by_change[2] > by_change[0] + 0.2  # red, then blue
    assert s.renderer.visible_line_count == 1


def test_a_neuron_channel_colours_spheres_on_the_diverging_map(scene):
    """Error signals: negative blue, positive red (coolwarm), silent grey; the activation map is not used."""
    s = scene(sizes=[3, 3, 2], input_shape=None)
    delta = np.zeros(8, np.float32)
    delta[3], delta[4], delta[5] = -1.0, 1.0, 0.0
    s.frame = FrameSnapshot.from_layers([np.zeros((3, 3)), np.zeros((3, 2))], [np.zeros(3), np.zeros(2)],
                                        [np.zeros(3), np.ones(3), np.zeros(2)], neuron_channels={"delta": delta})
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.layer_bounds(1), s.aspect)
    as_activation = s.colors_at(s.render(), s.layout.layer_positions(1))
    s.style.neuron_channel = "delta"
    negative, positive, silent = s.colors_at(s.render(), s.layout.layer_positions(1))
    assert negative[2] > negative[0] + 0.2 and positive[0] > positive[2] + 0.2
    assert abs(silent[0] - silent[2]) < 0.15  # the map's neutral middle
    assert (as_activation[:, 0] > as_activation[:, 2] + 0.2).all()  # before: all pale yellow, fully active


def test_the_inner_ring_can_show_a_neuron_channel_instead_of_the_biases(scene):
    s = scene(sizes=[4, 10], input_shape=None, samples=4)
    change = np.zeros(14, np.float32)
    change[4 + 3] = -0.5  # output neuron 3's bias moved down
    s.frame = FrameSnapshot.from_layers([np.zeros((4, 10))], [np.full(10, 0.5)], [np.zeros(4), np.zeros(10)],
                                        neuron_channels={"bias_change": change})
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.layer_bounds(1), s.aspect)
    neuron = s.layout.neuron_index(1, 3)
    ring = s.layout.positions[neuron] + s.camera.right * s.layout.radii[neuron] * 1.26
    by_bias = s.colors_at(s.render(), ring)[0]
    s.style.ring_channel = "bias_change"
    by_change = s.colors_at(s.render(), ring)[0]
    assert by_bias[0] > by_bias[2] + 0.1 and by_change[2] > by_change[0] + 0.1  # red (+0.5), then blue (-0.5)


def _look_from(camera: Camera, position: np.ndarray, target: np.ndarray) -> None:
    direction = (target - position) / np.linalg.norm(target - position)
    camera.position = position
    camera.pitch = float(np.degrees(np.arcsin(direction[1])))
    camera.yaw = float(np.degrees(np.arctan2(direction[0], -direction[2])))


def test_a_line_passing_behind_a_spheres_ring_is_not_cut_by_it(scene):
    """Only the sphere itself hides what is behind it: its bias ring and anti-aliased rim do not."""
    s = scene(sizes=[1, 2, 1], input_shape=None, width=240, height=240)

    def frame(line_weight: float) -> FrameSnapshot:
        # Hidden neuron 0 wears a bias ring; the only line runs from hidden neuron 1 to the output.
        return FrameSnapshot.from_layers([np.zeros((1, 2), np.float32), np.array([[0.0], [line_weight]], np.float32)],
                                         [np.array([1.0, 0.0], np.float32), np.zeros(1, np.float32)],
                                         [np.zeros(1), np.zeros(2), np.zeros(1)])

    front = s.layout.positions[s.layout.neuron_index(1, 0)]
    start, end = s.layout.positions[s.layout.neuron_index(1, 1)], s.layout.positions[s.layout.neuron_index(2, 0)]
    behind = start + 0.5 * (end - start)
    outward = np.cross(end - start, behind - front)
    outward /= np.linalg.norm(outward)
    band = front + outward * s.layout.radii[s.layout.neuron_index(1, 0)] * 1.26  # the bias ring (rules.INNER_RING)
    _look_from(s.camera, band + (band - behind) * 3.0, behind)  # the line seen through the ring band
    s.frame = frame(1.0)
    with_line = s.colors_at(s.render(), band)[0]
    s.frame = frame(0.0)
    ring_only = s.colors_at(s.render(), band)[0]
    assert ring_only.sum() > 0.1  # the ring is there
    assert (with_line - ring_only).sum() > 0.1, (with_line, ring_only)  # and the line shows through it
