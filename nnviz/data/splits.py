"""What every dataset format reader hands back, and the checks they share."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnviz.errors import NnvizError

#: The share of a dataset without a test set of its own (a CSV file's rows, an image folder's pictures of
#: each class) that is held out as the test set: the last ones, so that the split is always the same.
HELD_OUT_PERCENT = 10


class Splits(NamedTuple):
    """A training and a test set: (n, 28, 28) uint8 images, (n,) uint8 labels."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def check_labels(labels: np.ndarray, class_count: int, where: str, unit: str, first: int = 0) -> None:
    """Every label below ``class_count``, else an NnvizError naming ``where`` and the first bad ``unit``
    (its number counted from ``first``)."""
    bad = np.flatnonzero(labels >= class_count)
    if bad.size:
        at = int(bad[0])
        raise NnvizError(f"{where}: {unit} {first + at:,} has label {labels[at]}; the dataset's labels run "
                         f"from 0 to {class_count - 1}")
