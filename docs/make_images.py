"""Regenerates the README's images: two offscreen renders, a replay strip and seven window screenshots.

The window's pictures are taken at 1280x720, where the control panel shows: app-default.png and
app-panel.png show it; the others are of features of the scene and the HUD, taken with it hidden (F2).

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

from nnviz.app.session import MESSAGE_SECONDS  # noqa: E402
from nnviz.testing.window_driver import App  # noqa: E402

IMAGES = REPO / "docs" / "images"


def render(data: str, out: str, *options: str) -> None:
    subprocess.run([sys.executable, str(REPO / "main.py"), "render", "--data", data, "--out", str(IMAGES / out),
                    "--force", *options], check=True)


def screenshot(app: App, name: str) -> None:
    # The previous screenshot's message ("screenshot saved to /tmp/...") is not part of the picture.
    app.wait_for(lambda s: not any(m.startswith("screenshot saved") for m in s["messages"]), what="messages")
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
    save_png(IMAGES / name, np.hstack(picked).round().astype(np.uint8), replace=True)
    print(f"wrote {IMAGES / name}")


APP_IMAGES = ("app-default.png", "app-selected-neuron.png", "app-help.png", "app-confusion.png", "app-gallery.png",
              "app-drawing.png", "app-panel.png")
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


def hud_width(state: dict) -> int:
    """The HUD lays itself out left of the control panel, when that shows."""
    panel = state["panel"]
    return state["window_size"][0] - (panel["rect"][2] if panel and panel["visible"] else 0)


def set_panel(app: App, visible: bool) -> None:
    """Show or hide the control panel (F2), and frame the network in the room left (Home)."""
    if app.state()["panel"]["visible"] != visible:
        app.key("F2")
        app.wait_for(lambda s: s["panel"]["visible"] == visible,
                     what=f"the control panel {'shown' if visible else 'hidden'}")
        app.key("Home")
        app.wait_frames(2)


def empty_panel_point(state: dict) -> tuple[float, float]:
    """A point on the control panel below its last widget: the pointer there hovers nothing."""
    x, y, w, h = state["panel"]["rect"]
    lowest = min(rect[1] for rect in state["panel"]["widgets"].values())
    return x + w / 2, (y + lowest) / 2


def panel_in_use(app: App, shot) -> None:
    """The control panel in use, training running: hidden layer 1 switched to ReLU from its drop-down, then a
    neuron added to it with its +."""
    from nnviz.app.glide import GLIDE_SECONDS

    set_panel(app, True)
    if app.state()["paused"]:
        app.key("space")
    app.wait_for(lambda s: not s["paused"], what="training")
    app.key("t")  # the next test digit (the confusion matrix's pick was one the network gets wrong)
    time.sleep(MESSAGE_SECONDS)  # earlier messages gone: the picture shows what the edits say
    app.choose("activation 1", "relu")
    app.wait_for(lambda s: s["hidden_activations"][0] == "relu", what="ReLU in hidden layer 1")
    app.wait_frames(2)
    size = app.state()["layers"][1]
    app.click_widget("add neuron 1")
    app.wait_for(lambda s: s["layers"][1] == size + 1, what="a neuron added")
    app.move_mouse(*empty_panel_point(app.state()))  # no tooltip over the panel
    time.sleep(GLIDE_SECONDS)  # the neurons in their new places
    app.wait_frames(3)
    shot("app-panel.png")


def analysis_panels(app: App, shot) -> None:
    """G: the confusion matrix, its most confused cell clicked; V: the receptive fields, one tile clicked."""
    import numpy as np

    from nnviz.app import hud_layout

    app.key("space")  # paused: the matrix and the digit it shows hold still
    app.key("g")
    state = app.wait_for(lambda s: s["paused"] and s["confusion"] is not None
                         and s["confusion"]["batches"] == s["batches_trained"], what="the confusion matrix")
    time.sleep(MESSAGE_SECONDS)  # earlier messages gone: the picture shows what the click says
    counts = np.array(state["confusion"]["counts"])
    true, predicted = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)
    width, height = hud_width(state), state["window_size"][1]
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
        # --quality high: the pictures as a GPU draws them (4x MSAA, full resolution), whatever this machine has.
        app = App(Path(tmp), "--data", args.data, "--size", "1280x720", "--speed", "max", "--quality", "high")
        try:
            app.wait_for(lambda s: s["data_loaded"], what="data")
            time.sleep(args.train_seconds)
            app.key("m")  # back to smooth so the HUD's fps reads as a user sees it
            # The fps counter averages over the last half second of frames; the key's message goes.
            time.sleep(MESSAGE_SECONDS + 0.5)
            app.wait_frames(3)

            def shot(name: str) -> None:
                if wanted(name):
                    screenshot(app, name)

            shot("app-default.png")  # what a user sees: the control panel too
            set_panel(app, False)  # the scene's and the HUD's own features, with room
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
                app.key("BackSpace", "i")  # cleared, and the test digits back
                app.wait_for(lambda s: not s["drawing"], what="drawing ended")
            if wanted("app-panel.png"):
                if app.state()["gallery_visible"]:
                    app.key("v")
                app.click(3, 3)  # no selection
                app.wait_for(lambda s: not s["gallery_visible"] and s["selected"] is None, what="a clear scene")
                panel_in_use(app, shot)
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
