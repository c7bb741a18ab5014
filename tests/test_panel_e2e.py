"""The control panel in the real window under Xvfb, clicked with real X input events (xdotool).

One app for the module, at 1280x720 (the panel shows from 1100 pixels wide; pytest-xvfb's screen is
1280x900, see pyproject.toml). The tests run in file order on it: the edit while training comes first,
on the untouched network, because its check replays the app's training from the same seed.
"""

import math

import numpy as np
import pytest

from nnviz.app.control_panel import PANEL_WIDTH
from nnviz.app.hud_colors import PANEL_COLOR
from nnviz.engine.style import BACKGROUND_COLOR
from nnviz.testing.window_driver import App

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SIZE = (1280, 720)
DEFAULT_LAYERS = [784, 16, 16, 10]
#: The learning-rate slider: logarithmic from LR_MIN to LR_MAX (nnviz/app/control_panel.py).
LR_MIN, LR_MAX = 1e-5, 10.0
#: Dear ImGui's slider: the grab may not leave the frame shrunk by this much on each side (imgui_widgets.cpp).
GRAB_PADDING = 2.0
#: How long a change may take to show: a frame costs a few hundred ms under Xvfb with a software renderer.
TIMEOUT = 15.0


@pytest.fixture(scope="module")
def app(tmp_path_factory, mnist_dir):
    application = App(tmp_path_factory.mktemp("panel"), "--data", str(mnist_dir), "--size", "x".join(map(str, SIZE)))
    application.wait_for(lambda s: s["data_loaded"], what="data loaded")
    yield application
    application.close()


def _replayed_test_accuracy(mnist_dir, batches: int) -> float:
    """The test accuracy of the app's network after `batches` batches, trained again here from the same seed.

    The app trains as many batches a frame as its time budget allows, but the
    batches, their order and every update follow from the seed alone: the same
    options give the same network after the same number of batches.
    """
    from nnviz.cli import build_parser
    from nnviz.commands.builders import build_config
    from nnviz.data import load_dataset
    from nnviz.model.trainer import Trainer

    args = build_parser().parse_args(["--seed", "0", "--data", str(mnist_dir)])
    config, _ = build_config(args)
    data = load_dataset("mnist", str(mnist_dir), download=False, progress=False)
    trainer = Trainer(config)  # then the data, as the app's session does once it is loaded
    trainer.set_data(data.train_images, data.train_labels, data.test_images, data.test_labels)
    assert trainer.train_batches(batches) == batches
    return trainer.evaluate_test()


def test_adding_a_neuron_while_training_keeps_the_accuracy_and_training_goes_on(app, mnist_dir):
    state = app.wait_for(lambda s: s["batches_trained"] > 0, what="training")
    assert state["panel"]["visible"] and not state["paused"]
    # Untouched so far: the replay below starts from the app's options.
    assert (state["layers"], state["hidden_activations"], state["optimizer"], state["learning_rate"]) == \
        (DEFAULT_LAYERS, ["tanh", "tanh"], "adam", 0.002)
    with app.watch() as states:
        app.click_widget("add neuron 1")
        app.wait_for(lambda s: s["layers"] == [784, 17, 16, 10], TIMEOUT, what="a neuron more in hidden layer 1")
        app.wait_frames(1)
    edited = next(i for i, s in enumerate(states) if s["layers"] != DEFAULT_LAYERS)
    assert edited > 0, "the edit came before the first frame watched"
    before, after = states[edited - 1], states[edited]
    assert after["frames"] == before["frames"] + 1, "missed the frames around the edit"
    assert after["layers"] == [784, 17, 16, 10] and not after["paused"]
    assert after["batches_trained"] > before["batches_trained"]  # it trained in the edit's frame too
    # The state's test accuracy is measured every 10,000 training samples, at each epoch's end and at an edit,
    # on the network of that moment (Trainer._record, Trainer.apply_edit). `after` holds the edited network's,
    # measured at the edit: in the panel's drawing, after that frame's training. `before` holds the accuracy of
    # a network up to 10,000 samples older, so the fair reference is the unedited network at the very batch of
    # the edit, trained again here.
    # The frame may train again after the panel's edit (in the overlays' rasterisation time): the edit's batch.
    assert before["batches_trained"] <= after["last_edit_batches"] <= after["batches_trained"]
    unedited = _replayed_test_accuracy(mnist_dir, after["last_edit_batches"])
    assert after["test_accuracy"] == pytest.approx(unedited, abs=1e-9), (
        f"the edit changed the test accuracy from {unedited} to {after['test_accuracy']} "
        f"(last measured before it: {before['test_accuracy']})")
    assert any("added 1 neuron to hidden layer 1 (16 -> 17); outputs unchanged" in m for m in after["messages"])

    app.wait_for(lambda s: s["samples_seen"] > after["samples_seen"], TIMEOUT, what="training after the edit")
    app.move_mouse(*_empty_panel_point(app.state()))  # no tooltip, no hover

    path, shot = app.screenshot()
    state = app.state()
    x, y, w, h = state["panel"]["rect"]
    assert (x + w, h) == tuple(SIZE) and w == PANEL_WIDTH
    height = shot.shape[0]
    panel = shot[int(height - (y + h)):int(height - y), int(x):int(x + w)].reshape(-1, 3)
    background = np.array(BACKGROUND_COLOR) * 255
    expected = 0.94 * np.array(PANEL_COLOR[:3]) + 0.06 * background  # ImGui's window_bg, alpha 0.94
    # Within rounding of that colour: most of the panel (the rest is text and widgets), and little of the
    # rest of the window (the HUD's panels, the same colour at alpha 200/255 over the scene, are 3 levels off).
    plain = (np.abs(panel - expected).max(axis=1) < 1.5).mean()
    elsewhere = (np.abs(shot[:, :int(x)].reshape(-1, 3) - expected).max(axis=1) < 1.5).mean()
    assert plain > 0.5 and elsewhere < 0.05, (path, plain, elsewhere)


def _empty_panel_point(state: dict) -> tuple[float, float]:
    """A point in the panel below its last widget: over the panel, on nothing."""
    x, y, w, h = state["panel"]["rect"]
    lowest = min(rect[1] for rect in state["panel"]["widgets"].values())
    return x + w / 2, (y + lowest) / 2


def test_a_layer_s_activation_from_its_drop_down(app):
    app.choose("activation 1", "relu")
    state = app.wait_for(lambda s: s["hidden_activations"] != ["tanh", "tanh"], TIMEOUT, what="a new activation")
    assert state["hidden_activations"] == ["relu", "tanh"]
    assert any("hidden layer 1: relu, weights kept" in m for m in state["messages"])


def _slider_value(x: float, rect, grab: float) -> float:
    """What a logarithmic Dear ImGui slider sets for a click at window column x (SliderBehaviorT)."""
    x0, _, x1, _ = rect
    usable = (x1 - x0) - 2 * GRAB_PADDING - grab
    t = min(max((x - (x0 + GRAB_PADDING + grab / 2)) / usable, 0.0), 1.0)
    return LR_MIN * (LR_MAX / LR_MIN) ** t


def _grab_size() -> float:
    from imgui_bundle import imgui

    context = imgui.create_context()
    try:
        return imgui.get_style().grab_min_size  # the panel keeps the default style's sizes
    finally:
        imgui.destroy_context(context)


@pytest.mark.parametrize("fraction", [0.02, 0.55])
def test_a_click_on_the_learning_rate_slider_sets_the_rate_it_points_at_and_nothing_else(app, fraction):
    state = app.state()
    if state["selected"] != [3, 7]:  # a selection the click must not change
        neuron = app.screen_position(3, 7, state)
        # Into the scene a frame before the click: the panel decides whether a press is its own by where
        # Dear ImGui saw the mouse in the last frame (io.want_capture_mouse).
        app.move_mouse(*neuron)
        app.wait_frames(2)
        app.click(*neuron)
        state = app.wait_for(lambda s: s["selected"] == [3, 7], TIMEOUT, what="an output neuron selected")
    rect = app.widget_rect("learning rate", state)
    x, _ = app.click_widget("learning rate", fraction)
    rate = app.wait_for(lambda s: s["learning_rate"] != state["learning_rate"], TIMEOUT,
                        what="a new learning rate")["learning_rate"]
    grab = _grab_size()
    # A pixel either way, and the three significant figures the panel keeps (live_edit.set_hyperparameter).
    low, high = _slider_value(x - 1, rect, grab), _slider_value(x + 1, rect, grab)
    assert low * 0.995 <= rate <= high * 1.005, (x, rect, rate, low, high)
    plain = LR_MIN * (LR_MAX / LR_MIN) ** fraction  # the fraction of the frame alone, on the log scale
    assert abs(math.log10(rate / plain)) < 0.2, (rate, plain)
    if fraction < 0.05:
        assert rate < 2e-5
    after = app.wait_frames(2)
    assert after["selected"] == [3, 7]  # the click did not reach the scene
    assert after["camera"] == state["camera"]
    assert f"learning rate {rate:g}" in after["messages"][-1]


def test_j_adds_a_neuron_to_the_selected_neuron_s_layer_and_shift_j_removes_the_selected_neuron(app):
    state = app.state()
    sizes = list(state["layers"])
    neuron = app.screen_position(2, 3, state)
    app.move_mouse(*neuron)
    app.wait_frames(2)
    app.click(*neuron)
    app.wait_for(lambda s: s["selected"] == [2, 3], TIMEOUT, what="neuron 3 of hidden layer 2 selected")
    app.key("j")
    grown = app.wait_for(lambda s: s["layers"] != sizes, TIMEOUT, what="a neuron more")
    assert grown["layers"] == [*sizes[:2], sizes[2] + 1, *sizes[3:]]
    assert grown["selected"] == [2, 3]  # the selection stays on its neuron in the new layout
    app.key("shift+j")
    shrunk = app.wait_for(lambda s: s["layers"] == sizes, TIMEOUT, what="the selected neuron removed")
    assert shrunk["selected"] is None
    assert any(m.startswith("removed neuron 3 of hidden layer 2: test accuracy") for m in shrunk["messages"])
