"""--data given a Keras mnist.npz or a Kaggle digit recognizer CSV, each made here from the real MNIST files:
the same arrays as the IDX files, the same training, and one-line errors for damaged files."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from nnviz.cli import main
from nnviz.data import load_dataset
from nnviz.data.loader import dataset_class_names
from nnviz.data import csv_digits
from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig
from nnviz.model.trainer import Trainer

TRAIN, TEST = 5400, 600  # the CSV's last 10% are its test set: exactly the IDX test subset
HEADER = ",".join(csv_digits.LABELLED_HEADER)


@pytest.fixture(scope="module")
def subset(mnist_dir):
    """The first TRAIN training and TEST test pictures of the real IDX files."""
    idx = load_dataset("mnist", mnist_dir, download=False)
    return (idx.train_images[:TRAIN], idx.train_labels[:TRAIN], idx.test_images[:TEST], idx.test_labels[:TEST])


def write_keras_npz(path, subset, **changes):
    """``subset`` in Keras's layout, members replaced by ``changes`` (None drops one)."""
    arrays = dict(zip(("x_train", "y_train", "x_test", "y_test"), subset))
    arrays.update(changes)
    np.savez(path, **{name: array for name, array in arrays.items() if array is not None})
    return path


def csv_lines(subset):
    """``subset`` as Kaggle's train.csv lines, the test pictures last, without the header."""
    images = np.concatenate([subset[0], subset[2]]).reshape(-1, 784)
    labels = np.concatenate([subset[1], subset[3]])
    return [",".join(map(str, row)) for row in np.column_stack([labels, images]).tolist()]


def write_csv(path, lines, header=HEADER):
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


@pytest.fixture(scope="module")
def good_lines(subset):
    return csv_lines(subset)


@pytest.fixture(scope="module")
def files(subset, good_lines, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    return {"npz": write_keras_npz(folder / "mnist.npz", subset), "csv": write_csv(folder / "train.csv", good_lines)}


def arrays_of(dataset):
    return dataset.train_images, dataset.train_labels, dataset.test_images, dataset.test_labels


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_each_format_loads_the_same_arrays_as_the_idx_files(files, subset, kind):
    dataset = load_dataset("mnist", files[kind], progress=False)
    for loaded, expected in zip(arrays_of(dataset), subset):
        assert loaded.dtype == np.uint8 and loaded.shape == expected.shape
        np.testing.assert_array_equal(loaded, expected)
        assert not loaded.flags.writeable
    assert dataset.class_names == tuple("0123456789") and dataset.source == files[kind]


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_each_format_trains_to_the_accuracy_of_the_idx_files(files, subset, kind):
    def accuracy(arrays):
        trainer = Trainer(TrainConfig(seed=0), *arrays)
        trainer.train_epoch()
        return trainer.evaluate_test()

    from_idx = accuracy(subset)
    assert from_idx > 0.5  # it learned: equal accuracies are not both chance
    assert accuracy(arrays_of(load_dataset("mnist", files[kind], progress=False))) == from_idx


def test_the_command_line_trains_the_same_on_either_file(files, capsys):
    results = []
    for kind in ("npz", "csv"):
        assert main(["train", "--data", str(files[kind]), "--epochs", "1", "--seed", "0"]) == 0
        results.append([line for line in capsys.readouterr().out.splitlines() if "test accuracy" in line])
    assert results[0] and results[0][0].split(",")[:2] == results[1][0].split(",")[:2]


def test_a_csv_says_how_it_was_split(files, capsys):
    load_dataset("mnist", files["csv"])
    assert "train.csv: 6,000 labelled rows; the last 10% (600) held out as the test set" in capsys.readouterr().err


def test_a_missing_dataset_file_is_named_as_a_file(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "mnist.npz"), "--epochs", "1"]) == 2
    assert capsys.readouterr().err == f"nnviz: error: {tmp_path / 'mnist.npz'}: no such file\n"


def load_error(path, **options) -> str:
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", path, progress=False, **options)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message  # the file, or a folder or picture in it
    return message


# --- damaged Keras files ---

@pytest.mark.parametrize("changes, expected", [
    ({"y_test": None}, "is missing 'y_test'"),
    ({"x_train": "object"}, "contains pickled Python objects; refusing to load it"),
    ({"x_train": "flat"}, "'x_train' has shape (5400, 784), expected (n, 28, 28)"),
    ({"y_train": "float"}, "'y_train' has dtype float64, expected uint8"),
    ({"y_test": "short"}, "'x_test' holds 600 images but 'y_test' 599 labels"),
    ({"y_train": "label 10 at 7"}, "'y_train': entry 7 has label 10; the dataset's labels run from 0 to 9"),
    ({"extra": "extra"}, "has 'extra', which is not part of a Keras dataset file"),
])
def test_a_damaged_keras_file_is_refused_naming_the_member(subset, tmp_path, changes, expected):
    x_train, y_train, x_test, y_test = subset
    made = {"object": np.array(list(x_train[:3]) + [None], dtype=object), "flat": x_train.reshape(TRAIN, 784),
            "float": y_train.astype(np.float64), "short": y_test[:-1], "extra": y_test,
            "label 10 at 7": np.where(np.arange(TRAIN) == 7, 10, y_train).astype(np.uint8), None: None}
    path = write_keras_npz(tmp_path / "mnist.npz", subset, **{name: made[value] for name, value in changes.items()})
    assert expected in load_error(path)


def test_a_pickle_given_as_npz_is_never_unpickled(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"\x80\x04\x95" + b"\x00" * 20)
    assert load_error(path).endswith("contains pickled Python objects; refusing to load it")


# --- damaged CSV files ---

def damaged(lines, line_number, edit):
    """``lines`` (file line 2 onwards) with file line ``line_number`` passed through ``edit``."""
    lines = list(lines)
    lines[line_number - 2] = edit(lines[line_number - 2])
    return lines


def set_cell(column, value):
    def edit(line):
        cells = line.split(",")
        cells[column - 1] = value
        return ",".join(cells)
    return edit


@pytest.mark.parametrize("line_number, edit, expected", [
    (5, lambda line: line.rsplit(",", 1)[0], "line 5 has 784 columns, expected 785"),
    (4000, lambda line: line + ",0", "line 4,000 has 786 columns, expected 785"),
    (9, set_cell(1, "10"), "line 9 has label 10; the dataset's labels run from 0 to 9"),
    (4, set_cell(6, "abc"), "line 4, column 6 (pixel4): 'abc' is not a whole number"),
    (5000, set_cell(300, "2.5"), "line 5,000, column 300 (pixel298): '2.5' is not a whole number"),
    (3, set_cell(2, "256"), "line 3, column 2 (pixel0): '256' is out of range 0-255"),
    (3, set_cell(1, "-1"), "line 3, column 1 (label): '-1' is out of range 0-255"),
    (6, set_cell(2, "9" * 5000), "line 6, column 2 (pixel0): '9999"),
    (7, lambda line: "", "line 7 has 1 columns, expected 785"),
    (2, lambda line: "1," * 40000, "line 2 is longer than 65,536 bytes"),
])
def test_a_damaged_csv_is_refused_naming_the_line_and_column(good_lines, tmp_path, line_number, edit, expected):
    path = write_csv(tmp_path / "train.csv", damaged(good_lines, line_number, edit))
    assert expected in load_error(path)


def test_a_csv_without_labels_is_a_set_to_predict(good_lines, tmp_path):
    header = ",".join(csv_digits.PIXEL_COLUMNS)
    path = write_csv(tmp_path / "test.csv", [line.split(",", 1)[1] for line in good_lines[:20]], header=header)
    assert load_error(path).endswith("has no label column: a set to predict, not to train on")


def test_a_csv_without_the_header_is_refused(good_lines, tmp_path):
    path = write_csv(tmp_path / "train.csv", good_lines[1:30], header=good_lines[0])
    assert "line 1: expected the header label,pixel0,...,pixel783" in load_error(path)


@pytest.mark.parametrize("rows, expected", [(0, "has a header but no rows"),
                                            (9, "9 labelled rows are too few to hold out 10% as a test set")])
def test_a_csv_too_short_to_split_is_refused(good_lines, tmp_path, rows, expected):
    assert expected in load_error(write_csv(tmp_path / "train.csv", good_lines[:rows]))


def test_a_csv_over_the_picture_limit_is_refused_before_parsing(good_lines, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_digits, "MAX_DATASET_IMAGES", 100)
    monkeypatch.setattr(csv_digits, "_parse_rows", lambda *args: pytest.fail("parsed a file over the limit"))
    path = write_csv(tmp_path / "train.csv", good_lines[:101])
    assert "has 101 rows; nnviz loads at most 100 pictures" in load_error(path)


def test_a_damaged_csv_is_one_line_on_the_command_line(good_lines, tmp_path, capsys):
    path = write_csv(tmp_path / "train.csv", damaged(good_lines[:50], 12, set_cell(1, "x")))
    assert main(["train", "--data", str(path), "--epochs", "1"]) == 2
    assert capsys.readouterr().err == (f"nnviz: error: {path}: line 12, column 1 (label): 'x' is not a whole "
                                       "number\n")


def test_a_huge_line_is_refused_without_reading_it_whole(good_lines, tmp_path):
    import tracemalloc

    path = write_csv(tmp_path / "train.csv", ["1," * 10_000_000, *good_lines[:20]])  # a 20 MB line
    tracemalloc.start()
    try:
        assert "line 2 is longer than" in load_error(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


def _zip_with(path, compression=zipfile.ZIP_STORED, **members: bytes):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_damaged_zip_archives_are_refused_before_numpy_reads_them(subset, tmp_path):
    good = write_keras_npz(tmp_path / "good.npz", subset).read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good[: len(good) // 2])
    assert "truncated.npz: not a valid .npz Keras dataset file (File is not a zip file)" in load_error(truncated)
    text = tmp_path / "text.npz"
    text.write_text("x_train,y_train\n")
    assert "not a valid .npz Keras dataset file (not a zip archive)" in load_error(text)


def test_a_header_claiming_more_data_than_the_member_holds_is_refused(subset, tmp_path):
    members = {f"{name}.npy": _npy(array) for name, array in zip(("x_train", "y_train", "x_test", "y_test"), subset)}
    members["y_test.npy"] = members["y_test.npy"][:-10]  # the header still says 600 labels
    path = _zip_with(tmp_path / "mnist.npz", **members)
    assert "('y_test': its header describes 600 bytes of data, the zip directory 590)" in load_error(path)


def test_members_compressed_otherwise_than_numpy_does_are_refused(subset, tmp_path):
    members = {f"{name}.npy": _npy(array) for name, array in zip(("x_train", "y_train", "x_test", "y_test"), subset)}
    path = _zip_with(tmp_path / "mnist.npz", zipfile.ZIP_BZIP2, **members)
    assert "'x_train' is compressed with zip method 12; nnviz reads stored or deflated members" in load_error(path)


# --- image folders (torchvision's ImageFolder layout) ---

FOLDER_TRAIN, FOLDER_TEST = 1000, 200


def write_image_folder(root, images, labels, names=tuple("0123456789"), dark_on_light=False):
    """One PNG per picture in ``root/<class name>/``, named by its index."""
    for index, (image, label) in enumerate(zip(images, labels)):
        folder = root / names[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - image if dark_on_light else image).save(folder / f"{index:05d}.png")
    return root


def by_class(images, labels):
    """As an image folder lists them: class after class, each in file (index) order."""
    order = np.argsort(labels, kind="stable")
    return images[order], labels[order]


@pytest.fixture(scope="module")
def folder_subset(subset):
    return subset[0][:FOLDER_TRAIN], subset[1][:FOLDER_TRAIN], subset[2][:FOLDER_TEST], subset[3][:FOLDER_TEST]


@pytest.fixture(scope="module")
def train_test_folder(folder_subset, tmp_path_factory):
    root = tmp_path_factory.mktemp("folder")
    write_image_folder(root / "train", *folder_subset[:2])
    write_image_folder(root / "test", *folder_subset[2:])
    return root


def test_an_image_folder_with_train_and_test_loads_the_idx_pictures(train_test_folder, folder_subset):
    dataset = load_dataset("mnist", train_test_folder, progress=False)
    expected = (*by_class(*folder_subset[:2]), *by_class(*folder_subset[2:]))
    for loaded, wanted in zip(arrays_of(dataset), expected):
        np.testing.assert_array_equal(loaded, wanted)
    assert dataset.class_names == tuple("0123456789")

    def accuracy(arrays):
        trainer = Trainer(TrainConfig(seed=0), *arrays)
        trainer.train_epoch()
        return trainer.evaluate_test()

    assert accuracy(arrays_of(dataset)) == accuracy(expected) > 0.3


def test_an_image_folder_alone_holds_out_the_last_tenth_of_each_class(folder_subset, tmp_path):
    images, labels = folder_subset[:2]
    dataset = load_dataset("mnist", write_image_folder(tmp_path / "digits", images, labels), progress=False)
    train, test = [], []
    for digit in range(10):
        pictures = images[labels == digit]
        held = max(1, len(pictures) // 10)
        train.append(pictures[:-held])
        test.append(pictures[-held:])
    np.testing.assert_array_equal(dataset.train_images, np.concatenate(train))
    np.testing.assert_array_equal(dataset.test_images, np.concatenate(test))
    np.testing.assert_array_equal(dataset.test_labels, np.repeat(np.arange(10), [len(part) for part in test]))


def test_dark_ink_on_light_paper_is_inverted_like_mnist(folder_subset, tmp_path):
    images, labels = folder_subset[0][:60], folder_subset[1][:60]
    root = write_image_folder(tmp_path / "paper", images, labels, dark_on_light=True)
    dataset = load_dataset("mnist", root, progress=False)
    np.testing.assert_array_equal(np.concatenate([dataset.train_images, dataset.test_images]).sum(),
                                  images.sum(dtype=np.int64))
    assert dataset.train_images[:, 0, :].max() == 0  # MNIST's dark border, not the paper's white


def test_the_folders_classes_make_the_output_layer_and_its_names(folder_subset, tmp_path, capsys):
    images, labels = folder_subset[:2]
    keep = labels < 3
    names = ("one", "two", "zero")  # sorted: label 0 is "one"
    root = write_image_folder(tmp_path / "three", images[keep], labels[keep], names=names)
    out = tmp_path / "w.npz"
    assert main(["train", "--data", str(root), "--epochs", "1", "--seed", "0", "--save", str(out)]) == 0
    assert "training 784,16,16,3 " in capsys.readouterr().out
    with np.load(out) as saved:
        assert saved["b2"].shape == (3,)


@pytest.mark.parametrize("make, expected", [
    (lambda root: (root / "only").mkdir(parents=True), "at least two classes; found only 'only'"),
    (lambda root: [(root / name).mkdir(parents=True) for name in ("a", "b")], "root/a: holds no pictures"),
])
def test_a_folder_that_is_not_a_dataset_is_refused(tmp_path, make, expected):
    root = tmp_path / "root"
    make(root)
    assert expected in load_error(root)


def test_an_unreadable_picture_is_named(folder_subset, tmp_path, capsys):
    root = write_image_folder(tmp_path / "digits", *(part[:40] for part in folder_subset[:2]))
    (root / "3" / "00007.png").write_text("not a picture")
    assert main(["train", "--data", str(root), "--epochs", "1"]) == 2
    assert capsys.readouterr().err == f"nnviz: error: {root / '3' / '00007.png'}: not an image (expected PNG or JPEG)\n"


def test_a_data_folder_holding_only_fashion_is_still_an_idx_folder(tmp_path):
    (tmp_path / "fashion").mkdir()
    assert "train-images-idx3-ubyte.gz: not found" in load_error(tmp_path)


# --- other IDX datasets: class names from a classes.txt beside the files ---

KMNIST_NAMES = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")


@pytest.fixture
def idx_with_names(mnist_dir, tmp_path):
    """The real IDX files (linked) with a classes.txt beside them, as KMNIST's folder would have."""
    for source in mnist_dir.glob("*-ubyte.gz"):
        (tmp_path / source.name).symlink_to(source)
    return tmp_path


def test_classes_txt_names_an_idx_datasets_classes(idx_with_names, mnist_dir, subset):
    (idx_with_names / "classes.txt").write_text("\n".join(KMNIST_NAMES) + "\n")
    dataset = load_dataset("mnist", idx_with_names, progress=False)
    assert dataset.class_names == KMNIST_NAMES
    np.testing.assert_array_equal(dataset.train_images[:TRAIN], subset[0])
    assert dataset_class_names("mnist", idx_with_names) == KMNIST_NAMES  # known before loading, for the config
    assert dataset_class_names("mnist", mnist_dir) == tuple("0123456789")


@pytest.mark.parametrize("content, expected", [
    ("\n".join(KMNIST_NAMES[:9]).encode(), "names 9 classes; the IDX labels beside it run from 0 to 9, so it must name 10"),
    ("\n".join(["o", *KMNIST_NAMES[:-1]]).encode(), "names 'o' twice"),
    (b"\xff\xfe o\n", "not UTF-8 text"),
    (b"x" * 70000, "is over 65,536 bytes"),
])
def test_a_bad_classes_txt_is_refused_naming_it(idx_with_names, content, expected, capsys):
    (idx_with_names / "class_names.txt").write_bytes(content)
    assert main(["train", "--data", str(idx_with_names), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nnviz: error: {idx_with_names / 'class_names.txt'}: ") and expected in err
    assert err.count("\n") == 1
