"""Names for files the window writes: timestamped, never replacing one already there."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from nnviz.safe_files import MAX_NUMBERED_NAMES, numbered


def timestamped(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem-YYYYmmdd-HHMMSS.suffix``: the name to try first (nnviz.safe_files numbers the next)."""
    return Path(directory) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"


def unique_path(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem-YYYYmmdd-HHMMSS.suffix``, with -2, -3, ... when that is taken already.

    Taken: anything has the name, a symbolic link included, even one to nothing.
    Only a suggestion: the name may be taken before it is written, so writers
    create the file exclusively (nnviz.safe_files.write_new_file does, and
    takes the next name when it is).
    """
    for path in itertools.islice(numbered(timestamped(directory, stem, suffix)), MAX_NUMBERED_NAMES):
        if not os.path.lexists(path):
            return path
    return path
