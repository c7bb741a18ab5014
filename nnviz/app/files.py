"""Names for files the window writes: timestamped (nnviz.safe_files takes the next free one when it is taken)."""

from __future__ import annotations

import time
from pathlib import Path


def timestamped(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem-YYYYmmdd-HHMMSS.suffix``: the name to try first (nnviz.safe_files numbers the next)."""
    return Path(directory) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"
