"""Where a dataset's four files are: the user's directory, the cache, the system."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from nnviz.data.sources import DatasetSpec, IdxFile
from nnviz.errors import NnvizError

DATA_ENV = "NNVIZ_DATA"


def cache_dir(dataset: str) -> Path:
    """Where downloads go; platformdirs follows XDG_CACHE_HOME on Linux."""
    return Path(platformdirs.user_cache_dir("nnviz")) / dataset


def find_file(directory: Path, file: IdxFile) -> Path | None:
    # Uncompressed first: it loads without the ~0.2 s of inflating the images.
    for path in (directory / file.stem, directory / f"{file.stem}.gz"):
        if path.is_file():
            return path
    return None


def find_files(spec: DatasetSpec, directory: Path) -> list[Path | None]:
    """One entry per file of ``spec.files``; None where the directory lacks it."""
    return [find_file(directory, file) for file in spec.files]


def user_data_dir(data_dir: str | os.PathLike | None) -> tuple[Path, str] | None:
    """The directory the user chose, and which setting chose it (for messages)."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), "--data"
    from_env = os.environ.get(DATA_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser(), DATA_ENV
    return None


def files_in_user_dir(spec: DatasetSpec, directory: Path, origin: str) -> tuple[Path, list[Path]]:
    """The four files in ``directory/<dataset>/`` or ``directory`` itself, or an error naming the missing one.

    The subdirectory wins so that one NNVIZ_DATA can hold mnist/ and fashion/
    side by side. Nothing is downloaded here: a directory the user named is
    theirs, and a silent download would hide a typo in the path.
    """
    if not directory.is_dir():
        problem = "no such directory" if not directory.exists() else "not a directory"
        raise NnvizError(f"{directory}: {problem} (the {spec.title} data directory given by {origin})")
    listings = [(candidate, find_files(spec, candidate)) for candidate in (directory / spec.name, directory)]
    for candidate, paths in listings:
        if None not in paths:
            return candidate, paths
    # Blame the place holding more of the files: that is where the user put them.
    candidate, paths = max(reversed(listings), key=lambda listing: len(listing[1]) - listing[1].count(None))
    missing = spec.files[paths.index(None)]
    raise NnvizError(
        f"{candidate / missing.stem}.gz: not found (nor uncompressed {missing.stem}); the {spec.title} "
        f"data directory given by {origin} must hold its four IDX files, directly or in a "
        f"'{spec.name}' subdirectory"
    )
