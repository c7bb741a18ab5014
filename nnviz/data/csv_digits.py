"""Kaggle's "digit recognizer" CSV layout: a header ``label,pixel0,...,pixel783``, then one picture per line.

A labelled file alone is split: its last HELD_OUT_PERCENT of rows become the
test set (deterministic, and Kaggle's rows are already shuffled). Kaggle's
``test.csv`` (``pixel0,...``, no labels) is a set to predict: refused for
training, read by :func:`pictures_to_predict` (which takes either layout). The
file is parsed a chunk of lines at a time: for training into arrays sized by a
first pass that counts its lines, to predict handed on chunk by chunk; no text
copy of the whole file is ever held.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np
from tqdm import tqdm

from nnviz.data.splits import HELD_OUT_PERCENT, Splits, check_labels
from nnviz.data.sources import IMAGE_SIZE
from nnviz.errors import NnvizError
from nnviz.limits import MAX_CSV_LINE_BYTES, MAX_DATASET_IMAGES, excerpt

PIXELS = IMAGE_SIZE * IMAGE_SIZE
PIXEL_COLUMNS = tuple(f"pixel{i}" for i in range(PIXELS))
LABELLED_HEADER = ("label", *PIXEL_COLUMNS)
#: Lines parsed at once: ~13 MB of text at most, a few ms of work per chunk.
_CHUNK_LINES = 4096
#: Files from this size on get a progress bar (MNIST's 42,000 rows are ~73 MB).
_PROGRESS_BAR_BYTES = 4 * 2**20
_COUNT_BLOCK_BYTES = 2**20
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def read_digit_csv(path: Path, class_count: int, progress: bool = True,
                   tell: Callable[[str], None] | None = None) -> Splits:
    """``path``'s rows as a training and a held-out test set; ``tell`` (if given) is told how it was split.

    NnvizError naming the file, and the line and column, for any defect.
    """
    try:
        with path.open("rb") as stream:
            _check_header(path, _read_line(stream, path, 1))
            rows = _count_rows(stream, path)
            labels = np.empty(rows, np.uint8)
            images = np.empty((rows, PIXELS), np.uint8)
            with tqdm(total=path.stat().st_size, initial=stream.tell(), desc=path.name, unit="B",
                      unit_scale=True, leave=False, file=sys.stderr,
                      disable=not progress or path.stat().st_size < _PROGRESS_BAR_BYTES) as bar:
                _parse_rows(stream, path, labels, images, bar)
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    check_labels(labels, class_count, str(path), "line", first=2)
    held = rows * HELD_OUT_PERCENT // 100
    if held == 0:
        raise NnvizError(f"{path}: {rows:,} labelled rows are too few to hold out {HELD_OUT_PERCENT}% as a test "
                         f"set (needs at least {100 // HELD_OUT_PERCENT})")
    if tell is not None:
        tell(f"{path.name}: {rows:,} labelled rows; the last {HELD_OUT_PERCENT}% ({held:,}) held out as the "
             "test set")
    images = images.reshape(rows, IMAGE_SIZE, IMAGE_SIZE)
    return Splits(images[:-held], labels[:-held], images[-held:], labels[-held:])


def pictures_to_predict(path: Path, tell: Callable[[str], None]) -> Iterator[np.ndarray]:
    """``path``'s pictures, streamed as (n, PIXELS) uint8 arrays of up to _CHUNK_LINES rows, in file order.

    Takes Kaggle's ``test.csv`` (no label column) or a labelled file, whose
    labels are ignored (``tell`` is told so). Same CSV rules, and NnvizErrors,
    as :func:`read_digit_csv`; a defect is found when its chunk is reached.
    """
    try:
        with path.open("rb") as stream:
            header = _header_columns(path, _read_line(stream, path, 1))
            if header == LABELLED_HEADER:
                tell(f"{path}: has a label column; it was ignored, only the pixels were predicted")
            first_line = 2
            while lines := _read_lines(stream, path, first_line, _CHUNK_LINES):
                yield _parse_chunk(path, lines, first_line, header)[:, -PIXELS:].astype(np.uint8)
                first_line += len(lines)
    except OSError as error:
        raise NnvizError(f"{path}: cannot read: {error.strerror or error}") from None
    if first_line == 2:
        raise NnvizError(f"{path}: has a header but no rows")


def _read_line(stream: BinaryIO, path: Path, number: int) -> bytes:
    """Line ``number`` without its line end; at most MAX_CSV_LINE_BYTES of it are ever read."""
    return _read_line_with_end(stream, path, number).rstrip(b"\r\n")


def _read_line_with_end(stream: BinaryIO, path: Path, number: int) -> bytes:
    """Line ``number`` as read, b"" only at the end of the file."""
    line = stream.readline(MAX_CSV_LINE_BYTES + 1)
    if len(line) > MAX_CSV_LINE_BYTES:
        raise NnvizError(f"{path}: line {number:,} is longer than {MAX_CSV_LINE_BYTES:,} bytes; "
                         "not a CSV file of pictures")
    return line


def _read_lines(stream: BinaryIO, path: Path, first_line: int, most: int) -> list[str]:
    """Up to ``most`` lines from ``first_line`` on, fewer at the end of the file."""
    lines = []
    while len(lines) < most and (line := _read_line_with_end(stream, path, first_line + len(lines))):
        lines.append(line.rstrip(b"\r\n").decode("latin-1"))
    return lines


def _check_header(path: Path, line: bytes) -> None:
    if _header_columns(path, line) == PIXEL_COLUMNS:
        raise NnvizError(f"{path}: has no label column: a set to predict, not to train on")


def _header_columns(path: Path, line: bytes) -> tuple[str, ...]:
    """LABELLED_HEADER or PIXEL_COLUMNS, whichever ``line`` is, else an NnvizError."""
    names = tuple(name.strip().strip('"') for name in line.decode("latin-1").split(","))
    if names in (LABELLED_HEADER, PIXEL_COLUMNS):
        return names
    raise NnvizError(f"{path}: line 1: expected the header label,pixel0,...,pixel{PIXELS - 1} (Kaggle's digit "
                     f"recognizer layout), found '{excerpt(line.decode('latin-1'))}'")


def _count_rows(stream: BinaryIO, path: Path) -> int:
    """The lines after the header (a last line without a line end counts); the stream is left where it was."""
    start = stream.tell()
    rows, last = 0, b"\n"
    while block := stream.read(_COUNT_BLOCK_BYTES):
        rows += block.count(b"\n")
        last = block[-1:]
    rows += last != b"\n"
    stream.seek(start)
    if rows == 0:
        raise NnvizError(f"{path}: has a header but no rows")
    if rows > MAX_DATASET_IMAGES:
        raise NnvizError(f"{path}: has {rows:,} rows; nnviz loads at most {MAX_DATASET_IMAGES:,} pictures")
    return rows


def _parse_rows(stream: BinaryIO, path: Path, labels: np.ndarray, images: np.ndarray, bar: tqdm) -> None:
    """Fill ``labels`` and ``images`` (sized by _count_rows) a chunk of lines at a time."""
    rows = len(labels)
    for start in range(0, rows, _CHUNK_LINES):
        stop = min(start + _CHUNK_LINES, rows)
        first_line = start + 2  # line 1 is the header
        lines = [_read_line(stream, path, first_line + i).decode("latin-1") for i in range(stop - start)]
        values = _parse_chunk(path, lines, first_line, LABELLED_HEADER)
        labels[start:stop] = values[:, 0]
        images[start:stop] = values[:, 1:]
        bar.update(sum(len(line) + 1 for line in lines))


def _parse_chunk(path: Path, lines: list[str], first_line: int, header: tuple[str, ...]) -> np.ndarray:
    """``lines`` as an (n, len(header)) array of values 0-255, else an NnvizError naming the first bad line
    and column."""
    for number, line in enumerate(lines, first_line):
        columns = line.count(",") + 1
        if columns != len(header):
            raise NnvizError(f"{path}: line {number:,} has {columns:,} columns, expected {len(header)}")
    try:
        values = np.loadtxt(lines, delimiter=",", dtype=np.int64, ndmin=2)
    except (ValueError, OverflowError):
        values = None
    if values is None or values.min() < 0 or values.max() > 255:
        _raise_first_bad_cell(path, lines, first_line, header)
    return values


def _raise_first_bad_cell(path: Path, lines: list[str], first_line: int, header: tuple[str, ...]) -> None:
    """The slow, exact look for what the fast parse refused: which line and column."""
    for number, line in enumerate(lines, first_line):
        for column, (name, cell) in enumerate(zip(header, line.split(",")), 1):
            problem = _cell_problem(cell)
            if problem:
                raise NnvizError(f"{path}: line {number:,}, column {column} ({name}): '{excerpt(cell)}' {problem}")
    raise NnvizError(f"{path}: lines {first_line:,}-{first_line + len(lines) - 1:,}: not numbers 0-255")


def _cell_problem(cell: str) -> str | None:
    """What is wrong with one cell, None if it is a number 0-255 (read without int() of a 60,000-digit cell)."""
    text = cell.strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        return "is not a whole number"
    magnitude = text.lstrip("+-").lstrip("0")
    if len(magnitude) > 3 or (magnitude and (text.startswith("-") or int(magnitude) > 255)):
        return "is out of range 0-255"
    return None
