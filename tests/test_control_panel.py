"""The control panel through the app core on EGL: real clicks and keys on the Dear ImGui panel, read back
from the trainer; the network edited live, the scene rebuilt around the neurons that survive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core_fixtures import Clock, click, frames as _frames, make_core, screen_point  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.app.glide import GLIDE_SECONDS
from nnviz.app.hud_colors import PANEL_COLOR
from nnviz.app.session import TrainingSession
from nnviz.app.core import AppCore
from nnviz.data.loader import Dataset
from nnviz.data.mixing import NOT_A_DIGIT
from nnviz.model.config import TrainConfig
from synthetic_data import synthetic_dataset

pytestmark = pytest.mark.gl

WIDE = (1280, 720)  # wide enough for the panel to be shown at start


def test_the_panel_is_drawn_docked_right_and_f2_hides_it(make_core):
    core = make_core(size=WIDE)
    assert core.panel.visible and core.hud_size[0] < WIDE[0]
    core.render()
    x, y, w, h = core.panel.rect()
    image = core.target.read_rgb()
    strip = image[-20:-5, int(x) + 10:int(x + w) - 10].reshape(-1, 3).astype(float)  # empty panel, bottom
    expected = np.array(PANEL_COLOR[:3], float)
    assert np.abs(strip.mean(axis=0) - expected).max() < 12, strip.mean(axis=0)
    core.key_press("F2")
    assert not core.panel.visible and core.hud_size == WIDE
    core.render()
    hidden = core.target.read_rgb()[-20:-5, int(x) + 10:int(x + w) - 10].reshape(-1, 3).astype(float)
    assert np.abs(hidden.mean(axis=0) - expected).max() > 5  # the timeline strip or the scene now


def test_a_small_window_starts_with_the_panel_hidden(make_core):
    assert not make_core(size=(960, 600)).panel.visible


def test_dragging_on_the_learning_rate_slider_sets_it_and_the_scene_does_not_move(make_core):
    core = make_core(size=WIDE)
    camera_before = core.rig.camera.position.copy()
    click(core, "learning rate", 0.02)
    low = core.session.trainer.config.learning_rate
    click(core, "learning rate", 0.9)
    high = core.session.trainer.config.learning_rate
    assert low < 2e-5 and 1.0 < high <= 10.0  # a logarithmic slider from 1e-5 to 10
    assert np.array_equal(core.rig.camera.position, camera_before)
    assert "selection cleared" not in core.session.current_messages()  # the clicks did not reach the scene


def test_the_activation_of_one_layer_changes_from_its_drop_down_and_the_weights_stay(make_core):
    core = make_core(size=WIDE)
    params = core.session.trainer.network.params.copy()
    click(core, "activation 1")
    click(core, "activation 1: relu")
    trainer = core.session.trainer
    assert trainer.config.hidden_activations() == ("relu", "tanh")
    assert [a.name for a in trainer.network.activations] == ["relu", "tanh"]
    assert np.array_equal(trainer.network.params, params)
    assert core.style.hidden_ranges == ((0.0, float("inf")), (-1.0, 1.0))  # each layer coloured on its own scale


def test_optimizer_drop_down_says_what_happened_to_its_state(make_core):
    core = make_core(size=WIDE)
    click(core, "optimizer")
    click(core, "optimizer: momentum")
    assert core.session.trainer.config.optimizer == "momentum"
    assert type(core.session.trainer.optimizer).__name__ == "Momentum"
    assert "velocity starts from zero" in core.session.current_messages()[-1]


def _key(core: AppCore, name: str) -> None:
    """A key pressed and released, a frame each, as a person types."""
    core.key_press(name)
    core.render()
    core.key_release(name)
    core.render()


def test_keys_reach_the_scene_unless_a_text_field_has_focus(make_core):
    core = make_core(size=WIDE)
    core.render()
    core.mouse_motion(1200, 300, 0, 0)  # over the panel
    core.key_press("SPACE")
    assert not core.session.paused  # make_core starts paused: Space went to the scene
    core.key_press("SPACE")
    # Ctrl+click turns the slider into a text field: now keys are text.
    core.key_press("LCTRL")
    click(core, "learning rate")
    core.key_release("LCTRL")
    core.render()
    assert core.panel.typing
    core.key_press("LCTRL")
    _key(core, "A")  # select all: what is typed replaces it
    core.key_release("LCTRL")
    core.text_input("0.05")
    core.key_press("W")  # would fly forward
    core.key_press("SPACE")  # would resume training
    core.render()
    _key(core, "RETURN")
    core.render()
    assert core.session.trainer.config.learning_rate == pytest.approx(0.05)
    assert "W" not in core.held_keys and core.session.paused
    assert not core.panel.typing
    core.key_press("SPACE")  # the field has let go: keys are commands again
    assert not core.session.paused


def test_the_wheel_over_the_panel_does_not_change_the_flying_speed(make_core):
    core = make_core(size=WIDE)
    speed = core.rig.speed
    core.scroll(3, 1200, 300)
    assert core.rig.speed == speed
    core.scroll(3, 300, 300)
    assert core.rig.speed != speed


def test_adding_a_neuron_while_training_keeps_the_answers_and_the_selection(make_core):
    clock = Clock()
    core = make_core(size=WIDE, paused=False, clock=clock)
    for _ in range(5):
        clock.now += 0.05
        core.tick()
    session, trainer = core.session, core.session.trainer
    data = session.dataset
    outputs = trainer.network.forward(data.test_images.reshape(len(data.test_images), -1) / np.float32(255))[-1]
    accuracy = trainer.evaluate_test()
    core.view.selected = core.layout.neuron_index(2, 5)
    old_positions = core.layout.positions.copy()
    click(core, "add neuron 1")
    assert trainer.config.layers == (784, 17, 16, 10)
    after = trainer.network.forward(data.test_images.reshape(len(data.test_images), -1) / np.float32(255))[-1]
    np.testing.assert_allclose(after, outputs, atol=1e-6)
    assert trainer.evaluate_test() == accuracy
    assert core.state()["selected"] == [2, 5]  # the same neuron, at its new index in the new layout
    # The scene glides: layer 2's neurons start where they were and end at their new places.
    neurons = core.renderer.resources.textures["u_neurons"]
    layer2 = slice(core.layout.neuron_index(2, 0), core.layout.neuron_index(2, 15) + 1)
    old_layer2 = old_positions[784 + 16: 784 + 32]
    np.testing.assert_allclose(neurons.values[layer2, :3], old_layer2, atol=1e-5)
    clock.now += GLIDE_SECONDS + 0.01
    _frames(core, 2)
    np.testing.assert_allclose(neurons.values[:, :3], core.layout.positions, atol=1e-5)
    batches = trainer.batches_trained
    clock.now += 0.05
    core.tick()
    assert trainer.batches_trained > batches  # training goes on with the bigger network


def test_j_adds_to_the_selected_neurons_layer_and_shift_j_removes_it_showing_the_accuracy(make_core):
    core = make_core(size=(640, 400))
    core.render()
    core.mouse_press(*screen_point(core, 2, 3), "left")
    assert core.state()["selected"] == [2, 3]
    core.key_press("J")
    assert core.session.trainer.config.layers == (784, 16, 17, 10)
    core.key_press("J", shift=True)
    assert core.session.trainer.config.layers == (784, 16, 16, 10)
    assert core.state()["selected"] is None  # the selected neuron is gone
    assert any("test accuracy" in m and "->" in m for m in core.session.current_messages())


def test_inserting_and_removing_layers_from_the_panel_rebuilds_the_scene(make_core):
    core = make_core(size=WIDE)
    click(core, "insert layer 2")
    assert core.session.trainer.config.layers == (784, 16, 16, 16, 10)
    assert core.layout.layer_sizes == [784, 16, 16, 16, 10] or tuple(core.layout.layer_sizes) == (784, 16, 16, 16, 10)
    core.render()
    assert core.renderer.visible_line_count > 0
    click(core, "remove layer 1")
    assert core.session.trainer.config.layers == (784, 16, 16, 10)
    assert tuple(core.layout.layer_sizes) == (784, 16, 16, 10)


def test_a_refused_edit_says_why_and_changes_nothing(make_core):
    core = make_core(size=WIDE, config=TrainConfig(layers=(784, 1, 10)))
    click(core, "remove neuron 1")
    assert core.session.trainer.config.layers == (784, 1, 10)
    assert core.session.current_messages()[-1].startswith("not changed:")


def _digits_dataset(seed: int, name: str) -> Dataset:
    data = synthetic_dataset(seed=seed)
    return Dataset(name=name, class_names=data.class_names, train_images=data.train_images,
                   train_labels=data.train_labels, test_images=data.test_images, test_labels=data.test_labels,
                   source=Path("."))


def test_a_not_a_digit_class_grows_the_output_layer_and_the_data(gl_ctx, tmp_path):
    digits, clothes = _digits_dataset(0, "mnist"), _digits_dataset(1, "fashion")
    session = TrainingSession(TrainConfig(), load_data=lambda progress: digits, input_shape=(28, 28),
                              load_not_a_digit=lambda: clothes)
    session.start_loading()
    session.wait_for_data(10)
    core = AppCore(session, gl_ctx, window_size=WIDE, screenshot_dir=tmp_path)
    try:
        before = session.trainer.network.predict(digits.test_images.reshape(200, -1) / np.float32(255))
        click(core, "not a digit")
        session.wait_for_data(10)
        core.render()
        assert session.trainer.config.layers == (784, 16, 16, 11)
        assert session.dataset.class_names[10] == NOT_A_DIGIT and session.class_name(10) == NOT_A_DIGIT
        assert tuple(core.layout.layer_sizes)[-1] == 11
        assert 10 in session.dataset.train_labels and 10 in session.dataset.test_labels
        after = session.trainer.network.predict(digits.test_images.reshape(200, -1) / np.float32(255))
        assert np.array_equal(before, after)  # the new class starts silent
        assert not session.can_add_not_a_digit  # once
        session.paused = True
        core.view.confusion_visible = True
        for _ in range(200):
            core.render()
            if session.confusion.result is not None and session.confusion.current:
                break
        assert session.confusion.result.counts.shape == (11, 11)
    finally:
        core.release()


def test_two_cores_each_draw_their_own_panel(make_core):
    """Each panel has its own ImGui context (fonts, colours, textures): a second must not set up the first's."""
    first, second = make_core(size=WIDE), make_core(size=WIDE)
    expected = np.array(PANEL_COLOR[:3], float)
    for core in (second, first, second):
        core.render()
        x, y, w, h = core.panel.rect()
        strip = core.target.read_rgb()[-20:-5, int(x) + 10:int(x + w) - 10].reshape(-1, 3).astype(float)
        assert np.abs(strip.mean(axis=0) - expected).max() < 12, strip.mean(axis=0)


def test_a_click_in_the_scene_right_after_leaving_the_panel_reaches_the_scene(make_core):
    core = make_core(size=WIDE)
    core.mouse_motion(1200, 300, 0, 0)  # over the panel
    _frames(core, 2)  # ImGui now knows the mouse is over its window
    target = screen_point(core, 2, 8)
    core.mouse_motion(*target, 0, 0)  # the same frame: ImGui still thinks the mouse is over it
    core.mouse_press(*target, "left")
    assert core.state()["selected"] == [2, 8]


def test_showing_or_hiding_the_panel_reframes_the_network_unless_the_camera_was_moved(make_core):
    core = make_core(size=WIDE)

    def spread():
        xs = core.rig.camera.project(core.layout.positions, *WIDE)[:, 0]
        return xs.min(), xs.max()

    shown = spread()
    assert shown[1] < core.panel.rect()[0]  # framed left of the panel
    core.key_press("F2")
    hidden = spread()
    assert hidden[1] - hidden[0] > shown[1] - shown[0]  # the whole width: framed larger
    core.key_press("F2")
    np.testing.assert_allclose(spread(), shown, atol=1e-3)
    core.key_press("W")
    core.tick()
    core.key_release("W")
    moved = core.rig.camera.position.copy()
    core.key_press("F2")
    np.testing.assert_array_equal(core.rig.camera.position, moved)  # the user's view stays theirs


def test_a_click_in_the_scene_ends_typing_into_a_field(make_core):
    core = make_core(size=WIDE)
    core.render()
    core.key_press("LCTRL")
    click(core, "learning rate")
    core.key_release("LCTRL")
    core.render()
    assert core.panel.typing
    core.mouse_press(300, 300, "left")  # in the scene
    core.mouse_release(300, 300, "left")
    _frames(core, 2)
    assert not core.panel.typing
    core.key_press("SPACE")  # keys are the scene's again
    assert not core.session.paused


def test_an_edit_beyond_the_drawable_layers_is_refused_and_the_network_kept(make_core):
    from nnviz.engine.rules import MAX_LAYERS

    core = make_core(size=WIDE, config=TrainConfig(layers=(784, *[4] * (MAX_LAYERS - 2), 10)))
    core.editor.insert_layer(1)
    assert len(core.session.trainer.config.layers) == MAX_LAYERS
    assert core.session.current_messages()[-1] == f"not changed: at most {MAX_LAYERS} layers can be drawn"
    core.render()


def test_an_edit_the_run_history_cannot_hold_is_refused_and_training_goes_on(gl_ctx, tmp_path):
    data = synthetic_dataset()
    session = TrainingSession(TrainConfig(), load_data=lambda progress: data, input_shape=(28, 28),
                              history_bytes=4 * 2**20)  # the default network needs 3.4 MB
    session.start_loading()
    session.wait_for_data(10)
    core = AppCore(session, gl_ctx, window_size=WIDE, screenshot_dir=tmp_path)
    try:
        core.editor.add_neurons(1, 400)  # 784 x 416 weights and Adam's moments: 4 MB a snapshot
        assert session.trainer.config.layers == (784, 16, 16, 10)
        assert session.current_messages()[-1].startswith("not changed:")
        batches = session.trainer.batches_trained
        core.tick()
        assert session.trainer.batches_trained > batches
    finally:
        core.release()


def test_after_going_back_past_an_activation_change_the_colours_follow_the_snapshot(make_core):
    core = make_core(size=WIDE, paused=False)
    for _ in range(3):
        core.tick()
    core.editor.set_layer_activation(1, "relu")
    core.render()
    assert core.style.hidden_ranges == ((0.0, float("inf")), (-1.0, 1.0))  # relu, tanh: each its own scale
    core.key_press("LEFT", shift=True)  # the run's first snapshot: from before the change
    core.render()
    assert [a.name for a in core.session.network_on_show().activations] == ["tanh", "tanh"]
    assert core.style.hidden_ranges == () and core.style.hidden_range == (-1.0, 1.0)
