"""IDX parsing and validation, through load_dataset: every bad file gets a one-line error naming it."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from helpers_idx import STEMS, idx_bytes, synthetic_arrays, write, write_dataset
from nnviz.data import load_dataset
from nnviz.errors import NnvizError

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


@pytest.fixture
def data_dir(tmp_path):
    """A valid uncompressed synthetic dataset that each test then breaks one file of."""
    directory = tmp_path / "data"
    write_dataset(directory)
    return directory


def load_error(directory) -> str:
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", data_dir=directory, download=False, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("gz", [False, True], ids=["uncompressed", "gzip"])
def test_valid_files_load_with_their_content(tmp_path, gz):
    write_dataset(tmp_path, gz=gz)
    ds = load_dataset("mnist", data_dir=tmp_path, download=False)
    for role, expected in synthetic_arrays().items():
        array = getattr(ds, role)
        assert array.dtype == np.uint8
        assert np.array_equal(array, expected)  # checks shape too; 50x faster than np.testing on 47 MB
    assert ds.source == tmp_path


def test_uncompressed_file_is_preferred_over_gz(data_dir):
    # A broken .gz beside a good uncompressed file must not be read at all.
    (data_dir / f"{STEMS['train_images']}.gz").write_bytes(b"not gzip")
    assert load_dataset("mnist", data_dir=data_dir).train_images.shape == (60000, 28, 28)


@pytest.mark.parametrize(
    ("role", "magic", "expected"),
    [
        ("train_labels", 0x00000803, "bad magic number 0x00000803 (not an IDX label file"),
        ("test_images", 0xDEADBEEF, "bad magic number 0xDEADBEEF (not an IDX image file"),
    ],
)
def test_wrong_magic_number(data_dir, role, magic, expected):
    path = data_dir / STEMS[role]
    write(path, idx_bytes(synthetic_arrays()[role], magic=magic))
    assert load_error(data_dir) == f"{path}: {expected}, which starts with 0x0000080{'1' if 'labels' in role else '3'})"


def test_wrong_image_dimensions(data_dir):
    path = data_dir / STEMS["train_images"]
    write(path, idx_bytes(np.zeros((60000, 27, 28), np.uint8)))
    assert load_error(data_dir) == f"{path}: images are 27x28 pixels, expected 28x28"


def test_truncated_file(data_dir):
    path = data_dir / STEMS["train_labels"]
    path.write_bytes(path.read_bytes()[:1000])
    assert load_error(data_dir) == f"{path}: truncated: expected 60008 bytes of data, found 1000"


def test_truncated_header(data_dir):
    path = data_dir / STEMS["test_images"]
    path.write_bytes(path.read_bytes()[:10])
    assert load_error(data_dir) == f"{path}: truncated: expected a 16-byte header, found 10 bytes"


def test_oversized_file_with_trailing_bytes(data_dir):
    path = data_dir / STEMS["test_images"]
    with path.open("ab") as file:
        file.write(b"\0" * 5)
    assert load_error(data_dir) == (
        f"{path}: 5 unexpected trailing bytes: expected 7840016 bytes of data, found 7840021"
    )


def test_corrupt_gzip(tmp_path):
    paths = write_dataset(tmp_path, gz=True)
    path = paths["test_images"]
    data = bytearray(path.read_bytes())
    data[100:200] = bytes(200 - 100)  # zero a stretch of the deflate stream
    path.write_bytes(bytes(data))
    assert load_error(tmp_path).startswith(f"{path}: corrupt gzip data (")


def test_gzip_cut_short(tmp_path):
    path = write_dataset(tmp_path, gz=True)["train_labels"]
    path.write_bytes(path.read_bytes()[:-100])
    assert load_error(tmp_path) == f"{path}: truncated gzip data: the compressed stream ends early"


def test_gz_name_without_gzip_content(tmp_path):
    path = write_dataset(tmp_path, gz=True)["train_labels"]
    path.write_bytes(idx_bytes(synthetic_arrays()["train_labels"]))
    assert load_error(tmp_path).startswith(f"{path}: not gzip data")


def test_fewer_labels_than_images(data_dir):
    path = data_dir / STEMS["test_labels"]
    write(path, idx_bytes(synthetic_arrays()["test_labels"][:9999]))
    assert load_error(data_dir) == f"{path}: header says 9999 labels, expected 10000"


@pytest.mark.parametrize(
    ("bad_labels", "expected"),
    [
        ({17: 10}, "label 10 at index 17 is outside 0-9"),
        ({5: 255, 99: 10}, "label 255 at index 5 is outside 0-9 (and 1 more)"),
    ],
)
def test_label_out_of_range(data_dir, bad_labels, expected):
    labels = synthetic_arrays()["train_labels"].copy()
    labels[list(bad_labels)] = list(bad_labels.values())
    path = write(data_dir / STEMS["train_labels"], idx_bytes(labels))
    assert load_error(data_dir) == f"{path}: {expected}"


def test_empty_file(data_dir):
    path = data_dir / STEMS["test_labels"]
    path.write_bytes(b"")
    assert load_error(data_dir) == f"{path}: empty file (0 bytes)"


def test_unreadable_file(data_dir, monkeypatch):
    # Tests run as root here, so chmod cannot make a file unreadable: fail the read itself.
    path = data_dir / STEMS["test_labels"]
    real_read_bytes = type(path).read_bytes

    def read_bytes(self):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(type(path), "read_bytes", read_bytes)
    assert load_error(data_dir) == f"{path}: cannot read: Permission denied"


def test_directory_missing_one_file(data_dir):
    (data_dir / STEMS["test_labels"]).unlink()
    message = load_error(data_dir)
    assert message.startswith(f"{data_dir / 't10k-labels-idx1-ubyte'}.gz: not found")
    assert "--data" in message and "four IDX files" in message


def test_real_mnist(mnist_dir):
    ds = load_dataset("mnist", data_dir=mnist_dir, download=False, progress=False)
    assert ds.name == "mnist"
    assert ds.class_names == tuple("0123456789")
    assert ds.source == mnist_dir
    assert (ds.train_images.shape, ds.train_labels.shape) == ((60000, 28, 28), (60000,))
    assert (ds.test_images.shape, ds.test_labels.shape) == ((10000, 28, 28), (10000,))
    for array in (ds.train_images, ds.train_labels, ds.test_images, ds.test_labels):
        assert array.dtype == np.uint8
        assert not array.flags.writeable
    assert np.bincount(ds.test_labels, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert np.bincount(ds.train_labels, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    # Real digits, not blank pages: ink covers roughly a fifth of each image.
    assert 0.15 < (ds.test_images > 0).mean() < 0.25


def test_fashion_comes_from_the_system_directory(fashion_dir):
    ds = load_dataset("fashion", download=False, progress=False)
    assert ds.source == fashion_dir
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert len(ds.class_names) == 10
    assert ds.train_images.shape == (60000, 28, 28) and ds.test_images.shape == (10000, 28, 28)
    # Fashion-MNIST is balanced: 1000 test images per class.
    assert np.bincount(ds.test_labels).tolist() == [1000] * 10


def test_real_gzip_matches_its_uncompressed_copy(mnist_dir, tmp_path):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for stem in STEMS.values():
        (raw_dir / stem).write_bytes(gzip.decompress((mnist_dir / f"{stem}.gz").read_bytes()))
    from_raw = load_dataset("mnist", data_dir=raw_dir)
    from_gz = load_dataset("mnist", data_dir=mnist_dir)
    assert np.array_equal(from_raw.train_images, from_gz.train_images)
    assert np.array_equal(from_raw.test_labels, from_gz.test_labels)
