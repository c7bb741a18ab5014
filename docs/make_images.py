"""Regenerates the README's images: two offscreen renders, a replay strip and three window screenshots.

    xvfb-run -a -s "-screen 0 1400x900x24" python docs/make_images.py --data DIR
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nnviz.testing.window_driver import App  # noqa: E402

IMAGES = REPO / "docs" / "images"


def render(data: str, out: str, *options: str) -> None:
    subprocess.run([sys.executable, str(REPO / "main.py"), "render", "--data", data, "--out", str(IMAGES / out),
                    *options], check=True)


def screenshot(app: App, name: str) -> None:
    before = app.state()["last_screenshot"]
    app.key("p")
    state = app.wait_for(lambda s: s["last_screenshot"] != before, what="screenshot")
    shutil.copy(state["last_screenshot"], IMAGES / name)
    print(f"wrote {IMAGES / name}")


def replay_strip(data: str, name: str, frames=(0, 3, 8, 19), size=(960, 540)) -> None:
    """Four moments of one epoch, cut from what `nnviz video` made of `nnviz train --history`, at half size."""
    import imageio_ffmpeg
    import numpy as np

    from nnviz.engine.image_io import save_png

    with tempfile.TemporaryDirectory() as tmp:
        run, video = Path(tmp) / "run.npz", Path(tmp) / "replay.mp4"
        nnviz = [sys.executable, str(REPO / "main.py")]
        subprocess.run([*nnviz, "train", "--epochs", "1", "--data", data, "--history", str(run)], check=True)
        subprocess.run([*nnviz, "video", "--history", str(run), "--data", data, "--out", str(video),
                        "--size", f"{size[0]}x{size[1]}", "--fps", "10", "--seconds", "2"], check=True)
        reader = imageio_ffmpeg.read_frames(str(video))
        next(reader)  # metadata
        picked = [np.frombuffer(frame, np.uint8).reshape(size[1] // 2, 2, size[0] // 2, 2, 3).mean(axis=(1, 3))
                  for index, frame in enumerate(reader) if index in frames]
    save_png(IMAGES / name, np.hstack(picked).round().astype(np.uint8))
    print(f"wrote {IMAGES / name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    args = parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)

    render(args.data, "render-untrained.png", "--size", "1280x720")
    render(args.data, "render-trained.png", "--size", "1280x720", "--steps", "3000")
    replay_strip(args.data, "replay-strip.png")

    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp), "--data", args.data, "--size", "1280x720", "--speed", "max")
        try:
            app.wait_for(lambda s: s["data_loaded"], what="data")
            time.sleep(args.train_seconds)
            app.key("m")  # back to smooth so the HUD's fps reads as a user sees it
            time.sleep(3.0)  # the fps counter averages over the last half second of frames
            app.wait_frames(3)
            screenshot(app, "app-default.png")
            x, y = app.screen_position(1, 5)
            app.click(x, y)
            app.wait_for(lambda s: s["selected"] == [1, 5], what="selection")
            app.wait_frames(2)
            screenshot(app, "app-selected-neuron.png")
            app.click(3, 3)
            app.key("h")
            app.wait_for(lambda s: s["help_visible"], what="help")
            app.wait_frames(2)
            screenshot(app, "app-help.png")
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
