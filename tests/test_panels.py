"""The analysis panels: the test set's confusion matrix (G) and the receptive-field gallery (V).

Through the app core on EGL (no window): what the panels hold, and what a click
or the wheel on them does; their geometry as pure functions.
"""

from __future__ import annotations

import numpy as np
import pytest

from core_fixtures import make_core  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz.app import hud_layout
from nnviz.app.confusion import ConfusionTracker
from nnviz.app import input_source
from nnviz.app.panels import confusion_colors
from nnviz.app.timeline import bar_rect
from nnviz.engine import rules
from nnviz.model.config import TrainConfig
from nnviz.model.network import Network
from synthetic_data import synthetic_dataset

SIZE = (1280, 720)
MNIST_SHAPE = (28, 28)


def _predictions(network: Network, images: np.ndarray) -> np.ndarray:
    """Image by image, the way the frame answers for the digit on show: no batching, no shared code."""
    return np.array([int(np.argmax(network.forward(image.reshape(-1).astype(np.float32) / np.float32(255))[-1]))
                     for image in images])


def _confusion(network: Network, images: np.ndarray, labels: np.ndarray, classes: int = 10) -> np.ndarray:
    counts = np.zeros((classes, classes), int)
    for true, predicted in zip(labels, _predictions(network, images)):
        counts[true, predicted] += 1
    return counts


def _network_of(params: np.ndarray, config: TrainConfig) -> Network:
    network = Network(config.layers, config.activation, config.output)
    network.params[...] = params
    return network


def _centre(rect) -> tuple[float, float]:
    x, y, w, h = rect
    return x + w / 2, y + h / 2


def _trained_core(make_core, batches=3, **options):
    """Partly trained (right and wrong answers), paused, with the confusion matrix on show."""
    core = make_core(size=SIZE, **options)
    core.session.trainer.train_batches(batches)
    core.key_press("G")
    core.render()
    return core


# ---------------------------------------------------------------- confusion matrix
@pytest.mark.gl
def test_confusion_matrix_is_the_test_sets_for_the_network_on_show(make_core):
    core = _trained_core(make_core)
    session, data = core.session, core.session.dataset
    expected = _confusion(session.trainer.network, data.test_images, data.test_labels)
    assert 0 < np.trace(expected) < expected.sum() and not np.array_equal(expected, expected.T)
    state = core.state()
    assert state["confusion"]["counts"] == expected.tolist()
    assert state["confusion"]["live"] and state["confusion"]["batches"] == session.trainer.batches_trained
    assert core.hud_state().confusion.title.endswith(f"live, batch {session.trainer.batches_trained}")

    core.key_press("N")  # paused: one batch more, and the matrix follows at once
    core.render()
    assert core.state()["confusion"]["counts"] == _confusion(session.trainer.network, data.test_images,
                                                             data.test_labels).tolist()

    for _ in range(3):  # looking back: the matrix of the snapshot on show
        core.key_press("LEFT")
    core.render()
    snapshot = session.history[session.timeline.position]
    past = _confusion(_network_of(snapshot.params, session.trainer.config), data.test_images, data.test_labels)
    assert core.state()["confusion"]["counts"] == past.tolist() and past.tolist() != expected.tolist()
    assert core.hud_state().confusion.title.endswith(f"· batch {snapshot.batches}")


@pytest.mark.gl
def test_clicking_a_cell_shows_the_next_test_digit_of_that_kind(make_core):
    core = _trained_core(make_core)
    session, data = core.session, core.session.dataset
    predicted = _predictions(session.trainer.network, data.test_images)
    counts = np.array(core.state()["confusion"]["counts"])
    off_diagonal = counts - np.diag(np.diag(counts))
    true, answer = np.unravel_index(np.argmax(off_diagonal), counts.shape)
    assert counts[true, answer] >= 2
    of_that_kind = np.flatnonzero((data.test_labels == true) & (predicted == answer))
    rect = hud_layout.confusion_rect(*SIZE, 10, MNIST_SHAPE)
    cell = _centre(hud_layout.confusion_cell_rect(rect, 10, true, answer))
    selected = core.view.selected
    for expected in of_that_kind[:2]:  # the first after the digit on show (test image 0), then the next
        core.mouse_press(*cell, "left")
        core.render()
        assert (core.frame.true_class, core.frame.predicted_class) == (true, answer)
        assert core.state()["sample_index"] == expected
    assert core.view.selected == selected  # the click went to the panel, not to the scene behind it
    assert core.state()["true_class"] == true

    empty = np.argwhere(counts == 0)[0]
    shown = core.state()["sample_index"]
    core.mouse_press(*_centre(hud_layout.confusion_cell_rect(rect, 10, *empty)), "left")
    core.render()
    assert session.current_messages()[-1] == f"no test digit is a {empty[0]} predicted as {empty[1]}"
    assert core.state()["sample_index"] == shown


def test_next_of_wraps_round_and_stays_put_when_there_is_none():
    data = synthetic_dataset()
    source = input_source.TestSetInput(data.test_images, data.test_labels, index=150)
    sevens = np.flatnonzero(data.test_labels == 7)
    everything_seven = lambda pixels: np.full(len(pixels), 7)  # noqa: E731
    assert source.next_of(7, 7, everything_seven) and source.index == sevens[sevens > 150][0]
    source.index = int(sevens[-1])
    assert source.next_of(7, 7, everything_seven) and source.index == sevens[0]  # past the end: from the start
    assert not source.next_of(7, 3, everything_seven) and source.index == sevens[0]


def test_a_pass_is_spread_over_frames_and_training_refreshes_it_at_most_every_two_seconds():
    data = synthetic_dataset()
    network = Network([784, 8, 10], "tanh")
    network.params[...] = np.random.default_rng(1).normal(0, 0.1, network.params.size)
    clock = [0.0]
    tracker = ConfusionTracker(lambda: clock[0], slice_seconds=0.0, chunk=50)  # one chunk a frame
    for frame in range(3):
        tracker.update(network, data.test_images, data.test_labels, (True, 1), changing=True)
        assert tracker.result is None and tracker.progress == (frame + 1) / 4
    tracker.update(network, data.test_images, data.test_labels, (True, 1), changing=True)
    first = tracker.result.counts
    np.testing.assert_array_equal(first, _confusion(network, data.test_images, data.test_labels))
    network.params *= -1  # trained on
    clock[0] = 1.0
    tracker.update(network, data.test_images, data.test_labels, (True, 2), changing=True)
    assert tracker.progress is None and tracker.result.counts is first  # not two seconds yet
    clock[0] = 2.5
    tracker.update(network, data.test_images, data.test_labels, (True, 3), changing=True)
    assert tracker.progress == 0.25
    network.params *= 2  # paused on another moment: that pass is dropped for this one at once
    tracker.update(network, data.test_images, data.test_labels, (False, 4), changing=False)
    assert tracker.progress == 0.25
    for _ in range(3):
        tracker.update(network, data.test_images, data.test_labels, (False, 4), changing=False)
    assert tracker.result.moment == (False, 4)
    np.testing.assert_array_equal(tracker.result.counts, _confusion(network, data.test_images, data.test_labels))


def test_cells_are_coloured_by_their_share_of_the_row_and_empty_ones_apart():
    counts = np.array([[90, 10, 0], [1, 1, 0], [0, 5, 995]])
    colours = confusion_colors(counts).astype(int).sum(axis=2)
    assert colours[0, 0] > colours[0, 1] > colours[0, 2]
    assert colours[1, 0] == colours[1, 1] > colours[0, 1]  # 50 % of a small row outshines 10 % of a big one
    assert colours[2, 1] > colours[0, 2]  # 0.5 % still shows: a log scale
    assert colours[1, 2] == colours[0, 2] == colours[2, 0]  # no digit at all: one colour


# ---------------------------------------------------------------- receptive-field gallery
@pytest.mark.gl
def test_gallery_tiles_select_their_neuron_scroll_and_show_its_weights(make_core):
    core = make_core(TrainConfig(layers=(784, 100, 10)), size=SIZE)
    core.key_press("V")
    core.render()
    grid = hud_layout.gallery_grid(*SIZE, 100, MNIST_SHAPE)
    assert grid.page == 64 and grid.columns == 8
    gallery = core.hud_state().gallery
    assert gallery.first == 0 and len(gallery.tiles) == 64

    core.mouse_press(*_centre(grid.tile_rect(5)), "left")
    assert core.state()["selected"] == [1, 5]
    core.mouse_motion(*_centre(grid.tile_rect(9)), 0, 0)
    core.render()
    assert core.view.hovered == core.layout.neuron_index(1, 9)  # its sphere lights up as if pointed at

    core.scroll(-2, *_centre(grid.rect))  # down two rows
    assert core.state()["gallery_first"] == 16
    core.scroll(-20, *_centre(grid.rect))  # past the end: the last rows fill the panel
    assert core.state()["gallery_first"] == 40
    core.mouse_leave()
    core.render()
    gallery = core.hud_state().gallery
    assert gallery.first == 40 and len(gallery.tiles) == 60 and "40–99 of 100" in gallery.footer
    core.mouse_press(*_centre(grid.tile_rect(3)), "left")
    assert core.state()["selected"] == [1, 43]
    assert gallery.selected == 3 or core.hud_state().gallery.selected == 3

    # Each tile is its neuron's weights: red where they are strongly positive, blue where strongly negative.
    weights = core.frame.weight_matrix(0)
    for slot in (0, 17, 59):
        values = weights[:, 40 + slot].reshape(MNIST_SHAPE)
        tile = gallery.tiles[slot].astype(int)
        strong = np.abs(values) > 0.6 * rules.robust_scale(values.ravel())
        assert strong.sum() > 20
        np.testing.assert_array_equal((tile[..., 0] > tile[..., 2])[strong], values[strong] > 0)
        painted = np.round(rules.heatmap_colors(values, "coolwarm") * 255).reshape(*MNIST_SHAPE, 3)
        assert np.abs(tile - painted).max() <= 1  # the input grid's colours for these weights
        neighbour = weights[:, 40 + (slot + 1) % 60].reshape(MNIST_SHAPE)
        assert not np.array_equal((tile[..., 0] > tile[..., 2])[strong], neighbour[strong] > 0)

    speed = core.rig.speed
    core.scroll(1, 640, 600)  # elsewhere the wheel keeps its camera job
    assert core.rig.speed > speed and core.state()["gallery_first"] == 40
    core.scroll(+20, *_centre(grid.rect))
    assert core.state()["gallery_first"] == 0


@pytest.mark.gl
def test_gallery_tiles_follow_training_a_few_times_a_second(make_core):
    clock = [0.0]
    core = make_core(size=SIZE, clock=lambda: clock[0])
    core.key_press("V")
    core.render()
    core.hud_state()  # what the window's HUD asks for each frame
    tiles = core.gallery_tiles
    built = tiles.builds
    core.session.trainer.train_batches(5)
    core.render()
    core.hud_state()
    assert tiles.builds == built  # not yet: images cost, and training changes them every frame
    clock[0] += 0.3
    core.render()
    core.hud_state()
    assert tiles.builds == built + 1
    expected = core.frame.weight_matrix(0)[:, 0].reshape(MNIST_SHAPE)
    tile = core.hud_state().gallery.tiles[0].astype(int)
    strong = np.abs(expected) > 0.6 * rules.robust_scale(expected.ravel())
    np.testing.assert_array_equal((tile[..., 0] > tile[..., 2])[strong], expected[strong] > 0)


# ---------------------------------------------------------------- geometry
WINDOWS = [(1280, 720), (640, 400), (480, 360), (1920, 1080), (800, 600), (320, 180)]


@pytest.mark.parametrize("size", WINDOWS)
@pytest.mark.parametrize("neurons", [16, 100])
def test_panels_fit_the_window_clear_of_the_timeline_and_of_each_other(size, neurons):
    width, height = size
    matrix, gallery = hud_layout.analysis_panels(width, height, MNIST_SHAPE, 10, neurons)
    _, strip_y, _, strip_h = bar_rect(width, height)
    digit_x = hud_layout.digit_panel_rect(width, height, MNIST_SHAPE)[0]
    for x, y, w, h in (matrix, gallery.rect):
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
        if height >= 360:  # all but a tiny window: above the strip, left of the digit
            assert y >= strip_y + strip_h and x + w <= digit_x
    assert matrix[0] + matrix[2] <= gallery.rect[0]  # side by side
    assert gallery.page >= (min(neurons, 6) if height >= 360 else 1) and min(gallery.tile) >= 14
    for true in range(10):
        for predicted in range(10):
            cell = hud_layout.confusion_cell_rect(matrix, 10, true, predicted)
            assert hud_layout.confusion_cell_at(matrix, 10, *_centre(cell)) == (true, predicted)
    x, y, w, h = matrix
    assert hud_layout.confusion_cell_at(matrix, 10, x + 2, y + h - 2) is None  # the title, not a cell
    for slot in range(gallery.page):
        assert hud_layout.gallery_tile_at(gallery, *_centre(gallery.tile_rect(slot))) == slot
    tx, ty, tw, th = gallery.tile_rect(0)
    assert hud_layout.gallery_tile_at(gallery, tx + tw + hud_layout.TILE_GAP / 2, ty + th / 2) is None


def test_the_confusion_matrix_comes_first_and_the_gallery_alone_takes_its_place():
    matrix, gallery = hud_layout.analysis_panels(*SIZE, MNIST_SHAPE, 10, 16)
    alone = hud_layout.analysis_panels(*SIZE, MNIST_SHAPE, None, 16)[1]
    assert alone.rect[0] == matrix[0] and gallery.rect[0] > matrix[0] + matrix[2]
    assert hud_layout.analysis_panels(*SIZE, MNIST_SHAPE, 10, None) == (matrix, None)
    # A 16-neuron layer at 1280x720: all of them, twice the input's size, four by four.
    assert (alone.columns, alone.rows, alone.tile) == (4, 4, (56, 56))


def test_a_not_a_digit_class_keeps_the_digits_as_axis_labels():
    from nnviz.app.panels import axis_labels
    from nnviz.data.mixing import NOT_A_DIGIT

    labels = axis_labels([*"0123456789", NOT_A_DIGIT])
    assert labels[:10] == list("0123456789") and labels[10] == "✗"
    assert axis_labels(["T-shirt", "Trouser"]) == ["0", "1"]  # long names: numbers, named in the footer
