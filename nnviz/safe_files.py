"""Writing files without ever losing one: every file nnviz writes goes through here.

A file is written under a temporary name in its target's folder
(``.NAME.nnviz-XXXXXXXX.tmp``), flushed to disk, and only then given its
name, so a crash, a full disk or Ctrl-C never leaves half a file under it.
An existing file is replaced only when the caller says so (the user's
``--force``); otherwise the name is taken with ``os.link``, which fails if
anything (a file, a symbolic link) is there, so no check-then-write race can
replace one. New files are created with ``O_EXCL | O_NOFOLLOW`` and mode
0o666, from which the kernel takes the umask: nothing here changes the
process's umask, which other threads may be relying on. Temporary files a
killed process left behind are recognisable by their name and removed once
they are older than STALE_TEMP_SECONDS.

Every failure is an NnvizError naming the file and the operating system's
reason.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from nnviz.errors import NnvizError

#: Temporary files are named ``.{NAME}{TEMP_MARK}{8 hex digits}{TEMP_SUFFIX}``.
TEMP_MARK = ".nnviz-"
TEMP_SUFFIX = ".tmp"
#: A temporary file older than this was left by a process that died (a save takes seconds at most).
STALE_TEMP_SECONDS = 60
#: Bytes of the target's name kept in its temporary files' names: names hold at most 255 bytes.
MAX_NAME_IN_TEMP = 200
#: Names numbered(path) tries for a new file before giving up.
MAX_NUMBERED_NAMES = 1000
#: A new file: ours alone (fails if anything, a symbolic link included, has the name), mode 0o666 less the umask.
NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
NEW_FILE_MODE = 0o666
#: os.link's errors that mean "this file system has no hard links", not "you may not write here".
NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.ENOSYS})

Writer = Callable[[BinaryIO], None]


class AlreadyExists(NnvizError):
    """The target exists and the caller did not allow replacing it."""

    def __init__(self, path: Path):
        super().__init__(f"{path}: already exists; not overwriting it")


@dataclass(frozen=True)
class Replaceable:
    """A path whose existing file may be replaced (the user gave --force); plain paths never replace one.

    For writers whose signature cannot carry a flag, e.g. save_weights(path,
    ..., **json_extras): the permission travels with the path.
    """

    path: Path

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class NextFree:
    """A path for a file nnviz names itself (a K save): written under that name or, if anything has it by
    the time the file is finished, the first free of path-2, path-3, ... (write_new_file).

    Like Replaceable, the policy travels with the path through writers that only take a path.
    """

    path: Path

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)


def output_path(path: str | os.PathLike, replace: bool) -> Path | Replaceable:
    """``path``, marked replaceable when ``replace`` (the value of --force)."""
    return Replaceable(Path(path)) if replace else Path(path)


def is_replaceable(path) -> bool:
    return isinstance(path, Replaceable)


def write_to(path: str | os.PathLike, write: Writer) -> Path:
    """Write ``path`` atomically by the policy it carries: a Replaceable replaces what is there, a NextFree
    takes the next free name, a plain path refuses an existing file. Returns the name written."""
    if isinstance(path, NextFree):
        return write_new_file(path.path, write)
    return write_file(path, write, replace=is_replaceable(path))


def os_error(error: OSError, path=None) -> NnvizError:
    """One line: ``path`` (by default the error's own file name) and what the operating system said."""
    path = error.filename if path is None else path
    reason = error.strerror or str(error)
    return NnvizError(reason if path is None else f"{path}: {reason}")


# ----------------------------------------------------------------- checks
def check_target(path: str | os.PathLike, replace: bool = False) -> Path:
    """Whether ``path`` can be written, checked before the work that makes its contents.

    Its folder must exist and take new files (a probe file is made there and
    removed: permission bits, read-only mounts and full inode tables all
    show); ``path`` must not be a folder, nor exist unless ``replace`` (or ``path`` is a Replaceable).
    """
    replace = replace or is_replaceable(path)
    any_name = isinstance(path, NextFree)  # an existing file only moves the write to the next name
    path = Path(path)
    folder = path.parent
    if not folder.exists():
        raise NnvizError(f"{path}: directory {folder} does not exist")
    if not folder.is_dir():
        raise NnvizError(f"{path}: {folder} is not a directory")
    existing = _lstat(path)
    if existing is not None and path.is_dir():
        raise NnvizError(f"{path}: is a directory")
    if existing is not None and not (replace or any_name):
        raise AlreadyExists(path)
    descriptor, probe = _create_temp(path)
    os.close(descriptor)
    _unlink(probe)
    return path


def _lstat(path: Path) -> os.stat_result | None:
    """The entry at ``path`` itself (a link is not followed); None if there is none."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:  # a name too long, a folder we may not search
        raise os_error(error, path) from None


# ---------------------------------------------------------------- writing
def write_file(path: str | os.PathLike, write: Writer, *, replace: bool = False) -> Path:
    """Write ``path`` with ``write(stream)``, atomically; an existing file is replaced only if ``replace``."""
    path = Path(path)
    remove_stale_temps(path)
    temp = _write_temp(path, write)
    try:
        publish(temp, path, replace=replace)
    except BaseException:
        _unlink(temp)
        raise
    return path


def write_new_file(path: str | os.PathLike, write: Writer) -> Path:
    """Write a new file under ``path`` or, if that is taken, the first free of path-2, path-3, ...; returns it.

    Taken means anything at all is there, a symbolic link included: nothing is written through one.
    """
    path = Path(path)
    remove_stale_temps(path)
    temp = _write_temp(path, write)
    try:
        return take_free_name(temp, path)
    except BaseException:
        _unlink(temp)
        raise


def take_free_name(temp: Path, path: Path) -> Path:
    """Give the finished ``temp`` the first free name of numbered(path); returns it."""
    for candidate in itertools.islice(numbered(path), MAX_NUMBERED_NAMES):
        try:
            publish(temp, candidate, replace=False)
        except AlreadyExists:
            continue
        return candidate
    raise NnvizError(f"{path}: no free name for it in {path.parent} ({MAX_NUMBERED_NAMES} tried)")


def numbered(path: str | os.PathLike) -> Iterator[Path]:
    """``path``, then the same name numbered: a.png, a-2.png, a-3.png, ..."""
    path = Path(path)
    yield path
    for count in itertools.count(2):
        yield path.with_name(f"{path.stem}-{count}{path.suffix}")


def publish(temp: Path, path: Path, *, replace: bool) -> None:
    """Give the finished file ``temp`` the name ``path`` (AlreadyExists if taken and not ``replace``)."""
    try:
        if replace:
            os.replace(temp, path)
        else:
            _link_exclusively(temp, path)
        _sync_folder(path.parent)
    except OSError as error:
        raise NnvizError(f"{path}: cannot write: {error.strerror or error}") from None


def _link_exclusively(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)  # fails if the name exists, whatever is there: no check-then-replace race
    except FileExistsError:
        raise AlreadyExists(path) from None
    except OSError as error:
        if error.errno not in NO_HARD_LINKS:
            raise
        if _lstat(path) is not None:  # no hard links here: the best left is to check, then rename
            raise AlreadyExists(path) from None
        os.replace(temp, path)
        return
    _unlink(temp)


def _write_temp(path: Path, write: Writer) -> Path:
    """A temporary file beside ``path`` holding what ``write`` writes, on disk; removed if anything fails."""
    descriptor, temp = _create_temp(path)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())  # on disk before it takes the real name
    except BaseException as error:
        _unlink(temp)
        if isinstance(error, OSError):
            raise NnvizError(f"{path}: cannot write: {error.strerror or error}") from None
        raise
    return temp


def new_temp_file(path: str | os.PathLike) -> Path:
    """An empty temporary file of our own beside ``path``, for writers that open it by name (ffmpeg)."""
    path = Path(path)
    remove_stale_temps(path)
    descriptor, temp = _create_temp(path)
    os.close(descriptor)
    return temp


def _create_temp(path: Path) -> tuple[int, Path]:
    for _ in range(100):
        temp = path.parent / f"{_temp_prefix(path.name)}{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            return os.open(temp, NEW_FILE_FLAGS, NEW_FILE_MODE), temp
        except FileExistsError:
            continue
        except OSError as error:
            raise NnvizError(f"{path}: cannot write in {path.parent}: {error.strerror or error}") from None
    raise NnvizError(f"{path}: cannot make a temporary file beside it")


def _temp_prefix(name: str) -> str:
    """``.NAME.nnviz-``; a long NAME is shortened and a hash of it added, so the temporary name still fits."""
    if len(name.encode(errors="surrogateescape")) > MAX_NAME_IN_TEMP:
        digest = hashlib.sha256(name.encode(errors="surrogateescape")).hexdigest()[:12]
        name = f"{name[:MAX_NAME_IN_TEMP // 4]}~{digest}"  # a quarter: a character takes up to 4 bytes
    return f".{name}{TEMP_MARK}"


def remove_stale_temps(path: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove the temporary files of ``path`` a killed process left (older than STALE_TEMP_SECONDS)."""
    path = Path(path)
    prefix = _temp_prefix(path.name)
    now = time.time() if now is None else now
    removed = []
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not (entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)
                    and _is_token(entry.name[len(prefix):-len(TEMP_SUFFIX)])):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and \
                        now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _is_token(text: str) -> bool:
    return len(text) == 8 and all(character in "0123456789abcdef" for character in text)


def _sync_folder(folder: Path) -> None:
    """Put the new name on disk too (without it, a power cut can lose a rename that already returned)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
