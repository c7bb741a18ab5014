"""Datasets in the formats people have, besides a directory of IDX files: which reader a --data path needs.

    splits = read_dataset_file(Path("mnist.npz"), class_count=10)   # Keras's mnist.npz
    splits = read_dataset_file(Path("train.csv"), class_count=10)   # Kaggle's digit recognizer
"""

from __future__ import annotations

import sys
from pathlib import Path

from nnviz.data.csv_digits import read_digit_csv
from nnviz.data.keras_npz import read_keras_npz
from nnviz.data.splits import Splits

#: What each kind of dataset file ends in, and what it is, for messages.
FILE_KINDS = {".npz": "a Keras .npz file (x_train, y_train, x_test, y_test)",
              ".csv": "a Kaggle digit recognizer .csv file (label,pixel0,...,pixel783)"}

__all__ = ["FILE_KINDS", "Splits", "is_dataset_file", "read_dataset_file"]


def is_dataset_file(path: Path) -> bool:
    """Whether ``path`` names a dataset file rather than a directory: by its name, so that a missing
    ``mnist.npz`` is reported as a missing file, not a missing directory."""
    return path.suffix.lower() in FILE_KINDS


def read_dataset_file(path: Path, class_count: int, progress: bool = True) -> Splits:
    """The training and test sets in ``path`` (see is_dataset_file), labels below ``class_count``.

    ``progress``: a progress bar and a note on how a file was split, on stderr.
    """
    if path.suffix.lower() == ".npz":
        return read_keras_npz(path, class_count)
    return read_digit_csv(path, class_count, progress=progress, tell=_tell if progress else None)


def _tell(message: str) -> None:
    print(f"nnviz: {message}", file=sys.stderr, flush=True)
