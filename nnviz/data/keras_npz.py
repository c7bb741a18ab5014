"""Keras's ``mnist.npz`` layout: uint8 arrays ``x_train`` (n, 28, 28), ``y_train`` (n,), ``x_test``, ``y_test``.

Checked before any array data is inflated (nnviz.npz_files: a zip archive, a pickle refused, never
loaded, a zip directory of sane size, stored or deflated unencrypted .npy members whose headers describe
exactly their bytes): exactly the four members, uint8 data of the right shapes, as many labels as images.
"""

from __future__ import annotations

from pathlib import Path

from nnviz.data.sources import IMAGE_SIZE
from nnviz.data.splits import Splits, check_labels
from nnviz.errors import NnvizError
from nnviz.limits import MAX_DATASET_IMAGES, excerpt
from nnviz.npz_files import Archive, open_archive

WHAT = "Keras dataset file"
#: Each member and the shape its header must give, ``n`` standing for its split's count.
_MEMBERS = {"x_train": ("n", IMAGE_SIZE, IMAGE_SIZE), "y_train": ("n",),
            "x_test": ("n", IMAGE_SIZE, IMAGE_SIZE), "y_test": ("n",)}


def read_keras_npz(path: Path, class_count: int) -> Splits:
    """The four arrays of ``path``, labels checked to be below ``class_count``; NnvizError naming the file
    and the member for any defect."""
    with open_archive(path, WHAT) as archive:
        _check_members(path, archive)
        _check_headers(path, archive)
        arrays = {name: archive.read(name) for name in _MEMBERS}
    for name in ("y_train", "y_test"):
        check_labels(arrays[name], class_count, f"{path}: '{name}'", "entry")
    return Splits(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"])


def _check_members(path: Path, archive: Archive) -> None:
    expected = ", ".join(_MEMBERS)
    for name in sorted(archive.names - _MEMBERS.keys()):
        raise NnvizError(f"{path}: has '{excerpt(name)}', which is not part of a {WHAT} ({expected})")
    for name in _MEMBERS:
        if name not in archive.names:
            raise NnvizError(f"{path}: is missing '{name}' (a {WHAT} holds {expected})")


def _check_headers(path: Path, archive: Archive) -> None:
    """Dtypes and shapes from the .npy headers, as many labels as images, before any data is read."""
    counts = {}
    for name, want in _MEMBERS.items():
        header = archive.header(name)
        shape = header.shape
        if header.dtype != "uint8":
            raise NnvizError(f"{path}: '{name}' has dtype {excerpt(header.dtype)}, expected uint8")
        if len(shape) != len(want) or shape[1:] != want[1:] or shape[0] == 0:
            shown = ", ".join(str(size) for size in want)
            raise NnvizError(f"{path}: '{name}' has shape {excerpt(shape)}, expected ({shown}) with n > 0")
        counts[name] = shape[0]
    for split in ("train", "test"):
        if counts[f"x_{split}"] != counts[f"y_{split}"]:
            raise NnvizError(f"{path}: 'x_{split}' holds {counts[f'x_{split}']:,} images but 'y_{split}' "
                             f"{counts[f'y_{split}']:,} labels")
    if counts["x_train"] + counts["x_test"] > MAX_DATASET_IMAGES:
        raise NnvizError(f"{path}: holds {counts['x_train'] + counts['x_test']:,} images; nnviz loads at most "
                         f"{MAX_DATASET_IMAGES:,}")
