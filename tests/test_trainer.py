"""The trainer on small synthetic data: bites, epochs, live changes, divergence."""

import math
import types

import numpy as np
import pytest

from nnviz.errors import ConfigError
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
    with pytest.raises(ConfigError, match="^batch_size 400: larger than the 320 training images$") as info:
        trainer.set_batch_size(400)
    assert (info.value.field, info.value.value) == ("batch_size", "400")
    assert trainer.config.batch_size == 32


def test_data_too_small_for_the_batch_is_refused_and_not_taken():
    trainer = Trainer(TrainConfig(batch_size=64))
    with pytest.raises(ConfigError, match="^batch_size 64: larger than the 50 training images$"):
        trainer.set_data(*_synthetic(50))
    assert not trainer.has_data


@pytest.mark.parametrize(
    "layers,message",
    [
        ((780, 16, 10), "layers 780,16,10: the first layer must be 784 (28x28 pixels)"),
        ((784, 16, 8), "layers 784,16,8: the last layer has 8 neurons but the labels go up to 9 (it needs one per class)"),
    ],
)
def test_data_must_fit_the_network(layers, message):
    trainer = Trainer(TrainConfig(layers=layers))
    with pytest.raises(ConfigError) as info:
        trainer.set_data(*_synthetic(64))
    assert str(info.value) == message and info.value.field == "layers"
    assert not trainer.has_data


def test_the_trainer_takes_images_of_any_size():
    images, labels = np.zeros((64, 7, 7), np.uint8), np.arange(64) % 3
    trainer = Trainer(TrainConfig(layers=(49, 5, 3), batch_size=8), images, labels)
    assert trainer.train_batches(2) == 2


def test_divergence_message_says_what_happened_not_what_to_press():
    trainer = Trainer(TrainConfig(batch_size=32), *_synthetic(320))
    trainer.network.weights[0][:, 0] = np.nan
    trainer.train_batches(1)
    assert trainer.diverged == ("training stopped: the loss became nan at epoch 1, batch 1 "
                                "(learning rate 0.002 is probably too high)")


def test_loading_parameters_starts_a_new_run(trainer):
    trainer.train_epoch()
    trainer.load_parameters(np.zeros_like(trainer.network.params))
    assert trainer.epoch == 0 and trainer.samples_seen == 0 and trainer.history == []
    assert not trainer.network.params.any()


# ------------------------------------------------------------ snapshot, restore
def _progress(trainer):
    """Everything a user sees of a run besides the weights."""
    return (trainer.epoch, trainer.batches_trained, trainer.samples_seen, trainer.position, trainer.running_loss,
            trainer.running_accuracy, trainer.test_accuracy, list(trainer.history), trainer.diverged, trainer.config)


def _snapshot_run(optimizer, snapshot_after, then):
    """Train ``snapshot_after`` batches, snapshot, train ``then`` more: what a restore must reproduce."""
    data = (*_synthetic(320), *_synthetic(100, seed=1))
    config = TrainConfig(optimizer=optimizer, learning_rate=0.05 if optimizer == "sgd" else 0.002, batch_size=32, seed=5)
    trainer = Trainer(config, *data, history_every=96)
    trainer.train_batches(snapshot_after)
    run = types.SimpleNamespace(trainer=trainer, data=data, state=trainer.snapshot(), at_snapshot=_progress(trainer))
    trainer.train_batches(then)
    run.weights, run.progress = trainer.network.params.copy(), _progress(trainer)
    return run


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "sgd"])
def test_restore_continues_exactly_as_training_straight_through(optimizer):
    run = _snapshot_run(optimizer, snapshot_after=3, then=4)
    trainer = run.trainer
    trainer.restore(run.state)
    assert _progress(trainer) == run.at_snapshot
    trainer.train_batches(4)
    assert np.array_equal(trainer.network.params, run.weights)
    assert _progress(trainer) == run.progress
    # Into another trainer on the same data, whatever its seed, optimiser or activation.
    other = Trainer(TrainConfig(seed=99, optimizer="momentum" if optimizer != "momentum" else "sgd",
                                activation="relu", batch_size=8), *run.data, history_every=96)
    other.train_batches(5)
    other.restore(run.state)
    assert _progress(other) == run.at_snapshot and other.network.activation.name == "tanh"
    other.train_batches(4)
    assert np.array_equal(other.network.params, run.weights)
    assert _progress(other) == run.progress


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_restore_across_an_epoch_boundary_reshuffles_the_same_way(optimizer):
    # 10 batches per epoch: the snapshot is in epoch 0, the run goes on into epoch 1 (a new shuffle).
    run = _snapshot_run(optimizer, snapshot_after=8, then=6)
    trainer, state = run.trainer, run.state
    order_in_epoch_1 = trainer._order.copy()
    assert trainer.epoch == 1 and state.epoch == 0
    trainer.restore(state)
    np.testing.assert_array_equal(trainer._order, state.order)
    trainer.train_batches(6)
    np.testing.assert_array_equal(trainer._order, order_in_epoch_1)
    assert np.array_equal(trainer.network.params, run.weights)
    assert _progress(trainer) == run.progress


def test_a_snapshot_does_not_change_when_training_goes_on():
    run = _snapshot_run("adam", snapshot_after=3, then=0)
    trainer, state = run.trainer, run.state
    params, m, order = state.params.copy(), state.optimizer_state["m"].copy(), state.order.copy()
    rng_state, history = repr(state.rng_state), list(state.history)
    trainer.train_batches(12)  # past the epoch's end: new order, RNG drawn from, history grows
    trainer.restore(state)
    trainer.train_batches(12)
    trainer.reset(seed=1)
    np.testing.assert_array_equal(state.params, params)
    np.testing.assert_array_equal(state.optimizer_state["m"], m)
    np.testing.assert_array_equal(state.order, order)
    assert state.optimizer_state["t"] == 3 and state.samples_seen == 96
    assert repr(state.rng_state) == rng_state and list(state.history) == history and len(history) == 1
    assert not state.params.flags.writeable and not state.optimizer_state["v"].flags.writeable


@pytest.mark.parametrize(
    "config,data_size,message",
    [
        (TrainConfig(layers=(784, 32, 10)), 320, "784,16,16,10 softmax network, this is a 784,32,10 softmax one"),
        (TrainConfig(output="sigmoid"), 320, "softmax network, this is a 784,16,16,10 sigmoid one"),
        (TrainConfig(), 160, "taken with 320 training images, this trainer has 160"),
    ],
)
def test_a_state_of_another_network_or_data_is_refused(config, data_size, message):
    state = _snapshot_run("adam", snapshot_after=3, then=0).state
    other = Trainer(config.replace(optimizer="sgd"), *_synthetic(data_size))
    other.train_batches(2)
    weights, progress = other.network.params.copy(), _progress(other)
    with pytest.raises(ValueError, match=message):
        other.restore(state)
    assert np.array_equal(other.network.params, weights) and _progress(other) == progress
    assert other.optimizer.name == "sgd"


def test_a_diverged_run_restores_as_diverged(trainer):
    trainer.train_batches(2)
    trainer.network.weights[0][:, 0] = np.nan
    trainer.train_batches(1)
    state = trainer.snapshot()
    trainer.reset()
    trainer.restore(state)
    assert trainer.diverged == state.diverged and "the loss became nan" in trainer.diverged
    assert trainer.train_batches(3) == 0 and trainer.samples_seen == 64


# ------------------------------------------------------ live hyperparameters
def test_momentum_changes_live_and_the_velocity_is_kept():
    trainer = Trainer(TrainConfig(optimizer="momentum", momentum=0.9, learning_rate=0.01), *_synthetic(320))
    trainer.train_batches(3)
    velocity = trainer.optimizer.velocity.copy()
    assert velocity.any()
    trainer.set_momentum(0.5)
    assert trainer.config.momentum == 0.5
    np.testing.assert_array_equal(trainer.optimizer.velocity, velocity)
    # The next batch's gradient, worked out beforehand.
    batch = trainer._order[trainer.position:trainer.position + 32]
    trainer.network.load_pixel_batch(trainer._train_x, batch)
    trainer.network.compute_gradients(trainer._train_y[batch])
    gradient = trainer.network.grads.copy()
    params = trainer.network.params.copy()
    trainer.train_batches(1)
    # v <- 0.5 v - lr g, p <- p + v: the new factor decays the kept velocity.
    expected = np.float32(0.5) * velocity - np.float32(0.01) * gradient
    np.testing.assert_allclose(trainer.optimizer.velocity, expected, atol=1e-7)
    np.testing.assert_allclose(trainer.network.params, params + expected, atol=1e-6)


def test_weight_decay_changes_live():
    trainer = Trainer(TrainConfig(optimizer="sgd", learning_rate=0.1), *_synthetic(320))
    trainer.set_weight_decay(0.5)
    trainer.network.load_pixel_batch(trainer._train_x, trainer._order[:32])
    trainer.network.compute_gradients(trainer._train_y[trainer._order[:32]], 0.5)
    expected = trainer.network.params - np.float32(0.1) * trainer.network.grads
    trainer.train_batches(1)
    np.testing.assert_allclose(trainer.network.params, expected, atol=1e-7)


@pytest.mark.parametrize("setter,value,message", [
    ("set_momentum", 1.0, "momentum 1.0: must be in [0, 1)"),
    ("set_momentum", float("nan"), "momentum nan: must be in [0, 1)"),
    ("set_weight_decay", -0.1, "weight_decay -0.1: must be >= 0"),
    ("set_weight_decay", float("inf"), "weight_decay inf: must be a finite number"),
    ("set_optimizer", "rmsprop", "optimizer 'rmsprop': not one of: adam, momentum, sgd"),
])
def test_a_bad_live_value_changes_nothing(trainer, setter, value, message):
    trainer.train_batches(2)
    config, optimizer, state = trainer.config, trainer.optimizer, trainer.optimizer.state()
    with pytest.raises(ConfigError) as info:
        getattr(trainer, setter)(value)
    assert str(info.value) == message
    assert trainer.config == config and trainer.optimizer is optimizer
    np.testing.assert_array_equal(trainer.optimizer.state()["m"], state["m"])


def test_switching_optimizer_says_what_became_of_its_state(trainer):
    trainer.train_batches(2)
    adam = trainer.optimizer
    assert trainer.set_optimizer("adam") == "optimizer adam: unchanged, its state kept"
    assert trainer.optimizer is adam and adam.t == 2
    assert trainer.set_optimizer("momentum") == "optimizer momentum (was adam): its velocity starts from zero"
    assert trainer.config.optimizer == "momentum" and not trainer.optimizer.velocity.any()
    trainer.train_batches(1)
    assert trainer.set_optimizer("adam") == "optimizer adam (was momentum): Adam's moment estimates start from zero"
    assert trainer.optimizer.t == 0 and not trainer.optimizer.m.any()
    assert trainer.set_optimizer("sgd").startswith("optimizer sgd (was adam): ")


# --------------------------------------------------- per-layer activations
def test_one_layer_s_activation_changes_live_and_the_weights_stay(trainer):
    trainer.train_batches(3)
    weights = trainer.network.params.copy()
    trainer.set_layer_activation(2, "relu")
    assert trainer.config.layer_activations == ("tanh", "relu")
    assert trainer.config.hidden_activations() == ("tanh", "relu")
    assert [a.name for a in trainer.network.activations] == ["tanh", "relu"]
    np.testing.assert_array_equal(trainer.network.params, weights)
    assert (trainer.activations_for(_synthetic(1)[0][0])[2] >= 0).all()  # ReLU's outputs
    assert trainer.train_batches(2) == 2
    # Back to one activation everywhere: the per-layer choice is forgotten.
    trainer.set_layer_activation(2, "tanh")
    assert trainer.config.layer_activations == ()
    trainer.set_layer_activation(1, "sigmoid")
    trainer.set_activation("leaky_relu")
    assert trainer.config.layer_activations == () and trainer.config.activation == "leaky_relu"
    assert [a.name for a in trainer.network.activations] == ["leaky_relu", "leaky_relu"]


@pytest.mark.parametrize("layer,name,message", [
    (3, "relu", "layer_activations relu: no hidden layer 3: the hidden layers are 1 to 2"),
    (0, "relu", "layer_activations relu: no hidden layer 0: the hidden layers are 1 to 2"),
    (1, "swish", "layer_activations swish,tanh: 'swish' is not one of: leaky_relu, relu, sigmoid, tanh"),
])
def test_a_bad_layer_activation_changes_nothing(trainer, layer, name, message):
    with pytest.raises(ConfigError) as info:
        trainer.set_layer_activation(layer, name)
    assert str(info.value) == message and info.value.field == "layer_activations"
    assert trainer.config.layer_activations == () and [a.name for a in trainer.network.activations] == ["tanh"] * 2


def test_restore_brings_back_each_layer_s_activation():
    config = TrainConfig(layers=(784, 16, 12, 10), layer_activations=("relu", "sigmoid"), seed=4)
    trainer = Trainer(config, *_synthetic(320), history_every=10**9)
    trainer.train_batches(3)
    state = trainer.snapshot()
    trainer.train_batches(2)
    expected = trainer.network.params.copy()
    other = Trainer(TrainConfig(layers=(784, 16, 12, 10)), *_synthetic(320))
    other.restore(state)
    assert other.config.layer_activations == ("relu", "sigmoid")
    assert [a.name for a in other.network.activations] == ["relu", "sigmoid"]
    other.train_batches(2)
    np.testing.assert_array_equal(other.network.params, expected)


# -------------------------------------------------------- architecture edits
def test_training_goes_on_after_an_edit_with_the_progress_kept():
    from nnviz.model import surgery

    trainer = Trainer(TrainConfig(seed=1), *_synthetic(640), *_synthetic(100, seed=1), history_every=320)
    trainer.train_batches(25)
    progress = (trainer.epoch, trainer.batches_trained, trainer.samples_seen, trainer.position,
                trainer.running_loss, trainer.running_accuracy, list(trainer.history), trainer._order)
    result = trainer.edit(surgery.insert_layer, 2, 20, activation="relu", rng=np.random.default_rng(0))
    assert trainer.config.layers == (784, 16, 20, 16, 10) == result.config.layers
    assert trainer.network.layer_sizes == [784, 16, 20, 16, 10]
    assert trainer.config.layer_activations == ("tanh", "relu", "tanh")
    assert (trainer.epoch, trainer.batches_trained, trainer.samples_seen, trainer.position, trainer.running_loss,
            trainer.running_accuracy, list(trainer.history), trainer._order) == progress
    assert trainer.optimizer.t == 25 and trainer.optimizer.m.size == trainer.network.params.size
    loss_after_edit = trainer.evaluate(*_synthetic(640))[0]
    trainer.train_batches(30)
    assert trainer.evaluate(*_synthetic(640))[0] < loss_after_edit * 0.9
    assert trainer.batches_trained == 55 and trainer.history[-1].samples_seen > progress[2]


def test_snapshot_and_restore_after_an_edit():
    from nnviz.model import surgery

    trainer = Trainer(TrainConfig(seed=1), *_synthetic(320), history_every=10**9)
    trainer.train_batches(4)
    before_edit = trainer.snapshot()
    trainer.edit(surgery.remove_neurons, 1, [0, 1, 2])
    trainer.edit(surgery.add_neurons, 2, 5, rng=np.random.default_rng(0))
    trainer.train_batches(3)
    state = trainer.snapshot()
    trainer.train_batches(4)
    expected, progress = trainer.network.params.copy(), _progress(trainer)
    trainer.restore(state)
    trainer.train_batches(4)
    np.testing.assert_array_equal(trainer.network.params, expected)
    assert _progress(trainer) == progress
    # A state of the old shape is refused, as any state of another network is.
    with pytest.raises(ValueError, match="784,16,16,10 softmax network, this is a 784,13,21,10 softmax one"):
        trainer.restore(before_edit)


def test_an_edit_restarts_the_recorded_run():
    from nnviz.model import surgery
    from nnviz.model.history import RunHistory

    trainer = Trainer(TrainConfig(seed=1), *_synthetic(320), history_every=64)
    history = RunHistory(dense_batches=5)
    history.attach(trainer)
    trainer.train_batches(8)
    assert len(history) > 2
    trainer.edit(surgery.add_neurons, 1, 4, rng=np.random.default_rng(0))
    # As after reset(): the recording starts again from here, of the new shape, the run's points kept.
    assert trainer.history_recorder is history
    assert len(history) == 1 and history[0].batches == 8 and history[0].params.size == trainer.network.params.size
    assert history.points == trainer.history and len(history.points) == 4
    trainer.train_batches(3)
    assert history.batches.tolist() == [8, 9, 10, 11]
    assert all(snapshot.params.size == trainer.network.params.size for snapshot in history)


def test_an_edit_the_run_history_cannot_hold_changes_nothing():
    from nnviz.errors import NnvizError
    from nnviz.model import surgery
    from nnviz.model.history import POINT_BYTES, RunHistory

    trainer = Trainer(TrainConfig(seed=1), *_synthetic(320), history_every=10**9)
    trainer.max_history_points = 1  # none taken in these few batches; the cap need only allow for one
    history = RunHistory(cap_bytes=2 * (3 * trainer.network.params.nbytes + 8 * 320 + 2048)
                         + POINT_BYTES * trainer.max_history_points)  # room for this size only
    history.attach(trainer)
    trainer.train_batches(2)
    network, optimizer, config = trainer.network, trainer.optimizer, trainer.config
    with pytest.raises(NnvizError, match="not changed: the run history is too small for the edited network"):
        trainer.edit(surgery.add_neurons, 1, 50, rng=np.random.default_rng(0))
    assert trainer.network is network and trainer.optimizer is optimizer and trainer.config == config
    assert history.batches.tolist() == [0, 2] and trainer.history_recorder is history
    assert trainer.train_batches(1) == 1 and history.batches.tolist() == [0, 3]


def test_an_edit_that_does_not_fit_the_data_changes_nothing():
    import dataclasses

    from nnviz.model import surgery

    trainer = Trainer(TrainConfig(seed=1), *_synthetic(320))
    result = surgery.remove_neurons(TrainConfig(layers=(784, 16, 11)), np.zeros(784 * 16 + 16 * 11 + 27, np.float32),
                                    {}, 1, [0])
    too_few_classes = dataclasses.replace(result, config=result.config.replace(layers=(784, 15, 9)))
    with pytest.raises(ConfigError, match="the last layer has 9 neurons but the labels go up to 9"):
        trainer.apply_edit(too_few_classes)
    assert trainer.config.layers == (784, 16, 16, 10)
    with pytest.raises(ValueError, match="the edit holds"):
        trainer.apply_edit(dataclasses.replace(result, config=result.config.replace(layers=(784, 15, 10))))
    assert trainer.config.layers == (784, 16, 16, 10) and trainer.network.layer_sizes == [784, 16, 16, 10]
