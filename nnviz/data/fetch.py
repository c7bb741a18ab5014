"""Downloading a dataset's files into the cache, from the first mirror that serves them intact."""

from __future__ import annotations

import atexit
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

from nnviz.data import idx
from nnviz.data.sources import DatasetSpec, IdxFile
from nnviz.errors import NnvizError
from nnviz.limits import MAX_DOWNLOAD_TIMEOUT_S, excerpt, gzip_size_limit

MIRRORS_ENV = "NNVIZ_MIRRORS"
TIMEOUT_ENV = "NNVIZ_DOWNLOAD_TIMEOUT"
# (connect, read) seconds; read is the longest silence tolerated mid-transfer,
# not a limit on the whole download.
DEFAULT_TIMEOUT = (10.0, 30.0)
# pooch's default of 1 KiB means ten thousand writes and flushes per 10 MB file.
CHUNK_SIZE = 64 * 1024


def mirror_urls(spec: DatasetSpec, mirrors: str | Iterable[str] | None) -> list[str]:
    """Base URLs to try, in order: the ``mirrors`` argument, else NNVIZ_MIRRORS, else the registry's.

    A string, in the argument as in the variable, is a comma-separated list.
    """
    if mirrors is not None:
        urls, origin = mirrors, "mirrors"
    elif os.environ.get(MIRRORS_ENV, "").strip():
        urls, origin = os.environ[MIRRORS_ENV], MIRRORS_ENV
    else:
        urls, origin = spec.mirrors, f"{spec.title} mirror list"
    if isinstance(urls, str):
        urls = urls.split(",")
    urls = [url.strip() for url in urls if url.strip()]
    if not urls:
        raise NnvizError(f"{origin}: no mirror URLs to download {spec.title} from")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise NnvizError(f"{origin}: {url!r} is not an http:// or https:// URL")
    return [url if url.endswith("/") else url + "/" for url in urls]


def download_timeout() -> tuple[float, float]:
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise NnvizError(f"{TIMEOUT_ENV}: {excerpt(repr(text))} is not a positive number of seconds")
    if not seconds <= MAX_DOWNLOAD_TIMEOUT_S:  # infinity too: the sockets take only finite timeouts
        raise NnvizError(f"{TIMEOUT_ENV}: {excerpt(repr(text))} is more than a day; "
                         f"at most {MAX_DOWNLOAD_TIMEOUT_S} seconds")
    return (seconds, seconds)


def download(spec: DatasetSpec, files: Iterable[IdxFile], cache: Path, *, mirrors: str | Iterable[str] | None,
             progress: bool | ProgressCallback) -> None:
    """Put each of ``files``, checked against its raw sha256, into ``cache`` under its uncompressed name.

    The cache keeps the files uncompressed: loading them then skips inflating,
    which is most of the load time, at the price of 55 MB instead of 11 MB.
    """
    urls = mirror_urls(spec, mirrors)
    wait = download_timeout()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise NnvizError(f"{cache}: cannot create the download cache: {error.strerror or error}") from None
    _remove_stale_parts(spec, cache, older_than=max(STALE_PART_SECONDS, 2 * wait[1]))
    for file in files:
        served_by = _download_file(file, urls, cache, wait, progress)
        # A mirror that served one file will most likely serve the next: asking
        # it first means a dead mirror costs its timeout once, not four times.
        urls.remove(served_by)
        urls.insert(0, served_by)


#: A temporary download untouched this long belongs to no running nnviz but to one killed mid-download:
#: a live download writes every chunk it gets and gives up after the read timeout without one.
STALE_PART_SECONDS = 300
#: The temporary files of the downloads running in this process.
_IN_PROGRESS: set[Path] = set()


def _remove_stale_parts(spec: DatasetSpec, cache: Path, older_than: float) -> None:
    """Our own leftovers in our own cache: a killed download cannot clean up after itself."""
    now = time.time()
    for file in spec.files:
        for part in cache.glob(f".{file.stem}.*.part"):  # named as _download_from names them
            try:
                if now - part.stat().st_mtime > older_than:
                    part.unlink()
            except OSError:
                pass  # gone already, or not ours to remove: harmless either way


@atexit.register
def _remove_unfinished_downloads() -> None:
    """A download on a daemon thread (the window's) is stopped at exit without running its ``finally``."""
    for part in list(_IN_PROGRESS):
        part.unlink(missing_ok=True)


class _DownloadTooLarge(Exception):
    """A mirror sent more than the file it was asked for can be."""


class _CappedWriter:
    """The file a download goes to, refusing to grow past ``limit`` bytes: a mirror whose response never
    ends would otherwise fill the disk."""

    def __init__(self, handle, limit: int):
        self.handle, self.limit, self.written = handle, limit, 0

    def write(self, chunk: bytes) -> int:
        self.written += len(chunk)
        if self.written > self.limit:
            raise _DownloadTooLarge(f"sent more than {self.limit:,} bytes, more than the file can be")
        return self.handle.write(chunk)

    def flush(self) -> None:
        self.handle.flush()


#: Called with (file name, bytes so far, total bytes) as a download goes.
ProgressCallback = Callable[[str, int, int], None]


class _CallbackProgress:
    """pooch's custom progress-bar protocol (total, update, reset, close), forwarded to a callback."""

    def __init__(self, callback: ProgressCallback, name: str):
        self.callback, self.name, self.total, self.n = callback, name, 0, 0

    def update(self, count: int) -> None:
        self.n += count
        self.callback(self.name, self.n, self.total)

    def reset(self) -> None:
        self.n = 0

    def close(self) -> None:
        pass


class _TerminalProgress:
    """pooch's progress-bar protocol drawn as pooch's own tqdm bar on stderr (from when the server has
    answered), but one nnviz closes too: a download stopped by Ctrl-C or SIGTERM ends its line before
    nnviz says why it stopped, instead of the bar being redrawn after that at exit."""

    def __init__(self):
        self._bar = None

    @property
    def total(self) -> int:
        return self._bar.total if self._bar is not None else 0

    @total.setter
    def total(self, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, ncols=79, unit="B", unit_scale=True, leave=True, file=sys.stderr)

    def update(self, count: int) -> None:
        self._bar.update(count)

    def reset(self) -> None:
        self._bar.reset(total=self._bar.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _download_file(file: IdxFile, urls: list[str], cache: Path, wait: tuple[float, float],
                   progress: bool | ProgressCallback) -> str:
    """Try each mirror in turn; return the one that worked."""
    failures = []
    for base in urls:
        url = f"{base}{file.stem}.gz"
        if progress:
            print(f"nnviz: downloading {url}", file=sys.stderr)
        failure = _download_from(url, file, cache / file.stem, wait, progress)
        if failure is None:
            return base
        failures.append(f"{base}: {failure}")
        if progress:
            print(f"nnviz: {url}: {failure}", file=sys.stderr)
    raise NnvizError(
        f"{cache / file.stem}: could not download {file.stem}.gz from any mirror ({'; '.join(failures)}); "
        f"point --data or NNVIZ_DATA at a copy you already have"
    )


def _download_from(url: str, file: IdxFile, final: Path, wait: tuple[float, float],
                   progress: bool | ProgressCallback) -> str | None:
    """Download ``url`` and move its verified content to ``final``; return why it failed, or None.

    The bytes land in a temporary file beside ``final`` and replace it in one
    atomic rename only once verified, so a failed, corrupted or interrupted
    download never leaves anything at the final name.
    """
    # pooch and requests take ~0.3 s to import: only pay for that when downloading.
    import pooch
    import requests

    try:
        handle, temp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
        os.close(handle)
    except OSError as error:
        raise NnvizError(f"{final.parent}: cannot write to the download cache: {error.strerror or error}") from None
    temp = Path(temp_name)
    _IN_PROGRESS.add(temp)
    bar = (_CallbackProgress(progress, f"{file.stem}.gz") if callable(progress)
           else _TerminalProgress() if progress else False)
    try:
        downloader = pooch.HTTPDownloader(progressbar=bar, chunk_size=CHUNK_SIZE, timeout=wait)
        with temp.open("wb") as handle:
            downloader(url, _CappedWriter(handle, gzip_size_limit(file.raw_size)), None)
        # The registry knows only the checksums of the uncompressed files (mirrors recompress them), so
        # the download is inflated first: no further than the largest intact IDX file.
        raw = idx.decompress(temp.read_bytes())
        if not file.matches(raw):
            return "checksum mismatch (content differs from the original file)"
        temp.write_bytes(raw)
        os.replace(temp, final)
        return None
    except requests.RequestException as error:
        return _describe(error)
    except (idx.IdxError, _DownloadTooLarge) as error:
        return str(error)
    except OSError as error:  # our disk, not the mirror: trying another mirror would not help
        raise NnvizError(f"{temp}: cannot write the download: {error.strerror or error}") from None
    finally:
        if bar:
            bar.close()
        temp.unlink(missing_ok=True)
        _IN_PROGRESS.discard(temp)


def _describe(error: Exception) -> str:
    """A few words on why a request failed; requests' own messages run to several lines of repr."""
    import requests

    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code} {error.response.reason}".strip()
    text = str(error)
    # A timeout in the middle of the body surfaces as a ConnectionError.
    if isinstance(error, requests.Timeout) or "timed out" in text.lower():
        return "timed out"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return f"connection closed mid-transfer ({_innermost(text)})"
    if isinstance(error, requests.ConnectionError):
        os_error = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
        return os_error.group(1).strip() if os_error else f"connection failed ({_innermost(text)})"
    return f"{type(error).__name__}: {_innermost(text)}"


def _innermost(text: str) -> str:
    # urllib3 nests reasons as "Outer(... Inner('reason'))": the last quoted part is the cause.
    quoted = re.findall(r"'([^']+)'", text)
    return quoted[-1] if quoted else text
