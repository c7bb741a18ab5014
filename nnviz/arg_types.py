"""argparse value types shared by the commands: a bad value is a one-line usage error."""

from __future__ import annotations

import argparse
import math

from nnviz.limits import MAX_ARCHIVE_BYTES


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def positive_number(text: str) -> float:
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number above 0")
    return value


def history_megabytes(text: str) -> float:
    """--history-mb: above 0, and no more than a run file nnviz would load again (limits.MAX_ARCHIVE_BYTES)."""
    value = positive_number(text)
    most = MAX_ARCHIVE_BYTES / 2**20
    if value > most:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {most:g} (a larger run file could not be loaded)")
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
    value = _number(text)
    if not (math.isfinite(value) and 1 <= value <= 1000):
        raise argparse.ArgumentTypeError(f"{text!r} must be between 1 and 1000 frames per second")
    return value


def file_name(text: str) -> str:
    """A file or folder name: not empty (an empty --save would otherwise be taken for no --save at all)."""
    if not text:
        raise argparse.ArgumentTypeError("an empty file name")
    return text
