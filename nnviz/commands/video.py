"""``nnviz video``: a recorded run (``nnviz train --history``) replayed offscreen into an H.264 ``.mp4``.

Frames come from the app core, as the window draws them, HUD and timeline
included, on pyglet's headless (EGL) context: no display needed. Time is a
fixed step, not the wall clock: frame i of N shows snapshot
round(i * (n - 1) / (N - 1)) of the run's n, so the whole run fits the
video's length and the same options give the same video.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from nnviz.arg_types import file_name, size_type
from nnviz.commands.builders import (check_drawable, check_fits_dataset, class_names, load_training_data,
                                     wants_not_a_digit)
from nnviz.commands.options import add_force_option, check_output
from nnviz.errors import NnvizError

CAMERAS = ("default", "orbit", "input")
#: --mode's names -> the session's line modes.
MODES = {"weights": "weights", "dw": "change"}
MAX_FPS = 120
MAX_FRAMES = 36_000  # 20 minutes at 30 fps


def add_video_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("video")
    group.add_argument("--history", type=file_name, required=True, metavar="FILE",
                       help="the recorded run to replay (nnviz train --history FILE)")
    group.add_argument("--out", type=file_name, required=True, metavar="FILE",
                       help=".mp4 file to write (must not exist, unless --force)")
    group.add_argument("--size", type=size_type(minimum=16), default=(1280, 720), metavar="WxH",
                       help="default: 1280x720 (an odd side is padded by one pixel)")
    group.add_argument("--fps", type=float, default=30.0, metavar="F", help=f"frames per second, 1 to {MAX_FPS} "
                       "(default: 30)")
    group.add_argument("--seconds", type=float, default=20.0, metavar="S",
                       help="length of the video; the whole run is spread over it (default: 20)")
    group.add_argument("--camera", choices=CAMERAS, default="default",
                       help="default: the window's home view; orbit: one turn around the network; "
                            "input: facing the digit")
    group.add_argument("--mode", choices=tuple(MODES), default="weights",
                       help="what the lines show: the weights, or each weight's change (dw) since the "
                            "previous snapshot")
    group.add_argument("--sample", type=int, default=0, metavar="I", help="index of the test-set image shown")
    group.add_argument("--samples", type=int, default=4, metavar="N",
                       help="multisampling, as in the window (default: 4; 0 turns it off and draws twice as fast)")
    add_force_option(parser, "--out file")


def run_video(args: argparse.Namespace) -> int:
    from nnviz.data.sources import DATASETS
    from nnviz.model.run_io import load_run

    out, frames = _check_options(args)
    spec = DATASETS[args.dataset]  # argparse allowed only known names
    run_path = Path(args.history)
    try:
        run = load_run(run_path)
    except NnvizError as error:
        raise NnvizError(f"--history {error}") from None
    check_drawable(run.config.layers)
    check_fits_dataset(run.config, args.dataset, str(run_path), class_names(args))
    test_count = spec.test_labels.count
    if not wants_not_a_digit(args) and not 0 <= args.sample < test_count:  # with it: checked once loaded
        raise NnvizError(f"--sample {args.sample}: must be between 0 and {test_count - 1}")
    _check_recorder_available()

    clock = VideoClock()
    session = _load_session(args, run_path, run, spec, clock)
    width, height = args.size
    window, ctx = _headless_context(width, height)  # after the data: a failed load leaves no window behind
    try:
        written, encoded_size = _record(args, out, frames, session, spec, ctx, clock)
    finally:
        window.close()
    history = session.history
    padded = "" if encoded_size == (width, height) else " padded to {} x {}".format(*encoded_size)
    frames_text = f"{written} frame{'s' if written != 1 else ''}"
    print(f"wrote {out} ({width} x {height}{padded}, {frames_text} at {args.fps:g} fps): "
          f"replay of {run_path}, batches {history[0].batches} to {history[len(history) - 1].batches}")
    return 0


def _record(args, out: Path, frames: int, session, spec, ctx, clock: "VideoClock") -> tuple[int, tuple[int, int]]:
    """Draw every frame through the app core and encode it; returns the frames written and the video's size."""
    from tqdm import tqdm

    from nnviz.app import keymap
    from nnviz.app.core import AppCore
    from nnviz.app.hud import Hud
    from nnviz.app.recorder import VideoRecorder

    width, height = args.size
    # Figures re-laid every frame: the window's wall-clock refresh limit would show stale ones.
    hud = Hud(width, height, keymap.help_lines(), spec.image_shape, stats_refresh_seconds=0.0)
    core = AppCore(session, ctx, window_size=(width, height), screenshot_dir=out.parent, overlay=hud,
                   samples=args.samples, clock=clock, key_hints=False, control_panel=False,
                   quality="high")  # offline: every frame at full quality, whatever it costs
    try:
        place_camera = _camera_path(core, args.camera, frames)
        history = session.history
        with VideoRecorder(out, (width, height), args.fps, replace=args.force) as video, \
                tqdm(total=frames, desc="video", unit="frame", leave=False, disable=None) as bar:
            for i in range(frames):
                clock.now = i / args.fps  # the video's time, not the wall clock's
                session.timeline.position = snapshot_for_frame(i, frames, len(history))
                place_camera(i)
                core.render()
                clock.now = (i + 1) / args.fps  # this frame's time is over: the HUD's rates count it there
                core.rates.count(history[session.timeline.position].samples_seen)
                video.add(core.target.read_rgb())
                bar.update(1)
        return video.frames, video.encoded_size
    finally:
        core.release()


def snapshot_for_frame(frame: int, frames: int, snapshots: int) -> int:
    """The snapshot frame ``frame`` of ``frames`` shows: the first and the last frame show the run's ends."""
    if frames <= 1:
        return snapshots - 1
    return int(round(frame * (snapshots - 1) / (frames - 1)))


# ------------------------------------------------------------------ checks
def _check_options(args: argparse.Namespace) -> tuple[Path, int]:
    """Everything that needs no file read: one line for the first problem. Returns --out and the frame count."""
    out = Path(args.out)
    if out.suffix.lower() != ".mp4":
        raise NnvizError(f"--out {args.out}: the video must be a .mp4 file")
    check_output("--out", args.out, args.force)
    if not 1 <= args.fps <= MAX_FPS:  # NaN fails this too
        raise NnvizError(f"--fps {args.fps:g}: must be between 1 and {MAX_FPS}")
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        raise NnvizError(f"--seconds {args.seconds:g}: must be a number above 0")
    frames = round(args.fps * args.seconds)
    if frames < 1:
        raise NnvizError(f"--seconds {args.seconds:g}: shorter than one frame at {args.fps:g} fps")
    if frames > MAX_FRAMES:
        raise NnvizError(f"--seconds {args.seconds:g}: {frames} frames at {args.fps:g} fps; "
                         f"at most {MAX_FRAMES} frames")
    if args.sample < 0:
        raise NnvizError(f"--sample {args.sample}: must be 0 or more")
    if args.samples < 0 or args.samples & (args.samples - 1):
        raise NnvizError(f"--samples {args.samples}: must be 0 or a power of two (2, 4, 8, ...)")
    return out, frames


def _check_recorder_available() -> None:
    """The encoder's package, before the data and the OpenGL context are set up for nothing."""
    import importlib.util

    from nnviz.app.recorder import INSTALL_HINT

    try:
        found = importlib.util.find_spec("imageio_ffmpeg") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise NnvizError(INSTALL_HINT)


# ------------------------------------------------------------ the replay
class VideoClock:
    """The video's own time, in seconds: messages and frame rates follow it, not the wall clock."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _load_session(args: argparse.Namespace, run_path: Path, run, spec, clock: VideoClock):
    """A session showing the run, on the test image asked for, its messages cleared."""
    from nnviz.app.session import TrainingSession
    session = TrainingSession(
        run.config,
        load_data=lambda progress: load_training_data(args, progress=False),
        dataset_title=spec.title,
        input_shape=spec.image_shape,
        clock=clock,
    )
    session.start_loading()
    session.wait_for_data()
    if session.dataset is None:
        raise NnvizError(session.status)
    if not session.show_run(run, run_path):
        messages = session.current_messages()
        raise NnvizError(messages[-1] if messages else f"--history {run_path}: cannot be shown")
    session.messages.clear()  # "loaded the run: B plays it…": key hints have no place in a video
    session.line_mode = MODES[args.mode]
    if args.sample >= len(session.dataset.test_labels):
        raise NnvizError(f"--sample {args.sample}: must be between 0 and {len(session.dataset.test_labels) - 1}")
    session.input.index = args.sample
    session.timeline.replaying = True  # the HUD says REPLAY; frames are placed below, not by its clock
    return session


def _headless_context(width: int, height: int):
    """A hidden pyglet window on headless EGL (no display), and a moderngl context on it.

    Not a standalone EGL context: the HUD draws its text with pyglet, which needs its own GL context current.
    """
    from nnviz.engine.context import REQUIRED_GL_VERSION, context_error

    import pyglet

    pyglet.options["headless"] = True  # before pyglet.window (and the HUD, which draws with it) is imported
    try:
        import moderngl
        import pyglet.window

        window = pyglet.window.Window(width, height, visible=False)
    except Exception as error:  # noqa: BLE001 - pyglet raises its own types, or ImportError without EGL
        raise context_error(error) from None
    try:
        ctx = moderngl.create_context(require=REQUIRED_GL_VERSION)
    except Exception as error:  # noqa: BLE001
        window.close()
        raise context_error(error) from None
    ctx.gc_mode = "auto"
    return window, ctx




def _camera_path(core, name: str, frames: int):
    """A function of the frame number that places the camera for it."""
    camera = core.rig.camera
    width, height = core.window_size
    aspect = width / height
    if name == "input":
        camera.apply_preset("input", core.layout, aspect)
    if name != "orbit":
        return lambda frame: None
    # One full turn around the network's centre at the home view's pitch, from a
    # distance that keeps the whole network in view at every angle.
    centre = core.rig.centre
    pitch = camera.pitch
    start_yaw = camera.yaw
    distance = _orbit_distance(core, aspect)

    def place(frame: int) -> None:
        camera.look_at(centre, distance, start_yaw + 360.0 * frame / frames, pitch)

    return place


def _orbit_distance(core, aspect: float) -> float:
    """The distance from the centre at which the whole network stays in view all the way round the turn."""
    import numpy as np

    from nnviz.engine.camera import FRAME_MARGIN, Camera

    home = core.rig.camera
    offsets = core.layout.positions.astype(np.float64) - core.rig.centre
    radii = core.layout.radii.astype(np.float64)
    tan_y = math.tan(math.radians(home.fov) / 2.0) / FRAME_MARGIN
    tan_x = tan_y * aspect
    needed = 0.0
    for turn in range(0, 360, 5):
        # Looking at the centre from distance d, a sphere at depth t past the centre, side s and height h
        # shows when |s| + r / cos(half angle) <= tan_x (d + t), and the same with h and tan_y.
        view = Camera(yaw=home.yaw + turn, pitch=home.pitch)
        side, height, depth = offsets @ view.right, offsets @ view.up, offsets @ view.forward
        for across, tan in ((side, tan_x), (height, tan_y)):
            pad = radii * math.sqrt(1.0 + tan**2)
            needed = max(needed, float(np.max((np.abs(across) + pad) / tan - depth)))
    # Nothing may come nearer than the near plane.
    nearest = float(np.max(radii + np.linalg.norm(offsets, axis=1))) + home.near
    distance = max(needed, nearest)
    home.far = max(home.far, 2.0 * distance + 2.0 * nearest)
    return distance
