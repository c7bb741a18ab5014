"""The command line as users run it: messages, exit codes, and real training."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from nnviz.cli import main
from tests.conftest import REPO


def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def assert_one_line_error(capsys, args, *fragments):
    with pytest.raises(SystemExit) as exit_info:
        code = main(list(args))
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["--layers", "784,0,10"], ["--layers: 784,0,10", "at least one neuron"]),
        (["--layers", "780,16,10"], ["first layer must be 784"]),
        (["--layers", "784,16,9"], ["last layer must be 10"]),
        (["--layers", "784,a,10"], ["--layers", "comma-separated integers"]),
        (["--layers", "784"], ["at least an input and an output layer"]),
        (["--lr", "-0.1"], ["--lr -0.1", "must be > 0"]),
        (["--lr", "abc"], ["--lr", "invalid float value"]),
        (["--batch-size", "0"], ["--batch-size 0", "at least 1"]),
        (["--weight-decay", "-1"], ["--weight-decay -1.0", ">= 0"]),
        (["--momentum", "1.5"], ["--momentum 1.5"]),
        (["--epochs", "0"], ["--epochs", "must be at least 1"]),
        (["--activation", "swish"], ["--activation", "invalid choice"]),
        (["--dataset", "cifar"], ["--dataset", "invalid choice"]),
        (["--bogus"], ["unrecognized arguments: --bogus"]),
        (["--save", "/nonexistent-dir/w.npz"], ["--save /nonexistent-dir/w.npz", "does not exist"]),
        (["--save", "weights.txt"], ["--save weights.txt", "must end in .npz"]),
        (["--load", "/nonexistent.npz"], ["/nonexistent.npz: no such file"]),
        (["--seed", "-1"], ["--seed -1: must be an integer from 0"]),
        (["--data", "/nonexistent-data", "--no-download"], ["/nonexistent-data"]),
        (["--history-mb", "0"], ["--history-mb: '0' must be a number above 0"]),
        (["--history-mb", "-5"], ["--history-mb: '-5' must be a number above 0"]),
        (["--history-mb", "inf"], ["--history-mb: 'inf' must be a number above 0"]),
        (["--history-mb", "lots"], ["--history-mb: 'lots' is not a number"]),
        (["--history-mb", "64"], ["--history-mb 64: only with --history FILE"]),
        (["--history", "run.txt"], ["--history run.txt: run files must end in .npz"]),
        (["--history", "/nonexistent-dir/run.npz"], ["--history /nonexistent-dir/run.npz", "does not exist"]),
        (["--history", "same.npz", "--save", "./same.npz"], ["--save and --history both name same.npz"]),
    ],
)
def test_bad_train_options(capsys, args, fragments):
    assert_one_line_error(capsys, ["train", *args], *fragments)


def test_load_with_mismatched_layers(capsys, tmp_path):
    from nnviz.model.config import TrainConfig
    from nnviz.model.network import Network
    from nnviz.model.weights_io import save_weights

    path = save_weights(tmp_path / "w.npz", Network([784, 16, 16, 10]), TrainConfig())
    assert_one_line_error(capsys, ["train", "--load", str(path), "--layers", "784,32,10"],
                          "--layers 784,32,10 does not match", "784,16,16,10")


@pytest.mark.slow
def test_default_training_reaches_93_percent_and_saves(mnist_dir, tmp_path):
    weights = tmp_path / "trained.npz"
    result = run_cli("train", "--epochs", "3", "--seed", "0", "--data", str(mnist_dir), "--save", str(weights))
    assert result.returncode == 0, result.stderr
    accuracies = [float(a) for a in re.findall(r"test accuracy ([\d.]+)%", result.stdout)]
    assert len(accuracies) == 3, result.stdout
    assert accuracies[-1] >= 93.0, result.stdout

    with np.load(weights, allow_pickle=False) as archive:
        assert archive["W0"].shape == (784, 16)
    # The saved network is the trained one: loading it gives the same accuracy.
    from nnviz.data import load_dataset
    from nnviz.model.trainer import Trainer
    from nnviz.model.weights_io import load_weights

    loaded = load_weights(weights)
    data = load_dataset("mnist", mnist_dir)
    trainer = Trainer(loaded.config)
    trainer.load_parameters(loaded.flat_parameters())
    assert trainer.evaluate(data.test_images, data.test_labels)[1] * 100 == pytest.approx(accuracies[-1], abs=0.005)


def test_training_records_the_run_when_asked(mnist_dir, tmp_path):
    from nnviz.model.run_io import load_run

    path = tmp_path / "run.npz"
    result = run_cli("train", "--epochs", "1", "--layers", "784,8,10", "--data", str(mnist_dir), "--history", str(path),
                     "--history-mb", "64")
    assert result.returncode == 0, result.stderr
    history = load_run(path)
    size = path.stat().st_size / 2**20
    assert f"saved run history ({len(history)} snapshots, {size:.1f} MB) to {path}\n" in result.stdout
    assert history.config.layers == (784, 8, 10)
    assert history.batches[:201].tolist() == list(range(201))  # every batch at first
    assert 1875 * 0.95 < history.batches[-1] <= 1875 and len(history) < 260  # then sparser
    assert history.points[-1].samples_seen == 60000 and len(history.points) == 6


def test_a_diverged_run_s_history_is_saved_too(mnist_dir, tmp_path):
    from nnviz.model.run_io import load_run

    path = tmp_path / "run.npz"
    result = run_cli("train", "--epochs", "1", "--activation", "leaky_relu", "--optimizer", "sgd", "--lr", "100",
                     "--data", str(mnist_dir), "--history", str(path))
    assert result.returncode == 1 and "nnviz: training stopped:" in result.stderr
    assert f"to {path}" in result.stdout
    history = load_run(path)
    assert history.batches[0] == 0 and len(history) >= 1


def test_a_history_cap_too_small_for_the_network(capsys, mnist_dir, tmp_path):
    assert_one_line_error(capsys, ["train", "--data", str(mnist_dir), "--history", str(tmp_path / "run.npz"),
                                   "--history-mb", "1"],
                          "nnviz: error: --history-mb 1: a cap of 1 MB is too small: the first and the latest "
                          "snapshot of this run and its loss/accuracy points need 3.43 MB")
    assert not (tmp_path / "run.npz").exists()


def test_textbook_preset_trains_with_the_classic_setup(mnist_dir, tmp_path):
    weights = tmp_path / "textbook.npz"
    result = run_cli("train", "--preset", "textbook", "--epochs", "1", "--data", str(mnist_dir), "--save", str(weights))
    assert result.returncode == 0, result.stderr
    assert "sigmoid/sigmoid, sgd lr 0.5, batch 100, init normal" in result.stdout
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", result.stdout).group(1))
    assert accuracy > 20.0  # far above chance (10%) after one epoch, though the textbook setup is slow


def test_divergence_is_reported_not_raised(mnist_dir):
    result = run_cli("train", "--epochs", "1", "--activation", "leaky_relu", "--optimizer", "sgd", "--lr", "100",
                     "--data", str(mnist_dir))
    assert result.returncode == 1
    assert "nnviz: training stopped: the loss became nan" in result.stderr
    assert "probably too high): try a smaller --lr, e.g. --lr 10\n" in result.stderr
    assert "reset" not in result.stderr and result.stdout.count("nnviz:") == 0  # the window's hint means nothing here
    assert "Traceback" not in result.stderr


def test_corrupt_data_file_via_cli(tmp_path, mnist_dir):
    for name in ("train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / name).symlink_to(mnist_dir / name)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    result = run_cli("train", "--data", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "train-images-idx3-ubyte.gz" in lines[0] and lines[0].startswith("nnviz: error:")


def test_window_without_a_display_says_what_to_do_instead():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "--no-download"], capture_output=True, text=True,
                            env=env, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr == ("nnviz: error: cannot open a window (DISPLAY is not set); "
                             "without a display use 'nnviz train' or 'nnviz render'\n")


def test_options_before_the_subcommand_count_too(mnist_dir):
    result = run_cli("--lr", "0.01", "--batch-size", "64", "--data", str(mnist_dir), "--no-download",
                     "train", "--epochs", "1", "--seed", "2")
    assert result.returncode == 0, result.stderr
    assert "adam lr 0.01, batch 64, init xavier, seed 2" in result.stdout
    after = run_cli("--lr", "0.01", "train", "--lr", "0.05", "--epochs", "1", "--data", str(mnist_dir))
    assert "adam lr 0.05" in after.stdout  # the later, closer option wins


def test_batch_larger_than_the_training_set(capsys, mnist_dir):
    assert_one_line_error(capsys, ["train", "--batch-size", "70000", "--data", str(mnist_dir)],
                          "--batch-size 70000: larger than the 60000 training images")


def test_every_config_field_has_the_option_its_messages_name():
    from nnviz.cli import build_parser
    from nnviz.model.config import TrainConfig
    from nnviz.option_names import OPTIONS

    assert set(OPTIONS) == TrainConfig.field_names()
    actions = build_parser()._option_string_actions
    for field, option in OPTIONS.items():
        assert actions[option].dest == field, option


def test_a_config_error_is_reworded_with_the_option():
    from nnviz.errors import ConfigError
    from nnviz.option_names import for_command_line

    error = ConfigError("batch_size", 5000, "larger than the 640 training images")
    assert str(error) == "batch_size 5000: larger than the 640 training images"
    assert (error.field, error.value, error.problem) == ("batch_size", "5000", "larger than the 640 training images")
    assert str(for_command_line(error)) == "--batch-size 5000: larger than the 640 training images"
    assert for_command_line(error).exit_code == error.exit_code


def test_loaded_weights_that_do_not_fit_the_dataset_name_the_file(capsys, tmp_path):
    from nnviz.model.config import TrainConfig
    from nnviz.model.network import Network
    from nnviz.model.weights_io import save_weights

    path = save_weights(tmp_path / "w.npz", Network([100, 8, 10]), TrainConfig(layers=(100, 8, 10)))
    assert_one_line_error(capsys, ["train", "--load", str(path)],
                          f"nnviz: error: {path}: config: layers 100,8,10: the first layer must be 784 (28x28 pixels)")


@pytest.mark.parametrize("value, message", [("0", "'0' must be a number above 0"), ("-3", "'-3' must be a number above 0"),
                                            ("inf", "'inf' must be a number above 0"), ("soon", "'soon' is not a number")])
def test_exit_after_must_be_a_positive_number(capsys, value, message):
    assert_one_line_error(capsys, ["--exit-after", value], f"argument --exit-after: {message}")


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], []])  # headless, and the window (pytest-xvfb)
def test_a_bad_blas_thread_count_is_one_line(command, mnist_dir):
    env = {**os.environ, "NNVIZ_BLAS_THREADS": "many"}
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "--data", str(mnist_dir), *command],
                            capture_output=True, text=True, env=env, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert result.stderr == ("nnviz: error: NNVIZ_BLAS_THREADS='many': expected a number of threads "
                             "(0: BLAS's own default)\n")
    assert "epoch" not in result.stdout


def test_blas_threads_are_limited_for_a_while_and_the_environment_decides():
    from threadpoolctl import threadpool_info

    from nnviz.commands.train import blas_threads

    def counts():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    before = counts()
    with blas_threads(default=1, environ={}):
        assert counts() == {1}
    assert counts() == before
    with blas_threads(default=1, environ={"NNVIZ_BLAS_THREADS": "0"}):  # 0: BLAS's own choice
        assert counts() == before
    with blas_threads(default=0, environ={"NNVIZ_BLAS_THREADS": "1"}):
        assert counts() == {1}
    with blas_threads(default=0, environ={}):  # nnviz train's default: untouched
        assert counts() == before


def test_the_window_trains_with_one_blas_thread_unless_told(monkeypatch, capsys, tmp_path):
    import types

    from threadpoolctl import threadpool_info

    def counts():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    seen = []

    class Window:  # the real one's part run_app uses, without opening a window (nor importing pyglet's)
        core = None

        @classmethod
        def open(cls, session, size, **options):
            return cls()

        def run(self, exit_after=None):
            seen.append((counts(), exit_after))

    monkeypatch.setitem(sys.modules, "nnviz.app.window", types.SimpleNamespace(NnvizWindow=Window))
    monkeypatch.delenv("NNVIZ_BLAS_THREADS", raising=False)
    before = counts()
    missing = ["--data", str(tmp_path / "none"), "--no-download"]  # the background load fails at once: no matter
    assert main([*missing, "--stats", "--exit-after", "2.5"]) == 0
    assert seen == [({1}, 2.5)] and counts() == before
    assert capsys.readouterr().out == "frames 0, fps 0.0, train samples/s 0, quality high\n"
    monkeypatch.setenv("NNVIZ_BLAS_THREADS", "0")
    assert main(missing) == 0
    assert seen[-1] == (before, None)
    assert capsys.readouterr().out == ""  # no --stats, no line
