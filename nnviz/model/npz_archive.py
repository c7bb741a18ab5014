"""What nnviz's .npz files share (weight files, run files): the config member, a safe read, an atomic write.

``config`` is a 0-d unicode array holding a JSON object: ``format`` (which
kind of file), ``version``, every TrainConfig field (``layers``,
``activation``, ``layer_activations`` (a list, empty when every hidden
layer uses ``activation``; files without it are read as empty), ``output``,
the hyperparameters) and whatever else the
writer adds (e.g. ``samples_seen``). Reading checks the zip directory and
each member's .npy header before any array data (see open_archive) and
refuses object arrays, so a file can never run code nor claim memory it
does not hold. ``what`` names the kind of file in messages,
e.g. "weight file".
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import struct
import tokenize
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from nnviz import safe_files
from nnviz.errors import ConfigError, NnvizError
from nnviz.limits import (MAX_ARCHIVE_BYTES, MAX_CONFIG_CHARS, MAX_JSON_DEPTH, MAX_JSON_DIGITS,
                          MAX_ZIP_DIRECTORY_BYTES, excerpt)
from nnviz.model.config import TrainConfig, validate

FORMAT_VERSION = 1


def check_save_target(path: str | os.PathLike, what: str) -> Path:
    """The checks a save must pass, for callers that want them before hours of training.

    Those of nnviz.safe_files.check_target (the folder takes new files, ...):
    an existing file is refused unless ``path`` is a safe_files.Replaceable.
    """
    replace = safe_files.is_replaceable(path)
    path = Path(path)
    if path.suffix != ".npz":
        raise NnvizError(f"{path}: {what}s must end in .npz")
    return safe_files.check_target(path, replace=replace)


def config_member(config: TrainConfig, file_format: str, **extra) -> np.ndarray:
    """The ``config`` entry: the JSON object as a 0-d unicode array."""
    meta = {"format": file_format, "version": FORMAT_VERSION, **config.to_dict(), **extra}
    return np.array(json.dumps(meta))


def write_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray], what: str) -> Path:
    """np.savez into a temporary file beside ``path``, on disk, then renamed: a crash never leaves half a file.

    An existing file is replaced only if ``path`` is a safe_files.Replaceable (the user gave --force).
    """
    replace = safe_files.is_replaceable(path)
    path = check_save_target(path, what)
    return safe_files.write_file(path, lambda stream: np.savez(stream, **arrays), replace=replace)


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
FLOAT32_MAX = float(np.finfo(np.float32).max)


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


def check_float32_range(path: Path, name: str, array: np.ndarray) -> None:
    """Refuse a finite float ``array`` holding a value that float32, in which nnviz computes, cannot:
    cast, it would become infinite and look like a diverged network."""
    if array.dtype.itemsize <= 4:
        return
    magnitudes = np.abs(array)
    if magnitudes.max(initial=0.0) > FLOAT32_MAX:
        value = float(array.flat[int(np.argmax(magnitudes))])
        raise NnvizError(f"{path}: '{name}' holds {value:.3g}, beyond the range of float32 (±{FLOAT32_MAX:.3g}), "
                         "in which nnviz computes")


def read_config(archive: Archive) -> tuple[TrainConfig, dict]:
    """The validated TrainConfig in the ``config`` member, and the rest of its JSON object."""
    path, what = archive.path, archive.what
    if "config" not in archive.names:
        raise NnvizError(f"{path}: has no 'config' entry; not an nnviz {what}")
    header = archive.header("config")
    if header.shape != () or header.dtype.kind != "U":
        raise NnvizError(f"{path}: 'config' must be a JSON string")
    characters = header.dtype.itemsize // np.dtype("U1").itemsize
    if characters > MAX_CONFIG_CHARS:
        raise NnvizError(f"{path}: 'config' is {characters:,} characters long; nnviz reads at most "
                         f"{MAX_CONFIG_CHARS:,}")
    return parse_config(path, str(archive.read("config")), what)


class _JsonNumberError(ValueError):
    """A number in JSON text that nnviz will not read."""


def _bounded_int(text: str) -> int:
    # Python refuses to convert integers over 4,300 digits with a ValueError of its own.
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise _JsonNumberError(f"a {len(text.lstrip('-')):,}-digit integer")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonNumberError(f"the number {excerpt(text)}, too large for a float")
    return value


def _not_a_json_number(name: str):
    raise _JsonNumberError(f"{name}, which is not a JSON number")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped), counted without parsing it:
    json's parser recurses once per level and would hit Python's recursion limit first."""
    outside_strings = _JSON_STRING.sub("", text)
    return max(itertools.accumulate(_JSON_NESTING.get(char, 0) for char in outside_strings), default=0)


def _load_json(path: Path, text: str) -> object:
    """``text`` parsed, its size already bounded (read_config): no recursion, number or constant Python's
    json would choke on or take that JSON does not have."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise NnvizError(f"{path}: 'config' nests {depth:,} levels deep; nnviz reads at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=_finite_float,
                          parse_constant=_not_a_json_number)
    except _JsonNumberError as error:
        raise NnvizError(f"{path}: 'config' holds {error}") from None
    except json.JSONDecodeError as error:
        raise NnvizError(f"{path}: 'config' is not valid JSON ({error.msg})") from None


def parse_config(path: Path, text: str, what: str) -> tuple[TrainConfig, dict]:
    """The validated TrainConfig in the JSON ``text`` of a ``config`` member, and the rest of its object."""
    meta = _load_json(path, text)
    if not isinstance(meta, dict):
        raise NnvizError(f"{path}: 'config' must be a JSON object")
    for key in ("layers", "activation", "output"):
        if key not in meta:
            raise NnvizError(f"{path}: 'config' has no '{key}'")
    layers = meta["layers"]
    if not isinstance(layers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in layers):
        raise NnvizError(f"{path}: 'config' layers must be a list of integers, got {excerpt(repr(layers))}")

    known = TrainConfig.field_names()
    settings = {k: v for k, v in meta.items() if k in known}
    settings["layers"] = tuple(layers)
    if "layer_activations" in settings:  # files from before per-layer activations have none: all `activation`
        names = settings["layer_activations"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise NnvizError(f"{path}: 'config' layer_activations must be a list of activation names, "
                             f"got {excerpt(repr(names))}")
        settings["layer_activations"] = tuple(names)
    try:
        config = validate(TrainConfig().replace(**settings))
    except ConfigError as error:  # names the field as the file does: "learning_rate 0: ..."
        raise NnvizError(f"{path}: config: {error}") from None
    return config, {k: v for k, v in meta.items() if k not in known}
