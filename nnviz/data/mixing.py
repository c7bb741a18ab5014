"""An 11th class, "not a digit": Fashion-MNIST pictures mixed into MNIST's stream.

A network trained on digits alone calls anything a digit: shown a shoe it
still answers 0-9, often with confidence. Mixed with pictures of clothes
labelled "not a digit", it learns to say so.

    from nnviz.data import load_dataset
    from nnviz.data.mixing import load_not_a_digit_source, with_not_a_digit
    digits = load_dataset("mnist", data_dir)
    ds = with_not_a_digit(digits, load_not_a_digit_source(data_dir))
    ds.class_names[10]                  # "not a digit"; ds.train_labels: 0-10, uint8

Both loads may be slow (a download the first time): the window calls them on
its loading thread, ``progress`` as for load_dataset.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Iterable

import numpy as np

from nnviz.data import fetch, locate
from nnviz.data.digits import normalize_digit
from nnviz.data.loader import Dataset, load_shared, read_dataset
from nnviz.data.sources import DATASETS
from nnviz.errors import NnvizError

NOT_A_DIGIT = "not a digit"
#: The dataset the "not a digit" pictures come from (nnviz.data.sources).
SOURCE = "fashion"
#: How many "not a digit" images are added, as a share of the digits: 0.1 makes the new class as
#: frequent as an average digit class. MNIST's ten classes hold 5,421 ('5') to 6,742 ('1') of the
#: 60,000 training images, 892 to 1,135 of the 10,000 test images; a tenth is 6,000 and 1,000, the
#: mean class size (and Fashion-MNIST's own per-class count). Balanced like this, the network's prior
#: for "not a digit" is one class's, chance is 1/11 and the accuracy reads as it did with 10 classes.
#: Much more would tilt ambiguous digits towards "not a digit" and spend most of the training on
#: clothes; much less would make it a rare class, learnt late and recalled poorly, with a thin,
#: noisy row in the confusion matrix.
DEFAULT_SHARE = 0.1
#: Leading training images compared to catch the same images offered as both digits and not.
_COMPARED = 64


def digit_like(images: np.ndarray) -> np.ndarray:
    """Pictures made the way MNIST's digits were: the ink cropped, fitted into 20x20, centred by its mass.

    A drawn digit and one given to ``nnviz predict`` are made so too
    (nnviz.data.digits); "not a digit" pictures left filling the frame, as
    Fashion-MNIST's are, would teach "fills the frame" rather than "not a
    digit", and a drawn shoe would still be called a digit.
    """
    prepared = np.empty_like(images)
    for picture, image in zip(prepared, images):
        picture[...] = normalize_digit(image.astype(np.float32) / np.float32(255))
    return prepared


def with_not_a_digit(digits: Dataset, others: Dataset, share: float = DEFAULT_SHARE, seed: int = 0,
                     prepare=digit_like) -> Dataset:
    """``digits`` plus a random sample of ``others`` as one more class, "not a digit".

    The new class's label is ``len(digits.class_names)`` (10 for MNIST). The
    training set gets ``round(share * len(digits.train_labels))`` of
    ``others``' training images, the test set the same share of its test
    images, drawn without replacement: test pictures the network never
    trained on. They are put at random places in the stream, the digits
    keeping their order and labels, so that any run of consecutive images (a
    slice of the test set, the first N) holds the new class in proportion.

    The result holds its own arrays (read-only): one copy of the digits and
    the sample, about 52 MB for MNIST's training images and 8.6 MB for the
    test images; the inputs are only read. The same ``seed`` gives the same
    sample and places. ``source`` is the digits' directory.

    Raises NnvizError (one line, naming both datasets) when the images differ
    in size, ``digits`` already has a "not a digit" class, both hold the same
    images, or ``share`` is not above 0 or asks for more images than
    ``others`` has.
    """
    _check(digits, others, share)
    rng = np.random.default_rng(seed)
    label = len(digits.class_names)
    train_images, train_labels = _mixed(digits.train_images, digits.train_labels, others.train_images,
                                        _count(share, digits, others, "train"), label, rng, prepare)
    test_images, test_labels = _mixed(digits.test_images, digits.test_labels, others.test_images,
                                      _count(share, digits, others, "test"), label, rng, prepare)
    return Dataset(
        name=f"{digits.name}+not-a-digit",
        class_names=tuple(digits.class_names) + (NOT_A_DIGIT,),
        train_images=train_images,
        train_labels=train_labels,
        test_images=test_images,
        test_labels=test_labels,
        source=digits.source,
    )


def load_not_a_digit_source(
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool | fetch.ProgressCallback = True,
    mirrors: str | Iterable[str] | None = None,
) -> Dataset:
    """Fashion-MNIST, to be the "not a digit" pictures, found where the digits' ``data_dir`` allows.

    In order: a ``fashion`` subdirectory of ``data_dir`` (or $NNVIZ_DATA) if
    there is one; the download cache; the system's copy (Debian's
    dataset-fashion-mnist); else a download (when ``download``). Arguments as
    for load_dataset, given the same ``data_dir`` as the digits' load.

    Not load_dataset("fashion", data_dir): that also takes four files lying
    directly in ``data_dir``, which is where the user keeps MNIST's, under the
    same names; and it stops at a ``data_dir`` without Fashion-MNIST instead
    of going on to the cache and the system's copy.
    """
    spec = DATASETS[SOURCE]
    chosen = locate.user_data_dir(data_dir)
    if chosen is not None:
        directory, origin = chosen
        subdirectory = directory / spec.name
        if subdirectory.is_dir():
            paths = locate.find_files(spec, subdirectory)
            if None in paths:
                missing = spec.files[paths.index(None)]
                raise NnvizError(
                    f"{subdirectory / missing.stem}.gz: not found (nor uncompressed {missing.stem}); the "
                    f"'{spec.name}' subdirectory of the data directory given by {origin} must hold "
                    f"{spec.title}'s four IDX files (the '{NOT_A_DIGIT}' pictures)"
                )
            return read_dataset(spec, subdirectory, paths, from_cache=False)
    return load_shared(
        spec, download=download, progress=progress, mirrors=mirrors,
        advice=(f"put its four IDX files (the '{NOT_A_DIGIT}' pictures) in a '{spec.name}' subdirectory of "
                f"the --data or {locate.DATA_ENV} directory, or install Debian's dataset-fashion-mnist"),
    )


def _check(digits: Dataset, others: Dataset, share: float) -> None:
    adding = f"cannot add {others.name} to {digits.name} as '{NOT_A_DIGIT}'"
    if NOT_A_DIGIT in digits.class_names:
        raise NnvizError(f"{adding}: {digits.name} already has a '{NOT_A_DIGIT}' class")
    shape = digits.train_images.shape[1:]
    for images in (digits.test_images, others.train_images, others.test_images):
        if images.shape[1:] != shape:
            owner = digits.name if images is digits.test_images else others.name
            raise NnvizError(f"{adding}: {owner}'s images are {_size(images.shape[1:])} pixels, "
                             f"{digits.name}'s {_size(shape)}")
    if isinstance(share, bool) or not isinstance(share, numbers.Real) or not (math.isfinite(share) and share > 0):
        raise NnvizError(f"{adding}: the share {share!r} must be a number above 0 "
                         f"({DEFAULT_SHARE} makes the class as frequent as one digit)")
    first, second = digits.train_images[:_COMPARED], others.train_images[:_COMPARED]
    if len(first) and len(first) == len(second) and np.array_equal(first, second):
        raise NnvizError(f"{adding}: they hold the same images (is {others.source} {digits.name}'s data?)")


def _count(share: float, digits: Dataset, others: Dataset, split: str) -> int:
    """How many of ``others``' images of ``split`` join ``digits``', or NnvizError if it has fewer."""
    wanted = round(share * len(getattr(digits, f"{split}_labels")))
    available = len(getattr(others, f"{split}_images"))
    if wanted > available:
        raise NnvizError(
            f"cannot add {others.name} to {digits.name} as '{NOT_A_DIGIT}': the share {share} asks for "
            f"{wanted} {split} images, {others.name} has {available}"
        )
    return wanted


def _mixed(digit_images: np.ndarray, digit_labels: np.ndarray, other_images: np.ndarray, count: int, label: int,
           rng: np.random.Generator, prepare=None) -> tuple[np.ndarray, np.ndarray]:
    """The digits with ``count`` random ``other_images`` labelled ``label`` at random places; read-only."""
    total = len(digit_labels) + count
    chosen = np.sort(rng.choice(len(other_images), size=count, replace=False))
    places = np.zeros(total, dtype=bool)
    places[rng.choice(total, size=count, replace=False)] = True
    kept = ~places
    images = np.empty((total, *digit_images.shape[1:]), dtype=np.uint8)
    images[kept] = digit_images
    sample = other_images[chosen]  # the sample's only temporary: 4.7 MB for 6,000 images
    images[places] = sample if prepare is None else prepare(sample)
    labels = np.empty(total, dtype=np.result_type(digit_labels.dtype, np.min_scalar_type(label)))
    labels[kept] = digit_labels
    labels[places] = label
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)
