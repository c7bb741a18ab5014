"""``nnviz edit``: a saved network's architecture changed from the command line, and used by the other commands."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from nnviz.cli import build_parser, main
from nnviz.commands.builders import build_config
from nnviz.model.config import TrainConfig, network_for
from nnviz.model.network import initialize
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import load_weights, save_weights
from synthetic_data import synthetic_dataset
from tests.conftest import REPO

DATA = synthetic_dataset()
TEST_X = DATA.test_images.reshape(len(DATA.test_images), -1).astype(np.float32) / np.float32(255)


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    """A 784,16,16,10 tanh network trained a little on synthetic digits, as 'nnviz train --save' writes it."""
    trainer = Trainer(TrainConfig(seed=3), DATA.train_images, DATA.train_labels, history_every=10**9)
    trainer.train_batches(60)
    path = tmp_path_factory.mktemp("weights") / "trained.npz"
    save_weights(path, trainer.network, trainer.config, samples_seen=trainer.samples_seen, dataset="mnist",
                 test_accuracy=0.5)
    return path


def _outputs(path):
    loaded = load_weights(path)
    network = network_for(loaded.config)
    network.params[...] = loaded.flat_parameters()
    return network.forward(TEST_X)[-1]


def _edit(capsys, *args):
    code = main(["edit", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_edits_run_in_the_order_given_and_say_what_they_did(capsys, trained_file, tmp_path):
    out = tmp_path / "edited.npz"
    code, stdout, stderr = _edit(capsys, "--load", trained_file, "--save", out, "--add-neurons", "1:4",
                                 "--insert-layer", "2:20:relu", "--remove-neurons", "1:19,0", "--remove-layer", "3")
    assert code == 0, stderr
    assert stdout.splitlines() == [
        "added 4 neurons to hidden layer 1 (16 -> 20); outputs unchanged",
        "inserted hidden layer 2 (20 relu neurons): 784,20,16,10 -> 784,20,20,16,10; outputs unchanged",
        "removed neurons 0, 19 of hidden layer 1 (20 -> 18)",
        "removed hidden layer 3 (16 tanh neurons): 784,18,20,16,10 -> 784,18,20,10; its neighbours are joined by "
        "the product of its weight matrices (tanh taken as linear), an approximation: outputs change",
        f"saved 784,18,20,10 (tanh,relu/softmax) to {out}",
    ]
    loaded = load_weights(out)
    assert loaded.config.layers == (784, 18, 20, 10)
    assert loaded.config.hidden_activations() == ("tanh", "relu")
    # What still holds of the network is kept; what the edit made untrue is not.
    assert loaded.extra["samples_seen"] == 1920 and loaded.extra["dataset"] == "mnist"
    assert "test_accuracy" not in loaded.extra


def test_the_order_on_the_command_line_is_the_order_of_the_edits(capsys, trained_file, tmp_path):
    # Neuron 17 of hidden layer 1 exists only once 4 have been added.
    code, _, _ = _edit(capsys, "--load", trained_file, "--save", tmp_path / "a.npz",
                       "--add-neurons", "1:4", "--remove-neurons", "1:17")
    assert code == 0 and load_weights(tmp_path / "a.npz").config.layers == (784, 19, 16, 10)
    code, _, stderr = _edit(capsys, "--load", trained_file, "--save", tmp_path / "b.npz",
                            "--remove-neurons", "1:17", "--add-neurons", "1:4")
    assert code == 2 and "--remove-neurons 1:17: no neuron 17 in hidden layer 1" in stderr
    assert not (tmp_path / "b.npz").exists()


def test_adding_neurons_or_a_relu_layer_keeps_the_saved_network_s_outputs(capsys, trained_file, tmp_path):
    out = tmp_path / "grown.npz"
    code, _, stderr = _edit(capsys, "--load", trained_file, "--save", out, "--add-neurons", "2:8",
                            "--insert-layer", "1:16:relu", "--insert-layer", "4:30:relu")
    assert code == 0, stderr
    assert load_weights(out).config.layers == (784, 16, 16, 24, 30, 10)
    np.testing.assert_allclose(_outputs(out), _outputs(trained_file), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize(
    "edit,message",
    [
        (["--add-neurons", "7:3"], "--add-neurons 7:3: no hidden layer 7: the hidden layers are 1 to 2"),
        (["--add-neurons", "1:0"], "--add-neurons 1:0: cannot add 0 neurons: add at least 1"),
        (["--add-neurons", "1:x"], "--add-neurons 1:x: expected LAYER:COUNT, e.g. --add-neurons 2:4"),
        (["--add-neurons", "1"], "--add-neurons 1: expected LAYER:COUNT, e.g. --add-neurons 2:4"),
        (["--add-neurons", "1:2:3"], "--add-neurons 1:2:3: expected LAYER:COUNT"),
        (["--add-neurons", "1.5:2"], "--add-neurons 1.5:2: expected LAYER:COUNT"),
        (["--remove-neurons", "1:3,3"], "--remove-neurons 1:3,3: neuron 3 is listed twice"),
        (["--remove-neurons", "2:16"], "--remove-neurons 2:16: no neuron 16 in hidden layer 2: its neurons are 0 to 15"),
        (["--remove-neurons", "1:" + ",".join(map(str, range(16)))],
         "cannot remove all 16 neurons of hidden layer 1: remove the layer instead"),
        (["--remove-neurons", "1:"], "--remove-neurons 1:: expected LAYER:I,J,..., e.g. --remove-neurons 1:0,5"),
        (["--insert-layer", "2:0"], "--insert-layer 2:0: a layer needs at least one neuron, not 0"),
        (["--insert-layer", "4:8"], "--insert-layer 4:8: no position 4: a layer goes at 1 (after the input) to 3"),
        (["--insert-layer", "2:8:swish"], "--insert-layer 2:8:swish: activation 'swish': not one of: leaky_relu"),
        (["--insert-layer", "two:8"], "--insert-layer two:8: expected POSITION:SIZE[:ACTIVATION]"),
        (["--remove-layer", "3"], "--remove-layer 3: no hidden layer 3: the hidden layers are 1 to 2"),
        (["--remove-layer", "x"], "--remove-layer x: expected LAYER, e.g. --remove-layer 2"),
        # A good edit first: nothing is written unless every edit can be made.
        (["--add-neurons", "1:2", "--remove-layer", "1", "--remove-layer", "2"],
         "--remove-layer 2: no hidden layer 2: the hidden layers are 1 to 1"),
    ],
)
def test_a_bad_edit_is_one_line_and_touches_no_file(capsys, trained_file, tmp_path, edit, message):
    before, mtime = trained_file.read_bytes(), trained_file.stat().st_mtime_ns
    out = tmp_path / "out.npz"
    code, _, stderr = _edit(capsys, "--load", trained_file, "--save", out, *edit)
    assert code == 2
    assert stderr.count("\n") == 1 and stderr.startswith("nnviz: error: ") and message in stderr, stderr
    assert "Traceback" not in stderr
    assert trained_file.read_bytes() == before and trained_file.stat().st_mtime_ns == mtime
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args,message",
    [
        (["--save", "{tmp}/x.npz", "--remove-layer", "1"], "edit needs --load FILE"),
        (["--load", "{file}", "--remove-layer", "1"], "edit needs --save FILE"),
        (["--load", "{file}", "--save", "{tmp}/x.npz"], "edit needs at least one edit: --add-neurons, "
                                                        "--remove-neurons, --insert-layer, --remove-layer"),
        (["--load", "{file}", "--save", "{file}", "--remove-layer", "1"],
         "--save {file}: the same file as --load; save the edited network under a new name"),
        (["--load", "{file}", "--save", "{tmp}/x.txt", "--remove-layer", "1"],
         "--save {tmp}/x.txt: weight files must end in .npz"),
        (["--load", "{tmp}/missing.npz", "--save", "{tmp}/x.npz", "--remove-layer", "1"], "missing.npz: no such file"),
    ],
)
def test_what_an_edit_needs(capsys, trained_file, tmp_path, args, message):
    before = trained_file.read_bytes()
    filled = [arg.format(tmp=tmp_path, file=trained_file) for arg in args]
    code, _, stderr = _edit(capsys, *filled)
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith("nnviz: error: ")
    assert message.format(tmp=tmp_path, file=trained_file) in stderr
    assert trained_file.read_bytes() == before and not (tmp_path / "x.npz").exists()


def test_load_may_come_before_the_subcommand(capsys, trained_file, tmp_path):
    code = main(["--load", str(trained_file), "edit", "--save", str(tmp_path / "e.npz"), "--remove-layer", "1"])
    assert code == 0 and load_weights(tmp_path / "e.npz").config.layers == (784, 16, 10)


def test_an_edited_file_is_written_atomically(capsys, trained_file, tmp_path, monkeypatch):
    out = tmp_path / "edited.npz"
    out.write_bytes(b"the previous contents")

    def disk_full(handle, **arrays):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    code, _, stderr = _edit(capsys, "--load", trained_file, "--save", out, "--add-neurons", "1:1", "--force")
    assert code == 2 and "cannot write: No space left on device" in stderr
    assert out.read_bytes() == b"the previous contents" and sorted(p.name for p in tmp_path.iterdir()) == ["edited.npz"]


# ---------------------------------------------------- per-layer activations as options
def test_layer_activations_option_sets_each_hidden_layer(trained_file):
    args = build_parser().parse_args(["train", "--layers", "784,32,16,10", "--layer-activations", "relu,sigmoid"])
    config, _ = build_config(args)
    assert config.hidden_activations() == ("relu", "sigmoid")


def test_activation_option_sets_every_layer_of_a_loaded_mixed_network(capsys, trained_file, tmp_path):
    mixed = tmp_path / "mixed.npz"
    assert main(["edit", "--load", str(trained_file), "--save", str(mixed), "--insert-layer", "1:16:relu"]) == 0
    config, _ = build_config(build_parser().parse_args(["train", "--load", str(mixed)]))
    assert config.hidden_activations() == ("relu", "tanh", "tanh")
    config, _ = build_config(build_parser().parse_args(["train", "--load", str(mixed), "--activation", "sigmoid"]))
    assert config.layer_activations == () and config.hidden_activations() == ("sigmoid",) * 3


def test_a_bad_layer_activations_option_is_one_line(capsys):
    code = main(["train", "--layer-activations", "relu"])
    assert code == 2
    assert capsys.readouterr().err == ("nnviz: error: --layer-activations relu: needs one activation per hidden "
                                       "layer: layers 784,16,16,10 have 2\n")


# ----------------------------------------------------- the other commands take the edited file
def test_training_continues_from_the_edited_network(capsys, trained_file, tmp_path, mnist_dir):
    edited, trained = tmp_path / "edited.npz", tmp_path / "trained.npz"
    assert main(["edit", "--load", str(trained_file), "--save", str(edited), "--add-neurons", "1:16",
                 "--insert-layer", "2:32:relu"]) == 0
    capsys.readouterr()
    # It starts from the file's weights: the same network a trainer loading them has.
    config, loaded = build_config(build_parser().parse_args(["train", "--load", str(edited)]))
    trainer = Trainer(config)
    trainer.load_parameters(loaded.flat_parameters())
    np.testing.assert_array_equal(trainer.network.forward(TEST_X)[-1], _outputs(edited))

    code = main(["train", "--load", str(edited), "--epochs", "1", "--data", str(mnist_dir), "--save", str(trained)])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "training 784,32,32,16,10 on mnist: tanh,relu,tanh/softmax" in stdout
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", stdout).group(1))
    assert accuracy > 85.0, stdout
    assert load_weights(trained).config.hidden_activations() == ("tanh", "relu", "tanh")


@pytest.mark.gl
def test_render_draws_the_edited_network(capsys, trained_file, tmp_path, mnist_dir):
    from nnviz.engine.image_io import load_png

    edited = tmp_path / "edited.npz"
    assert main(["edit", "--load", str(trained_file), "--save", str(edited), "--insert-layer", "2:24:relu",
                 "--remove-neurons", "1:0,1,2"]) == 0
    out = tmp_path / "edited.png"
    no_display = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "render", "--load", str(edited), "--data",
                             str(mnist_dir), "--out", str(out), "--size", "160x120"],
                            capture_output=True, text=True, timeout=300, env=no_display)
    assert result.returncode == 0, result.stderr
    assert load_png(out).shape == (120, 160, 3)
    # The prediction it shows is the edited network's.
    predicted = int(result.stdout.strip().rsplit("predicted ", 1)[1])
    loaded = load_weights(edited)
    network = network_for(loaded.config)
    network.params[...] = loaded.flat_parameters()
    from nnviz.data import load_dataset

    image = load_dataset("mnist", mnist_dir).test_images[0]
    assert predicted == int(network.predict(image.reshape(-1).astype(np.float32) / np.float32(255)))
