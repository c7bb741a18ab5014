"""Reading an .npz file without trusting it: its zip directory and every member's .npy header are checked
before any array data is inflated, and data is inflated a chunk at a time, never past what the header says.

Format-neutral: weight and run files (nnviz.model.npz_archive) and Keras's mnist.npz
(nnviz.data.keras_npz) each check the names, dtypes and shapes their format has, from the headers, and
only then read. ``what`` names the kind of file in messages, e.g. "weight file".
"""

from __future__ import annotations

import math
import os
import struct
import tokenize
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from nnviz.errors import NnvizError
from nnviz.limits import MAX_ARCHIVE_BYTES, MAX_ZIP_DIRECTORY_BYTES, excerpt

#: Compression np.savez (stored) and np.savez_compressed (deflated) write. zipfile's bzip2 and lzma
#: readers inflate a whole block per call, without a bound, so members compressed otherwise are refused.
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ENCRYPTED = 0x1  # general-purpose flag bit 0 of a zip entry
#: Bytes inflated at a time: memory follows the data a member really holds, not what it claims to hold.
_READ_CHUNK = 2**20
#: What zipfile and zlib raise for damaged bytes (NotImplementedError: a zip feature zipfile lacks).
_ZIP_DAMAGE = (OSError, EOFError, NotImplementedError, zipfile.BadZipFile, zlib.error)
#: What numpy.lib.format raises for a damaged .npy header: its parser lets tokenize's, dtype's and
#: int's errors through.
_NPY_DAMAGE = (ValueError, TypeError, OverflowError, SyntaxError, tokenize.TokenError)
_DAMAGE = _ZIP_DAMAGE + _NPY_DAMAGE
_NPY_HEADER_READERS = {(1, 0): npy_format.read_array_header_1_0, (2, 0): npy_format.read_array_header_2_0}

@dataclass(frozen=True)
class ArrayHeader:
    """A member's .npy header, read before any of its data: what the array is, by its own account."""

    name: str  # as np.load names it: the member's name without ".npy"
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int  # where the data starts in the member's uncompressed bytes

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


class Archive:
    """An .npz file open for reading one member at a time (see open_archive); a context manager."""

    def __init__(self, path: Path, what: str, zip_file: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]):
        self.path, self.what = path, what
        self._zip, self._members = zip_file, members
        self._headers: dict[str, ArrayHeader] = {}

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self._zip.close()

    @property
    def names(self) -> frozenset[str]:
        """The members, named as np.load names them (without ".npy"), from the zip directory alone."""
        return frozenset(self._members)

    def header(self, name: str) -> ArrayHeader:
        """The .npy header of member ``name``, checked to describe exactly the bytes the zip directory gives it."""
        if name not in self._headers:
            self._headers[name] = self._read_header(name)
        return self._headers[name]

    def read(self, name: str) -> np.ndarray:
        """Member ``name``'s array, inflated a chunk at a time, never past the size its header gives."""
        header = self.header(name)
        try:
            with self._zip.open(self._members[name]) as stream:
                stream.read(header.data_offset)
                data = _read_at_most(stream, header.nbytes)
        except _DAMAGE as error:
            raise self._damaged(name, excerpt(error)) from None
        if len(data) < header.nbytes:
            raise self._damaged(name, f"its data ends after {len(data):,} of {header.nbytes:,} bytes")
        array = np.frombuffer(data, dtype=header.dtype, count=math.prod(header.shape))
        return array.reshape(header.shape[::-1]).T if header.fortran_order else array.reshape(header.shape)

    def _damaged(self, name: str, problem: str) -> NnvizError:
        return NnvizError(f"{self.path}: not a valid .npz {self.what} ('{excerpt(name)}': {problem})")

    def _read_header(self, name: str) -> ArrayHeader:
        info = self._members[name]
        try:
            with self._zip.open(info) as stream, warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy's note on headers written by Python 2: not the user's business
                version = npy_format.read_magic(stream)
                if version not in _NPY_HEADER_READERS:
                    raise self._damaged(name, f".npy format version {version[0]}.{version[1]}, "
                                             "which nnviz does not read")
                shape, fortran_order, dtype = _NPY_HEADER_READERS[version](stream)
                header = ArrayHeader(name, shape, dtype, fortran_order, stream.tell())
        except _ZIP_DAMAGE as error:
            raise self._damaged(name, excerpt(error)) from None
        except _NPY_DAMAGE as error:
            raise self._damaged(name, f"not a .npy array: {excerpt(error)}") from None
        if dtype.hasobject:
            raise NnvizError(f"{self.path}: contains pickled Python objects; refusing to load it")
        if any(size < 0 for size in shape) or dtype.itemsize == 0:
            raise self._damaged(name, f"its header gives shape {excerpt(shape)} of dtype {excerpt(dtype)}")
        if header.data_offset + header.nbytes != info.file_size:
            raise self._damaged(name, f"its header describes {header.nbytes:,} bytes of data, the zip directory "
                                     f"{info.file_size - header.data_offset:,}")
        return header


def open_archive(path: str | os.PathLike, what: str) -> Archive:
    """``path`` open for checked reading, for a format to check its members' names and headers before
    reading any array data (read_config reads the config).

    Checked here, before anything is inflated: a file, a zip archive whose directory is of sane size,
    and members that are all unencrypted, stored or deflated ``.npy`` files, with at most
    MAX_ARCHIVE_BYTES of data in all. Any problem is an NnvizError naming the file.
    """
    path = Path(path)
    _check_is_file(path, what)
    _check_kind(path, what)
    _check_zip_directory(path, what)
    try:
        zip_file = zipfile.ZipFile(path)
    except _DAMAGE as error:
        raise NnvizError(f"{path}: not a valid .npz {what} ({excerpt(error)})") from None
    try:
        return Archive(path, what, zip_file, _members(path, what, zip_file.infolist()))
    except NnvizError:
        zip_file.close()
        raise


def _check_is_file(path: Path, what: str) -> None:
    try:
        if path.is_file():
            return
        if path.is_dir():
            problem = f"is a directory, not a {what}"
        elif path.exists():  # a device, a FIFO, a socket: nothing to read an archive from
            problem = f"is not a regular file, so not a {what}"
        elif path.is_symlink():
            problem = f"is a broken symbolic link (to {os.readlink(path)}, which does not exist)"
        else:
            problem = "no such file"
    except OSError as error:  # e.g. a name too long for the file system
        problem = f"cannot read: {error.strerror or error}"
    raise NnvizError(f"{path}: {problem}")


def _check_kind(path: Path, what: str) -> None:
    """A file that is not a zip archive: say what it is (np.load would take it for a pickle)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(6)
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    if start.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip archive (an empty one ends at once)
        return
    if start.startswith(b"\x93NUMPY"):
        raise NnvizError(f"{path}: not a valid .npz {what} (a single .npy array, not an archive)")
    if start.startswith(b"\x80"):  # a pickle's protocol marker
        raise NnvizError(f"{path}: contains pickled Python objects; refusing to load it")
    raise NnvizError(f"{path}: not a valid .npz {what} (not a zip archive)")


def _check_zip_directory(path: Path, what: str) -> None:
    """zipfile reads the whole zip directory, an object per entry, before any entry can be checked: size it first.

    The end record that gives the directory's size is found as zipfile finds it: at the very end of the
    file, else the last one in its final 64 KiB (after a comment). A zip64 record, which would override
    it, is only needed past 4 GiB or 65,535 entries: far beyond any nnviz file.
    """
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - zipfile.sizeEndCentDir64Locator - zipfile.sizeEndCentDir - 0xFFFF))
            tail = handle.read()
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    at = len(tail) - zipfile.sizeEndCentDir
    if at < 0 or not tail.startswith(zipfile.stringEndArchive, at):
        at = tail.rfind(zipfile.stringEndArchive)
    if at < 0 or len(tail) - at < zipfile.sizeEndCentDir:
        return  # no end record: zipfile will say it is not a zip file
    directory_size = struct.unpack(zipfile.structEndArchive, tail[at:at + zipfile.sizeEndCentDir])[5]
    locator = tail[at - zipfile.sizeEndCentDir64Locator:at] if at >= zipfile.sizeEndCentDir64Locator else b""
    if locator.startswith(zipfile.stringEndArchive64Locator):
        raise NnvizError(f"{path}: not a valid .npz {what} (a zip64 archive, larger than any nnviz file)")
    if directory_size > MAX_ZIP_DIRECTORY_BYTES:
        raise NnvizError(f"{path}: not a valid .npz {what} (a zip directory of {directory_size:,} bytes; "
                         f"nnviz reads at most {MAX_ZIP_DIRECTORY_BYTES:,})")


def _members(path: Path, what: str, entries: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """The zip entries by member name, each checked to be an array nnviz can read without trusting it."""
    members = {}
    for entry in entries:
        name = entry.filename.removesuffix(".npy")
        if name == entry.filename:
            raise NnvizError(f"{path}: has '{excerpt(entry.filename)}', which is not a .npy array; "
                             f"not an nnviz {what}")
        if name in members:
            raise NnvizError(f"{path}: not a valid .npz {what} (two members named '{excerpt(name)}')")
        if entry.flag_bits & _ENCRYPTED:
            raise NnvizError(f"{path}: '{excerpt(name)}' is encrypted; nnviz reads only unencrypted archives")
        if entry.compress_type not in _COMPRESSIONS:
            raise NnvizError(f"{path}: '{excerpt(name)}' is compressed with zip method {entry.compress_type}; "
                             "nnviz reads stored or deflated members, as NumPy writes them")
        members[name] = entry
    total = sum(entry.file_size for entry in entries)
    if total > MAX_ARCHIVE_BYTES:
        raise NnvizError(f"{path}: holds {total:,} bytes uncompressed; nnviz reads .npz files of at most "
                         f"{MAX_ARCHIVE_BYTES:,}")
    return members


def _read_at_most(stream, size: int) -> bytearray:
    """Up to ``size`` bytes of ``stream``, fewer where it ends first; a chunk at a time, so a member that
    claims more data than it has costs only what it has."""
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(_READ_CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return data
