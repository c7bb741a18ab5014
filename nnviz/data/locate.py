"""Where a dataset's four files are: the user's directory, the cache, the system."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

from nnviz.data.sources import EMNIST_PREFIX, DatasetSpec, emnist_stem
from nnviz.errors import NnvizError

DATA_ENV = "NNVIZ_DATA"
_EMNIST_TRAIN_IMAGES = re.compile(rf"{EMNIST_PREFIX}([a-z]+)-train-images-idx3-ubyte(\.gz)?")


def cache_dir(dataset: str) -> Path:
    """Where downloads go; platformdirs follows XDG_CACHE_HOME on Linux."""
    return Path(platformdirs.user_cache_dir("nnviz")) / dataset


def find_file(directory: Path, stem: str) -> Path | None:
    # Uncompressed first: it loads without the ~0.2 s of inflating the images.
    for path in (directory / stem, directory / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def find_files(spec: DatasetSpec, directory: Path) -> list[Path | None]:
    """One entry per file of ``spec.files``; None where the directory lacks it."""
    return [find_file(directory, stem) for stem in stems_in(spec, directory)]


def stems_in(spec: DatasetSpec, directory: Path) -> list[str]:
    """The names ``spec.files`` go by in ``directory``: MNIST's, or EMNIST's (see emnist_stem) in a folder
    holding one EMNIST split's files and none by MNIST's names."""
    standard = [file.stem for file in spec.files]
    if any(find_file(directory, stem) for stem in standard):
        return standard
    names = (path.name for path in directory.glob(f"{EMNIST_PREFIX}*-train-images-idx3-ubyte*"))
    splits = sorted({match[1] for match in map(_EMNIST_TRAIN_IMAGES.fullmatch, names) if match})
    if len(splits) > 1:
        raise NnvizError(f"{directory}: holds the files of several EMNIST splits ({', '.join(splits)}); "
                         "give a folder holding one split's four files and its classes.txt")
    return [emnist_stem(splits[0], file) for file in spec.files] if splits else standard


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
    missing = stems_in(spec, candidate)[paths.index(None)]
    raise NnvizError(
        f"{candidate / missing}.gz: not found (nor uncompressed {missing}); the {spec.title} "
        f"data directory given by {origin} must hold its four IDX files, directly or in a "
        f"'{spec.name}' subdirectory"
    )
