"""``nnviz`` with no subcommand: check the options and the display, then open the window."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from nnviz.arg_types import file_name, frame_rate, history_megabytes, positive_number, size_type
from nnviz.commands.builders import (build_config, check_drawable, check_fits_dataset, class_names, load_training_data,
                                     wants_not_a_digit)
from nnviz.commands.train import blas_threads
from nnviz.data.sources import DATASETS
from nnviz.errors import NnvizError
from nnviz.model.history import DEFAULT_CAP_MB
from nnviz.engine.quality import QUALITY_CHOICES
from nnviz.model.run_io import load_run


#: NumPy's BLAS threads while the window trains (NNVIZ_BLAS_THREADS overrides; 0: BLAS's default). One: on 2
#: cores a second fights the software renderer's (llvmpipe's) threads for them; with one the window drew
#: 1.4-1.7x the frames and trained as fast or up to 3.5x faster (benchmarks/bench_app.py --parts threads).
#: Headless, with the cores to itself, a second trained only 4-12% faster (half as fast beside other jobs).
WINDOW_BLAS_THREADS = 1


def add_app_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("window")
    group.add_argument("--fps", type=frame_rate, default=None,
                       help="target frame rate (default: 60 with a GPU, 30 on a software renderer)")
    group.add_argument("--quality", choices=QUALITY_CHOICES, default="auto",
                       help="high: 4x MSAA, full resolution; fast: analytic anti-aliasing only, fewer faint lines, "
                            "and the 3-D scene drawn smaller when frames are slow; auto (default): fast on a "
                            "software renderer (llvmpipe, softpipe, SwiftShader), else high")
    group.add_argument("--speed", choices=("smooth", "max"), default="smooth",
                       help="smooth: train within the frame budget; max: train as fast as possible (key M)")
    group.add_argument("--size", type=size_type(minimum=64), default=(1280, 720), metavar="WxH",
                       help="initial window size (default: 1280x720)")
    group.add_argument("--screenshot-dir", type=file_name, metavar="DIR", default=".",
                       help="where P / F12 saves screenshots")
    group.add_argument("--no-vsync", action="store_true", help="do not wait for the display's refresh")
    group.add_argument("--history", type=file_name, metavar="RUN", help="open a recorded run (nnviz train --history) to replay")
    group.add_argument("--history-mb", type=history_megabytes, default=DEFAULT_CAP_MB, metavar="MB",
                       help=f"memory for the run's history while training (default: {DEFAULT_CAP_MB})")
    group.add_argument("--exit-after", type=positive_number, metavar="SECONDS",
                       help="close the window after this many seconds (for measurements and scripts)")
    group.add_argument("--stats", action="store_true",
                       help="when the window closes, print one line: 'frames N, fps X, train samples/s Y, "
                            "quality Q' (fps from the first frame, samples/s from when the data arrived)")


def run_app(args: argparse.Namespace) -> int:
    if args.history:  # the recorded run decides the network
        if args.load or args.layers:
            raise NnvizError(f"{'--load' if args.load else '--layers'} cannot be combined with --history: "
                             "the run file holds the network")
        run, loaded = load_run(args.history), None
        config = run.config
        check_fits_dataset(config, args.dataset, args.history, class_names(args))
    else:
        run = None
        config, loaded = build_config(args)
    screenshot_dir = Path(args.screenshot_dir)
    if not screenshot_dir.is_dir():
        raise NnvizError(f"--screenshot-dir {args.screenshot_dir}: no such directory")
    if not os.access(screenshot_dir, os.W_OK):
        raise NnvizError(f"--screenshot-dir {args.screenshot_dir}: not writable")
    check_drawable(config.layers)
    threads = blas_threads(default=WINDOW_BLAS_THREADS)  # the trainer's, beside the rasteriser's on the same cores
    import pyglet

    # pyglet would ask the driver for errors after every GL call it makes (the HUD's: ~120 a frame), which
    # costs the drawing thread time a frame and stops a GL command queue; moderngl still reports its own.
    pyglet.options["debug_gl"] = False
    try:
        # pyglet.window needs a display as soon as it is imported.
        from nnviz.app.window import NnvizWindow
    except Exception as error:  # pyglet's NoSuchDisplayException and friends
        reason = "DISPLAY is not set" if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") else error
        raise NnvizError(
            f"cannot open a window ({reason}); without a display use 'nnviz train' or 'nnviz render'"
        ) from None
    from nnviz.app.session import TrainingSession
    from nnviz.data.mixing import load_not_a_digit_source

    spec = DATASETS[args.dataset]  # argparse allowed only known names
    session = TrainingSession(
        config,
        load_data=lambda progress: load_training_data(args, loaded, progress=progress),
        loaded=loaded,
        dataset_title=spec.title,
        input_shape=spec.image_shape,
        history_bytes=int(args.history_mb * 2**20),
        load_not_a_digit=(lambda: load_not_a_digit_source(args.data, download=not args.no_download, progress=False))
        if args.dataset == "mnist" and not wants_not_a_digit(args, loaded) else None,
    )
    if run is not None:
        session.show_run(run, Path(args.history))
    stats = RunStats() if args.stats else None
    with threads:
        window = NnvizWindow.open(session, args.size, vsync=not args.no_vsync, target_fps=args.fps,
                                  quality=args.quality, screenshot_dir=screenshot_dir,
                                  load_path=Path(args.load or args.history) if args.load or args.history else None,
                                  max_speed=args.speed == "max", stats=stats)
        session.start_loading()
        window.run(exit_after=args.exit_after)
    if args.stats:
        quality = getattr(getattr(window.core, "quality", None), "name", "high")
        print(stats.line(quality), flush=True)
    return 0


class RunStats:
    """Frames drawn and samples trained over the window's whole run, for --stats' one line.

    fps counts from the first frame, samples/s from the first frame with the
    data loaded (before it nothing can train); both up to the last frame.
    Samples are summed frame to frame, so a reset (R) or a jump back in time
    does not subtract what was trained (what the frame of a reset trained
    after it goes uncounted).
    """

    def __init__(self, clock=time.perf_counter):
        self._clock = clock
        self.frames = 0
        self.samples = 0
        self._first = self._last = self._training_since = None
        self._samples_seen = 0

    def count(self, samples_seen: int, data_loaded: bool) -> None:
        now = self._clock()
        self.frames += 1
        self._first = now if self._first is None else self._first
        self._last = now
        if self._training_since is None:
            if data_loaded:
                self._training_since = now
        else:
            self.samples += max(samples_seen - self._samples_seen, 0)
        self._samples_seen = samples_seen

    @property
    def fps(self) -> float:
        return (self.frames - 1) / (self._last - self._first) if self.frames > 1 and self._last > self._first else 0.0

    @property
    def samples_per_second(self) -> float:
        since = self._training_since
        return self.samples / (self._last - since) if since is not None and self._last > since else 0.0

    def line(self, quality: str) -> str:
        return (f"frames {self.frames}, fps {self.fps:.1f}, train samples/s {self.samples_per_second:.0f}, "
                f"quality {quality}")
