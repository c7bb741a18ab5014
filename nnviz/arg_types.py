"""argparse value types shared by the commands: a bad value is a one-line usage error."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return value


def size_type(minimum: int, maximum: int = 8192):
    """A WIDTHxHEIGHT parser, each side within [minimum, maximum]."""

    def parse(text: str) -> tuple[int, int]:
        try:
            width, height = (int(part) for part in text.lower().split("x"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from None
        if not (minimum <= width <= maximum and minimum <= height <= maximum):
            raise argparse.ArgumentTypeError(f"{text!r}: width and height must be between {minimum} and {maximum}")
        return width, height

    return parse


def frame_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and 1 <= value <= 1000):
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and 1000 frames per second")
    return value
