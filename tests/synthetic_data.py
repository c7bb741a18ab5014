"""A small learnable stand-in for MNIST, for tests that need a dataset but not the real one."""

from __future__ import annotations

import numpy as np

from nnviz.testing.synthetic_data import striped_dataset


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
    data = striped_dataset(n_train, n_test, seed)
    data.test_images[0], data.test_labels[0] = seven(), 7
    return data
