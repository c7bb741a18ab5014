"""Writing IDX files for tests: well-formed synthetic datasets, and raw bytes to break them with.

Kept independent of nnviz.data (names and layout written out here) so the
tests check the code against the format, not against itself.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

import numpy as np

STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
COUNTS = {"train": 60_000, "test": 10_000}


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """IDX encoding of a uint8 array; ``magic`` overrides the correct one."""
    if magic is None:
        magic = 0x0800 | array.ndim
    header = magic.to_bytes(4, "big") + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def compress_if_gz(path: Path, content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=1) if path.suffix == ".gz" else content


def write(path: Path, content: bytes) -> Path:
    """Write ``content``, gzip-compressed when the name ends in .gz."""
    path.write_bytes(compress_if_gz(path, content))
    return path


def synthetic_arrays() -> dict[str, np.ndarray]:
    """A dataset of the right shapes where image i's first pixel equals its label."""
    arrays = {}
    for split, count in COUNTS.items():
        labels = (np.arange(count) * 7 % 10).astype(np.uint8)
        images = np.zeros((count, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = labels
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    return arrays


@lru_cache(maxsize=2)
def _synthetic_files(suffix: str) -> dict[str, tuple[str, bytes]]:
    # Encoding and compressing 55 MB is most of a test's setup; do it once per run.
    files = {}
    for role, array in synthetic_arrays().items():
        name = f"{STEMS[role]}{suffix}"
        files[role] = (name, compress_if_gz(Path(name), idx_bytes(array)))
    return files


def write_dataset(directory: Path, *, gz: bool = False) -> dict[str, Path]:
    """Write the four synthetic files into ``directory``; return their paths by role."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for role, (name, content) in _synthetic_files(".gz" if gz else "").items():
        paths[role] = directory / name
        paths[role].write_bytes(content)
    return paths


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``directory`` with its size and mtime, to prove nothing was touched."""
    return {
        str(path.relative_to(directory)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
    }
