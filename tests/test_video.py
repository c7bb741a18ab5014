"""Video export: the VideoRecorder (H.264 .mp4 through imageio-ffmpeg), and ``nnviz video``, which
replays a recorded run offscreen into one."""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nnviz.errors import NnvizError
from tests.conftest import REPO

imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="the video extra is not installed")

from nnviz.app.recorder import INSTALL_HINT, VideoRecorder  # noqa: E402
from nnviz.cli import main  # noqa: E402
from nnviz.commands.video import snapshot_for_frame  # noqa: E402

NO_DISPLAY = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}


def read_video(path: Path) -> tuple[tuple[int, int], float, list[np.ndarray]]:
    """(width, height), fps and every frame (H, W, 3) uint8 of a video file."""
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader]
    return (width, height), meta["fps"], frames


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def leftovers(folder: Path) -> list[str]:
    """Video or temporary files in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".mp4", ".tmp"))


# ---------------------------------------------------------------- recorder
def grey_frames(count: int, size=(64, 48)) -> list[np.ndarray]:
    width, height = size
    return [np.full((height, width, 3), 20 + 25 * (i % 9), np.uint8) for i in range(count)]


def test_recorder_writes_every_frame_it_is_given(tmp_path):
    out = tmp_path / "clip.mp4"
    frames = grey_frames(7)
    with VideoRecorder(out, (64, 48), fps=12) as video:
        for frame in frames:
            video.add(frame)
        # Under a hidden temporary name until it is finished.
        assert not out.exists() and len(list(tmp_path.glob(".clip.mp4.nnviz-*.tmp"))) == 1
    assert video.close() == 7  # closing again changes nothing
    size, fps, decoded = read_video(out)
    assert (size, fps, len(decoded)) == ((64, 48), 12.0, 7)
    # In order, each close to what was sent.
    assert [round(float(f.mean())) for f in decoded] == pytest.approx([float(f.mean()) for f in frames], abs=3)
    assert leftovers(tmp_path) == ["clip.mp4"]


def test_recorder_pads_an_odd_size_with_its_edge_instead_of_rescaling(tmp_path):
    frame = np.zeros((97, 161, 3), np.uint8)
    frame[:, -1] = (255, 40, 40)  # last column red
    frame[-1, :] = (40, 255, 40)  # last row green
    frame[:40, :40] = 255  # a white square at the top left, whose edges a rescale would move
    with VideoRecorder(tmp_path / "odd.mp4", (161, 97), fps=5) as video:
        assert video.encoded_size == (162, 98)
        video.add(frame)
    size, _, (decoded,) = read_video(tmp_path / "odd.mp4")
    assert size == (162, 98)
    assert difference(decoded[:-1, 161], decoded[:-1, 160]) < 8 and decoded[20, 161, 0] > 200  # a copy: red
    assert difference(decoded[97, :-1], decoded[96, :-1]) < 8 and decoded[97, 80, 1] > 200  # green
    assert decoded[38, 38].min() > 220 and decoded[42, 42].max() < 40  # the square's edge stays put


def test_recorder_never_overwrites(tmp_path):
    out = tmp_path / "taken.mp4"
    out.write_bytes(b"someone's video")
    with pytest.raises(NnvizError, match=re.escape(f"{out}: already exists")):
        VideoRecorder(out, (64, 48), fps=10)
    # A file that takes the name during the recording is kept too.
    late = tmp_path / "late.mp4"
    video = VideoRecorder(late, (64, 48), fps=10)
    video.add(grey_frames(1)[0])
    late.write_bytes(b"arrived meanwhile")
    with pytest.raises(NnvizError, match="late.mp4: appeared while recording"):
        video.close()
    assert out.read_bytes() == b"someone's video" and late.read_bytes() == b"arrived meanwhile"
    assert leftovers(tmp_path) == ["late.mp4", "taken.mp4"]


def test_an_interrupted_or_empty_recording_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with VideoRecorder(tmp_path / "cut.mp4", (64, 48), fps=10) as video:
            video.add(grey_frames(1)[0])
            raise KeyboardInterrupt
    assert VideoRecorder(tmp_path / "empty.mp4", (64, 48), fps=10).close() == 0
    assert leftovers(tmp_path) == []


def test_recorder_refuses_frames_of_another_size(tmp_path):
    with VideoRecorder(tmp_path / "clip.mp4", (64, 48), fps=10) as video:
        with pytest.raises(ValueError, match=r"\(48, 64, 3\) uint8"):
            video.add(np.zeros((64, 48, 3), np.uint8))
        video.add(grey_frames(1)[0])


def test_without_imageio_ffmpeg_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    with pytest.raises(NnvizError) as caught:
        VideoRecorder(tmp_path / "clip.mp4", (64, 48), fps=10)
    assert str(caught.value) == INSTALL_HINT == "video needs the imageio-ffmpeg package: pip install 'nnviz[video]'"


def test_an_ffmpeg_failure_is_one_line_naming_the_file(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho '[out#0/mp4 @ 0x1234] Error writing header: No space left on device' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    folder = tmp_path / "videos"
    folder.mkdir()
    out = folder / "clip.mp4"
    with pytest.raises(NnvizError) as caught:
        with VideoRecorder(out, (64, 48), fps=10) as video:
            for frame in grey_frames(50, size=(64, 48)):  # more than the pipe buffers
                video.add(frame)
    message = str(caught.value)
    assert message == (f"{out}: ffmpeg stopped while writing the video "
                       "(ffmpeg: Error writing header: No space left on device)")
    assert leftovers(folder) == []


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_full_disk_midway_leaves_no_file(tmp_path):
    """A file-size limit stands in for a full disk: the real ffmpeg dies part way through."""
    script = textwrap.dedent(f"""
        import resource, sys
        import numpy as np
        from nnviz.app.recorder import VideoRecorder
        from nnviz.errors import NnvizError
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, resource.RLIM_INFINITY))
        noise = np.random.default_rng(0).integers(0, 256, (30, 96, 128, 3), dtype=np.uint8)
        try:
            with VideoRecorder({str(tmp_path / "big.mp4")!r}, (128, 96), fps=10) as video:
                for frame in noise:
                    video.add(frame)
        except NnvizError as error:
            print(error)
            sys.exit(2)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith(f"{tmp_path / 'big.mp4'}: ") and result.stdout.count("\n") == 1
    assert result.stderr == ""  # ffmpeg's own lines are kept out of the terminal
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------- nnviz video
def test_frames_map_evenly_onto_the_snapshots():
    assert [snapshot_for_frame(i, 5, 9) for i in range(5)] == [0, 2, 4, 6, 8]
    assert [snapshot_for_frame(i, 4, 2) for i in range(4)] == [0, 0, 1, 1]
    assert snapshot_for_frame(0, 1, 9) == 8  # a one-frame video shows where the run ended


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    from nnviz.data import load_dataset

    return load_dataset("mnist", mnist_dir, download=False, progress=False)


def record_run(path: Path, dataset, batches: int) -> Path:
    from nnviz.model.config import TrainConfig
    from nnviz.model.history import RunHistory
    from nnviz.model.run_io import save_run
    from nnviz.model.trainer import Trainer

    trainer = Trainer(TrainConfig(layers=(784, 16, 10)), dataset.train_images, dataset.train_labels,
                      dataset.test_images, dataset.test_labels, history_every=2_000)
    history = RunHistory()
    history.attach(trainer)
    trainer.train_batches(batches)
    return save_run(path, history, dataset="mnist")


@pytest.fixture(scope="module")
def run_file(tmp_path_factory, mnist) -> Path:
    """A run of 400 batches: the network changes visibly from its first snapshot to its last."""
    return record_run(tmp_path_factory.mktemp("run") / "run.npz", mnist, 400)


@pytest.fixture(scope="module")
def still_run(tmp_path_factory, mnist) -> Path:
    """A run of one snapshot: every frame shows the same network, so only the camera can change the picture."""
    return record_run(tmp_path_factory.mktemp("still") / "still.npz", mnist, 0)


def nnviz_video(mnist_dir, *args):
    return subprocess.run([sys.executable, str(REPO / "main.py"), "video", "--data", str(mnist_dir), *args],
                          capture_output=True, text=True, timeout=300, env=NO_DISPLAY)


@pytest.mark.gl
@pytest.mark.slow
def test_video_replays_the_whole_run(tmp_path, mnist_dir, run_file):
    from nnviz.model.run_io import load_run

    out = tmp_path / "train.mp4"
    last_batch = load_run(run_file).batches[-1]
    result = nnviz_video(mnist_dir, "--history", str(run_file), "--out", str(out),
                         "--size", "160x96", "--fps", "10", "--seconds", "1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (f"wrote {out} (160 x 96, 10 frames at 10 fps): "
                             f"replay of {run_file}, batches 0 to {last_batch}\n")
    size, fps, frames = read_video(out)
    assert (size, fps, len(frames)) == ((160, 96), 10.0, 10)
    assert difference(frames[0], frames[-1]) > 3  # the network (and the HUD's figures) changed
    assert leftovers(tmp_path) == ["train.mp4"]


@pytest.mark.gl
@pytest.mark.slow
def test_video_of_an_odd_size_is_padded_by_one_pixel(tmp_path, mnist_dir, run_file):
    out = tmp_path / "odd.mp4"
    result = nnviz_video(mnist_dir, "--history", str(run_file), "--out", str(out),
                         "--size", "161x97", "--fps", "10", "--seconds", "1", "--mode", "dw", "--samples", "0")
    assert result.returncode == 0, result.stderr
    assert "(161 x 97 padded to 162 x 98, 10 frames at 10 fps)" in result.stdout
    size, _, frames = read_video(out)
    assert (size, len(frames)) == ((162, 98), 10)


@pytest.mark.gl
@pytest.mark.slow
def test_orbit_camera_turns_around_the_network(tmp_path, mnist_dir, still_run):
    out = tmp_path / "orbit.mp4"
    result = nnviz_video(mnist_dir, "--history", str(still_run), "--out", str(out), "--camera", "orbit",
                         "--mode", "weights", "--size", "320x180", "--fps", "4", "--seconds", "1", "--samples", "0")
    assert result.returncode == 0, result.stderr
    size, _, frames = read_video(out)
    assert (size, len(frames)) == ((320, 180), 4)
    # One snapshot throughout, so only the camera moves: the default camera's frames differ by
    # about 0.1 here (the HUD's frame rate), the orbit's start and half turn by more than 1.
    start, half_turn = frames[0], frames[2]
    assert difference(start, half_turn) > 0.5


@pytest.mark.parametrize(
    "args,message",
    [
        (["--out", "clip.avi"], "--out clip.avi: the video must be a .mp4 file"),
        (["--out", "missing/clip.mp4"], "--out missing/clip.mp4: directory missing does not exist"),
        (["--out", "taken.mp4"], "--out taken.mp4: already exists; not overwriting it"),
        (["--fps", "0.5"], "--fps 0.5: must be between 1 and 120"),
        (["--fps", "240"], "--fps 240: must be between 1 and 120"),
        (["--seconds", "0"], "--seconds 0: must be a number above 0"),
        (["--seconds", "2000"], "--seconds 2000: 60000 frames at 30 fps; at most 36000 frames"),
        (["--size", "8x8"], "argument --size: '8x8': width and height must be between 16 and 8192"),
        (["--camera", "top"], "argument --camera: invalid choice: 'top'"),
        (["--mode", "gradient"], "argument --mode: invalid choice: 'gradient'"),
        (["--sample", "10000"], "--sample 10000: must be between 0 and 9999"),
        (["--samples", "3"], "--samples 3: must be 0 or a power of two"),
        (["--history", "nowhere.npz"], "--history nowhere.npz: no such file"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, monkeypatch, capsys, run_file, args, message):
    """Checked before any data is loaded (--data names nothing here) or any file is made."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken.mp4").write_bytes(b"")
    options = {"--history": str(run_file), "--out": "clip.mp4", "--data": "no-such-dir"}
    options.update(zip(args[::2], args[1::2]))
    try:
        code = main(["video", *[item for pair in options.items() for item in pair]])
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1, err
    assert leftovers(tmp_path) == ["taken.mp4"]


def test_without_imageio_ffmpeg_the_command_says_what_to_install(tmp_path, monkeypatch, capsys, run_file):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    code = main(["video", "--history", str(run_file), "--out", str(tmp_path / "clip.mp4"), "--data", "no-such-dir"])
    assert code == 2
    assert capsys.readouterr().err == "nnviz: error: video needs the imageio-ffmpeg package: pip install 'nnviz[video]'\n"


@pytest.mark.parametrize("damage", ["truncated", "other layers"])
def test_a_damaged_or_mismatching_run_file_is_refused(tmp_path, mnist_dir, run_file, mnist, damage):
    bad = tmp_path / "bad.npz"
    if damage == "truncated":
        bad.write_bytes(run_file.read_bytes()[:5000])
    else:
        from nnviz.model.config import TrainConfig
        from nnviz.model.history import RunHistory, Snapshot
        from nnviz.model.network import Network
        from nnviz.model.run_io import save_run

        config = TrainConfig(layers=(784, 16, 5))
        save_run(bad, RunHistory.from_snapshots(config, [Snapshot(0, 0, None, Network(config.layers).params)], []))
    out = tmp_path / "clip.mp4"
    result = nnviz_video(mnist_dir, "--history", str(bad), "--out", str(out), "--size", "160x96")
    assert result.returncode == 2
    assert str(bad) in result.stderr.removeprefix("nnviz: error: "), result.stderr
    if damage == "other layers":
        assert "the last layer must be 10" in result.stderr  # as render and the window say it
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert leftovers(tmp_path) == []
