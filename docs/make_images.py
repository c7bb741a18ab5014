"""Regenerates the README's images: two offscreen renders, a replay strip and five window screenshots.

    xvfb-run -a -s "-screen 0 1400x900x24" python docs/make_images.py --data DIR [--only app-gallery.png ...]
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


APP_IMAGES = ("app-default.png", "app-selected-neuron.png", "app-help.png", "app-confusion.png", "app-gallery.png",
              "app-drawing.png")
#: A "3" in input-grid (row, column) steps, drawn with the mouse for app-drawing.png.
THREE = ((6, 9), (5, 13), (6, 17), (9, 18), (12, 15), (13, 13), (14, 16), (17, 18), (20, 16), (22, 12), (21, 9))


def draw_digit(app: App, points) -> None:
    """Press I and drag through input-grid points with the real mouse, as a user draws."""
    app.key("i")
    app.wait_for(lambda s: s["drawing"], what="drawing mode")
    height = app.state()["window_size"][1]
    x, y = app.screen_position(0, 28 * points[0][0] + points[0][1])
    app.xdotool("mousemove", "--window", app.window, str(int(x)), str(int(height - y)), "mousedown", "1")
    for row, col in points[1:]:
        x, y = app.screen_position(0, 28 * row + col)
        app.xdotool("mousemove", "--window", app.window, str(int(x)), str(int(height - y)))
        app.wait_frames(1)
    app.wait_frames(2)
    app.xdotool("mouseup", "1")
    app.wait_frames(3)


def analysis_panels(app: App, shot) -> None:
    """G: the confusion matrix, its most confused cell clicked; V: the receptive fields, one tile clicked."""
    import numpy as np

    from nnviz.app import hud_layout
    from nnviz.app.session import MESSAGE_SECONDS

    app.key("space")  # paused: the matrix and the digit it shows hold still
    app.key("g")
    state = app.wait_for(lambda s: s["paused"] and s["confusion"] is not None
                         and s["confusion"]["batches"] == s["batches_trained"], what="the confusion matrix")
    time.sleep(MESSAGE_SECONDS)  # earlier messages gone: the picture shows what the click says
    counts = np.array(state["confusion"]["counts"])
    true, predicted = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)
    width, height = state["window_size"]
    matrix = hud_layout.confusion_rect(width, height, len(counts))
    x, y, w, h = hud_layout.confusion_cell_rect(matrix, len(counts), true, predicted)
    app.click(x + w / 2, y + h / 2)
    app.wait_for(lambda s: (s["true_class"], s["predicted"]) == (true, predicted), what="a digit of that cell")
    app.wait_frames(2)
    shot("app-confusion.png")
    app.key("g", "v")
    time.sleep(MESSAGE_SECONDS)
    grid = hud_layout.gallery_grid(width, height, app.layout.layer_sizes[1])
    x, y, w, h = grid.tile_rect(5)
    app.click(x + w / 2, y + h / 2)
    app.wait_for(lambda s: s["selected"] == [1, 5] and not s["confusion_visible"], what="a tile's neuron selected")
    app.wait_frames(2)
    shot("app-gallery.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--train-seconds", type=float, default=20.0)
    parser.add_argument("--only", nargs="+", metavar="IMAGE", help="make these images only (names in docs/images)")
    args = parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)

    def wanted(name: str) -> bool:
        return args.only is None or name in args.only

    if wanted("render-untrained.png"):
        render(args.data, "render-untrained.png", "--size", "1280x720")
    if wanted("render-trained.png"):
        render(args.data, "render-trained.png", "--size", "1280x720", "--steps", "3000")
    if wanted("replay-strip.png"):
        replay_strip(args.data, "replay-strip.png")
    if not any(wanted(name) for name in APP_IMAGES):
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        app = App(Path(tmp), "--data", args.data, "--size", "1280x720", "--speed", "max")
        try:
            app.wait_for(lambda s: s["data_loaded"], what="data")
            time.sleep(args.train_seconds)
            app.key("m")  # back to smooth so the HUD's fps reads as a user sees it
            time.sleep(3.0)  # the fps counter averages over the last half second of frames
            app.wait_frames(3)

            def shot(name: str) -> None:
                if wanted(name):
                    screenshot(app, name)

            shot("app-default.png")
            x, y = app.screen_position(1, 5)
            app.click(x, y)
            app.wait_for(lambda s: s["selected"] == [1, 5], what="selection")
            app.wait_frames(2)
            shot("app-selected-neuron.png")
            app.click(3, 3)
            app.key("h")
            app.wait_for(lambda s: s["help_visible"], what="help")
            app.wait_frames(2)
            shot("app-help.png")
            app.key("h")
            analysis_panels(app, shot)
            if wanted("app-drawing.png"):
                app.key("v")  # the gallery closed, the selection cleared: the drawing alone
                app.click(3, 3)
                app.key("Home")
                draw_digit(app, THREE)
                shot("app-drawing.png")
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
