"""Options of the interactive window (``nnviz`` with no subcommand)."""

from __future__ import annotations

import argparse


def add_app_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("window")
    group.add_argument("--fps", type=float, default=60.0, help="target frame rate (default: 60)")
    group.add_argument("--speed", choices=("smooth", "max"), default="smooth",
                       help="smooth: train within the frame budget; max: train as fast as possible (key M)")
    group.add_argument("--size", default="1280x720", metavar="WxH", help="initial window size (default: 1280x720)")
    group.add_argument("--screenshot-dir", metavar="DIR", default=".", help="where P / F12 saves screenshots")
    group.add_argument("--no-vsync", action="store_true", help="do not wait for the display's refresh")
    group.add_argument("--debug-port", type=int, default=None, help=argparse.SUPPRESS)
