"""Names for files the window writes: timestamped, never replacing one already there."""

from __future__ import annotations

import time
from pathlib import Path


def unique_path(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem-YYYYmmdd-HHMMSS.suffix``, with -2, -3, ... when that exists already."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = directory / f"{stem}-{stamp}{suffix}"
    count = 2
    while path.exists():
        path = directory / f"{stem}-{stamp}-{count}{suffix}"
        count += 1
    return path
