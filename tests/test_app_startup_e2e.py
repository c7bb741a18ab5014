"""Starting the real window when the data is missing or must be downloaded (Xvfb, xdotool).

Apart from tests/test_app_e2e.py: its long-lived window would hold the
keyboard focus, and X has no window manager here to hand it over.
"""

import pytest

from nnviz.app.hud_layout import digit_panel_rect
from nnviz.testing.window_driver import App

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_missing_data_still_opens_and_explains(tmp_path):
    missing = tmp_path / "no-such-dir"
    application = App(tmp_path, "--data", str(missing), "--no-download", "--size", "400x300")
    try:
        state = application.wait_for(lambda s: "training unavailable" in s["status"], what="the data error")
        assert str(missing) in state["status"]
        frames = state["frames"]
        application.wait_for(lambda s: s["frames"] > frames + 2, what="frames after the error")
        application.check_alive()
        # With no digit to show, the digit panel still holds its place: its caption reads inside the window.
        _, shot = application.screenshot()
        height, width, _ = shot.shape
        x, y, w, h = digit_panel_rect(width, height, (28, 28))
        caption = shot[int(height - y - h / 2): int(height - y), int(x): int(x + w)].max(axis=2) > 150
        assert caption.any(axis=0).sum() > 30  # "label -" / "predicted -" span dozens of columns
        assert "Traceback" not in application.log()
    finally:
        application.close()


def test_first_start_downloads_while_the_window_is_up(tmp_path, mnist_dir, monkeypatch):
    from helpers_http import MirrorServer

    with MirrorServer(mnist_dir) as server:
        # A dead mirror first, as a user may meet one; the cache (XDG_CACHE_HOME, per test) starts empty.
        monkeypatch.setenv("NNVIZ_MIRRORS", f"{server.down_url},{server.url('good')}")
        application = App(tmp_path, "--size", "400x300")
        try:
            state = application.wait_for(lambda s: s["data_loaded"], what="the download")
            assert state["status"] == "ready"
            assert len(server.requests) == 4
            application.wait_for(lambda s: s["batches_trained"] > 0, what="training after the download")
            assert "Traceback" not in application.log()
        finally:
            application.close()


def test_a_recorded_run_opens_for_replay(tmp_path, mnist_dir):
    import subprocess
    import sys

    run = tmp_path / "run.npz"
    trained = subprocess.run([sys.executable, "-m", "nnviz", "train", "--epochs", "1", "--layers", "784,16,10",
                              "--data", str(mnist_dir), "--history", str(run)], capture_output=True, text=True,
                             timeout=300)
    assert trained.returncode == 0, trained.stderr
    application = App(tmp_path, "--data", str(mnist_dir), "--history", str(run), "--size", "480x360",
                      layers=(784, 16, 10))
    try:
        state = application.wait_for(lambda s: s["data_loaded"], what="data loaded")
        assert state["timeline_position"] == 0 and state["paused"] and state["snapshots"] > 200
        application.key("b")
        playing = application.wait_for(lambda s: s["replaying"] and s["timeline_position"] > 5, what="the replay")
        assert playing["batches_trained"] == 0  # replaying trains nothing
        application.key("End")
        application.key("space")  # train on: a new run from the recorded run's last weights
        application.wait_for(lambda s: s["batches_trained"] > 0 and s["timeline_position"] is None, what="training")
        assert "Traceback" not in application.log()
    finally:
        application.close()


def test_exit_after_with_stats_prints_one_line_and_exits_0(tmp_path, mnist_dir):
    import os
    import re
    import subprocess
    import sys
    import time

    from nnviz.testing.window_driver import IMPORT_ROOT

    env = {**os.environ, "PYTHONPATH": str(IMPORT_ROOT)}
    env.pop("NNVIZ_DEBUG_STATE", None)
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "nnviz", "--exit-after", "3", "--stats", "--data", str(mnist_dir),
                             "--no-download", "--seed", "0"], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=60)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    match = re.fullmatch(r"frames (\d+), fps (\d+\.\d), train samples/s (\d+), quality (high|fast)", lines[0])
    assert match, lines[0]
    frames, fps, samples_per_second = int(match[1]), float(match[2]), int(match[3])
    assert frames > 1 and fps > 0 and samples_per_second > 0
    # fps counts from the first frame to the last, within the 3 s the window was open.
    assert (frames - 1) / fps <= 3.5
    assert elapsed >= 3
