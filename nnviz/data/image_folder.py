"""A folder of pictures per class, torchvision's ImageFolder layout: ``root/<class>/<picture>.png``.

The class names are the sub-folders' names, in sorted order (label 0 is the
first). Pictures are read as nnviz.data.digits reads them (PNG, JPEG, BMP,
GIF, WebP; size checked before decoding), turned grey, resized to 28x28 if
they are not, and inverted when their border is light, so that the ink is
light on dark as in MNIST. ``root/train/`` and ``root/test/`` with the same
class folders are the training and test sets; otherwise the last
HELD_OUT_PERCENT of each class's pictures, in name order, are the test set.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from nnviz.data.digits import read_grey
from nnviz.data.sources import IMAGE_SIZE
from nnviz.data.splits import HELD_OUT_PERCENT, Splits
from nnviz.errors import NnvizError
from nnviz.limits import MAX_CLASSES, MAX_DATASET_IMAGES, excerpt

#: From this many pictures on, reading them shows a progress bar.
_PROGRESS_BAR_PICTURES = 2000


def is_image_folder(directory: Path) -> bool:
    """Whether ``directory`` holds sub-folders (the caller has found no IDX files in it)."""
    try:
        return directory.is_dir() and any(_sub_folders(directory))
    except OSError:
        return False


def folder_class_names(root: Path) -> tuple[str, ...]:
    """The class names of the image folder ``root``, from its sub-folders' names alone."""
    return _class_names(_split_roots(root)[0])


def read_image_folder(root: Path, progress: bool = True) -> tuple[tuple[str, ...], Splits]:
    """The class names and the pictures of the image folder ``root``; NnvizError naming the folder or the
    picture for any defect."""
    train_root, test_root = _split_roots(root)
    names = _class_names(train_root)
    if test_root is not None:
        test_names = _class_names(test_root)
        if test_names != names:
            raise NnvizError(f"{test_root}: its class folders ({excerpt(', '.join(test_names))}) differ from "
                             f"{train_root.name}/'s ({excerpt(', '.join(names))})")
        train = [_pictures(train_root / name) for name in names]
        test = [_pictures(test_root / name) for name in names]
    else:
        train, test = zip(*(_held_out(train_root / name) for name in names))
    total = sum(map(len, train)) + sum(map(len, test))
    if total > MAX_DATASET_IMAGES:
        raise NnvizError(f"{root}: holds {total:,} pictures; nnviz loads at most {MAX_DATASET_IMAGES:,}")
    with tqdm(total=total, desc=root.name, unit="picture", leave=False, file=sys.stderr,
              disable=not progress or total < _PROGRESS_BAR_PICTURES) as bar:
        return names, Splits(*_read_split(train, bar), *_read_split(test, bar))


def _sub_folders(directory: Path):
    """The visible sub-folders of ``directory`` (not .git, .ipynb_checkpoints, ...)."""
    return (entry for entry in directory.iterdir() if entry.is_dir() and not entry.name.startswith("."))


def _split_roots(root: Path) -> tuple[Path, Path | None]:
    """(training root, test root), or (root, None) when the root holds no train/ and test/ pair."""
    train, test = root / "train", root / "test"
    return (train, test) if train.is_dir() and test.is_dir() else (root, None)


def _class_names(folder: Path) -> tuple[str, ...]:
    try:
        names = tuple(sorted(entry.name for entry in _sub_folders(folder)))
    except OSError as error:
        raise NnvizError(f"{folder}: cannot read: {error.strerror or error}") from None
    if len(names) < 2:
        found = f"only '{excerpt(names[0])}'" if names else "none"
        raise NnvizError(f"{folder}: needs a sub-folder of pictures per class, at least two classes; found {found}")
    if len(names) > MAX_CLASSES:
        raise NnvizError(f"{folder}: has {len(names):,} class folders; nnviz trains on at most {MAX_CLASSES:,}")
    return names


def _pictures(folder: Path) -> list[Path]:
    """The files of a class folder in name order (hidden ones, like .DS_Store, left out)."""
    try:
        files = sorted(entry for entry in folder.iterdir() if entry.is_file() and not entry.name.startswith("."))
    except OSError as error:
        raise NnvizError(f"{folder}: cannot read: {error.strerror or error}") from None
    if not files:
        raise NnvizError(f"{folder}: holds no pictures")
    if len(files) > MAX_DATASET_IMAGES:
        raise NnvizError(f"{folder}: holds {len(files):,} files; nnviz loads at most {MAX_DATASET_IMAGES:,}")
    return files


def _held_out(folder: Path) -> tuple[list[Path], list[Path]]:
    """A class's pictures split into training and test: the last HELD_OUT_PERCENT (at least one) are test."""
    files = _pictures(folder)
    if len(files) < 2:
        raise NnvizError(f"{folder}: holds one picture; a class needs two, one to train on and one to test "
                         "with (or give train/ and test/ folders)")
    held = max(1, len(files) * HELD_OUT_PERCENT // 100)
    return files[:-held], files[-held:]


def _read_split(files_by_class: list[list[Path]], bar: tqdm) -> tuple[np.ndarray, np.ndarray]:
    """(images, labels) of one split, the classes one after another."""
    count = sum(map(len, files_by_class))
    images = np.empty((count, IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    labels = np.empty(count, np.uint8)  # MAX_CLASSES keeps labels within uint8
    at = 0
    for label, files in enumerate(files_by_class):
        for path in files:
            images[at] = mnist_like(path)
            at += 1
            bar.update()
        labels[at - len(files):at] = label
    return images, labels


def mnist_like(path: Path) -> np.ndarray:
    """The picture at ``path`` as (28, 28) uint8 grey levels, light ink on a dark ground."""
    from PIL import Image

    levels = np.round(read_grey(path) * 255).astype(np.uint8)
    if levels.shape != (IMAGE_SIZE, IMAGE_SIZE):
        levels = np.asarray(Image.fromarray(levels).resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR))
    border = np.concatenate([levels[0], levels[-1], levels[1:-1, 0], levels[1:-1, -1]])
    return 255 - levels if border.mean() > 127.5 else levels
