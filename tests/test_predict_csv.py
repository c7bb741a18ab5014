"""``nnviz predict --csv``: Kaggle's digit recognizer test.csv, made here from the real MNIST test pictures,
classified into Kaggle's submission format (or JSON lines), checked against the network's own answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnviz.cli import main
from nnviz.commands.predict import class_probabilities
from nnviz.data import csv_digits, load_dataset
from nnviz.model.config import network_for
from nnviz.model.weights_io import load_weights

ROWS = 1000
#: Small chunks, so that ROWS spans several (the last one partial) without a large file.
CHUNK_LINES = 256


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(csv_digits, "_CHUNK_LINES", CHUNK_LINES)


@pytest.fixture(scope="module")
def mnist_test(mnist_dir):
    """The first ROWS real MNIST test pictures and labels, from the IDX files."""
    dataset = load_dataset("mnist", mnist_dir, download=False)
    return dataset.test_images[:ROWS], dataset.test_labels[:ROWS]


@pytest.fixture(scope="module")
def weights(mnist_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "w.npz"
    assert main(["train", "--epochs", "1", "--data", str(mnist_dir), "--save", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def network(weights):
    loaded = load_weights(str(weights))
    network = network_for(loaded.config)
    network.params[...] = loaded.flat_parameters()
    return network


@pytest.fixture(scope="module")
def expected_labels(network, mnist_test):
    """What the network answers for the IDX pictures, scaled as the trainer scales them."""
    pixels = mnist_test[0].reshape(ROWS, -1).astype(np.float32) * np.float32(1.0 / 255.0)
    return network.forward(pixels)[-1].argmax(axis=1)


def pixel_lines(images):
    return [",".join(map(str, row)) for row in images.reshape(len(images), -1).tolist()]


@pytest.fixture(scope="module")
def test_csv(mnist_test, tmp_path_factory):
    """Kaggle's test.csv layout: pixel0,...,pixel783, no labels."""
    path = tmp_path_factory.mktemp("kaggle") / "test.csv"
    write_csv(path, ",".join(csv_digits.PIXEL_COLUMNS), pixel_lines(mnist_test[0]))
    return path


def write_csv(path, header, lines):
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def predict(capsys, *args):
    status = main(["predict", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_submission_holds_the_networks_answer_for_every_row(weights, test_csv, expected_labels, mnist_test,
                                                                 capsys):
    status, out, err = predict(capsys, "--load", weights, "--csv", test_csv)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "ImageId,Label"
    rows = np.array([line.split(",") for line in lines[1:]], dtype=np.int64)
    assert rows.shape == (ROWS, 2)
    assert rows[:, 0].tolist() == list(range(1, ROWS + 1))
    assert rows[:, 1].tolist() == expected_labels.tolist()
    # One epoch of training gets most digits right: the pixels reached the network scaled as in training.
    assert np.mean(rows[:, 1] == mnist_test[1]) > 0.85


def test_json_gives_each_row_the_per_image_answer(weights, test_csv, network, expected_labels, mnist_test, capsys):
    status, out, err = predict(capsys, "--load", weights, "--csv", test_csv, "--json")
    assert (status, err) == (0, "")
    answers = [json.loads(line) for line in out.splitlines()]
    assert [answer["image_id"] for answer in answers] == list(range(1, ROWS + 1))
    assert [answer["class"] for answer in answers] == expected_labels.tolist()
    for answer, image in zip(answers[::97], mnist_test[0][::97]):
        probabilities = class_probabilities(network, image)
        assert [top["class"] for top in answer["top"]] == np.argsort(-probabilities, kind="stable")[:3].tolist()
        assert [top["probability"] for top in answer["top"]] == pytest.approx(
            np.sort(probabilities)[::-1][:3], abs=1e-5)
        assert answer["name"] == str(answer["class"])


def test_a_labelled_csv_is_predicted_saying_its_labels_were_ignored(weights, mnist_test, expected_labels,
                                                                    tmp_path, capsys):
    images, labels = mnist_test
    wrong_labels = (labels + 1) % 10  # labels the network must not echo
    lines = [f"{label},{line}" for label, line in zip(wrong_labels.tolist(), pixel_lines(images))]
    path = write_csv(tmp_path / "train.csv", ",".join(csv_digits.LABELLED_HEADER), lines)
    status, out, err = predict(capsys, "--load", weights, "--csv", path)
    assert status == 0
    assert err == f"nnviz: {path}: has a label column; it was ignored, only the pixels were predicted\n"
    assert [int(line.split(",")[1]) for line in out.splitlines()[1:]] == expected_labels.tolist()


def set_cell(line, column, value):
    cells = line.split(",")
    cells[column - 1] = value
    return ",".join(cells)


@pytest.mark.parametrize("row, edit, expected", [
    (1, lambda line: set_cell(line, 5, "abc"), "line 2, column 5 (pixel4): 'abc' is not a whole number"),
    (700, lambda line: set_cell(line, 784, "256"), "line 701, column 784 (pixel783): '256' is out of range 0-255"),
    (ROWS, lambda line: line + ",0", "line 1,001 has 785 columns, expected 784"),
    (300, lambda line: "", "line 301 has 1 columns, expected 784"),
])
def test_a_damaged_row_is_one_line_naming_the_file_line_and_column(weights, mnist_test, tmp_path, capsys,
                                                                   row, edit, expected):
    lines = pixel_lines(mnist_test[0])
    lines[row - 1] = edit(lines[row - 1])
    path = write_csv(tmp_path / "test.csv", ",".join(csv_digits.PIXEL_COLUMNS), lines)
    status, out, err = predict(capsys, "--load", weights, "--csv", path)
    assert status == 2
    assert err == f"nnviz: error: {path}: {expected}\n"
    # Rows are predicted a chunk at a time: those of the chunks before the damaged one are out already.
    assert len(out.splitlines()) == (0 if row <= CHUNK_LINES else (row - 1) // CHUNK_LINES * CHUNK_LINES + 1)


def test_rows_are_streamed_a_chunk_at_a_time(mnist_test, tmp_path):
    lines = pixel_lines(mnist_test[0])
    lines[-1] = "damaged"
    path = write_csv(tmp_path / "test.csv", ",".join(csv_digits.PIXEL_COLUMNS), lines)
    chunks = csv_digits.pictures_to_predict(path, tell=print)
    first = next(chunks)  # given before the damaged last line is read
    assert first.dtype == np.uint8
    assert np.array_equal(first, mnist_test[0][:CHUNK_LINES].reshape(CHUNK_LINES, -1))


@pytest.mark.parametrize("content, expected", [
    ("", "line 1: expected the header label,pixel0,...,pixel783"),
    ("label,pixel0\n1,2\n", "line 1: expected the header label,pixel0,...,pixel783"),
    (",".join(csv_digits.PIXEL_COLUMNS) + "\n", "has a header but no rows"),
])
def test_a_csv_that_is_not_a_set_to_predict_is_refused(weights, tmp_path, capsys, content, expected):
    path = tmp_path / "test.csv"
    path.write_text(content)
    status, out, err = predict(capsys, "--load", weights, "--csv", path)
    assert (status, out) == (2, "")
    assert err.startswith(f"nnviz: error: {path}: {expected}") and err.count("\n") == 1


def test_a_missing_csv_is_named(weights, tmp_path, capsys):
    path = tmp_path / "absent.csv"
    status, out, err = predict(capsys, "--load", weights, "--csv", path)
    assert status == 2
    assert err == f"nnviz: error: {path}: cannot read: No such file or directory\n"


@pytest.mark.parametrize("inputs, expected", [
    ([], "predict needs pictures (IMAGE ...) or --csv FILE to classify"),
    (["seven.png", "--csv", "test.csv"], "predict takes pictures (IMAGE ...) or --csv FILE, not both"),
])
def test_predict_takes_pictures_or_a_csv(weights, capsys, inputs, expected):
    status, out, err = predict(capsys, "--load", weights, *inputs)
    assert (status, out, err) == (2, "", f"nnviz: error: {expected}\n")


def test_a_reader_that_stops_early_ends_predict_quietly(weights, test_csv):
    """`nnviz predict ... | head`: the closed pipe used to end in 'nnviz: error: Broken pipe' and exit 2."""
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    predict = subprocess.Popen([sys.executable, "-m", "nnviz", "predict", "--load", str(weights), "--csv",
                                str(test_csv), "--json"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = predict.stdout.readline()
    predict.stdout.close()  # as head does after its lines
    errors = predict.stderr.read().decode()
    predict.wait(timeout=60)
    assert json.loads(first)  # it was writing rows
    assert predict.returncode == 128 + signal.SIGPIPE and errors == ""
