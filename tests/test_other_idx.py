"""--data given an IDX folder of another dataset (KMNIST, EMNIST digits or letters): any counts, the classes its
classes.txt names, EMNIST's names and transposed pictures. Built here from the real MNIST files."""

from __future__ import annotations

import string

import numpy as np
import pytest

from helpers_idx import idx_bytes, write
from nnviz.cli import main
from nnviz.data import load_dataset
from nnviz.data.loader import dataset_class_names
from nnviz.errors import NnvizError
from nnviz.limits import MAX_DATASET_IMAGES

TRAIN, TEST = 2000, 500
LETTERS = ("-", *string.ascii_uppercase)  # EMNIST letters' labels run 1-26: label 0 is a placeholder
STANDARD = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def emnist_names(split):
    return tuple(f"emnist-{split}-{part}" for part in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "test-images-idx3-ubyte", "test-labels-idx1-ubyte"))


@pytest.fixture(scope="module")
def sample(mnist_dir):
    """The first TRAIN training and TEST test pictures and labels of the real MNIST files."""
    mnist = load_dataset("mnist", mnist_dir, download=False)
    return mnist.train_images[:TRAIN], mnist.train_labels[:TRAIN], mnist.test_images[:TEST], mnist.test_labels[:TEST]


def write_folder(folder, arrays, names, classes, *, transpose=False, suffix=".gz"):
    """``arrays`` (train images, labels, test images, labels) as IDX files named ``names``, ``classes`` in a
    classes.txt (None: none); the pictures stored transposed, as EMNIST's are, when ``transpose``."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, (array, name) in enumerate(zip(arrays, names)):
        stored = array.transpose(0, 2, 1) if transpose and index % 2 == 0 else array
        write(folder / f"{name}{suffix}", idx_bytes(stored))
    if classes is not None:
        (folder / "classes.txt").write_text("\n".join(classes) + "\n")
    return folder


def letters_of(sample):
    """``sample`` relabelled 1-26, every letter present, as EMNIST letters' labels are."""
    return tuple(((np.arange(len(array)) % 26) + 1).astype(np.uint8) if index % 2 else array
                 for index, array in enumerate(sample))


def error_line(directory, capsys):
    assert main(["train", "--data", str(directory), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnviz: error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def assert_loaded(dataset, arrays):
    for loaded, written in zip((dataset.train_images, dataset.train_labels, dataset.test_images,
                                dataset.test_labels), arrays):
        np.testing.assert_array_equal(loaded, written)
        assert not loaded.flags.writeable


# --- folders that load -----------------------------------------------------------------------------------

def test_emnist_digits_load_untransposed_with_their_counts(sample, tmp_path):
    folder = write_folder(tmp_path / "emnist", sample, emnist_names("digits"), list("0123456789"), transpose=True)
    dataset = load_dataset("mnist", folder, progress=False)
    assert_loaded(dataset, sample)  # EMNIST's transposed pictures come back as MNIST's
    assert dataset.train_images.flags.c_contiguous
    assert dataset.class_names == tuple("0123456789") and dataset.source == folder


def test_kmnist_by_mnist_names_is_not_transposed(sample, tmp_path):
    names = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    folder = write_folder(tmp_path / "kmnist", sample, STANDARD, names, suffix="")
    dataset = load_dataset("mnist", folder, progress=False)
    assert_loaded(dataset, sample)
    assert dataset.class_names == names


def test_emnist_letters_labels_index_classes_txt_from_its_placeholder(sample, tmp_path):
    letters = letters_of(sample)
    folder = write_folder(tmp_path / "letters", letters, emnist_names("letters"), LETTERS, transpose=True)
    assert dataset_class_names("mnist", folder) == LETTERS  # known before loading, for the output layer
    dataset = load_dataset("mnist", folder, progress=False)
    assert_loaded(dataset, letters)
    assert dataset.class_names[dataset.train_labels[0]] == "A"  # label 1: the placeholder is line 0


def test_training_on_letters_builds_one_output_per_line(sample, tmp_path, capsys):
    folder = write_folder(tmp_path / "letters", letters_of(sample), emnist_names("letters"), LETTERS,
                          transpose=True)
    out = tmp_path / "w.npz"
    assert main(["train", "--data", str(folder), "--epochs", "1", "--seed", "0", "--save", str(out)]) == 0
    assert "training 784,16,16,27 " in capsys.readouterr().out
    with np.load(out) as saved:
        assert saved["b2"].shape == (27,)


# --- folders that do not ---------------------------------------------------------------------------------

def test_a_label_beyond_the_names_names_the_file_and_entry(sample, tmp_path, capsys):
    labels = sample[3] % 5
    labels[123] = 7
    folder = write_folder(tmp_path / "five", (sample[0], sample[1] % 5, sample[2], labels), STANDARD, list("abcde"))
    err = error_line(folder, capsys)
    assert err.startswith(f"nnviz: error: {folder / 'classes.txt'}: names 5 classes; ")
    assert "t10k-labels-idx1-ubyte.gz has label 7 at index 123" in err


@pytest.mark.parametrize("extra, expected", [
    (b"\0" * 784, "784 unexpected trailing bytes: expected 392016 bytes of data, found 392800"),
    (None, "truncated: expected 392016 bytes of data, found 391232"),
])
def test_a_header_count_that_the_size_does_not_match(sample, tmp_path, capsys, extra, expected):
    folder = write_folder(tmp_path / "sized", sample, STANDARD, list("0123456789"), suffix="")
    path = folder / "t10k-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data + extra if extra else data[:-784])
    assert error_line(folder, capsys) == f"nnviz: error: {path}: {expected}\n"


def test_images_and_labels_must_pair_up(sample, tmp_path, capsys):
    folder = write_folder(tmp_path / "pairs", (*sample[:3], sample[3][:-1]), STANDARD, list("0123456789"))
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    assert error_line(folder, capsys) == (f"nnviz: error: {labels}: header says 499 labels, but "
                                          "t10k-images-idx3-ubyte.gz holds 500 images: one label each\n")


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_counts_over_the_limit_are_refused_from_the_header(sample, tmp_path, capsys, suffix):
    folder = write_folder(tmp_path / "huge", sample, STANDARD, list("0123456789"), suffix=suffix)
    count = MAX_DATASET_IMAGES - TRAIN + 1  # one over, with the training pictures
    # Headers only: were the data read first, this would be refused as truncated instead.
    write(folder / f"t10k-images-idx3-ubyte{suffix}", b"\0\0\x08\x03" + np.array([count, 28, 28], ">u4").tobytes())
    write(folder / f"t10k-labels-idx1-ubyte{suffix}", b"\0\0\x08\x01" + np.array([count], ">u4").tobytes())
    err = error_line(folder, capsys)
    assert err == (f"nnviz: error: {folder / f't10k-images-idx3-ubyte{suffix}'}: header says {count:,} images, "
                   f"{MAX_DATASET_IMAGES + 1:,} with the files before it: over the limit of "
                   f"{MAX_DATASET_IMAGES:,} pictures a dataset may hold\n")


def test_emnist_files_need_a_classes_txt(sample, tmp_path, capsys):
    folder = write_folder(tmp_path / "bare", sample, emnist_names("digits"), None)
    assert error_line(folder, capsys) == (f"nnviz: error: {folder}: holds EMNIST files but no classes.txt: add "
                                          "one naming their classes, one per line (see nnviz.data.loader)\n")


def test_a_folder_of_several_emnist_splits_is_ambiguous(sample, tmp_path):
    folder = write_folder(tmp_path / "all", sample, emnist_names("digits"), list("0123456789"))
    write_folder(folder, letters_of(sample), emnist_names("letters"), None)
    with pytest.raises(NnvizError, match=r"all: holds the files of several EMNIST splits \(digits, letters\); "):
        load_dataset("mnist", folder, progress=False)


@pytest.mark.parametrize("count, expected", [(1, "names 1 classes"), (257, "names 257 classes")])
def test_classes_txt_names_two_to_256_classes(sample, tmp_path, capsys, count, expected):
    folder = write_folder(tmp_path / "names", sample, STANDARD, [f"c{index}" for index in range(count)])
    assert error_line(folder, capsys) == (f"nnviz: error: {folder / 'classes.txt'}: {expected}; it must name "
                                          "from 2 to 256, one per line\n")
