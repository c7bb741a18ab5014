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
