"""Test-set passes computed a slice at a time across frames: the confusion matrix, and the history points' accuracy.

Evaluating a whole test set costs tens of milliseconds: done in one frame it
would show as a hitch. ConfusionTracker spreads a pass over as many frames as
it needs, a few milliseconds each, and keeps showing the last finished matrix
meanwhile. A pass starts when the network on show differs from the one the
matrix was made for: at once for a moment picked by hand (a step, a snapshot,
a load), at most every REFRESH_SECONDS while training or a replay keeps
changing it.

AccuracyTracker does the same with the same passes for the test accuracy of
the training's history points, which the trainer then leaves to it (see
Trainer.deferred_test), sizing each frame's slice by the training that frame
did, so its passes keep up with the points.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnviz.model.network import Network, pixel_input
from nnviz.model.trainer import HistoryPoint, Trainer

#: While the network changes every frame (training, replay), a new pass starts at most this often.
REFRESH_SECONDS = 2.0
#: Wall time a frame may spend on the matrix (at least one chunk is evaluated).
SLICE_SECONDS = 0.003
#: Test images per network call.
CHUNK = 250
#: AccuracyTracker: test images per sample trained, relative to the test set's size per history_every samples.
#: Above 1, so a pass finishes (at 1/KEEP_UP of the way) before the next history point is due.
KEEP_UP = 1.25
#: AccuracyTracker: passes that may wait behind the running one; beyond, the oldest waiting is dropped.
MAX_WAITING = 2


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """(classes, classes) int64 counts: row t, column p counts the images of class t predicted as p."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    return np.bincount(true * classes + predicted, minlength=classes * classes).reshape(classes, classes)


@dataclass(frozen=True, eq=False)
class Confusion:
    """A finished matrix and the moment it belongs to."""

    counts: np.ndarray  # (classes, classes) int64, rows true, columns predicted
    moment: tuple[bool, int]  # the network the pass began with: (live, batches trained)


class _Pass:
    """One evaluation of the test set with a frozen copy of a network's parameters."""

    def __init__(self, network: Network, labels: np.ndarray, moment: tuple[bool, int]):
        self.network = Network(network.layer_sizes, network.activation.name, network.output.name,
                               layer_activations=network.layer_activations)
        np.copyto(self.network.params, network.params)
        self.labels = labels
        self.moment = moment
        self.done = 0
        self.predicted = np.empty(len(labels), np.int64)

    def same_network(self, network: Network, labels: np.ndarray) -> bool:
        mine = self.network
        return (labels is self.labels and mine.layer_sizes == network.layer_sizes
                and [a.name for a in mine.activations] == [a.name for a in network.activations]
                and np.array_equal(mine.params, network.params))

    def step(self, images: np.ndarray, count: int) -> None:
        chunk = slice(self.done, min(self.done + count, len(self.labels)))
        pixels = pixel_input(images[chunk].reshape(chunk.stop - chunk.start, -1))
        self.predicted[chunk] = self.network.predict(pixels)
        self.done = chunk.stop

    @property
    def finished(self) -> bool:
        return self.done >= len(self.labels)


class ConfusionTracker:
    def __init__(self, clock: Callable[[], float], refresh_seconds: float = REFRESH_SECONDS,
                 slice_seconds: float = SLICE_SECONDS, chunk: int = CHUNK):
        self.result: Confusion | None = None
        self._clock = clock
        self.refresh_seconds = refresh_seconds
        self.slice_seconds = slice_seconds
        self.chunk = chunk
        self._pass: _Pass | None = None  # in progress
        self._finished: _Pass | None = None  # what `result` was made from
        self._started_at = -math.inf

    @property
    def progress(self) -> float | None:
        """How far the pass in progress is (0..1); None when there is none."""
        if self._pass is None:
            return None
        return self._pass.done / max(len(self._pass.labels), 1)

    @property
    def current(self) -> bool:
        """The finished matrix is the network's that update() was last given (no pass pending)."""
        return self.result is not None and self._pass is None

    def clear(self) -> None:
        self.result, self._pass, self._finished = None, None, None

    def update(self, network: Network, images: np.ndarray, labels: np.ndarray, moment: tuple[bool, int],
               changing: bool) -> None:
        """Evaluate up to a slice's worth of the test set for `network` (the network on show).

        changing: the network changes every frame (training, replaying): passes
        run to the end and start at most refresh_seconds apart. Otherwise a
        pass for a network no longer on show is dropped for a new one at once.
        """
        now = self._clock()
        running = self._pass
        if running is not None and not changing and not running.same_network(network, labels):
            running = self._pass = None
        if running is None:
            finished = self._finished
            if finished is not None and finished.same_network(network, labels):
                if self.result.moment != moment:  # the same weights at another moment (the latest snapshot)
                    self.result = Confusion(self.result.counts, moment)
                return  # up to date
            if changing and self.result is not None and now - self._started_at < self.refresh_seconds:
                return
            running = self._pass = _Pass(network, labels, moment)
            self._started_at = now
        deadline = now + self.slice_seconds
        while True:
            running.step(images, self.chunk)
            if running.finished:
                classes = running.network.layer_sizes[-1]
                self.result = Confusion(confusion_matrix(labels, running.predicted, classes), running.moment)
                self.result.counts.flags.writeable = False
                self._finished, self._pass = running, None
                return
            if self._clock() >= deadline:
                return


@dataclass(eq=False)
class _PointPass:
    evaluation: _Pass
    images: np.ndarray
    point: HistoryPoint
    token: int  # Trainer.deferred_test's, for fill_test_accuracy


class AccuracyTracker:
    """The test accuracy of a trainer's history points, evaluated a slice per frame instead of inside a step.

    Made for a trainer, it takes over the trainer's test evaluations at
    history points (Trainer.deferred_test): each point is recorded with a
    NaN test accuracy, and a pass over the test set starts with a copy of
    the parameters of that moment. work(), once a frame, evaluates a slice;
    a finished pass fills the point's test accuracy and the trainer's
    (Trainer.fill_test_accuracy, which keeps a newer measurement).

    A frame's slice is proportional to what the frame trained: KEEP_UP x
    (test images per history_every samples) x samples trained, so that the
    evaluating keeps pace with the points as it did inline (the same work
    in total), spread evenly over the frames instead of one frame paying a
    whole test set. At least one CHUNK while a pass is pending, so a pass
    also finishes while training is paused. Passes run in the order of
    their points; a pass whose point has left the trainer's history (a
    reset, a load, a restore to before it) is dropped.
    """

    def __init__(self, trainer: Trainer, chunk: int = CHUNK, keep_up: float = KEEP_UP,
                 max_waiting: int = MAX_WAITING):
        self.trainer = trainer
        self.chunk = chunk
        self.keep_up = keep_up
        self.max_waiting = max_waiting
        self._passes: deque[_PointPass] = deque()
        trainer.deferred_test = self._start

    def _start(self, point: HistoryPoint, token: int) -> None:
        """Called by the trainer inside a training step: copies the parameters (a pass holds its own network)."""
        images, labels = self.trainer.test_set
        self._passes.append(_PointPass(_Pass(self.trainer.network, labels, (True, point.samples_seen)),
                                       images, point, token))
        while len(self._passes) > 1 + self.max_waiting:  # fell behind: the oldest waiting point keeps NaN
            del self._passes[1]

    @property
    def pending(self) -> int:
        """Passes started and not finished."""
        return len(self._passes)

    def images_for(self, trained_samples: int) -> int:
        """The slice a frame that trained ``trained_samples`` evaluates (0 when nothing is pending)."""
        if not self._passes:
            return 0
        test_images = len(self._passes[0].evaluation.labels)
        share = self.keep_up * test_images / max(self.trainer.history_every, 1)
        return max(self.chunk, math.ceil(share * trained_samples))

    def work(self, trained_samples: int) -> int:
        """Evaluate this frame's slice (see images_for); return how many test images it took."""
        budget = self.images_for(trained_samples)
        done = 0
        while self._passes and done < budget:
            running = self._passes[0]
            if not _holds(self.trainer.history, running.point):  # a run that is gone: nobody shows the point
                self._passes.popleft()
                continue
            evaluation = running.evaluation
            before = evaluation.done
            evaluation.step(running.images, min(self.chunk, budget - done))
            done += evaluation.done - before
            if evaluation.finished:
                self._passes.popleft()
                correct = np.count_nonzero(evaluation.predicted == evaluation.labels)
                self.trainer.fill_test_accuracy(running.point, correct / max(len(evaluation.labels), 1),
                                                running.token)
        return done

    def finish(self) -> int:
        """Evaluate what is pending now, in one go (for a user's action that reports the accuracy at once)."""
        done = 0
        while self._passes:  # each work() drops, advances or finishes the first pass
            done += self.work(0)
        return done

    def clear(self) -> None:
        self._passes.clear()


def _holds(history: list[HistoryPoint], point: HistoryPoint) -> bool:
    """Whether ``point`` itself (not an equal one) is in ``history``; it is usually among the last."""
    return any(p is point for p in reversed(history))
