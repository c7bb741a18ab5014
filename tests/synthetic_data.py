"""A small learnable stand-in for MNIST, for tests that need a dataset but not the real one."""

from __future__ import annotations

import types

import numpy as np


def seven() -> np.ndarray:
    """A digit-like "7" as uint8 pixels: no mirror image or rotation of it is close to itself."""
    image = np.zeros((28, 28), np.uint8)
    image[4:8, 6:23] = 255
    for row in range(8, 25):
        column = int(22 - (row - 8) * 0.55)
        image[row, column - 2:column + 1] = 255
    return image


def synthetic_dataset(n_train=640, n_test=200, seed=0):
    """Learnable stripes per class; test image 0 is a seven labelled 7."""
    rng = np.random.default_rng(seed)

    def split(n):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 30, (n, 28, 28)).astype(np.uint8)
        for c in range(10):
            images[labels == c, 2 * c + 3: 2 * c + 6, :] = 255
        return images, labels

    (train_x, train_y), (test_x, test_y) = split(n_train), split(n_test)
    test_x[0], test_y[0] = seven(), 7
    return types.SimpleNamespace(train_images=train_x, train_labels=train_y, test_images=test_x,
                                 test_labels=test_y, class_names=tuple("0123456789"))
