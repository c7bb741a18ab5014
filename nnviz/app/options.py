"""Options of the interactive window (``nnviz`` with no subcommand)."""

from __future__ import annotations

import argparse

from nnviz.arg_types import frame_rate, size_type
from nnviz.errors import NnvizError
from nnviz.model.config import format_layers


def add_app_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("window")
    group.add_argument("--fps", type=frame_rate, default=60.0, help="target frame rate (default: 60)")
    group.add_argument("--speed", choices=("smooth", "max"), default="smooth",
                       help="smooth: train within the frame budget; max: train as fast as possible (key M)")
    group.add_argument("--size", type=size_type(minimum=64), default=(1280, 720), metavar="WxH",
                       help="initial window size (default: 1280x720)")
    group.add_argument("--screenshot-dir", metavar="DIR", default=".", help="where P / F12 saves screenshots")
    group.add_argument("--no-vsync", action="store_true", help="do not wait for the display's refresh")


def check_drawable(layers) -> None:
    """Headless training takes any depth; the window and ``nnviz render`` draw at most MAX_LAYERS."""
    from nnviz.engine.network_renderer import MAX_LAYERS

    if len(layers) > MAX_LAYERS:
        raise NnvizError(f"--layers {format_layers(layers)}: at most {MAX_LAYERS} layers can be drawn")
