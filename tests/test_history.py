"""RunHistory: what it records, the memory cap, and resuming a run exactly from a snapshot."""

import gc
import math

import numpy as np
import pytest

from nnviz.model.config import TrainConfig
from nnviz.model.history import OBJECT_BYTES, POINT_BYTES, RunHistory
from nnviz.model.trainer import HistoryPoint, Trainer

CONFIG = TrainConfig(layers=(16, 4, 3), batch_size=10, seed=2)
BATCHES_PER_EPOCH = 20


def _data(n=200, seed=0):
    """4x4 images whose brightest row is the class (0-2): a tiny learnable task."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    images = rng.integers(0, 60, (n, 4, 4)).astype(np.uint8)
    images[np.arange(n), labels, :] = 255
    return images, labels


def _trainer(config=CONFIG, history_every=60):
    return Trainer(config, *_data(), *_data(50, seed=1), history_every=history_every)


def _recorded(cap_bytes=256 * 2**20, max_points=100, **trainer_options):
    trainer = _trainer(**trainer_options)
    trainer.max_history_points = max_points  # the cap must hold two snapshots with this many points each
    history = RunHistory(cap_bytes)
    history.attach(trainer)
    return trainer, history


def _due_batches(up_to, dense=200):
    """The policy, written out: every batch up to `dense`, then 5% further each time."""
    batch, due = 0, [0]
    while True:
        batch = batch + 1 if batch < dense else max(batch + 1, math.ceil(batch * 1.05))
        if batch > up_to:
            return due
        due.append(batch)


def _expected_nbytes(history):
    """Parameters, optimiser arrays and objects per snapshot, each distinct order once, and the run's points."""
    total, orders = 0, {}
    for snapshot in history:
        state = snapshot.state
        total += state.params.nbytes + OBJECT_BYTES
        total += sum(v.nbytes for v in state.optimizer_state.values() if isinstance(v, np.ndarray))
        orders[id(state.order)] = state.order.nbytes
    return total + sum(orders.values()) + POINT_BYTES * len(history.points)


def test_every_batch_at_first_then_further_and_further_apart():
    trainer, history = _recorded()
    trainer.train_batches(1000)
    assert list(history.batches) == _due_batches(1000)
    assert list(history.batches[:201]) == list(range(201))
    assert history.batches.dtype == np.int64
    assert [s.samples_seen for s in history] == [10 * b for b in history.batches]
    assert history.nbytes == _expected_nbytes(history)


def test_the_snapshots_of_an_epoch_share_its_order_and_it_counts_once():
    trainer, history = _recorded()
    trainer.train_batches(BATCHES_PER_EPOCH + 5)  # snapshots 0-19 in epoch 0, 20-25 in epoch 1
    first, second, next_epoch = history[0].state, history[19].state, history[20].state
    assert first.order is second.order and first.order is not next_epoch.order
    assert not first.order.flags.writeable
    params = trainer.network.params.nbytes
    each = 3 * params + OBJECT_BYTES  # parameters and Adam's two moments
    assert len(trainer.history) > 0
    assert history.nbytes == len(history) * each + 2 * first.order.nbytes + POINT_BYTES * len(trainer.history)


def test_the_cap_holds_over_a_long_run_and_the_first_and_latest_stay():
    cap = 60_000 + POINT_BYTES * 100  # room for about a dozen snapshots of this network and 100 points
    trainer, history = _recorded(cap, max_points=100)
    for _ in range(50):
        trainer.train_epoch()
        assert history.nbytes <= cap
        assert history.nbytes == _expected_nbytes(history)
        assert history[0].batches == 0
        assert history[-1].batches == _due_batches(trainer.batches_trained)[-1]
        assert np.all(np.diff(history.batches) > 0)
    assert trainer.batches_trained == 50 * BATCHES_PER_EPOCH
    assert history.nbytes > cap * 0.8 and len(history) > 8  # thinned only as far as the cap needs


def test_thinning_drops_every_other_snapshot_of_the_densest_stretch():
    # No points before the epoch's end: snapshots of one size; the room kept for points, one.
    trainer, history = _recorded(history_every=10**9, max_points=1)
    trainer.train_batches(BATCHES_PER_EPOCH - 2)
    history.cap_bytes = history.nbytes + POINT_BYTES  # full: the next snapshot is one too many
    trainer.train_batches(1)
    assert list(history.batches) == [0] + list(range(2, BATCHES_PER_EPOCH))
    history.cap_bytes = history.nbytes * 3 // 4
    trainer.train_batches(1)
    assert list(history.batches[:8]) == [0, 2, 4, 6, 8, 10, 12, 14]
    assert history.batches[-1] == BATCHES_PER_EPOCH and history.nbytes <= history.cap_bytes


def test_restoring_a_snapshot_and_training_on_gives_the_run_s_very_weights():
    trainer, history = _recorded(200_000)
    for _ in range(6):
        trainer.train_epoch()
    plain = _trainer()  # the same run, unrecorded: recording changes nothing
    plain.train_batches(trainer.batches_trained)
    assert np.array_equal(plain.network.params, trainer.network.params)

    early, late = history.index_at(15), history.index_at(105)  # epoch 0 and epoch 5
    assert 0 < history[early].batches < BATCHES_PER_EPOCH < 5 * BATCHES_PER_EPOCH < history[late].batches
    other = _trainer(config=CONFIG.replace(seed=9, optimizer="sgd"))
    other.restore(history.state_at(early))
    assert other.history == [p for p in history.points if p.samples_seen <= history[early].samples_seen]
    other.train_batches(history[late].batches - history[early].batches)
    assert np.array_equal(other.network.params, history[late].params)
    assert _fields(other.history) == _fields(p for p in history.points if p.samples_seen <= history[late].samples_seen)


def _fields(points):
    return [(p.samples_seen, p.loss, p.train_accuracy, p.test_accuracy) for p in points]


def test_snapshots_hold_no_points_of_their_own_so_a_long_run_keeps_no_more_alive_than_it_counts():
    gc.collect()
    before = _live_points()
    trainer, history = _recorded(60_000 + POINT_BYTES * 100, max_points=100, history_every=10)
    for _ in range(60):  # 1,200 points made, thinned from 100 again and again, into a dozen snapshots
        trainer.train_epoch()
    gc.collect()
    assert len(history) > 8 and len(history.points) > 50
    assert _live_points() - before <= trainer.max_history_points + 1
    with pytest.raises(ValueError, match="without its loss/accuracy points"):
        trainer.restore(history[3].state)  # the state alone would restore an empty curve


def _live_points():
    return sum(1 for thing in gc.get_objects() if isinstance(thing, HistoryPoint))


def test_a_state_taken_from_the_history_carries_the_run_s_points_up_to_it():
    trainer, history = _recorded(max_points=20, history_every=10)
    trainer.train_batches(150)  # 150 points made, thinned to at most 20: earlier states' points are gone
    for index in (0, 30, 100, len(history) - 1):
        samples = history[index].samples_seen
        assert history.state_at(index).history == tuple(p for p in history.points if p.samples_seen <= samples)
    assert history.state_at(-1).history == tuple(trainer.history)
    assert 0 < len(history.state_at(100).history) < len(history.points)


def test_index_at_finds_the_last_snapshot_at_or_before():
    trainer, history = _recorded()
    trainer.train_batches(260)
    batches = history.batches
    assert batches[200:204].tolist() == [200, 210, 221, 233]
    assert history.index_at(0) == 0 and history.index_at(-5) == 0
    assert history.index_at(150) == 150
    assert batches[history.index_at(209)] == 200
    assert batches[history.index_at(210)] == 210 and batches[history.index_at(220)] == 210
    assert history.index_at(10**9) == len(history) - 1
    with pytest.raises(IndexError):
        RunHistory().index_at(3)


def test_points_follow_the_trainer_s_history():
    trainer, history = _recorded(history_every=30)
    for count in (1, 2, 7, 40, 3):
        trainer.train_batches(count)
        assert history.points == trainer.history
    assert len(history.points) >= 5 and history.config == trainer.config


def test_truncate_after_drops_the_later_snapshots_and_points():
    trainer, history = _recorded(history_every=30)
    trainer.train_batches(100)
    index = history.index_at(42)
    kept_points = [p for p in history.points if p.samples_seen <= history[index].samples_seen]
    assert 0 < len(kept_points) < len(history.points)
    assert history.truncate_after(index) == 100 - 42
    assert len(history) == 43 and history.batches[-1] == 42
    assert history.points == kept_points
    assert history.truncate_after(-1) == 0
    with pytest.raises(IndexError):
        history.truncate_after(43)

    trainer.restore(history.state_at(index))  # resume from here
    trainer.train_batches(5)
    assert list(history.batches[-6:]) == [42, 43, 44, 45, 46, 47]
    assert history.points == trainer.history
    assert history[-1].state.order is history[index].state.order  # the restored epoch's, not a copy


def test_training_on_from_an_earlier_state_drops_the_recorded_future():
    trainer, history = _recorded(history_every=30)
    trainer.train_batches(100)
    old_future = history[history.index_at(45)].params
    state = history.state_at(history.index_at(40))
    trainer.restore(state)  # looking back changes nothing yet
    assert len(history) == 101 and history.points[-1].samples_seen == 1000
    trainer.set_learning_rate(0.05)  # a different future
    trainer.train_batches(5)
    assert list(history.batches[-6:]) == [40, 41, 42, 43, 44, 45] and len(history) == 46
    assert not np.array_equal(history[45].params, old_future)
    assert history.points == trainer.history


def test_a_new_run_starts_the_recording_over():
    trainer, history = _recorded(history_every=30)
    trainer.train_batches(50)
    trainer.reset(seed=4)
    assert history.batches.tolist() == [0] and history.points == []
    np.testing.assert_array_equal(history[0].params, trainer.network.params)
    trainer.train_batches(3)
    assert history.batches.tolist() == [0, 1, 2, 3]

    points = list(history.points)
    newer = RunHistory()
    newer.attach(trainer)  # the old history stops following the trainer
    trainer.train_batches(60)
    assert history.batches.tolist() == [0, 1, 2, 3] and history.points == points
    assert newer.batches.tolist() == list(range(3, 64)) and newer.points == trainer.history != []


def test_a_diverged_network_is_not_recorded():
    trainer, history = _recorded()
    trainer.train_batches(5)
    step = trainer.optimizer.step

    def overflowing_step(params, grads, learning_rate):  # an update that overflows, as a too-high rate does
        step(params, grads, learning_rate)
        params[0] = np.inf

    trainer.optimizer.step = overflowing_step
    trainer.train_batches(3)
    assert trainer.diverged is not None and trainer.batches_trained == 6
    assert history.batches.tolist() == [0, 1, 2, 3, 4, 5]
    assert all(np.isfinite(snapshot.params).all() for snapshot in history)


def test_a_cap_too_small_for_two_snapshots_is_refused():
    trainer = _trainer()
    with pytest.raises(ValueError, match="a cap of 0.005 MB is too small: the first and the latest snapshot"):
        RunHistory(cap_bytes=int(0.005 * 2**20)).attach(trainer)
    assert trainer.history_recorder is None


def test_the_trainer_steps_without_a_recorder_as_before():
    trainer = _trainer()
    assert trainer.history_recorder is None
    assert trainer.train_batches(3) == 3
