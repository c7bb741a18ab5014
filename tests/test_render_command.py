"""``nnviz render``: a PNG with no display at all (EGL + llvmpipe)."""

import os
import subprocess
import sys

import numpy as np
import pytest

from nnviz.engine.image_io import load_png
from tests.conftest import REPO

pytestmark = pytest.mark.gl


def render(*args):
    no_display = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, str(REPO / "main.py"), "render", *args], capture_output=True, text=True,
                          timeout=300, env=no_display)


def test_render_writes_an_image_of_the_requested_size(tmp_path, mnist_dir):
    out = tmp_path / "frame.png"
    result = render("--data", str(mnist_dir), "--out", str(out), "--size", "320x200", "--steps", "20")
    assert result.returncode == 0, result.stderr
    image = load_png(out)
    assert image.shape == (200, 320, 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # not blank, not one colour
    assert "showing test image 0, a 7" in result.stdout


def test_render_shows_the_loaded_network(tmp_path, mnist_dir):
    from nnviz.model.config import TrainConfig
    from nnviz.model.network import Network
    from nnviz.model.weights_io import save_weights

    plain = render("--data", str(mnist_dir), "--out", str(tmp_path / "plain.png"), "--size", "64x48",
                   "--layers", "784,32,10")
    unloaded_class = plain.stdout.strip().rsplit("predicted ", 1)[1]
    chosen = 3 if unloaded_class != "3" else 5
    network = Network([784, 32, 10])
    network.biases[1][chosen] = 50.0  # whatever the image, this network answers `chosen`
    weights = save_weights(tmp_path / "w.npz", network, TrainConfig(layers=(784, 32, 10)))
    out = tmp_path / "loaded.png"
    result = render("--data", str(mnist_dir), "--load", str(weights), "--out", str(out), "--size", "160x120",
                    "--camera", "input")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(f"predicted {chosen}")
    assert load_png(out).shape == (120, 160, 3)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--camera", "bogus"], "--camera bogus: not one of default"),
        (["--out", "frame.jpg"], "--out frame.jpg: the image must be a .png file"),
        (["--size", "0x10"], "--size"),
        (["--sample", "10000"], "--sample 10000: must be between 0 and 9999"),
        (["--steps", "-1"], "--steps -1: must be 0 or more"),
        (["--colormap", "rainbow"], "--colormap rainbow: not one of"),
        (["--samples", "3"], "--samples 3: must be 0 or a power of two"),
        (["--layers", ",".join(["784"] + ["4"] * 16 + ["10"])], "at most 16 layers can be drawn"),
    ],
)
def test_bad_render_options_get_one_line(tmp_path, mnist_dir, args, message):
    options = {"--out": str(tmp_path / "x.png"), **dict(zip(args[::2], args[1::2]))}
    flat = [item for pair in options.items() for item in pair]
    result = render("--data", str(mnist_dir), *flat)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "x.png").exists()


def _small_run(path, mnist_dir, batches=300):
    from nnviz.data import load_dataset
    from nnviz.model.config import TrainConfig
    from nnviz.model.history import RunHistory
    from nnviz.model.run_io import save_run
    from nnviz.model.trainer import Trainer

    data = load_dataset("mnist", mnist_dir)
    trainer = Trainer(TrainConfig(layers=(784, 16, 10)), data.train_images, data.train_labels)
    history = RunHistory()
    history.attach(trainer)
    trainer.train_batches(batches)
    save_run(path, history)
    return history


def test_render_draws_the_snapshot_at_or_before_the_batch_asked_for(tmp_path, mnist_dir):
    history = _small_run(tmp_path / "run.npz", mnist_dir)
    asked = int(history.batches[-1]) - 1  # between the last two snapshots
    shown = int(history.batches[history.index_at(asked)])
    images = {}
    for name, at in (("early", "0"), ("asked", str(asked)), ("before", str(shown))):
        out = tmp_path / f"{name}.png"
        result = render("--data", str(mnist_dir), "--history", str(tmp_path / "run.npz"), "--at", at,
                        "--out", str(out), "--size", "160x96", "--samples", "0")
        assert result.returncode == 0, result.stderr
        images[name] = load_png(out)
    assert f"at batch {shown} of" in result.stdout and shown < asked
    np.testing.assert_array_equal(images["asked"], images["before"])
    assert not np.array_equal(images["asked"], images["early"])


@pytest.mark.parametrize("args,message", [
    (["--at", "5"], "--at needs --history"),
    (["--history", "RUN", "--layers", "784,10"], "--layers cannot be combined with --history"),
    (["--history", "RUN", "--at", "-1"], "--at -1: must be 0 or more"),
])
def test_history_option_errors_are_one_line(tmp_path, mnist_dir, args, message):
    _small_run(tmp_path / "run.npz", mnist_dir, batches=3)
    args = [str(tmp_path / "run.npz") if a == "RUN" else a for a in args]
    result = render("--data", str(mnist_dir), "--out", str(tmp_path / "x.png"), *args)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1
