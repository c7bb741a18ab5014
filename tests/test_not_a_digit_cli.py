"""The "not a digit" class on the command line: trained, saved with its class names, and recognised again
by every command that loads the weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nnviz.cli import main
from nnviz.data import load_dataset
from nnviz.data.mixing import NOT_A_DIGIT
from nnviz.model.weights_io import load_weights
from npz_helpers import rewrite_npz


@pytest.fixture(scope="module")
def eleven_classes(tmp_path_factory, mnist_dir, fashion_dir):
    out = tmp_path_factory.mktemp("eleven") / "w.npz"
    code = main(["train", "--data", str(mnist_dir), "--not-a-digit", "--epochs", "1", "--layers", "784,32,11",
                 "--save", str(out)])
    assert code == 0
    return out


def test_train_with_not_a_digit_saves_eleven_outputs_and_their_names(eleven_classes):
    loaded = load_weights(eleven_classes)
    assert loaded.config.layers[-1] == 11
    assert loaded.extra["class_names"][10] == NOT_A_DIGIT
    assert loaded.extra["test_accuracy"] > 0.85  # on the mixed test set: clothes told apart too


def test_the_default_network_gets_an_output_per_class(tmp_path, mnist_dir, fashion_dir, capsys):
    out = tmp_path / "w.npz"
    assert main(["train", "--data", str(mnist_dir), "--not-a-digit", "--epochs", "1", "--save", str(out)]) == 0
    assert load_weights(out).config.layers == (784, 16, 16, 11)


def test_predict_names_a_piece_of_clothing_not_a_digit(eleven_classes, fashion_dir, tmp_path, capsys):
    fashion = load_dataset("fashion", fashion_dir)
    answers = []
    for index in range(20):
        picture = tmp_path / f"clothes{index}.png"
        Image.fromarray(255 - fashion.test_images[index]).resize((112, 112)).save(picture)  # dark on light
        assert main(["predict", "--load", str(eleven_classes), "--json", str(picture)]) == 0
        answers.append(json.loads(capsys.readouterr().out)["name"])
    assert answers.count(NOT_A_DIGIT) >= 15, answers


def test_loading_eleven_outputs_brings_the_class_back_without_the_option(eleven_classes, mnist_dir, tmp_path, capsys):
    out = tmp_path / "more.npz"
    assert main(["train", "--data", str(mnist_dir), "--load", str(eleven_classes), "--epochs", "1",
                 "--save", str(out)]) == 0
    assert load_weights(out).extra["class_names"][-1] == NOT_A_DIGIT


def test_eleven_outputs_without_the_class_names_say_what_to_add(eleven_classes, tmp_path, capsys):
    with np.load(eleven_classes, allow_pickle=False) as archive:
        config = json.loads(str(archive["config"]))
    del config["class_names"]
    bare = rewrite_npz(eleven_classes, config=np.array(json.dumps(config)))
    assert main(["train", "--load", str(bare), "--epochs", "1"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--not-a-digit" in error


def test_not_a_digit_needs_mnist(capsys):
    assert main(["train", "--dataset", "fashion", "--not-a-digit"]) == 2
    assert "only with --dataset mnist" in capsys.readouterr().err


def test_a_run_recorded_with_the_class_renders_with_it(mnist_dir, fashion_dir, tmp_path, capsys):
    run, image = tmp_path / "run.npz", tmp_path / "frame.png"
    assert main(["train", "--data", str(mnist_dir), "--not-a-digit", "--epochs", "1", "--history", str(run)]) == 0
    assert main(["render", "--data", str(mnist_dir), "--not-a-digit", "--history", str(run), "--out", str(image),
                 "--size", "160x96", "--sample", "10500"]) == 0
    assert image.is_file()


def test_class_names_that_are_not_a_list_are_one_line(eleven_classes, tmp_path, capsys):
    with np.load(eleven_classes, allow_pickle=False) as archive:
        config = json.loads(str(archive["config"]))
    config["class_names"] = 5
    broken = rewrite_npz(eleven_classes, config=np.array(json.dumps(config)))
    assert main(["predict", "--load", str(broken), str(tmp_path / "none.png")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "class_names" in error and "Traceback" not in error
