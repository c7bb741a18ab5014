"""A learnable stand-in for MNIST (a bright stripe per class on digit-sized noise): tests and benchmarks
that need a dataset's sizes and behaviour but not the real files."""

from __future__ import annotations

import types

import numpy as np


def striped_dataset(n_train: int, n_test: int, seed: int = 0) -> types.SimpleNamespace:
    """train/test images (N, 28, 28) uint8 and labels 0-9, and class_names, as a Dataset has them."""
    rng = np.random.default_rng(seed)

    def split(n):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 30, (n, 28, 28)).astype(np.uint8)
        for c in range(10):
            images[labels == c, 2 * c + 3: 2 * c + 6, :] = 255
        return images, labels

    (train_x, train_y), (test_x, test_y) = split(n_train), split(n_test)
    return types.SimpleNamespace(train_images=train_x, train_labels=train_y, test_images=test_x,
                                 test_labels=test_y, class_names=tuple("0123456789"))
