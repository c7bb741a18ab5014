"""The trainer on small synthetic data: bites, epochs, live changes, divergence."""

import math

import numpy as np
import pytest

from nnviz.model.config import PRESETS, TrainConfig
from nnviz.model.trainer import Trainer


def _synthetic(n, seed=0):
    """Digits 0-9 drawn as a bright 3x28 bar whose row encodes the class: learnable."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = rng.integers(0, 40, size=(n, 28, 28)).astype(np.uint8)
    for row in range(10):
        images[labels == row, 2 * row + 3 : 2 * row + 6, :] = 255
    return images, labels


@pytest.fixture
def trainer():
    train, test = _synthetic(320), _synthetic(100, seed=1)
    return Trainer(TrainConfig(batch_size=32, seed=3), *train, *test, history_every=10**9)


def test_train_batches_counts_and_changes_weights(trainer):
    before = trainer.network.params.copy()
    assert trainer.train_batches(4) == 4
    assert trainer.batches_trained == 4 and trainer.samples_seen == 128
    assert trainer.batch_in_epoch == 4 and trainer.epoch == 0
    assert not np.array_equal(before, trainer.network.params)


def test_epoch_end_records_history_and_test_accuracy(trainer):
    assert trainer.batches_per_epoch == 10
    summary = trainer.train_epoch()
    assert trainer.epoch == 1 and trainer.batch_in_epoch == 0
    assert len(trainer.history) == 1 and trainer.history[0].samples_seen == 320
    assert 0.0 <= summary.test_accuracy <= 1.0
    assert summary.test_accuracy == trainer.evaluate(*_synthetic(100, seed=1))[1]


def test_learns_a_learnable_task(trainer):
    for _ in range(8):
        trainer.train_epoch()
    assert trainer.history[-1].test_accuracy > 0.95
    assert trainer.history[-1].loss < trainer.history[0].loss


def test_history_every_records_intermediate_points():
    trainer = Trainer(TrainConfig(batch_size=10), *_synthetic(200), *_synthetic(50, 1), history_every=50)
    trainer.train_batches(12)
    assert [p.samples_seen for p in trainer.history] == [50, 100]
    assert all(not math.isnan(p.test_accuracy) for p in trainer.history)


def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        t = Trainer(TrainConfig(seed=7, batch_size=16), *_synthetic(160))
        t.train_batches(15)
        runs.append(t.network.params.copy())
    np.testing.assert_array_equal(runs[0], runs[1])


def test_hyperparameters_change_between_bites(trainer):
    trainer.train_batches(1)
    trainer.set_optimizer("sgd")
    trainer.set_learning_rate(1e-30)
    frozen = trainer.network.params.copy()
    trainer.train_batches(2)
    np.testing.assert_allclose(frozen, trainer.network.params, rtol=0, atol=1e-20)
    trainer.set_learning_rate(0.5)
    trainer.set_batch_size(8)
    seen = trainer.samples_seen
    trainer.train_batches(1)
    assert trainer.samples_seen == seen + 8
    assert not np.array_equal(frozen, trainer.network.params)
    trainer.set_activation("relu")
    assert trainer.network.activation.name == "relu" and trainer.config.activation == "relu"
    assert np.all(trainer.activations_for(_synthetic(1)[0][0])[1] >= 0)


def test_train_for_runs_at_least_one_batch(trainer):
    assert trainer.train_for(0.0) == 1
    assert trainer.train_for(0.0, max_batches=0) == 0


def test_nan_loss_stops_training_until_reset(trainer):
    trainer.network.weights[0][:, 0] = np.nan
    assert trainer.train_batches(5) == 0
    assert "the loss became nan" in trainer.diverged
    assert trainer.train_batches(5) == 0
    assert trainer.train_epoch().epoch == 0 and trainer.samples_seen == 0
    trainer.reset()
    assert trainer.train_batches(2) == 2


def test_infinite_weights_stop_training_after_the_bite(trainer):
    trainer.network.weights[1][0, 0] = np.inf
    assert trainer.train_batches(0) == 0
    assert "weights became NaN or infinite" in trainer.diverged
    assert trainer.train_batches(5) == 0
    trainer.reset()
    assert trainer.diverged is None and trainer.samples_seen == 0 and trainer.history == []
    assert np.isfinite(trainer.network.params).all()
    assert trainer.train_batches(2) == 2
    trainer.reset()
    assert trainer.diverged is None and trainer.samples_seen == 0 and trainer.history == []
    assert trainer.train_batches(2) == 2


def test_huge_learning_rate_diverges_without_crashing():
    trainer = Trainer(TrainConfig(activation="leaky_relu", init="he", optimizer="sgd", learning_rate=100.0, batch_size=16),
                      *_synthetic(320))
    trainer.train_batches(200)
    assert trainer.diverged is not None
    assert "learning rate 100" in trainer.diverged


def test_no_data_trains_nothing_but_still_forwards():
    trainer = Trainer(PRESETS["default"])
    assert not trainer.has_data and trainer.train_batches(3) == 0
    acts = trainer.activations_for(np.zeros((28, 28), np.uint8))
    assert [a.shape for a in acts] == [(784,), (16,), (16,), (10,)]
    assert acts[-1].sum() == pytest.approx(1.0, rel=1e-5)


def test_data_given_later_is_shuffled_like_data_given_at_once():
    images, labels = _synthetic(320)
    at_once = Trainer(TrainConfig(seed=4, batch_size=32), images, labels)
    later = Trainer(TrainConfig(seed=4, batch_size=32))
    later.set_data(images, labels)
    assert not np.array_equal(later._order, np.arange(320))
    np.testing.assert_array_equal(sorted(later._order), np.arange(320))
    np.testing.assert_array_equal(later._order, at_once._order)  # same seed, same order
    later.train_batches(3)
    at_once.train_batches(3)
    np.testing.assert_array_equal(later.network.params, at_once.network.params)


def test_reset_with_a_seed_reproduces_a_fresh_trainer_with_that_seed():
    data = _synthetic(320)
    fresh = Trainer(TrainConfig(seed=1, batch_size=32), *data)
    reused = Trainer(TrainConfig(seed=0, batch_size=32), *data)
    reused.train_epoch()
    reused.train_batches(3)
    reused.reset(seed=1)
    np.testing.assert_array_equal(fresh._order, reused._order)
    fresh.train_batches(4)
    reused.train_batches(4)
    np.testing.assert_array_equal(fresh.network.params, reused.network.params)


def test_growing_the_batch_mid_epoch_starts_a_new_epoch_instead_of_a_short_batch(trainer):
    trainer.train_batches(9)  # 288 of 320 samples
    trainer.set_batch_size(100)
    trainer.train_batches(1)
    assert trainer.epoch == 1 and trainer.samples_seen == 288 + 100
    assert trainer.history[0].samples_seen == 288


def test_batch_larger_than_the_data_is_refused(trainer):
    from nnviz.errors import NnvizError

    with pytest.raises(NnvizError, match="--batch-size 400: larger than the 320 training images"):
        trainer.set_batch_size(400)
    assert trainer.config.batch_size == 32


def test_loading_parameters_starts_a_new_run(trainer):
    trainer.train_epoch()
    trainer.load_parameters(np.zeros_like(trainer.network.params))
    assert trainer.epoch == 0 and trainer.samples_seen == 0 and trainer.history == []
    assert not trainer.network.params.any()
