"""Mini-batch training in small bites, so a render loop can interleave frames.

Knows arrays only: images (N, H, W) uint8 and labels (N,) integers. The
training images stay uint8 and are converted to float32 one batch at a time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig, validate
from nnviz.model.network import Network, initialize
from nnviz.model.optimizers import make_optimizer

#: Running loss/accuracy average over roughly this many recent samples.
RUNNING_WINDOW_SAMPLES = 2000
EVAL_CHUNK = 2000


@dataclass(frozen=True)
class HistoryPoint:
    samples_seen: int
    loss: float
    train_accuracy: float
    test_accuracy: float  # NaN where the test set was not evaluated


@dataclass(frozen=True)
class EpochSummary:
    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float


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
    ):
        self.config = validate(config)
        self.network = Network(config.layers, config.activation, config.output)
        self.optimizer = make_optimizer(config.optimizer, self.network.params.size, config.momentum)
        self.history_every = history_every
        self._train_x = self._train_y = self._test_x = self._test_y = None
        self.reset()
        self.set_data(train_images, train_labels, test_images, test_labels)

    # ------------------------------------------------------------------ state
    def set_data(self, train_images, train_labels, test_images=None, test_labels=None) -> None:
        self._train_x = None if train_images is None else _flatten(train_images)
        self._train_y = None if train_labels is None else np.asarray(train_labels, dtype=np.intp)
        self._test_x = None if test_images is None else _flatten(test_images)
        self._test_y = None if test_labels is None else np.asarray(test_labels, dtype=np.intp)
        self._check_batch_size(self.config.batch_size)
        # New data starts a new pass over it, in a random order.
        self.position = 0
        self._shuffle()

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
        self.test_accuracy = math.nan
        self.history: list[HistoryPoint] = []
        self.diverged: str | None = None
        self._epoch_cost_sum = 0.0
        self._epoch_correct = 0
        self._epoch_samples = 0
        self._next_history_at = self.history_every
        self._shuffle()

    def _shuffle(self) -> None:
        # From the identity each time: the order then depends on the seed alone,
        # not on how many epochs ran before (a reset reproduces a fresh start).
        self._order = self.rng.permutation(self.num_train_samples)

    def _check_batch_size(self, batch_size: int) -> None:
        if self.has_data and batch_size > self.num_train_samples:
            raise NnvizError(f"--batch-size {batch_size}: larger than the {self.num_train_samples} training images")

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
        self._check_batch_size(int(value))
        self.config = validate(self.config.replace(batch_size=int(value)))

    def set_weight_decay(self, value: float) -> None:
        self.config = validate(self.config.replace(weight_decay=float(value)))

    def set_activation(self, name: str) -> None:
        self.config = validate(self.config.replace(activation=name))
        self.network.set_activation(name)

    def set_optimizer(self, name: str) -> None:
        self.config = validate(self.config.replace(optimizer=name))
        self.optimizer = make_optimizer(name, self.network.params.size, self.config.momentum)

    def load_parameters(self, params: np.ndarray) -> None:
        """Take over weights (e.g. loaded from a file): optimiser state and progress restart."""
        np.copyto(self.network.params, params)
        self.optimizer.reset()
        self.clear_progress()

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
        if evaluate_test and self._test_x is not None:
            self.test_accuracy = self.evaluate(self._test_x, self._test_y)[1]
        self.history.append(
            HistoryPoint(
                self.samples_seen,
                self.running_loss if loss is None else loss,
                self.running_accuracy if train_accuracy is None else train_accuracy,
                self.test_accuracy,
            )
        )
        self._next_history_at = self.samples_seen + self.history_every

    def _check_parameters(self) -> None:
        if self.diverged is None and not np.isfinite(self.network.params).all():
            self._diverge("the weights became NaN or infinite")

    def _diverge(self, what: str) -> None:
        self.diverged = (
            f"training stopped: {what} at epoch {self.epoch + 1}, batch {self.batch_in_epoch + 1} "
            f"(learning rate {self.config.learning_rate:g} is probably too high); reset the network to go on"
        )

    # ------------------------------------------------------------- evaluation
    def evaluate(self, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
        """(mean cost, accuracy) over a whole set, in vectorized chunks."""
        flat = _flatten(images)
        labels = np.asarray(labels, dtype=np.intp)
        cost_sum, correct = 0.0, 0
        for start in range(0, len(flat), EVAL_CHUNK):
            x = flat[start : start + EVAL_CHUNK].astype(np.float32) * np.float32(1.0 / 255.0)
            y = labels[start : start + EVAL_CHUNK]
            output = self.network.forward(x)[-1]
            cost_sum += self.network.output.cost(output, y) * len(y)
            correct += int(np.count_nonzero(output.argmax(axis=1) == y))
        return cost_sum / len(flat), correct / len(flat)

    def evaluate_test(self) -> float:
        if self._test_x is None:
            return math.nan
        self.test_accuracy = self.evaluate(self._test_x, self._test_y)[1]
        return self.test_accuracy

    def activations_for(self, image: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations for one image (H, W) uint8, for display."""
        return self.network.forward(image.reshape(-1).astype(np.float32) * np.float32(1.0 / 255.0))
