"""``nnviz`` with no subcommand: check the options and the display, then open the window."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nnviz.errors import NnvizError
from nnviz.app.options import check_drawable


def run_app(args: argparse.Namespace) -> int:
    from nnviz.cli import build_config
    from nnviz.data import load_dataset
    from nnviz.data.sources import DATASETS

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

    title = DATASETS[args.dataset].title if args.dataset in DATASETS else args.dataset
    session = TrainingSession(
        config,
        load_data=lambda progress: load_dataset(args.dataset, args.data, download=not args.no_download,
                                                progress=progress),
        loaded=loaded,
        dataset_title=title,
    )
    window = NnvizWindow.open(session, args.size, vsync=not args.no_vsync, target_fps=args.fps,
                              screenshot_dir=screenshot_dir, load_path=Path(args.load) if args.load else None,
                              max_speed=args.speed == "max")
    session.start_loading()
    window.run()
    return 0


