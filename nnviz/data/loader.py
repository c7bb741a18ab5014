"""load_dataset: find a dataset's files (or download them), check them, hand them over as arrays.

An IDX folder with a classes.txt (or class_names.txt) beside its four files holds a dataset of its own
(KMNIST, EMNIST, ...): its files may hold any number of 28x28 pictures (each header gives its count, up to
MAX_DATASET_IMAGES in all), and the file names from 2 to MAX_CLASSES classes, one per line. Labels are
indices into that file, counted from 0: EMNIST letters' labels run 1-26 and 0 is unused, so its
classes.txt starts with a placeholder line such as ``-`` (blank lines are skipped, so it cannot be empty).
Files may go by MNIST's names or EMNIST's (emnist-letters-train-images-idx3-ubyte.gz, ...); EMNIST
stores every picture transposed (its rows are the letter's columns), so files named emnist-* are
transposed back on loading. A folder without such a file holds MNIST or Fashion-MNIST, checked to have
their exact counts and labels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from nnviz.data import dataset_files, fetch, idx, image_folder, locate
from nnviz.data.sources import DATASETS, EMNIST_PREFIX, DatasetSpec, IdxFile, dataset_of
from nnviz.errors import NnvizError
from nnviz.limits import MAX_CLASS_NAMES_BYTES, MAX_CLASSES, MAX_DATASET_IMAGES, excerpt

#: Files beside a dataset's four IDX files that name its classes, one per line; the first found is used.
CLASS_NAME_FILES = ("classes.txt", "class_names.txt")


@dataclass(frozen=True, eq=False)  # field-wise == would compare whole arrays
class Dataset:
    """A training and a test set of 28x28 uint8 images with uint8 labels 0 to len(class_names) - 1.

    Loaded from IDX files, the arrays are read-only views of the files' bytes (see
    idx.parse; EMNIST's pictures: transposed copies); from another format (a Keras .npz, a CSV, an
    image folder: one class per sub-folder) or made by mixing two
    (nnviz.data.mixing), read-only arrays of its own.
    """

    name: str
    class_names: tuple[str, ...]
    train_images: np.ndarray = field(repr=False)  # (60000, 28, 28) as loaded
    train_labels: np.ndarray = field(repr=False)  # (60000,)
    test_images: np.ndarray = field(repr=False)  # (10000, 28, 28)
    test_labels: np.ndarray = field(repr=False)  # (10000,)
    source: Path  # the directory the files were read from, or the dataset file (a mix: its digits')


def load_dataset(
    name: str = "mnist",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool | fetch.ProgressCallback = True,
    mirrors: str | Iterable[str] | None = None,
) -> Dataset:
    """Load ``name`` from, in order: ``data_dir`` or $NNVIZ_DATA (a directory of IDX files, maybe with a
    classes.txt; a Keras .npz or Kaggle .csv file, see nnviz.data.dataset_files; a folder of pictures per
    class, see nnviz.data.image_folder); the download cache;
    the system's data directories; else a download into the cache (when ``download``).

    ``progress``: True prints download bars on stderr; a callable is called with
    (file name, bytes so far, total bytes) instead (the window's HUD uses it).
    ``mirrors`` (or $NNVIZ_MIRRORS, comma-separated) replaces the registry's
    download base URLs. Raises NnvizError, naming the file or setting, on any
    problem.
    """
    spec = dataset_spec(name)

    chosen = locate.user_data_dir(data_dir)
    if chosen is not None and dataset_files.is_dataset_file(chosen[0]):
        return read_dataset_file(spec, chosen[0], progress=progress is True)
    if chosen is not None and _is_image_folder(spec, chosen[0]):
        names, splits = image_folder.read_image_folder(chosen[0], progress=progress is True)
        return _dataset_of_splits(spec.name, names, splits, chosen[0])
    if chosen is not None:
        directory, paths = locate.files_in_user_dir(spec, *chosen)
        names_file = class_names_file(directory)
        if names_file is not None:
            return read_named_dataset(spec, directory, paths, names_file)
        if paths[0].name.startswith(EMNIST_PREFIX):
            raise NnvizError(f"{directory}: holds EMNIST files but no {CLASS_NAME_FILES[0]}: add one naming "
                             "their classes, one per line (see nnviz.data.loader)")
        return read_dataset(spec, directory, paths, from_cache=False)

    return load_shared(
        spec, download=download, progress=progress, mirrors=mirrors,
        advice=f"pass --data DIR or set {locate.DATA_ENV} to a directory holding its four IDX files",
    )


def load_shared(
    spec: DatasetSpec,
    *,
    download: bool,
    progress: bool | fetch.ProgressCallback,
    mirrors: str | Iterable[str] | None,
    advice: str,
) -> Dataset:
    """``spec`` from the places that are not the user's: the download cache, the system's data
    directories, else a download into the cache (when ``download``).

    ``advice`` ends the message when the data is nowhere and downloading is off:
    what the user can do instead (besides allowing downloading).
    """
    cache = locate.cache_dir(spec.name)
    cached = locate.find_files(spec, cache)
    if None not in cached:
        return read_dataset(spec, cache, cached, from_cache=True)

    for system_dir in spec.system_dirs:
        paths = locate.find_files(spec, system_dir)
        if None not in paths:
            return read_dataset(spec, system_dir, paths, from_cache=False)

    if not download:
        searched = ", ".join(str(place) for place in (cache, *spec.system_dirs))
        raise NnvizError(
            f"{spec.title} data not found (looked in {searched}) and downloading is off: {advice}, "
            "or allow downloading"
        )
    missing = [file for file, path in zip(spec.files, cached) if path is None]
    fetch.download(spec, missing, cache, mirrors=mirrors, progress=progress)
    return read_dataset(spec, cache, locate.find_files(spec, cache), from_cache=True)


def dataset_class_names(name: str = "mnist", data_dir: str | os.PathLike | None = None) -> tuple[str, ...]:
    """The classes load_dataset(name, data_dir) will have, known before loading: the dataset's, or an image
    folder's (its sub-folders' names)."""
    spec = dataset_spec(name)
    chosen = locate.user_data_dir(data_dir)
    if chosen is not None and _is_image_folder(spec, chosen[0]):
        return image_folder.folder_class_names(chosen[0])
    if chosen is not None and not dataset_files.is_dataset_file(chosen[0]):
        try:
            directory = locate.files_in_user_dir(spec, *chosen)[0]
        except NnvizError:
            return spec.class_names  # missing files: load_dataset says which
        return class_names_beside(spec, directory)
    return spec.class_names


def class_names_beside(spec: DatasetSpec, directory: Path) -> tuple[str, ...]:
    """The class names a CLASS_NAME_FILES file in the IDX ``directory`` gives (KMNIST's hiragana, ...), one per
    line; else ``spec``'s."""
    names_file = class_names_file(directory)
    return spec.class_names if names_file is None else _read_class_names(names_file)


def class_names_file(directory: Path) -> Path | None:
    """The first of CLASS_NAME_FILES in ``directory``; None if it has none."""
    return next((path for path in (directory / name for name in CLASS_NAME_FILES) if path.is_file()), None)


def _read_class_names(path: Path) -> tuple[str, ...]:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CLASS_NAMES_BYTES + 1)
        text = data.decode("utf-8-sig")
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise NnvizError(f"{path}: not UTF-8 text (expected one class name per line)") from None
    if len(data) > MAX_CLASS_NAMES_BYTES:
        raise NnvizError(f"{path}: is over {MAX_CLASS_NAMES_BYTES:,} bytes; expected one class name per line")
    names = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not 2 <= len(names) <= MAX_CLASSES:
        raise NnvizError(f"{path}: names {len(names):,} classes; it must name from 2 to {MAX_CLASSES}, one per line")
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise NnvizError(f"{path}: names '{excerpt(repeated)}' twice")
    return names


def _is_image_folder(spec: DatasetSpec, directory: Path) -> bool:
    """Sub-folders and none of ``spec``'s IDX files: pictures per class. A folder of datasets (mnist/, fashion/)
    is not one: it is an IDX data directory missing some files."""
    if dataset_files.is_dataset_file(directory) or any((directory / known).is_dir() for known in DATASETS):
        return False
    return set(locate.find_files(spec, directory)) == {None} and image_folder.is_image_folder(directory)


def dataset_spec(name: str) -> DatasetSpec:
    try:
        return DATASETS[name]
    except KeyError:
        raise NnvizError(f"unknown dataset {name!r}: choose one of {', '.join(sorted(DATASETS))}") from None


def read_dataset(spec: DatasetSpec, directory: Path, paths: list[Path], *, from_cache: bool) -> Dataset:
    """The four files at ``paths`` (in ``spec.files``' order), found in ``directory``, as a Dataset."""
    train_images, train_labels, test_images, test_labels = (
        _read_file(spec, path, file, from_cache=from_cache) for file, path in zip(spec.files, paths)
    )
    return Dataset(
        name=spec.name,
        class_names=spec.class_names,
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        source=directory,
    )


def read_named_dataset(spec: DatasetSpec, directory: Path, paths: list[Path], names_file: Path) -> Dataset:
    """The IDX files at ``paths`` (in ``spec.files``' order), of any counts, as a Dataset of the classes
    ``names_file`` names. Every header is checked (counts within the limit, images and labels paired)
    before any data is read."""
    names = _read_class_names(names_file)
    shapes = [_named_errors(path, idx.read_shape, path, file.kind) for file, path in zip(spec.files, paths)]
    _check_counts(paths, [shape[0] for shape in shapes])
    arrays = [_named_errors(path, _read_any_count, path, file.kind, shape)
              for file, path, shape in zip(spec.files, paths, shapes)]
    for labels, path in zip(arrays[1::2], paths[1::2]):
        _check_labels_named(labels, path, names, names_file)
    train_images, train_labels, test_images, test_labels = arrays
    return Dataset(name=spec.name, class_names=names, train_images=train_images, train_labels=train_labels,
                   test_images=test_images, test_labels=test_labels, source=directory)


def _named_errors(path: Path, read, *args):
    """``read(*args)``, its OSError or IdxError turned into an NnvizError naming ``path``."""
    try:
        return read(*args)
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    except idx.IdxError as error:
        raise NnvizError(f"{path}: {error}") from None


def _check_counts(paths: list[Path], counts: list[int]) -> None:
    """Each split's images and labels pair up, and all the images fit MAX_DATASET_IMAGES."""
    for images, labels, image_count, label_count in zip(paths[::2], paths[1::2], counts[::2], counts[1::2]):
        if label_count != image_count:
            raise NnvizError(f"{labels}: header says {label_count:,} labels, but {images.name} holds "
                             f"{image_count:,} images: one label each")
    total = 0
    for images, count in zip(paths[::2], counts[::2]):
        total += count
        if total > MAX_DATASET_IMAGES:
            raise NnvizError(f"{images}: header says {count:,} images, {total:,} with the files before it: "
                             f"over the limit of {MAX_DATASET_IMAGES:,} pictures a dataset may hold")


def _read_any_count(path: Path, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """The IDX file of images or labels (any uint8) of ``shape`` (its header's) at ``path``; EMNIST's pictures
    transposed back."""
    array = idx.parse(idx.read_payload(path, idx.raw_size(shape)), kind, shape[0], classes=None)
    if kind == "images" and path.name.startswith(EMNIST_PREFIX):
        array = np.ascontiguousarray(array.transpose(0, 2, 1))  # one copy, so the trainer's rows stay contiguous
        array.flags.writeable = False  # as idx.parse's views: the data is never changed in place
    return array


def _check_labels_named(labels: np.ndarray, path: Path, names: tuple[str, ...], names_file: Path) -> None:
    bad = idx.labels_outside(labels, len(names))
    if bad.size:
        needed = int(labels.max()) + 1
        raise NnvizError(f"{names_file}: names {len(names)} classes; the IDX labels beside it run from 0 to "
                         f"{needed - 1}, so it must name {needed} ({path.name} has label {labels[bad[0]]} at "
                         f"index {bad[0]:,}; labels index its lines from 0)")


def read_dataset_file(spec: DatasetSpec, path: Path, *, progress: bool) -> Dataset:
    """The dataset file at ``path`` (a Keras .npz, a Kaggle .csv) as a Dataset of ``spec``'s classes."""
    splits = dataset_files.read_dataset_file(path, len(spec.class_names), progress=progress)
    return _dataset_of_splits(spec.name, spec.class_names, splits, path)


def _dataset_of_splits(name: str, class_names: tuple[str, ...], splits: dataset_files.Splits, source: Path) -> Dataset:
    for array in splits:
        array.flags.writeable = False  # as read_dataset's arrays: the data is never changed in place
    return Dataset(name=name, class_names=class_names, **splits._asdict(), source=source)


def _read_file(spec: DatasetSpec, path: Path, file: IdxFile, *, from_cache: bool) -> np.ndarray:
    """Parse one file, turning every way it can be bad into an NnvizError that names it.

    Hashing policy: nnviz vouches for what it downloaded, so cached files are
    checked against the original sha256 on every load; that costs ~0.04 s
    for all four files with SHA extensions (~0.15 s without), little next to
    a training run, and catches a cache damaged behind nnviz's back. Files the
    user or the OS put in place get the structural checks, so that any
    well-formed IDX data of the right shape can be used, and their label
    files (70 kB, well under a millisecond to hash) are checked not to be
    another dataset's: MNIST's and Fashion-MNIST's files look alike, their
    labels do not.
    """
    try:
        data = idx.read_payload(path, file.raw_size)
        array = idx.parse(data, file.kind, file.count)
        if from_cache and not file.matches(data):
            raise idx.IdxError("checksum mismatch: content differs from the original file")
        if not from_cache and file.kind == "labels":
            _check_not_another_dataset(spec, path, file, data)
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    except idx.IdxError as error:
        hint = "; delete it and nnviz will download it again" if from_cache else ""
        raise NnvizError(f"{path}: {error}{hint}") from None
    return array


def _check_not_another_dataset(spec: DatasetSpec, path: Path, file: IdxFile, data: bytes) -> None:
    """A Fashion-MNIST folder given for MNIST (or the reverse) would train on the wrong class names."""
    other = dataset_of(file.stem, data)
    if other is not None and other.name != spec.name:
        raise NnvizError(f"{path}: is {other.title}'s {file.stem}, not {spec.title}'s: for {other.title}, "
                         f"use --dataset {other.name}")
