"""Where the digit on show comes from: a blank grid, the test set, and later a drawn digit.

A source hands out one image (H, W) uint8 and its label (None when unknown);
the session runs the network on it and the frame snapshot carries both.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

#: Test images scanned per network call when looking for a wrong answer.
SEARCH_CHUNK = 1000


class InputSource(Protocol):
    def current(self) -> tuple[np.ndarray, int | None]: ...


class BlankInput:
    """An all-dark image: what shows before any data is loaded."""

    def __init__(self, shape: tuple[int, int]):
        self._image = np.zeros(shape, np.uint8)
        self._image.flags.writeable = False

    def current(self) -> tuple[np.ndarray, None]:
        return self._image, None


class TestSetInput:
    """One image of a labelled set at a time, stepped through in order."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, index: int = 0):
        self.images, self.labels = images, labels
        self.index = index % len(labels)

    def current(self) -> tuple[np.ndarray, int]:
        return self.images[self.index], int(self.labels[self.index])

    def next(self) -> None:
        self.index = (self.index + 1) % len(self.labels)

    def next_wrong(self, predict: Callable[[np.ndarray], np.ndarray]) -> bool:
        """Move to the next image `predict` (flat pixels in [0, 1] -> classes) gets wrong; False if none."""
        count = len(self.labels)
        order = (self.index + 1 + np.arange(count)) % count
        for start in range(0, count, SEARCH_CHUNK):
            chunk = order[start:start + SEARCH_CHUNK]
            predicted = predict(self.images[chunk].reshape(len(chunk), -1) / 255.0)
            wrong = np.flatnonzero(predicted != self.labels[chunk])
            if wrong.size:
                self.index = int(chunk[wrong[0]])
                return True
        return False
