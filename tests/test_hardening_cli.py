"""The command line and what it writes: no file replaced without --force, targets checked before the work,
Ctrl-C keeps what was trained, and every bad path or size is one line, never a traceback."""

import errno
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from permissions import python_obeying_permissions

from core_fixtures import make_core  # noqa: F401  (fixture)
from gl_fixtures import gl_ctx, gl_loader, gl_session_ctx  # noqa: F401  (fixtures)
from nnviz import cli
from nnviz.cli import main
from nnviz.limits import MAX_LAYER_SIZE, MAX_PARAMETERS
from nnviz.model.config import TrainConfig
from nnviz.model.network import Network
from nnviz.model.weights_io import load_weights, save_weights
from tests.conftest import REPO

LONG_NAME = "n" * 300  # more than the 255 bytes a file name may have: ENAMETOOLONG


def run_main(capsys, *args):
    """(exit status, stdout, stderr) of ``nnviz ARGS``, usage errors (SystemExit) included."""
    try:
        code = main([str(arg) for arg in args])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str, *fragments: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def nnviz(*args, timeout=300, **options):
    no_display = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=no_display, **options)


@pytest.fixture
def weights(tmp_path):
    return save_weights(tmp_path / "w.npz", Network([784, 8, 10]), TrainConfig(layers=(784, 8, 10)))


# ------------------------------------------------------- never replaced without --force
NO_DATA = ["--data", "{tmp}/no-data", "--no-download"]  # a check that passed would fail on the data instead
#: Every command that writes a file, and the option naming it: {target} is the file, {weights} a weight file.
WRITERS = [
    ["train", "--save", "{target}.npz", *NO_DATA],
    ["train", "--history", "{target}.npz", *NO_DATA],
    ["edit", "--load", "{weights}", "--add-neurons", "1:1", "--save", "{target}.npz"],
    ["render", "--out", "{target}.png", *NO_DATA],
    ["video", "--history", "{weights}", "--out", "{target}.mp4", *NO_DATA],
]


def writer_args(command, **names):
    return [part.format(**names) for part in command]


@pytest.mark.parametrize("command", WRITERS)
def test_an_existing_file_is_refused_before_any_work(capsys, tmp_path, weights, command):
    """Not even a weight file is replaced; the check comes first (the data named here does not exist)."""
    target = tmp_path / "taken"
    args = writer_args(command, target=target, weights=weights, tmp=tmp_path)
    existing = next(arg for arg in args if arg.startswith(str(target)))
    (tmp_path / existing).write_bytes(b"not a weight file, and not theirs to replace")
    code, out, err = run_main(capsys, *args)
    assert code == 2 and out == ""
    assert_one_line(err, f"{existing}: already exists; not overwriting it (--force replaces it)")
    assert (tmp_path / existing).read_bytes() == b"not a weight file, and not theirs to replace"


def test_train_force_replaces_the_file(capsys, tmp_path, mnist_dir):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old")
    code, out, _ = run_main(capsys, "train", "--epochs", "1", "--layers", "784,4,10", "--data", mnist_dir,
                            "--save", target, "--force")
    assert code == 0 and f"saved weights to {target}" in out
    assert load_weights(target).config.layers == (784, 4, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_edit_force_replaces_the_file(capsys, tmp_path, weights):
    target = tmp_path / "edited.npz"
    target.write_bytes(b"old")
    code, _, err = run_main(capsys, "edit", "--load", weights, "--add-neurons", "1:2", "--save", target, "--force")
    assert code == 0, err
    assert load_weights(target).config.layers == (784, 10, 10)


def test_a_file_that_appears_while_training_is_kept_and_the_weights_saved_beside_it(capsys, tmp_path, mnist_dir,
                                                                                      monkeypatch):
    from nnviz.commands import train

    target = tmp_path / "w.npz"
    real_train = train._train_epochs

    def someone_saves_there_meanwhile(trainer, epochs):
        target.write_bytes(b"theirs")
        return real_train(trainer, epochs)

    monkeypatch.setattr(train, "_train_epochs", someone_saves_there_meanwhile)
    code, out, err = run_main(capsys, "train", "--epochs", "1", "--layers", "784,4,10", "--data", mnist_dir,
                              "--save", target)
    assert code == 0
    assert target.read_bytes() == b"theirs"
    assert err == f"nnviz: {target} appeared while training; saved to {tmp_path / 'w-2.npz'} instead\n"
    assert load_weights(tmp_path / "w-2.npz").config.layers == (784, 4, 10)


# -------------------------------------------------- the target is checked before the work
@pytest.mark.parametrize("command", WRITERS)
@pytest.mark.parametrize("parent", ["a-file", "missing"])
def test_a_target_in_no_folder_is_refused_before_any_work(capsys, tmp_path, weights, command, parent):
    """A parent that is a file, or does not exist: refused at once, for root too."""
    (tmp_path / "a-file").write_text("x")
    target = tmp_path / parent / "out"
    code, _, err = run_main(capsys, *writer_args(command, target=target, weights=weights, tmp=tmp_path))
    assert code == 2
    reason = "is not a directory" if parent == "a-file" else "does not exist"
    assert_one_line(err, f"{target}.", reason)


def test_train_into_a_read_only_folder_fails_before_training(tmp_path, mnist_dir):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        done = python_obeying_permissions(str(REPO / "main.py"), "train", "--epochs", "1", "--data", str(mnist_dir),
                                          "--save", str(folder / "w.npz"))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2 and "epoch" not in done.stdout
    assert_one_line(done.stderr, f"--save {folder / 'w.npz'}: cannot write in {folder}: Permission denied")


def test_a_folder_without_search_permission_is_one_line(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o600)  # readable, not searchable
    try:
        done = python_obeying_permissions(str(REPO / "main.py"), "train", "--save", str(folder / "w.npz"),
                                          "--data", str(tmp_path / "no-data"))
    finally:
        folder.chmod(0o755)
    assert done.returncode == 2
    assert_one_line(done.stderr, f"--save {folder / 'w.npz'}", "Permission denied")


# ------------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_while_training_saves_what_was_trained(tmp_path, mnist_dir):
    target = tmp_path / "w.npz"
    process = subprocess.Popen([sys.executable, str(REPO / "main.py"), "train", "--epochs", "50", "--layers",
                                "784,8,10", "--data", str(mnist_dir), "--save", str(target)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_epoch = ""
        while not first_epoch.startswith("epoch 1/50"):  # training for a while, and more to come
            first_epoch = process.stdout.readline()
            assert first_epoch, process.stderr.read()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.startswith("nnviz: interrupted after ") and err.endswith(f" batches; saved to {target}\n"), err
    batches = int(err.split()[3])
    assert batches >= 1875  # one epoch of 60,000 images, 32 a batch
    saved = load_weights(target)
    assert saved.extra["samples_seen"] >= batches * 32 - 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_ctrl_c_without_save_just_stops(capsys, mnist_dir, monkeypatch):
    from nnviz.commands import train

    def interrupted(trainer, epochs):
        trainer.train_batches(3)
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_train_epochs", interrupted)
    code, _, err = run_main(capsys, "train", "--layers", "784,4,10", "--data", mnist_dir)
    assert code == 130 and err == "nnviz: interrupted after 3 batches\n"


# ---------------------------------------------------------------- one-line errors
@pytest.mark.parametrize("layers,message", [
    ("784,100000000,10", f"a layer of 100,000,000 neurons; at most {MAX_LAYER_SIZE:,}"),
    ("784,99999999999999999999,10", f"a layer of 99,999,999,999,999,999,999 neurons; at most {MAX_LAYER_SIZE:,}"),
    ("784,30000,30000,10", f"923,880,010 weights and biases; at most {MAX_PARAMETERS:,}"),
    ("784,16," + "9" * 5000 + ",10", "expected comma-separated integers"),  # past int()'s digit limit
    ("784," + "9" * 4000 + ",10", "a layer of 9,999,999,"),  # under it, but too long to quote whole
])
def test_huge_layers_are_a_usage_error_not_an_allocation(capsys, tmp_path, layers, message):
    code, _, err = run_main(capsys, "train", "--layers", layers, "--data", tmp_path / "no-data", "--no-download")
    assert code == 2
    assert_one_line(err, "argument --layers: ", message)
    assert len(err) < 300  # the value is quoted shortened


@pytest.mark.parametrize("command", [["train", "--history", "run.npz"], []])
def test_a_history_cap_larger_than_a_loadable_run_file_is_refused(capsys, command):
    code, _, err = run_main(capsys, *command, "--history-mb", "5000")
    assert code == 2
    assert_one_line(err, "argument --history-mb: '5000': at most 1024")


@pytest.mark.parametrize("option", ["--save", "--load", "--data", "--history"])
def test_an_empty_file_name_is_an_error_naming_the_option(capsys, option):
    code, _, err = run_main(capsys, "train", option, "")
    assert code == 2
    assert_one_line(err, f"argument {option}: an empty file name")


@pytest.mark.parametrize("command", [["edit", "--add-neurons", "1:1", "--load", "w.npz", "--save", ""],
                                     ["edit", "--add-neurons", "1:1", "--save", "x.npz", "--load", ""],
                                     ["render", "--out", ""], ["video", "--history", "r.npz", "--out", ""],
                                     ["--load", "", "predict", "a.png"]])
def test_other_commands_refuse_empty_file_names(capsys, command):
    code, _, err = run_main(capsys, *command)
    assert code == 2
    assert_one_line(err, f"argument {command[-2] if command[-1] == '' else '--load'}: an empty file name")


@pytest.mark.parametrize("option,suffix", [("--save", ".npz"), ("--load", ".npz"), ("--data", "")])
def test_a_file_name_too_long_is_one_line_naming_it(capsys, tmp_path, option, suffix):
    path = tmp_path / (LONG_NAME + suffix)
    code, _, err = run_main(capsys, "train", option, path, "--no-download")
    assert code == 2
    assert_one_line(err, str(path), ": File name too long\n")


def test_an_os_error_no_check_caught_is_still_one_line(capsys, monkeypatch):
    def unforeseen(args):
        raise PermissionError(errno.EACCES, "Permission denied", "/some/where.npz")

    monkeypatch.setitem(cli.RUN, "train", unforeseen)
    code, _, err = run_main(capsys, "train")
    assert code == 2 and err == "nnviz: error: /some/where.npz: Permission denied\n"


# ------------------------------------------------------------------ nnviz render
@pytest.mark.gl
def test_render_without_the_dataset_draws_a_blank_input(tmp_path):
    out = tmp_path / "frame.png"
    out.write_bytes(b"an older frame")
    result = nnviz("render", "--out", out, "--size", "64x48", "--samples", "0", "--data", tmp_path / "offline",
                   "--no-download", "--force")
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("nnviz: no dataset (") and result.stderr.endswith(
        "); drawing the network on a blank input\n"), result.stderr
    assert "showing a blank input, predicted" in result.stdout
    from nnviz.engine.image_io import load_png

    image = load_png(out)
    assert image.shape == (48, 64, 3) and len(np.unique(image.reshape(-1, 3), axis=0)) > 10  # the network drawn
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.png"]


def test_render_without_the_dataset_cannot_train_or_pick_a_test_image(capsys, tmp_path):
    pytest.importorskip("moderngl")
    for option, value in (("--steps", "5"), ("--sample", "3")):
        code, _, err = run_main(capsys, "render", "--out", tmp_path / "x.png", option, value,
                                "--data", tmp_path / "offline", "--no-download")
        assert code == 2
        assert_one_line(err, f"nnviz: error: {option} needs the dataset: {tmp_path / 'offline'}")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- screenshots
@pytest.mark.gl
def test_a_screenshot_never_goes_through_a_link_planted_at_its_name(make_core, tmp_path, monkeypatch):
    import nnviz.app.files as files

    monkeypatch.setattr(files.time, "strftime", lambda pattern: "20250101-120000")  # the next name is known
    victim = tmp_path / "elsewhere.png"
    (tmp_path / "nnviz-20250101-120000.png").symlink_to(victim)
    core = make_core()
    core._request_screenshot()
    core.render()
    assert not victim.exists()
    assert core.last_screenshot == str(tmp_path / "nnviz-20250101-120000-2.png")
    assert (tmp_path / "nnviz-20250101-120000.png").is_symlink()


def test_a_window_recording_takes_the_next_name_when_its_own_is_taken_meanwhile(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    from nnviz.app.recorder import VideoRecorder

    path = tmp_path / "nnviz-1.mp4"
    victim = tmp_path / "victim.mp4"
    video = VideoRecorder(path, (32, 32), fps=10, next_free_name=True)
    video.add(np.zeros((32, 32, 3), np.uint8))
    path.symlink_to(victim)  # planted while recording
    assert video.close() == 1
    assert video.path == tmp_path / "nnviz-1-2.mp4" and video.path.stat().st_size > 0
    assert not victim.exists() and path.is_symlink()


def test_video_force_replaces_a_finished_file(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    from nnviz.app.recorder import VideoRecorder

    path = tmp_path / "clip.mp4"
    path.write_bytes(b"old")
    with VideoRecorder(path, (32, 32), fps=10, replace=True) as video:
        video.add(np.zeros((32, 32, 3), np.uint8))
    assert path.read_bytes()[4:8] == b"ftyp" and sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]
