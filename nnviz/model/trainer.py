"""Mini-batch training in small bites, so a render loop can interleave frames.

Knows arrays only: images (N, H, W) uint8 and labels (N,) integers. The
training images stay uint8 and are converted to float32 one batch at a time.
"""

from __future__ import annotations

import copy
import itertools
import math
import time
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

import numpy as np

from nnviz.errors import ConfigError, NnvizError
from nnviz.model.config import TrainConfig, check_input_size, format_layers, network_for, validate
from nnviz.model.network import initialize, pixel_input
from nnviz.model.optimizers import Momentum, OptimizerState, make_optimizer

#: Running loss/accuracy average over roughly this many recent samples.
RUNNING_WINDOW_SAMPLES = 2000
EVAL_CHUNK = 2000
#: The most loss/accuracy points a run keeps: one more, and the older half is thinned (thin_points). A long
#: run at full speed adds several a second; this keeps its memory flat, and the HUD's per-frame work over
#: them (about a millisecond at the bound), while the curve still spans the whole run.
MAX_HISTORY_POINTS = 10_000


@dataclass(frozen=True)
class HistoryPoint:
    """Loss and accuracy at one moment of a run.

    A trainer that defers its test-set evaluations (Trainer.deferred_test)
    records the point with a NaN test accuracy and fills it in once, later
    (Trainer.fill_test_accuracy): in place, since the trainer's history, the
    states taken with its points and a RunHistory all hold this very object.
    """

    samples_seen: int
    loss: float
    train_accuracy: float
    test_accuracy: float  # NaN where the test set was not evaluated (or not yet)


@dataclass(frozen=True)
class EpochSummary:
    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float


@dataclass(frozen=True, eq=False)  # field-wise == would compare whole arrays
class TrainerState:
    """Everything training depends on, at one moment: Trainer.restore() of it continues exactly.

    Made by Trainer.snapshot(). The arrays are read-only, so training on
    after the snapshot never changes it: copies, except ``order``, which the
    trainer replaces at each shuffle instead of writing into, so every state
    of one epoch shares it (a run history keeps hundreds of states). The data
    is not part of it: a state is restored into a trainer holding the same
    training set.
    """

    config: TrainConfig
    params: np.ndarray
    optimizer_state: OptimizerState  # of the optimiser config.optimizer names
    epoch: int
    batches_trained: int
    samples_seen: int
    position: int
    order: np.ndarray  # this epoch's shuffled sample order, shared with the trainer until its next shuffle
    rng_state: dict  # the generator's bit_generator.state
    running_loss: float
    running_accuracy: float
    test_accuracy: float
    epoch_cost_sum: float
    epoch_correct: int
    epoch_samples: int
    # The loss/accuracy points so far; None when the state's run history keeps them (RunHistory.state_at):
    # hundreds of states, each holding the points of its day, kept up to 10,000 thinned-away points alive each.
    history: tuple[HistoryPoint, ...] | None
    next_history_at: int
    diverged: str | None


def _frozen_copy(value):
    if isinstance(value, np.ndarray):
        value = value.copy()
    return _frozen(value)


def _frozen(value):
    """Read-only, for an array nothing else holds (such as Optimizer.state()'s copies): no second copy."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    return value


def thin_points(points: list) -> None:
    """Drop every other point of the older half, in place: the first point and the newer half stay.

    Thinned again and again, a run's early stretch ends up sparse and its recent one dense."""
    del points[1:len(points) // 2:2]


def _flatten(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


class Trainer:
    def __init__(
        self,
        config: TrainConfig,
        train_images: np.ndarray | None = None,
        train_labels: np.ndarray | None = None,
        test_images: np.ndarray | None = None,
        test_labels: np.ndarray | None = None,
        history_every: int = 10_000,
        deferred_test: Callable[[HistoryPoint, int], None] | None = None,
    ):
        self.config = validate(config)
        self.network = network_for(config)
        self.optimizer = make_optimizer(config.optimizer, self.network.params.size, config.momentum)
        self.history_every = history_every
        self.max_history_points = MAX_HISTORY_POINTS  # points beyond are thinned (thin_points)
        #: None: each history point (every history_every samples, and each epoch's end) evaluates the test
        #: set on the spot, inside that training step (nnviz train prints it per epoch). Else a function
        #: called instead with each such point, its test accuracy NaN, and a token, while the network still
        #: holds the parameters the point belongs to: it evaluates them later (the window: a slice of the
        #: test set per frame, nnviz.app.confusion.AccuracyTracker) and hands the result and the token to
        #: fill_test_accuracy. Called from inside training: it should copy the parameters, not evaluate.
        self.deferred_test = deferred_test
        self._tokens = itertools.count(1)  # orders measurements: see fill_test_accuracy
        self._test_token = 0  # the token of the measurement test_accuracy holds
        #: A RunHistory (nnviz.model.history) or None: told after every step, and restarted with a new run.
        self.history_recorder = None
        self._train_x = self._train_y = self._test_x = self._test_y = None
        self.reset()
        self.set_data(train_images, train_labels, test_images, test_labels)

    # ------------------------------------------------------------------ state
    def set_data(self, train_images, train_labels, test_images=None, test_labels=None) -> None:
        """Train on these arrays from now on; ConfigError (and nothing changes) if the network does not fit them."""
        for images, labels in ((train_images, train_labels), (test_images, test_labels)):
            self._check_fits(self.config, images, labels)
        if train_images is not None:
            self._check_batch_size(self.config.batch_size, len(train_images))
        self._train_x = None if train_images is None else _flatten(train_images)
        self._train_y = None if train_labels is None else np.asarray(train_labels, dtype=np.intp)
        self._test_x = None if test_images is None else _flatten(test_images)
        self._test_y = None if test_labels is None else np.asarray(test_labels, dtype=np.intp)
        # New data starts a new pass over it, in a random order.
        self.position = 0
        self._shuffle()

    @staticmethod
    def _check_fits(config: TrainConfig, images, labels) -> None:
        """One input neuron per pixel, and an output neuron for every label."""
        if images is not None:
            shape = images.shape[1:]
            check_input_size(config, math.prod(shape), "x".join(str(n) for n in shape) + " pixels")
        if labels is not None and len(labels):
            classes, largest = config.layers[-1], int(np.max(labels))
            if largest >= classes:
                raise ConfigError("layers", format_layers(config.layers),
                                  f"the last layer has {classes} neurons but the labels go up to {largest} "
                                  "(it needs one per class)")

    @property
    def has_data(self) -> bool:
        return self._train_x is not None

    @property
    def num_train_samples(self) -> int:
        return 0 if self._train_x is None else len(self._train_x)

    def reset(self, seed: int | None = None) -> None:
        """Fresh random weights (from the seed) and zeroed counters and history."""
        if seed is not None:
            self.config = self.config.replace(seed=seed)
        self.rng = np.random.default_rng(self.config.seed)
        initialize(self.network, self.config.init, self.rng)
        self.optimizer.reset()
        self.clear_progress()

    def clear_progress(self) -> None:
        """Start counting a new run from the current weights: epochs, history, running averages."""
        self.epoch = 0
        self.batches_trained = 0
        self.samples_seen = 0
        self.position = 0  # samples of the current epoch already used
        self.running_loss = math.nan
        self.running_accuracy = math.nan
        self._set_test_accuracy(math.nan)
        self.history: list[HistoryPoint] = []  # at most max_history_points: older ones are thinned
        self.diverged: str | None = None
        self._epoch_cost_sum = 0.0
        self._epoch_correct = 0
        self._epoch_samples = 0
        self._next_history_at = self.history_every
        self._shuffle()
        if self.history_recorder is not None:
            self.history_recorder.attach(self)  # a new run: what was recorded belongs to the old one

    def _shuffle(self) -> None:
        # From the identity each time: the order then depends on the seed alone,
        # not on how many epochs ran before (a reset reproduces a fresh start).
        order = self.rng.permutation(self.num_train_samples)
        order.flags.writeable = False  # replaced, never written into: snapshots share it (see TrainerState)
        self._order = order

    @staticmethod
    def _check_batch_size(batch_size: int, num_samples: int) -> None:
        if batch_size > num_samples:
            raise ConfigError("batch_size", batch_size, f"larger than the {num_samples} training images")

    @property
    def batches_per_epoch(self) -> int:
        # The last incomplete batch of each (reshuffled) epoch is dropped, so
        # every step has the same batch size and reuses the same buffers.
        return self.num_train_samples // self.config.batch_size

    @property
    def batch_in_epoch(self) -> int:
        return self.position // self.config.batch_size

    # -------------------------------------------------- hyperparameters, live
    def set_learning_rate(self, value: float) -> None:
        self.config = validate(self.config.replace(learning_rate=float(value)))

    def set_batch_size(self, value: int) -> None:
        if self.has_data:
            self._check_batch_size(int(value), self.num_train_samples)
        self.config = validate(self.config.replace(batch_size=int(value)))

    def set_momentum(self, value: float) -> None:
        """Live: a momentum optimiser keeps its velocity and decays it by the new factor from the next step."""
        self.config = validate(self.config.replace(momentum=float(value)))
        if isinstance(self.optimizer, Momentum):
            self.optimizer.momentum = self.config.momentum

    def set_weight_decay(self, value: float) -> None:
        self.config = validate(self.config.replace(weight_decay=float(value)))

    def set_activation(self, name: str) -> None:
        """Every hidden layer's activation (per-layer choices are forgotten); the weights are kept."""
        self.set_activations(name)

    def set_activations(self, activation: str, layer_activations: tuple[str, ...] = ()) -> None:
        """As a config has them (e.g. a loaded file's): ``activation``, or one per hidden layer."""
        config = validate(self.config.replace(activation=activation, layer_activations=tuple(layer_activations)))
        self.config = config.with_hidden_activations(config.hidden_activations())
        self.network.set_activations(activation, layer_activations)

    def set_layer_activation(self, hidden_layer: int, name: str) -> None:
        """Hidden layer ``hidden_layer``'s activation (counted from 1, as the HUD names them); weights kept."""
        names = list(self.config.hidden_activations())
        if not 1 <= hidden_layer <= len(names):
            which = f"the hidden layers are 1 to {len(names)}" if names else "this network has none"
            raise ConfigError("layer_activations", name, f"no hidden layer {hidden_layer}: {which}")
        names[hidden_layer - 1] = name
        self.config = validate(self.config.with_hidden_activations(names))
        self.network.set_layer_activation(hidden_layer, name)

    def set_optimizer(self, name: str) -> str:
        """Switch optimiser, live; returns what became of the optimiser's state, for the user."""
        config = validate(self.config.replace(optimizer=name))
        previous = self.optimizer.name
        self.config = config
        if name == previous:
            return f"optimizer {name}: unchanged, its state kept"
        # Another kind's state means nothing to this one (Adam's moments are not a velocity).
        self.optimizer = make_optimizer(name, self.network.params.size, config.momentum)
        return f"optimizer {name} (was {previous}): {self.optimizer.fresh_start}"

    def load_parameters(self, params: np.ndarray) -> None:
        """Take over weights (e.g. loaded from a file): optimiser state and progress restart."""
        np.copyto(self.network.params, params)
        self.optimizer.reset()
        self.clear_progress()

    # ----------------------------------------------------- architecture edits
    def edit(self, function, *arguments, **options):
        """Apply ``function`` of nnviz.model.surgery to this network, e.g. ``trainer.edit(add_neurons, 1, 4, rng=rng)``.

        Returns its EditResult (the message, the neuron map).
        """
        result = function(self.config, self.network.params, self.optimizer.state(), *arguments, **options)
        self.apply_edit(result)
        return result

    def apply_edit(self, result) -> None:
        """Train on with an edited network (an EditResult of nnviz.model.surgery, made from this trainer's).

        The edit's layers and activations replace these; the hyperparameters
        are the trainer's own (they may have changed since). Progress stays
        (epoch, position, samples and batches, running averages, the history
        of points, a divergence: an edit does not cure one); the test accuracy
        is measured again. A run history recording this trainer starts a new
        run from here, as after reset(), since its snapshots hold parameters
        of the old shape. Nothing changes if the data does not fit the new
        network (ConfigError), the parameters or optimiser state do not fit it
        (ValueError), or the run history's cap cannot hold it (NnvizError).
        """
        config = validate(self.config.replace(layers=tuple(result.config.layers), activation=result.config.activation,
                                              layer_activations=tuple(result.config.layer_activations)))
        for x, y in ((self._train_x, self._train_y), (self._test_x, self._test_y)):
            self._check_fits(config, x, y)
        network = network_for(config)
        if np.shape(result.params) != network.params.shape:
            raise ValueError(f"the edit holds {np.size(result.params)} parameters, "
                             f"layers {format_layers(config.layers)} have {network.params.size}")
        np.copyto(network.params, result.params)
        optimizer = make_optimizer(config.optimizer, network.params.size, config.momentum)
        optimizer.load_state(result.optimizer_state)
        before = (self.config, self.network, self.optimizer, self.test_accuracy, self._test_token)
        self.config, self.network, self.optimizer = config, network, optimizer
        self.evaluate_test()
        if self.history_recorder is not None:
            try:
                self.history_recorder.attach(self)  # a new run: its snapshots so far are of the old shape
            except ValueError as error:  # the cap cannot hold two snapshots of the grown network
                self.config, self.network, self.optimizer, self.test_accuracy, self._test_token = before
                raise NnvizError(f"not changed: the run history is too small for the edited network ({error})") \
                    from None

    # --------------------------------------------------------------- training
    def train_batches(self, count: int) -> int:
        """Train ``count`` mini-batches (fewer if training stops); return how many ran."""
        return self._train_while(lambda done: done < count)

    def train_for(self, seconds: float, max_batches: int | None = None) -> int:
        """Train until ``seconds`` have passed (at least one batch); return how many ran."""
        deadline = time.perf_counter() + seconds
        limit = math.inf if max_batches is None else max_batches
        return self._train_while(lambda done: done < limit and (done == 0 or time.perf_counter() < deadline))

    def train_epoch(self) -> EpochSummary:
        """Finish the current epoch."""
        start = time.perf_counter()
        epoch = self.epoch
        self._train_while(lambda done: self.epoch == epoch)
        return self.last_epoch_summary(time.perf_counter() - start)

    def _train_while(self, keep_going) -> int:
        done = 0
        # A diverging network makes overflows and NaNs; they are detected, not warned about.
        with np.errstate(all="ignore"):
            while keep_going(done) and self._step():
                done += 1
        self._check_parameters()
        return done

    def last_epoch_summary(self, seconds: float = math.nan) -> EpochSummary:
        point = self.history[-1] if self.history else HistoryPoint(0, math.nan, math.nan, math.nan)
        return EpochSummary(self.epoch, point.loss, point.train_accuracy, point.test_accuracy, seconds)

    def _step(self) -> bool:
        if self.diverged is not None or not self.has_data or self.batches_per_epoch == 0:
            return False
        batch_size = self.config.batch_size
        if self.position + batch_size > self.num_train_samples:
            self._end_epoch()  # the batch size grew mid-epoch: what is left would not fill a batch
        network = self.network
        indices = self._order[self.position : self.position + batch_size]
        network.load_pixel_batch(self._train_x, indices)
        labels = self._train_y[indices]
        cost, correct = network.compute_gradients(labels, self.config.weight_decay)
        if not math.isfinite(cost):
            self._diverge(f"the loss became {cost}")
            return False
        self.optimizer.step(network.params, network.grads, self.config.learning_rate)

        self.batches_trained += 1
        self.samples_seen += batch_size
        self.position += batch_size
        self._epoch_cost_sum += cost * batch_size
        self._epoch_correct += correct
        self._epoch_samples += batch_size
        self._update_running(cost, correct / batch_size, batch_size)
        if self.position + batch_size > self.num_train_samples:
            self._end_epoch()
        elif self.samples_seen >= self._next_history_at:
            self._record(evaluate_test=True)
        recorder = self.history_recorder
        if recorder is not None:
            recorder.after_step(self)
        return True

    def _update_running(self, cost: float, accuracy: float, batch_size: int) -> None:
        if math.isnan(self.running_loss):
            self.running_loss, self.running_accuracy = cost, accuracy
            return
        weight = 1.0 - math.exp(-batch_size / RUNNING_WINDOW_SAMPLES)
        self.running_loss += weight * (cost - self.running_loss)
        self.running_accuracy += weight * (accuracy - self.running_accuracy)

    def _end_epoch(self) -> None:
        self.epoch += 1
        self.position = 0
        self._shuffle()
        epoch_loss = self._epoch_cost_sum / max(self._epoch_samples, 1)
        epoch_accuracy = self._epoch_correct / max(self._epoch_samples, 1)
        self._epoch_cost_sum, self._epoch_correct, self._epoch_samples = 0.0, 0, 0
        self._record(evaluate_test=True, loss=epoch_loss, train_accuracy=epoch_accuracy)

    def _record(self, evaluate_test: bool, loss: float | None = None, train_accuracy: float | None = None) -> None:
        evaluate_test = evaluate_test and self._test_x is not None
        deferred = evaluate_test and self.deferred_test is not None
        if evaluate_test and not deferred:
            self._set_test_accuracy(self.evaluate(self._test_x, self._test_y)[1])
        point = HistoryPoint(
            self.samples_seen,
            self.running_loss if loss is None else loss,
            self.running_accuracy if train_accuracy is None else train_accuracy,
            math.nan if deferred else self.test_accuracy,
        )
        self.history.append(point)
        if len(self.history) > self.max_history_points:
            thin_points(self.history)
        self._next_history_at = self.samples_seen + self.history_every
        if deferred:
            self.deferred_test(point, next(self._tokens))

    def _set_test_accuracy(self, value: float) -> None:
        """What test_accuracy holds from now (measured, restored, or NaN): older deferred results no longer replace it."""
        self.test_accuracy = value
        self._test_token = next(self._tokens)

    def fill_test_accuracy(self, point: HistoryPoint, accuracy: float, token: int) -> None:
        """A deferred evaluation (see deferred_test) finished: ``accuracy`` is that of the parameters ``point`` had.

        The point takes it (once: a point with a test accuracy keeps it),
        wherever it is held. test_accuracy takes it too unless it holds a
        newer measurement: evaluate_test() or an edit since the point was
        recorded, a restore or a new run, or a later point's result.
        """
        if math.isnan(point.test_accuracy):
            object.__setattr__(point, "test_accuracy", float(accuracy))  # the one field ever filled in later
        if token > self._test_token:
            self.test_accuracy, self._test_token = float(accuracy), token

    def _check_parameters(self) -> None:
        if self.diverged is None and not np.isfinite(self.network.params).all():
            self._diverge("the weights became NaN or infinite")

    def _diverge(self, what: str) -> None:
        self.diverged = (
            f"training stopped: {what} at epoch {self.epoch + 1}, batch {self.batch_in_epoch + 1} "
            f"(learning rate {self.config.learning_rate:g} is probably too high)"
        )

    # -------------------------------------------------------- snapshot, restore
    def snapshot(self, points: bool = True) -> TrainerState:
        """Everything needed to continue training exactly from here (see restore).

        ``points=False`` leaves out the loss/accuracy points (history None),
        for a holder that keeps the run's points itself and puts them back
        before the state is restored (RunHistory.state_at).
        """
        return TrainerState(
            config=self.config.replace(),
            params=_frozen_copy(self.network.params),
            optimizer_state=MappingProxyType({k: _frozen(v) for k, v in self.optimizer.state().items()}),
            epoch=self.epoch,
            batches_trained=self.batches_trained,
            samples_seen=self.samples_seen,
            position=self.position,
            order=self._order,  # read-only already; shared by this epoch's snapshots
            # A new dict each read, so no copy: deepcopy tripled the cost of a snapshot (a run history takes hundreds).
            rng_state=self.rng.bit_generator.state,
            running_loss=self.running_loss,
            running_accuracy=self.running_accuracy,
            test_accuracy=self.test_accuracy,
            epoch_cost_sum=self._epoch_cost_sum,
            epoch_correct=self._epoch_correct,
            epoch_samples=self._epoch_samples,
            history=tuple(self.history) if points else None,
            next_history_at=self._next_history_at,
            diverged=self.diverged,
        )

    def restore(self, state: TrainerState) -> None:
        """Go back to ``state``: training on gives the very weights training on from the snapshot gave.

        ValueError, leaving the trainer as it was, if the state belongs to
        another network or another training set, or was taken without its
        points (snapshot(points=False)).
        """
        optimizer = self._check_restorable(state)
        self.config = state.config.replace()
        self.network.set_activations(state.config.activation, state.config.layer_activations)
        np.copyto(self.network.params, state.params)
        self.optimizer = optimizer
        self.epoch = state.epoch
        self.batches_trained = state.batches_trained
        self.samples_seen = state.samples_seen
        self.position = state.position
        self._order = state.order  # read-only: shared, not copied
        self.rng.bit_generator.state = copy.deepcopy(state.rng_state)
        self.running_loss = state.running_loss
        self.running_accuracy = state.running_accuracy
        self._set_test_accuracy(state.test_accuracy)
        self._epoch_cost_sum = state.epoch_cost_sum
        self._epoch_correct = state.epoch_correct
        self._epoch_samples = state.epoch_samples
        self.history = list(state.history)
        self._next_history_at = state.next_history_at
        self.diverged = state.diverged

    def _check_restorable(self, state: TrainerState):
        """The optimiser the state's config names, holding its state: made before anything changes."""
        network = self.network
        if state.history is None:
            raise ValueError("the state was taken without its loss/accuracy points: restore its run history's "
                             "state_at(index)")
        if list(state.config.layers) != network.layer_sizes or state.config.output != network.output.name:
            raise ValueError(f"the state is of a {format_layers(state.config.layers)} {state.config.output} network, "
                             f"this is a {format_layers(network.layer_sizes)} {network.output.name} one")
        if state.params.shape != network.params.shape:
            raise ValueError(f"the state holds {state.params.size} parameters, the network has {network.params.size}")
        if len(state.order) != self.num_train_samples:
            raise ValueError(f"the state was taken with {len(state.order)} training images, "
                             f"this trainer has {self.num_train_samples}")
        optimizer = make_optimizer(state.config.optimizer, network.params.size, state.config.momentum)
        optimizer.load_state(state.optimizer_state)
        return optimizer

    # ------------------------------------------------------------- evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(mean cost, accuracy) over a whole set, in vectorized chunks."""
        flat = _flatten(images)
        labels = np.asarray(labels, dtype=np.intp)
        cost_sum, correct = 0.0, 0
        for start in range(0, len(flat), EVAL_CHUNK):
            x = pixel_input(flat[start : start + EVAL_CHUNK])
            y = labels[start : start + EVAL_CHUNK]
            output = self.network.forward(x)[-1]
            cost_sum += self.network.output.cost(output, y) * len(y)
            correct += int(np.count_nonzero(output.argmax(axis=1) == y))
        return cost_sum / len(flat), correct / len(flat)

    def evaluate_test(self) -> float:
        if self._test_x is None:
            return math.nan
        self._set_test_accuracy(self.evaluate(self._test_x, self._test_y)[1])
        return self.test_accuracy

    @property
    def test_set(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(images flattened to (N, pixels) uint8, labels) of the test set, or None: for evaluating elsewhere."""
        return None if self._test_x is None else (self._test_x, self._test_y)

    def activations_for(self, image: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations for one image (H, W) uint8, for display."""
        return self.network.forward(pixel_input(image.reshape(-1)))
