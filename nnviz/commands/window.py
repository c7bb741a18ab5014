"""``nnviz`` with no subcommand: check the options and the display, then open the window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nnviz.arg_types import frame_rate, positive_number, size_type
from nnviz.commands.builders import (build_config, check_drawable, check_fits_dataset, load_training_data,
                                     wants_not_a_digit)
from nnviz.data.sources import DATASETS
from nnviz.errors import NnvizError
from nnviz.model.history import DEFAULT_CAP_MB
from nnviz.engine.quality import QUALITY_CHOICES
from nnviz.model.run_io import load_run


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
    group.add_argument("--screenshot-dir", metavar="DIR", default=".", help="where P / F12 saves screenshots")
    group.add_argument("--no-vsync", action="store_true", help="do not wait for the display's refresh")
    group.add_argument("--history", metavar="RUN", help="open a recorded run (nnviz train --history) to replay")
    group.add_argument("--history-mb", type=positive_number, default=DEFAULT_CAP_MB, metavar="MB",
                       help=f"memory for the run's history while training (default: {DEFAULT_CAP_MB})")


def run_app(args: argparse.Namespace) -> int:
    if args.history:  # the recorded run decides the network
        if args.load or args.layers:
            raise NnvizError(f"{'--load' if args.load else '--layers'} cannot be combined with --history: "
                             "the run file holds the network")
        run, loaded = load_run(args.history), None
        config = run.config
        check_fits_dataset(config, args.dataset, args.history)
    else:
        run = None
        config, loaded = build_config(args)
    screenshot_dir = Path(args.screenshot_dir)
    if not screenshot_dir.is_dir():
        raise NnvizError(f"--screenshot-dir {args.screenshot_dir}: no such directory")
    if not os.access(screenshot_dir, os.W_OK):
        raise NnvizError(f"--screenshot-dir {args.screenshot_dir}: not writable")
    check_drawable(config.layers)
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
    window = NnvizWindow.open(session, args.size, vsync=not args.no_vsync, target_fps=args.fps, quality=args.quality,
                              screenshot_dir=screenshot_dir,
                              load_path=Path(args.load or args.history) if args.load or args.history else None,
                              max_speed=args.speed == "max")
    session.start_loading()
    window.run()
    return 0
