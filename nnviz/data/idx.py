"""Reading and checking IDX files, the format MNIST is published in.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number
of dimensions), one big-endian uint32 per dimension, then the values. Errors
are raised as IdxError carrying only what is wrong; the caller knows which file
it was reading and prefixes the path.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path
from typing import Literal

import numpy as np

from nnviz.data.sources import IMAGE_SIZE, MAX_RAW_SIZE
from nnviz.limits import gzip_size_limit

GZIP_SIGNATURE = b"\x1f\x8b"
MAGIC = {"labels": 0x00000801, "images": 0x00000803}  # unsigned bytes, 1-D / 3-D
_NOUN = {"labels": "label", "images": "image"}


class IdxError(ValueError):
    """What is wrong with an IDX file's content (without the file's path)."""


def read_payload(path: Path, size: int) -> bytes:
    """The IDX bytes of ``path``, decompressed when its name ends in ``.gz``; ``size``: an intact file's.

    Never more than ``size`` + 1 bytes: a file larger than an intact one
    can be is refused by its size, before it is read, and a gzip stream
    once it inflates past ``size``. OSError (missing, unreadable) is left to
    the caller, which words it with the path.
    """
    on_disk = path.stat().st_size
    if on_disk == 0:
        raise IdxError("empty file (0 bytes)")
    if path.suffix != ".gz":
        if on_disk > size:
            raise IdxError(_size_problem(size, on_disk))
        return path.read_bytes()
    if on_disk > gzip_size_limit(size):
        raise IdxError(f"{on_disk:,} bytes: more gzip data than an intact file ({size:,} bytes) compresses to")
    return decompress(path.read_bytes(), size)


def decompress(blob: bytes, size: int = MAX_RAW_SIZE) -> bytes:
    """``blob``'s gzip data inflated, refused once it passes ``size`` bytes (by default the largest intact
    IDX file's): a gzip bomb costs no more memory than an intact file."""
    if blob[:2] != GZIP_SIGNATURE:
        raise IdxError("not gzip data (the name ends in .gz but the content does not start with the gzip signature)")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(blob)) as stream:
            data = stream.read(size + 1)  # one byte past an intact file: enough to know this one is not
    except EOFError:
        raise IdxError("truncated gzip data: the compressed stream ends early") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise IdxError(f"corrupt gzip data ({error})") from None
    if len(data) > size:
        raise IdxError(f"corrupt gzip data (it inflates to more than {size:,} bytes, an intact file's size)")
    return data


def _size_problem(expected: int, found: int) -> str:
    if found < expected:
        return f"truncated: expected {expected} bytes of data, found {found}"
    return f"{found - expected} unexpected trailing bytes: expected {expected} bytes of data, found {found}"


def parse(data: bytes, kind: Literal["images", "labels"], count: int) -> np.ndarray:
    """Check ``data`` is an IDX file of ``count`` 28x28 images or 0-9 labels and view it as uint8.

    The array is a read-only view of ``data``: no copy, and nobody can scribble
    on a dataset that the trainer and the renderer share.
    """
    expected_magic = MAGIC[kind]
    if len(data) < 4:
        raise IdxError(f"too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        raise IdxError(
            f"bad magic number 0x{magic:08X} (not an IDX {_NOUN[kind]} file, which starts with 0x{expected_magic:08X})"
        )
    ndim = data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxError(f"truncated: expected a {header_size}-byte header, found {len(data)} bytes")
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))

    if kind == "images" and shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise IdxError(f"images are {shape[1]}x{shape[2]} pixels, expected {IMAGE_SIZE}x{IMAGE_SIZE}")
    # Every file's count is fixed by the dataset, so checking each against it
    # also guarantees that images and labels pair up one to one.
    if shape[0] != count:
        raise IdxError(f"header says {shape[0]} {kind}, expected {count}")

    values = math.prod(shape)
    expected_size = header_size + values
    if len(data) != expected_size:
        raise IdxError(_size_problem(expected_size, len(data)))

    array = np.frombuffer(data, dtype=np.uint8, count=values, offset=header_size).reshape(shape)
    if kind == "labels" and count and array.max() > 9:
        bad = np.flatnonzero(array > 9)
        more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
        raise IdxError(f"label {array[bad[0]]} at index {bad[0]} is outside 0-9{more}")
    return array
