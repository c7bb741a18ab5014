"""The app's behaviour through its core, on EGL with no window: keys, clicks, pacing, what each frame shows."""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core, pixel, screen_point  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.app import keymap
from nnviz.app.core import AppCore
from nnviz.engine import colormaps
from nnviz.engine.image_io import load_png

pytestmark = pytest.mark.gl


def _light(image: np.ndarray) -> float:
    """Total brightness above the background's."""
    return float(np.clip(image.astype(float) - image[0, 0], 0, None).sum())


def test_every_key_binding_needs_an_action_at_start_up(make_core, monkeypatch):
    monkeypatch.setattr(keymap, "BINDINGS", keymap.BINDINGS + (keymap.Binding(("Z",), "fly_to_moon", "?"),))
    with pytest.raises(RuntimeError, match="fly_to_moon"):
        make_core()


def test_click_selects_the_neuron_under_the_cursor_and_empty_space_clears(make_core):
    core = make_core(size=(480, 270))
    core.render()  # picking uses the radii the last frame drew
    for layer, index in [(3, 7), (1, 4), (0, 28 * 14 + 14)]:
        core.mouse_press(*screen_point(core, layer, index), "left")
        assert core.state()["selected"] == [layer, index]
    core.mouse_press(2, 2, "left")
    assert core.state()["selected"] is None
    assert core.session.current_messages()[-1] == "selection cleared"


def test_pause_then_n_trains_exactly_one_batch(make_core):
    core = make_core(paused=False)
    core.tick()
    assert core.session.trainer.batches_trained > 0
    core.key_press("SPACE")
    paused_at = core.session.trainer.batches_trained
    core.tick()
    assert core.session.trainer.batches_trained == paused_at
    core.key_press("N")
    assert core.session.trainer.batches_trained == paused_at + 1
    epoch = core.session.trainer.epoch
    core.key_press("N", shift=True)  # the rest of the epoch, over the next frames
    while core.session.finishing_epoch:
        core.tick()
    assert core.session.trainer.epoch == epoch + 1 and core.session.paused


def test_threshold_keys_hide_weak_lines_and_bring_them_back(make_core):
    core = make_core()
    image = (core.render(), core.target.read_rgb())[1]
    everything, lit = core.renderer.visible_line_count, _light(image)
    assert everything == core.layout.num_edges
    for _ in range(8):
        core.key_press("PERIOD")
    core.render()
    threshold = core.view.threshold
    weights = core.frame.weights
    assert core.renderer.visible_line_count == np.count_nonzero(np.abs(weights) >= threshold) < everything / 2
    assert _light(core.target.read_rgb()) < 0.7 * lit
    for _ in range(20):
        core.key_press("COMMA")
    core.render()
    assert core.view.threshold == 0.0 and core.renderer.visible_line_count == everything


def test_hidden_neurons_are_coloured_across_the_activations_range(make_core):
    """tanh: -1 and +1 are the ends of the colour map, 0 its middle."""
    core = make_core(size=(400, 400))
    camera = core.rig.camera
    camera.yaw, camera.pitch = 0.0, 0.0
    camera.frame(core.layout.layer_bounds(1), 1.0)
    core.render()
    image = core.target.read_rgb()
    palette = colormaps.sample(colormaps.ACTIVATION_COLORMAP, np.linspace(0, 1, 11))
    expected = (core.frame.layer_activations(1) + 1) / 2
    assert expected.min() < 0.3 and expected.max() > 0.7  # the test needs both signs
    for index, position in enumerate(expected):
        colour = pixel(image, core, *screen_point(core, 1, index))
        nearest = np.linspace(0, 1, 11)[np.argmin(np.linalg.norm(palette - colour, axis=1))]
        assert abs(nearest - position) <= 0.15, (index, position, nearest)


def test_relu_key_switches_activation_and_the_colour_range_follows(make_core):
    core = make_core()
    core.key_press("_3")
    assert core.session.trainer.config.activation == "relu"
    assert core.style.hidden_range == (0.0, float("inf"))
    core.render()
    hidden = np.concatenate([core.frame.layer_activations(1), core.frame.layer_activations(2)])
    assert hidden.max() > 0 and np.isfinite(core.renderer.drawn_radii).all()


def test_escape_closes_help_then_releases_the_mouse_then_quits(make_core):
    core = make_core()
    core.key_press("H")
    core.key_press("TAB")
    assert core.view.help_visible and core.host.mouse_captured
    core.key_press("ESCAPE")
    assert not core.view.help_visible and core.host.mouse_captured and not core.host.closed
    core.key_press("ESCAPE")
    assert not core.host.mouse_captured and not core.host.closed
    core.key_press("ESCAPE")
    assert core.host.closed


def test_captured_mouse_looks_around_and_free_mouse_hovers(make_core):
    core = make_core()
    core.render()
    yaw = core.rig.camera.yaw
    core.mouse_motion(*screen_point(core, 3, 2), 5, 0)
    core.render()
    assert core.rig.camera.yaw == yaw and core.view.hovered == core.layout.neuron_index(3, 2)
    core.key_press("TAB")
    core.mouse_motion(10, 10, 40, 0)
    assert core.rig.camera.yaw != yaw


def test_holding_w_flies_forward_and_home_returns(make_core):
    core = make_core()
    start, forward = np.array(core.rig.camera.position), core.rig.camera.forward
    core.key_press("W")
    for _ in range(3):
        core.tick()
    core.key_release("W")
    moved = np.array(core.rig.camera.position) - start
    assert np.dot(moved, forward) > 0 and np.linalg.norm(np.cross(moved, forward)) < 1e-6 * np.linalg.norm(moved)
    core.key_press("HOME")
    np.testing.assert_allclose(core.rig.camera.position, start)


def test_screenshot_key_saves_the_frame_as_drawn(make_core, tmp_path):
    core = make_core()
    core.key_press("P")
    core.render()
    assert core.last_screenshot is not None
    np.testing.assert_array_equal(load_png(core.last_screenshot), core.target.read_rgb())
    assert core.last_screenshot.startswith(str(tmp_path))


def test_a_minimised_window_keeps_training_and_draws_nothing(make_core):
    core = make_core(paused=False)
    core.resize((0, 0))
    core.tick()
    assert core.target is None and core.session.trainer.batches_trained > 0
    core.resize((200, 100))
    core.tick()
    assert core.target.size == (200, 100)


def test_next_digit_keys_change_the_input_on_show(make_core):
    core = make_core()
    core.render()
    first = core.frame.input_image.copy()
    core.key_press("T")
    core.render()
    assert core.state()["sample_index"] == 1 and not np.array_equal(core.frame.input_image, first)
    core.key_press("T", shift=True)
    core.render()
    assert core.frame.predicted_class != core.frame.true_class


def test_core_needs_no_window_toolkit():
    import subprocess
    import sys

    code = "import sys, nnviz.app.core; sys.exit('pyglet.window' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], env={"PATH": "", "DISPLAY": ""}).returncode == 0
    assert AppCore  # imported above without a display as well


def test_a_click_on_the_rim_of_a_swollen_neuron_selects_it(make_core):
    """Picking uses the drawn radii: a point the sphere covers only because it swelled still selects it."""
    core = make_core(size=(400, 400))
    camera = core.rig.camera
    camera.yaw, camera.pitch = 0.0, 0.0
    camera.frame(core.layout.layer_bounds(1), 1.0)
    core.view.threshold = 1e9  # no lines in front of the spheres
    core.render()
    image = core.target.read_rgb()
    first, end = core.layout.layer_offsets[1], core.layout.layer_offsets[2]
    ratio = core.renderer.drawn_radii[first:end] / core.layout.radii[first:end]
    heights = camera.project(core.layout.positions[first:end], 400, 400)[:, 1]
    ratio[heights < 120] = 0  # keep clear of the timeline strip along the bottom
    neuron = int(first + np.argmax(ratio))
    assert ratio.max() > 1.04  # drawn clearly bigger than its layout radius
    between = (core.renderer.drawn_radii[neuron] + core.layout.radii[neuron]) / 2
    x, y = camera.project((core.layout.positions[neuron] + camera.right * between)[None], 400, 400)[0]
    assert np.abs(pixel(image, core, x, y) - np.array(core.style.background)).max() > 0.05  # the sphere shows here
    core.mouse_press(x, y, "left")
    assert core.view.selected == neuron
    core.mouse_motion(x, y, 0, 0)
    core.render()
    assert core.view.hovered == neuron


def test_f9_records_the_window_to_an_mp4_in_real_time(make_core, tmp_path):
    import imageio_ffmpeg

    clock = [0.0]
    core = make_core(size=(160, 96), clock=lambda: clock[0])
    core.key_press("F9")
    assert core.recorder is not None
    for _ in range(3):
        clock[0] += 0.1  # a slow window: 10 fps; the video repeats frames to keep 30 fps real time
        core.render()
    first = core.target.read_rgb()
    core.key_press("F9")
    assert core.recorder is None
    videos = list(tmp_path.glob("nnviz-*.mp4"))
    assert len(videos) == 1 and "recorded" in core.session.current_messages()[-1]
    reader = imageio_ffmpeg.read_frames(str(videos[0]))
    meta = next(reader)
    frames = [np.frombuffer(f, np.uint8).reshape(96, 160, 3) for f in reader]
    assert meta["size"] == (160, 96) and len(frames) == int(0.3 * 30) + 1
    assert np.abs(frames[-1].astype(int) - first).mean() < 4  # lossy, but the picture drawn


def test_a_resize_stops_the_recording_and_keeps_the_file(make_core, tmp_path):
    core = make_core(size=(160, 96))
    core.key_press("F9")
    core.render()
    core.resize((200, 100))
    core.render()
    assert core.recorder is None and "changed size" in core.session.current_messages()[-1]
    assert len(list(tmp_path.glob("nnviz-*.mp4"))) == 1


def test_the_hud_names_the_three_likeliest_classes(make_core):
    core = make_core()
    core.session.trainer.train_batches(60)
    core.render()
    outputs = core.frame.layer_activations(3)
    best = np.argsort(outputs)[::-1][:3]
    expected = "  ".join(f"{i} {outputs[i] / outputs.sum():.0%}" for i in best)
    hud = core.hud_state()
    assert hud.top_classes == expected and hud.top_classes.startswith(str(core.frame.predicted_class))
    marks = hud.outputs
    assert [m.label for m in marks] == [str(i) for i in range(10)]
    np.testing.assert_allclose([m.probability for m in marks], outputs / outputs.sum(), rtol=1e-5)


class _SilentOverlay:
    """A HUD that draws nothing: enough for the core to lay the view out around the panels."""

    def resize(self, width, height):
        pass

    def draw(self, state, show_hud, show_help):
        pass


@pytest.mark.parametrize("size", [(1280, 720), (640, 400)])
def test_the_default_view_keeps_the_network_clear_of_the_panels(make_core, size):
    from nnviz.app.hud_layout import (compact, digit_panel_rect, draw_button_rect, stats_width, COMPACT_STATS_HEIGHT,
                                      STATS_HEIGHT)
    from nnviz.app.timeline import bar_rect

    width, height = size
    core = make_core(size=size, overlay=_SilentOverlay())
    layout, camera = core.layout, core.rig.camera
    edge = camera.project(layout.positions + camera.right * layout.radii[:, None], width, height)
    centre = camera.project(layout.positions, width, height)
    reach = np.linalg.norm(edge - centre, axis=1)
    hud_width = core.hud_size[0]  # the HUD lays itself out left of the control panel
    boxes = [digit_panel_rect(hud_width, height, (28, 28)), draw_button_rect(hud_width, height, (28, 28)),
             bar_rect(hud_width, height)]
    stats_height = COMPACT_STATS_HEIGHT if compact(hud_width, height) else STATS_HEIGHT
    boxes.append((12, height - 12 - stats_height, stats_width(hud_width, height), stats_height))
    if core.panel.visible:
        boxes.append(core.panel.rect())
    for x, y, w, h in boxes:
        inside = ((centre[:, 0] + reach > x) & (centre[:, 0] - reach < x + w)
                  & (centre[:, 1] + reach > y) & (centre[:, 1] - reach < y + h))
        assert not inside.any(), f"{inside.sum()} neurons under the panel at {(x, y, w, h)}"
    assert (centre[:, 0] > 0).all() and (centre[:, 0] < width).all()  # and all of it on screen
    core.key_press("U")  # without the HUD, Home uses the whole window again
    core.key_press("HOME")
    wider = camera.project(layout.positions, width, height)
    assert np.ptp(wider[:, 0]) > np.ptp(centre[:, 0])
