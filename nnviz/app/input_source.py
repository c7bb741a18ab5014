"""Where the digit on show comes from: a blank grid, the test set, and later a drawn digit.

A source hands out one image (H, W) uint8 and its label (None when unknown);
the session runs the network on it and the frame snapshot carries both.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from nnviz.data.digits import normalize_digit
from nnviz.model.network import pixel_input

#: Test images scanned per network call when looking for a wrong answer.
SEARCH_CHUNK = 1000
#: Drawing: canvas pixels per grid pixel; brush radius in grid pixels (MNIST strokes are 2-3 pixels wide
#: after normalisation); brush prints per canvas pixel of mouse travel; the eraser is wider.
CANVAS_SCALE = 4
BRUSH_RADIUS = 1.1
BRUSH_STEP = 1.0
ERASER_SCALE = 2.0


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
            predicted = predict(pixel_input(self.images[chunk].reshape(len(chunk), -1)))
            wrong = np.flatnonzero(predicted != self.labels[chunk])
            if wrong.size:
                self.index = int(chunk[wrong[0]])
                return True
        return False

    def next_of(self, true: int, predicted: int, predict: Callable[[np.ndarray], np.ndarray]) -> bool:
        """Move to the next image labelled `true` that `predict` calls `predicted` (after the one on show,
        wrapping round); False, staying put, if there is none."""
        count = len(self.labels)
        order = (self.index + 1 + np.arange(count)) % count
        candidates = order[self.labels[order] == true]  # only these need the network
        for start in range(0, len(candidates), SEARCH_CHUNK):
            chunk = candidates[start:start + SEARCH_CHUNK]
            # Scaled as the frame scales the image on show: the answer shown is the answer found.
            pixels = pixel_input(self.images[chunk].reshape(len(chunk), -1))
            hits = np.flatnonzero(predict(pixels) == predicted)
            if hits.size:
                self.index = int(chunk[hits[0]])
                return True
        return False


class DrawnDigit:
    """A digit painted with the mouse: strokes of a soft round brush on a canvas finer than the input grid.

    The network sees the ink normalised the way MNIST digits were made (fit
    into 20x20, centred by centre of mass); `ink()` is the canvas as drawn,
    at the grid's resolution, for showing the stroke under the cursor.
    """

    def __init__(self, shape: tuple[int, int]):
        self.shape = shape
        self.canvas = np.zeros((shape[0] * CANVAS_SCALE, shape[1] * CANVAS_SCALE), np.float32)
        self._last: tuple[float, float] | None = None
        self._normalised: np.ndarray | None = None

    def current(self) -> tuple[np.ndarray, None]:
        if self._normalised is None:
            self._normalised = normalize_digit(self.canvas)
        return self._normalised, None

    def ink(self) -> np.ndarray:
        """The canvas averaged down to the grid: (rows, cols) uint8."""
        rows, cols = self.shape
        blocks = self.canvas.reshape(rows, CANVAS_SCALE, cols, CANVAS_SCALE).mean(axis=(1, 3))
        return np.round(blocks * 255).astype(np.uint8)

    def stroke(self, row: float, col: float, erase: bool = False) -> None:
        """Continue the stroke to grid point (row, col) (fractional); end_stroke() lifts the brush."""
        point = ((row + 0.5) * CANVAS_SCALE, (col + 0.5) * CANVAS_SCALE)
        start = self._last or point
        steps = max(1, int(np.hypot(point[0] - start[0], point[1] - start[1]) / BRUSH_STEP))
        for t in np.linspace(0.0, 1.0, steps + 1)[1 if self._last else 0:]:
            self._dab(start[0] + t * (point[0] - start[0]), start[1] + t * (point[1] - start[1]), erase)
        self._last = point
        self._normalised = None

    def end_stroke(self) -> None:
        self._last = None

    def clear(self) -> None:
        self.canvas[:] = 0.0
        self._last = None
        self._normalised = None

    @property
    def empty(self) -> bool:
        return not self.canvas.any()

    def _dab(self, y: float, x: float, erase: bool) -> None:
        """One brush print: a soft disc, like a pen's anti-aliased stroke in MNIST's scans."""
        radius = BRUSH_RADIUS * CANVAS_SCALE * (ERASER_SCALE if erase else 1.0)
        reach = int(np.ceil(radius * 1.6))
        top, left = max(int(y) - reach, 0), max(int(x) - reach, 0)
        bottom, right = min(int(y) + reach + 1, self.canvas.shape[0]), min(int(x) + reach + 1, self.canvas.shape[1])
        if top >= bottom or left >= right:
            return
        yy, xx = np.mgrid[top:bottom, left:right]
        distance = np.hypot(yy + 0.5 - y, xx + 0.5 - x) / radius
        strength = np.clip(1.5 - distance, 0.0, 1.0)  # full inside, a soft edge over half a radius
        patch = self.canvas[top:bottom, left:right]
        if erase:
            patch *= 1.0 - strength
        else:
            np.maximum(patch, strength, out=patch)
