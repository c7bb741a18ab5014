"""The test set's confusion matrix for the network on show, computed a slice at a time across frames.

Evaluating a whole test set costs tens of milliseconds: done in one frame it
would show as a hitch. ConfusionTracker spreads a pass over as many frames as
it needs, a few milliseconds each, and keeps showing the last finished matrix
meanwhile. A pass starts when the network on show differs from the one the
matrix was made for: at once for a moment picked by hand (a step, a snapshot,
a load), at most every REFRESH_SECONDS while training or a replay keeps
changing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from nnviz.model.network import Network

#: While the network changes every frame (training, replay), a new pass starts at most this often.
REFRESH_SECONDS = 2.0
#: Wall time a frame may spend on the matrix (at least one chunk is evaluated).
SLICE_SECONDS = 0.003
#: Test images per network call.
CHUNK = 250


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
        pixels = images[chunk].reshape(chunk.stop - chunk.start, -1).astype(np.float32) * np.float32(1.0 / 255.0)
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
