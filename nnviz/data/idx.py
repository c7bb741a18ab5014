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
from typing import BinaryIO, Literal

import numpy as np

from nnviz.data.sources import IMAGE_SIZE, MAX_RAW_SIZE
from nnviz.limits import gzip_size_limit

GZIP_SIGNATURE = b"\x1f\x8b"
MAGIC = {"labels": 0x00000801, "images": 0x00000803}  # unsigned bytes, 1-D / 3-D
_NOUN = {"labels": "label", "images": "image"}
LONGEST_HEADER = 4 + 4 * 3  # an images file's: the magic number and three axes
_NOT_GZIP = "not gzip data (the name ends in .gz but the content does not start with the gzip signature)"


class IdxError(ValueError):
    """What is wrong with an IDX file's content (without the file's path)."""


def read_payload(path: Path, size: int) -> bytes:
    """The IDX bytes of ``path``, decompressed when its name ends in ``.gz``; ``size``: an intact file's.

    Never more than ``size`` + 1 bytes: a file larger than an intact one
    can be is refused by its size, before it is read, and a gzip stream
    once it inflates past ``size``. OSError (missing, unreadable) is left to
    the caller, which words it with the path.
    """
    on_disk = _size_on_disk(path)
    if path.suffix != ".gz":
        if on_disk > size:
            raise IdxError(_size_problem(size, on_disk))
        return path.read_bytes()
    if on_disk > gzip_size_limit(size):
        raise IdxError(f"{on_disk:,} bytes: more gzip data than an intact file ({size:,} bytes) compresses to")
    return decompress(path.read_bytes(), size)


def read_shape(path: Path, kind: Literal["images", "labels"]) -> tuple[int, ...]:
    """The shape ``path``'s IDX header gives, read without its data (inflating only the header of a .gz):
    a dataset of any counts is checked against the limits, and its files against each other, first."""
    _size_on_disk(path)
    with path.open("rb") as handle:
        if path.suffix != ".gz":
            head = handle.read(LONGEST_HEADER)
        else:
            if handle.read(len(GZIP_SIGNATURE)) != GZIP_SIGNATURE:
                raise IdxError(_NOT_GZIP)
            handle.seek(0)
            head = _inflate(handle, LONGEST_HEADER)[:LONGEST_HEADER]
    return _header(head, kind)[0]


def raw_size(shape: tuple[int, ...]) -> int:
    """Bytes of an intact IDX file of uint8 values of ``shape``: the magic number, a uint32 per axis, the values."""
    return 4 + 4 * len(shape) + math.prod(shape)


def _size_on_disk(path: Path) -> int:
    on_disk = path.stat().st_size
    if on_disk == 0:
        raise IdxError("empty file (0 bytes)")
    return on_disk


def decompress(blob: bytes, size: int = MAX_RAW_SIZE) -> bytes:
    """``blob``'s gzip data inflated, refused once it passes ``size`` bytes (by default the largest intact
    IDX file's): a gzip bomb costs no more memory than an intact file."""
    if blob[:2] != GZIP_SIGNATURE:
        raise IdxError(_NOT_GZIP)
    data = _inflate(io.BytesIO(blob), size)
    if len(data) > size:
        raise IdxError(f"corrupt gzip data (it inflates to more than {size:,} bytes, an intact file's size)")
    return data


def _inflate(compressed: BinaryIO, size: int) -> bytes:
    """At most ``size`` + 1 bytes of the gzip stream ``compressed``: one past an intact file, enough to know
    this one is not."""
    try:
        with gzip.GzipFile(fileobj=compressed) as stream:
            return stream.read(size + 1)
    except EOFError:
        raise IdxError("truncated gzip data: the compressed stream ends early") from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise IdxError(f"corrupt gzip data ({error})") from None


def _size_problem(expected: int, found: int) -> str:
    if found < expected:
        return f"truncated: expected {expected} bytes of data, found {found}"
    return f"{found - expected} unexpected trailing bytes: expected {expected} bytes of data, found {found}"


def parse(data: bytes, kind: Literal["images", "labels"], count: int, classes: int | None = 10) -> np.ndarray:
    """Check ``data`` is an IDX file of ``count`` 28x28 images or labels below ``classes`` (None: any uint8)
    and view it as uint8.

    The array is a read-only view of ``data``: no copy, and nobody can scribble
    on a dataset that the trainer and the renderer share.
    """
    shape, header_size = _header(data, kind)
    # Every file's count is fixed by the dataset, so checking each against it
    # also guarantees that images and labels pair up one to one.
    if shape[0] != count:
        raise IdxError(f"header says {shape[0]} {kind}, expected {count}")

    expected_size = raw_size(shape)
    if len(data) != expected_size:
        raise IdxError(_size_problem(expected_size, len(data)))

    array = np.frombuffer(data, dtype=np.uint8, count=math.prod(shape), offset=header_size).reshape(shape)
    if kind == "labels" and classes is not None:
        bad = labels_outside(array, classes)
        if bad.size:
            more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
            raise IdxError(f"label {array[bad[0]]} at index {bad[0]} is outside 0-{classes - 1}{more}")
    return array


def labels_outside(labels: np.ndarray, classes: int) -> np.ndarray:
    """The indices of the labels that name no class: labels index the classes from 0."""
    return np.flatnonzero(labels >= classes)


def _header(data: bytes, kind: Literal["images", "labels"]) -> tuple[tuple[int, ...], int]:
    """The shape the IDX header at the start of ``data`` gives, and the header's size; checked to be ``kind``'s."""
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
    return shape, header_size
