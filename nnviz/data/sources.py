"""What each dataset is made of and where copies of it can be found."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Mapping

IMAGE_SIZE = 28
TRAIN_COUNT = 60_000
TEST_COUNT = 10_000


@dataclass(frozen=True)
class IdxFile:
    """One of a dataset's four IDX files."""

    stem: str  # name without ".gz"; mirrors serve stem + ".gz"
    kind: Literal["images", "labels"]
    count: int
    # sha256 of the decompressed IDX bytes: mirrors (and Debian) recompress the
    # files, so only the raw content has one checksum everywhere.
    raw_sha256: str

    def matches(self, raw: bytes) -> bool:
        return hashlib.sha256(raw).hexdigest() == self.raw_sha256

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.count, IMAGE_SIZE, IMAGE_SIZE) if self.kind == "images" else (self.count,)

    @property
    def raw_size(self) -> int:
        """Bytes of the intact file, uncompressed: the magic number, a uint32 per axis, a byte per value."""
        return 4 + 4 * len(self.shape) + math.prod(self.shape)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    class_names: tuple[str, ...]
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    mirrors: tuple[str, ...]
    # Read-only copies installed by the operating system's package manager.
    system_dirs: tuple[Path, ...] = ()
    image_shape: tuple[int, int] = (IMAGE_SIZE, IMAGE_SIZE)  # rows, columns

    @property
    def files(self) -> tuple[IdxFile, IdxFile, IdxFile, IdxFile]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


def _four_files(train_images: str, train_labels: str, test_images: str, test_labels: str) -> dict[str, IdxFile]:
    """Both datasets use MNIST's file names and counts; only the checksums differ."""
    return {
        "train_images": IdxFile("train-images-idx3-ubyte", "images", TRAIN_COUNT, train_images),
        "train_labels": IdxFile("train-labels-idx1-ubyte", "labels", TRAIN_COUNT, train_labels),
        "test_images": IdxFile("t10k-images-idx3-ubyte", "images", TEST_COUNT, test_images),
        "test_labels": IdxFile("t10k-labels-idx1-ubyte", "labels", TEST_COUNT, test_labels),
    }


MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    class_names=tuple(str(digit) for digit in range(10)),
    **_four_files(
        train_images="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        train_labels="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        test_images="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        test_labels="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
)

FASHION = DatasetSpec(
    name="fashion",
    title="Fashion-MNIST",
    class_names=(
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
    # Computed from Debian's dataset-fashion-mnist. Its .gz files are upstream's
    # minus the stored file name (each is exactly len(name) + 1 bytes smaller
    # than upstream's published sizes), so the deflate streams, and therefore
    # these raw checksums, are upstream's.
    **_four_files(
        train_images="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        train_labels="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        test_images="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        test_labels="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    system_dirs=(Path("/usr/share/datasets/fashion-mnist"),),
)

DATASETS: Mapping[str, DatasetSpec] = MappingProxyType({spec.name: spec for spec in (MNIST, FASHION)})


#: EMNIST's files are named emnist-<split>-train-images-idx3-ubyte and so on, "test" for MNIST's "t10k".
EMNIST_PREFIX = "emnist-"


def emnist_stem(split: str, file: IdxFile) -> str:
    """EMNIST's name for ``file`` in its ``split`` (digits, letters, ...), e.g. emnist-digits-test-images-idx3-ubyte."""
    return f"{EMNIST_PREFIX}{split}-{file.stem.replace('t10k-', 'test-', 1)}"


#: The largest intact file of any dataset: the most an IDX file of unknown role may inflate to.
MAX_RAW_SIZE = max(file.raw_size for spec in DATASETS.values() for file in spec.files)


def dataset_of(stem: str, raw: bytes) -> DatasetSpec | None:
    """The dataset whose file ``stem`` is exactly ``raw``, by its checksum; None if no dataset's is."""
    digest = hashlib.sha256(raw).hexdigest()
    return next((spec for spec in DATASETS.values() for file in spec.files
                 if file.stem == stem and file.raw_sha256 == digest), None)
