"""History points' test accuracy evaluated a slice per frame in the window, not inside one frame's training.

Work is counted in test images pushed through Network.forward (what trainer.evaluate and the sliced passes
both use; training steps use the network's own buffers), never timed.
"""

import math
import types

import numpy as np
import pytest

from nnviz.app.confusion import CHUNK, KEEP_UP, AccuracyTracker
from nnviz.app.hud_text import timeline_state
from nnviz.app.session import SPEED_LEVELS, TrainingSession
from nnviz.model.config import TrainConfig
from nnviz.model.history import RunHistory
from nnviz.model.network import Network
from nnviz.model.trainer import Trainer

TEST_IMAGES = 1000
HISTORY_EVERY = 640
BATCHES_PER_FRAME = 5
BATCH = 32


def _noise(n_train=2000, n_test=TEST_IMAGES, seed=0):
    """Random pixels and random labels: the test accuracy (about 10%) changes with every step, so a pass that
    evaluated the parameters of another moment than its point's would get another figure."""
    rng = np.random.default_rng(seed)

    def split(n):
        return rng.integers(0, 256, (n, 28, 28)).astype(np.uint8), rng.integers(0, 10, n).astype(np.uint8)

    (train_x, train_y), (test_x, test_y) = split(n_train), split(n_test)
    return types.SimpleNamespace(train_images=train_x, train_labels=train_y, test_images=test_x,
                                 test_labels=test_y, class_names=tuple("0123456789"))


class ForwardCounter:
    """Test images through Network.forward (batches only: the digit on show is a single image)."""

    def __init__(self, monkeypatch):
        self.images = 0
        self.paused = False
        original = Network.forward

        def forward(network, x):
            if np.ndim(x) == 2 and not self.paused:
                self.images += len(x)
            return original(network, x)

        monkeypatch.setattr(Network, "forward", forward)


def _session(data=None, history_every=HISTORY_EVERY):
    data = data or _noise()
    session = TrainingSession(TrainConfig(batch_size=BATCH), load_data=lambda progress: data)
    session.start_loading()
    session.wait_for_data(10)
    session.trainer.history_every = history_every
    session.reset()  # a new run, with its points every history_every samples (and at each epoch's end)
    session.speed_level = SPEED_LEVELS.index(BATCHES_PER_FRAME)
    return session


def _until_a_pass_is_pending(session, frames=50):
    for _ in range(frames):
        session.train_frame(1.0)
        if session.accuracy.pending:
            return
    raise AssertionError(f"no test-set pass pending after {frames} frames")


def _expect_full_evaluations(session, counter):
    """Record, as each point is recorded, a full evaluation of the parameters of that moment."""
    trainer = session.trainer
    deferred, expected = trainer.deferred_test, {}

    def evaluate_then_defer(point, token):
        counter.paused = True  # the test's own evaluation is not the frame's work
        expected[id(point)] = trainer.evaluate(*trainer.test_set)[1]
        counter.paused = False
        deferred(point, token)

    trainer.deferred_test = evaluate_then_defer
    return expected


def test_points_are_evaluated_a_slice_per_frame_and_get_the_accuracy_of_their_moment(monkeypatch):
    session = _session()
    trainer = session.trainer
    counter = ForwardCounter(monkeypatch)
    expected = _expect_full_evaluations(session, counter)
    per_frame, accuracy_seen = [], []
    for _ in range(80):  # 80 x 160 samples: 20 points every 640 samples, and 6 epoch ends of 1984
        counter.images = 0
        assert session.train_frame(1.0) == BATCHES_PER_FRAME
        per_frame.append(counter.images)
        accuracy_seen.append(trainer.test_accuracy)

    points = trainer.history
    assert len(points) >= 20
    # No frame evaluates a whole test set: at most its share of the frame before's 160 samples.
    bound = math.ceil(KEEP_UP * TEST_IMAGES / HISTORY_EVERY * BATCHES_PER_FRAME * BATCH)
    assert bound == 313 < TEST_IMAGES / 3
    assert max(per_frame) <= bound, per_frame
    assert sum(n > 0 for n in per_frame) >= 50  # spread over most frames
    # Every point but the last one or two (an epoch's end may come soon after a point; their passes may still
    # be running) has the accuracy of the parameters it was recorded with: the figure a full evaluation gave
    # at that moment. None was left out.
    pending = session.accuracy.pending
    assert pending <= 2
    finished = points[:len(points) - pending]
    assert not any(math.isnan(p.test_accuracy) for p in finished)
    assert all(math.isnan(p.test_accuracy) for p in points[len(finished):])
    for point in finished:
        assert point.test_accuracy == expected[id(point)], point
    assert len({p.test_accuracy for p in finished}) > 5  # the figures differ from moment to moment
    # All evaluation work was the passes': one test set per finished point, nothing else.
    assert len(finished) * TEST_IMAGES <= sum(per_frame) < (len(finished) + 1) * TEST_IMAGES
    # The trainer's test accuracy follows (the HUD's figure), and the run history and the HUD's plot get them.
    assert trainer.test_accuracy == finished[-1].test_accuracy
    assert len(set(accuracy_seen)) > 5
    assert all(a is b for a, b in zip(session.history.points, points))
    plotted = [value for _, value in timeline_state(session, trainer.samples_seen).accuracy]
    assert sum(math.isfinite(v) for v in plotted) >= len(finished)


def test_a_pending_pass_finishes_while_paused_a_chunk_per_frame(monkeypatch):
    session = _session()
    _until_a_pass_is_pending(session)
    session.toggle_pause()
    counter = ForwardCounter(monkeypatch)
    frames = []
    while session.accuracy.pending and len(frames) < 50:
        counter.images = 0
        assert session.train_frame(1.0) == 0
        frames.append(counter.images)
    # The first frame's slice is sized by the frame before, which trained; then a chunk a frame.
    assert max(frames[1:]) <= CHUNK and len(frames) >= 3
    assert not math.isnan(session.trainer.history[-1].test_accuracy)
    assert session.trainer.test_accuracy == session.trainer.history[-1].test_accuracy


def test_a_measurement_made_since_is_not_replaced_by_an_older_pass():
    session = _session()
    trainer = session.trainer
    _until_a_pass_is_pending(session)
    point = trainer.history[-1]
    trainer.train_batches(3)
    now = trainer.evaluate_test()  # what a live edit does: the accuracy of the network as it is now
    session.accuracy.finish()
    assert not math.isnan(point.test_accuracy)  # the point still gets its own moment's figure
    assert trainer.test_accuracy == now


def test_a_reset_drops_the_old_run_s_passes(monkeypatch):
    session = _session()
    _until_a_pass_is_pending(session)
    old = session.trainer.history[-1]
    session.reset()
    fresh = session.trainer.test_accuracy
    counter = ForwardCounter(monkeypatch)
    session.toggle_pause()
    session.train_frame(1.0)
    assert counter.images == 0 and not session.accuracy.pending
    assert math.isnan(old.test_accuracy) and session.trainer.test_accuracy == fresh


def test_finishing_an_epoch_by_hand_reports_that_epoch_s_accuracy():
    session = _session(history_every=10**9)  # epoch ends only
    session.toggle_pause()
    session.step_epoch()
    for _ in range(500):
        session.train_frame(0.001)
        if not session.finishing_epoch:
            break
    point = session.trainer.history[-1]
    assert not session.accuracy.pending
    assert session.trainer.test_accuracy == point.test_accuracy == session.trainer.evaluate_test()
    assert session.current_messages()[-1] == f"epoch 1 done: test accuracy {point.test_accuracy:.2%}"


# ---------------------------------------------------------------- the trainer's side


def _trainer(**options):
    data = _noise(640, 200)
    return Trainer(TrainConfig(batch_size=32), data.train_images, data.train_labels, data.test_images,
                   data.test_labels, history_every=160, **options)


def test_headless_the_trainer_still_evaluates_each_point_at_once():
    trainer = _trainer()
    trainer.train_batches(20)
    assert len(trainer.history) == 4 and not any(math.isnan(p.test_accuracy) for p in trainer.history)
    assert trainer.test_accuracy == trainer.history[-1].test_accuracy == trainer.evaluate(*trainer.test_set)[1]


def test_a_deferred_point_is_filled_in_place_everywhere_it_is_held():
    calls = []
    trainer = _trainer(deferred_test=lambda point, token: calls.append(
        (point, token, trainer.network.params.copy())))
    run = RunHistory()
    run.attach(trainer)
    before = trainer.test_accuracy
    trainer.train_batches(5)
    (point, token, params), = calls
    assert math.isnan(point.test_accuracy) and point.samples_seen == 160
    assert trainer.test_accuracy is before or math.isnan(before)
    state = trainer.snapshot()
    trainer.train_batches(1)
    probe = Network(trainer.network.layer_sizes, trainer.network.activation.name)
    probe.params[...] = params
    accuracy = float(np.mean(probe.predict(trainer.test_set[0] / 255.0) == trainer.test_set[1]))
    trainer.fill_test_accuracy(point, accuracy, token)
    assert point.test_accuracy == accuracy == trainer.test_accuracy
    assert state.history[-1] is point and run.points[-1] is point
    trainer.fill_test_accuracy(point, 0.5, token)  # filled once
    assert point.test_accuracy == accuracy


def test_an_older_result_never_replaces_a_newer_measurement():
    calls = []
    trainer = _trainer(deferred_test=lambda point, token: calls.append((point, token)))
    trainer.train_batches(10)
    (first, first_token), (second, second_token) = calls
    trainer.fill_test_accuracy(second, 0.25, second_token)
    trainer.fill_test_accuracy(first, 0.75, first_token)  # finished later, but of an earlier moment
    assert trainer.test_accuracy == 0.25 and first.test_accuracy == 0.75
    calls.clear()
    trainer.train_batches(5)
    (third, third_token), = calls
    measured = trainer.evaluate_test()
    trainer.fill_test_accuracy(third, 0.125, third_token)
    assert trainer.test_accuracy == measured and third.test_accuracy == 0.125
    calls.clear()
    trainer.train_batches(5)
    (fourth, fourth_token), = calls
    trainer.restore(trainer.snapshot())  # a restored state holds its own figure
    trainer.fill_test_accuracy(fourth, 0.0625, fourth_token)
    assert trainer.test_accuracy != 0.0625


def test_the_tracker_drops_the_oldest_waiting_pass_when_it_falls_behind():
    trainer = _trainer()
    tracker = AccuracyTracker(trainer, max_waiting=1)
    trainer.train_batches(20)  # four points, none evaluated
    assert tracker.pending == 2
    tracker.finish()
    evaluated = [not math.isnan(p.test_accuracy) for p in trainer.history]
    assert evaluated == [True, False, False, True]
    assert trainer.test_accuracy == trainer.history[-1].test_accuracy


@pytest.mark.parametrize("trained, images", [(0, CHUNK), (100, CHUNK), (1000, math.ceil(KEEP_UP * 200 / 160 * 1000))])
def test_a_frame_s_slice_follows_what_the_frame_before_trained(trained, images):
    trainer = _trainer()
    tracker = AccuracyTracker(trainer)
    assert tracker.images_for(trained) == 0  # nothing pending
    trainer.train_batches(5)
    assert tracker.images_for(trained) == images
