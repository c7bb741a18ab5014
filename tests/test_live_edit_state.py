"""What must follow a live edit of the network (or a change of the data) so that nothing shown goes stale:
the selection, the timeline, the reported accuracy, the colour ranges, saved class names, the confusion
matrix, the input after drawing, and the optimiser state an edit carries over."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core_fixtures import RecordingHost, loaded_session, make_core  # noqa: F401  (fixture)
from gl_fixtures import Scene, gl_ctx, gl_loader, gl_session_ctx, gl_shaders  # noqa: F401  (fixtures)
from nnviz.app.confusion import ConfusionTracker, confusion_matrix
from nnviz.app.core import AppCore
from nnviz.app.frames import follow_network
from nnviz.app.input_source import TestSetInput as ShownTestSet
from nnviz.app.live_edit import NetworkEditor
from nnviz.data.mixing import NOT_A_DIGIT
from nnviz.engine import colormaps
from nnviz.engine.layout import layout_network
from nnviz.model import surgery
from nnviz.model.config import TrainConfig
from nnviz.model.network import Network
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import load_weights
from synthetic_data import synthetic_dataset

SMALL = (320, 180)


def _core(make_core, **options):
    return make_core(size=SMALL, samples=0, quality="fast", **options)


# ------------------------------------------------------------------ selection
@pytest.mark.gl
def test_removing_an_earlier_neuron_of_the_selected_neurons_layer_moves_the_selection_down(make_core):
    core = _core(make_core)
    core.view.selected = core.layout.neuron_index(1, 5)
    assert core.editor._edit(surgery.remove_neurons, 1, [2])  # another neuron of the same layer, before it
    assert core.session.trainer.config.layers == (784, 15, 16, 10)
    assert core.state()["selected"] == [1, 4]  # the same neuron, one place down
    assert core.editor._edit(surgery.remove_neurons, 1, [9])  # one after it: it keeps its place
    assert core.state()["selected"] == [1, 4]
    core.view.selected = core.layout.neuron_index(2, 7)
    assert core.editor._edit(surgery.remove_neurons, 2, [0, 3])
    assert core.state()["selected"] == [2, 5]


# ------------------------------------------------------------------- timeline
@pytest.mark.gl
def test_looking_back_after_an_edit_shows_snapshots_of_the_edited_network(make_core):
    core = _core(make_core)
    session = core.session
    for _ in range(3):
        core.perform("step_batch")  # snapshots of the old shape
    core.editor.add_neurons(1, 2)
    layers = (784, 18, 16, 10)
    assert session.trainer.config.layers == layers
    for _ in range(3):
        core.perform("step_batch")
    size = Network(layers).params.size
    history = session.history
    assert len(history) >= 2
    assert all(history[i].params.size == size for i in range(len(history)))  # only the new shape's snapshots
    core.render()
    seen = []
    for _ in range(len(history)):
        core.key_press("LEFT")
        assert not session.timeline.live
        core.render()
        assert session.network_on_show().layer_sizes == list(layers)
        np.testing.assert_array_equal(session.network_on_show().params, history[session.timeline.position].params)
        seen.append(session.timeline.position)
    assert seen[0] == len(history) - 1 and seen[-1] == 0
    assert list(core.frame.layer_sizes) == list(layers)


# ------------------------------------------------------------ reported accuracy
def _editor(session) -> NetworkEditor:
    return NetworkEditor(session, perform=lambda action: None, selected=lambda: None, on_reshape=lambda result: None)


_ACCURACY_CHANGE = re.compile(r"test accuracy ([0-9.]+)% -> ([0-9.]+)%")


def _reported_change(session) -> tuple[str, str]:
    for message in reversed(session.messages):
        found = _ACCURACY_CHANGE.search(message.text)
        if found:
            return found.group(1), found.group(2)
    raise AssertionError(f"no accuracy change in {[m.text for m in session.messages]}")


def test_the_accuracy_reported_after_a_removal_is_the_edited_networks(tmp_path):
    session = loaded_session(TrainConfig(layers=(784, 16, 16, 10)))
    trainer, data = session.trainer, session.dataset
    trainer.train_batches(2)  # half way: an edit changes what it gets right (trained on, it gets all)
    editor = _editor(session)

    def full_evaluation() -> str:
        return f"{100 * trainer.evaluate(data.test_images, data.test_labels)[1]:.2f}"

    before = full_evaluation()
    editor.remove_layer(1)
    assert trainer.config.layers == (784, 16, 10)
    reported_before, reported_after = _reported_change(session)
    assert reported_before == before
    assert reported_after == full_evaluation()
    assert reported_after != before  # the edit changed what the network gets right: a stale value shows

    trainer.train_batches(3)
    before = full_evaluation()
    session.messages.clear()
    editor.remove_neuron(1)  # no selection: the neuron of hidden layer 1 used least
    assert trainer.config.layers == (784, 15, 10)
    reported_before, reported_after = _reported_change(session)
    assert reported_before == before and reported_after == full_evaluation()
    assert reported_after != before


# ---------------------------------------------------------------- colour ranges
@pytest.fixture
def scene(gl_ctx, gl_shaders):
    made = []

    def make(sizes, **options):
        made.append(Scene(gl_ctx, gl_shaders, layout_network(sizes), **options))
        return made[-1]

    yield make
    for one in made:
        one.release()


@pytest.mark.gl
def test_each_hidden_layer_is_coloured_on_its_own_activations_range(scene):
    """A ReLU layer then a tanh layer, every activation 0: ReLU's 0 is the bottom of its range, tanh's the middle."""
    sizes = [4, 3, 3, 2]
    s = scene(sizes)
    follow_network(s.style, Network(sizes, "tanh", layer_activations=("relu", "tanh")))
    assert s.style.hidden_ranges == ((0.0, math.inf), (-1.0, 1.0))
    s.style.show_labels = False
    s.camera.yaw, s.camera.pitch = 0.0, 0.0
    s.camera.frame(s.layout.bounds(), s.aspect)
    image = s.render()
    state = s.renderer.resources.textures["u_neuron_state"].values
    relu, tanh = slice(4, 7), slice(7, 10)
    np.testing.assert_allclose(state[relu, 0], 0.0)
    np.testing.assert_allclose(state[tanh, 0], 0.5)
    bottom, middle = colormaps.sample(colormaps.ACTIVATION_COLORMAP, np.array([0.0, 0.5]))
    assert np.abs(bottom - middle).max() > 0.2  # the two are told apart by colour
    for layer, expected, other in ((1, bottom, middle), (2, middle, bottom)):
        for colour in s.colors_at(image, s.layout.layer_positions(layer)):
            # Lit (the shading moves it a little), but nearer its own colour than the other layer's.
            assert np.linalg.norm(colour - expected) < np.linalg.norm(colour - other), (layer, colour)


# ----------------------------------------------------------------- saved names
@pytest.mark.gl
def test_k_saves_the_not_a_digit_class_name_with_the_weights(gl_ctx, tmp_path):
    session = loaded_session(not_a_digit=True)
    session.add_not_a_digit(lambda result: None)
    session.wait_for_data(10)
    assert session.trainer.config.layers[-1] == 11
    core = AppCore(session, gl_ctx, window_size=SMALL, screenshot_dir=tmp_path, samples=0, quality="fast",
                   host=RecordingHost())
    try:
        core.key_press("K")
    finally:
        core.release()
    saved = sorted(tmp_path.glob("nnviz-weights*.npz"))
    assert len(saved) == 1 and session.last_saved == saved[0]
    loaded = load_weights(saved[0])
    assert loaded.config.layers[-1] == 11
    assert list(loaded.extra["class_names"]) == [*"0123456789", NOT_A_DIGIT]


# ------------------------------------------------------------ confusion matrix
def _trainer() -> tuple[Trainer, np.ndarray, np.ndarray]:
    data = synthetic_dataset()
    trainer = Trainer(TrainConfig())
    trainer.set_data(data.train_images, data.train_labels, data.test_images, data.test_labels)
    return trainer, data.test_images, data.test_labels


def _expected_counts(network: Network, images, labels) -> np.ndarray:
    pixels = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return confusion_matrix(labels, network.predict(pixels), network.layer_sizes[-1])


def _finish(tracker: ConfusionTracker, network, images, labels, limit=100) -> None:
    for _ in range(limit):
        tracker.update(network, images, labels, (True, 0), changing=False)
        if tracker.current:
            return
    raise AssertionError("the confusion matrix never finished")


@pytest.mark.parametrize("when", ["finished", "in progress"])
def test_the_confusion_matrix_is_recomputed_after_a_layers_activation_changes(when):
    trainer, images, labels = _trainer()
    network = trainer.network
    tracker = ConfusionTracker(lambda: 0.0, slice_seconds=0.0, chunk=50)  # a chunk per update
    old = _expected_counts(network, images, labels)
    if when == "finished":
        _finish(tracker, network, images, labels)
        np.testing.assert_array_equal(tracker.result.counts, old)
    else:
        tracker.update(network, images, labels, (True, 0), changing=False)
        assert 0 < tracker.progress < 1
    trainer.set_layer_activation(1, "relu")  # same weights, same moment: only the activation differs
    new = _expected_counts(network, images, labels)
    assert not np.array_equal(new, old)  # it changes what the network answers
    _finish(tracker, network, images, labels)
    np.testing.assert_array_equal(tracker.result.counts, new)


# --------------------------------------------------------------------- drawing
def test_ending_a_drawing_after_the_not_a_digit_class_came_shows_the_mixed_test_set():
    session = loaded_session(not_a_digit=True)
    old_labels = session.dataset.test_labels
    session.toggle_drawing()
    assert session.drawing is not None
    session.add_not_a_digit(lambda result: None)
    session.wait_for_data(10)  # the class arrives while drawing
    assert session.dataset.class_names[-1] == NOT_A_DIGIT
    assert session.drawing is not None  # still drawing
    session.toggle_drawing()
    shown = session.input
    assert isinstance(shown, ShownTestSet)
    assert shown.labels is session.dataset.test_labels and shown.labels is not old_labels
    assert shown.images is session.dataset.test_images
    assert 10 in shown.labels


# ------------------------------------------------------------- optimiser state
@pytest.mark.parametrize("hidden_layer", [1, 2])
def test_removing_a_layer_keeps_the_next_layers_bias_state(hidden_layer):
    config = TrainConfig(layers=(6, 5, 4, 3))
    old = Network(config.layers)
    rng = np.random.default_rng(0)
    params = rng.standard_normal(old.params.size).astype(np.float32)
    size = old.params.size
    state = {"m": np.arange(size, dtype=np.float32) + 1, "v": np.arange(size, dtype=np.float32) * 2 + 1, "t": 7}
    result = surgery.remove_layer(config, params, state, hidden_layer)
    new = Network(result.config.layers)
    assert tuple(new.layer_sizes) == tuple(np.delete(config.layers, hidden_layer))
    k = hidden_layer - 1  # the joined weight layer in the new network; its biases are the next layer's
    new_biases = slice(new.bias_offsets[k], new.bias_offsets[k + 1])
    old_biases = slice(old.bias_offsets[hidden_layer], old.bias_offsets[hidden_layer + 1])
    for key in ("m", "v"):
        np.testing.assert_array_equal(result.optimizer_state[key][new_biases], state[key][old_biases])
        joined = slice(new.weight_offsets[k], new.weight_offsets[k + 1])
        assert not result.optimizer_state[key][joined].any()  # the joined weights start afresh
    assert result.optimizer_state["t"] == 7
    np.testing.assert_array_equal(result.parameter_sources[new_biases], np.arange(old_biases.start, old_biases.stop))
