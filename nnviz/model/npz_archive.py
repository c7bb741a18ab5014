"""What nnviz's .npz files share (weight files, run files): the config member, a safe read, an atomic write.

``config`` is a 0-d unicode array holding a JSON object: ``format`` (which
kind of file), ``version``, every TrainConfig field (``layers``,
``activation``, ``layer_activations`` (a list, empty when every hidden
layer uses ``activation``; files without it are read as empty), ``output``,
the hyperparameters) and whatever else the
writer adds (e.g. ``samples_seen``). Reading uses ``allow_pickle=False``, so
a file can never run code. ``what`` names the kind of file in messages,
e.g. "weight file".
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np

from nnviz.errors import ConfigError, NnvizError
from nnviz.model.config import TrainConfig, validate

FORMAT_VERSION = 1


def check_save_target(path: str | os.PathLike, what: str) -> Path:
    """The checks a save must pass, for callers that want them before hours of training."""
    path = Path(path)
    if path.suffix != ".npz":
        raise NnvizError(f"{path}: {what}s must end in .npz")
    if not path.parent.is_dir():
        raise NnvizError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise NnvizError(f"{path}: is a directory")
    return path


def config_member(config: TrainConfig, file_format: str, **extra) -> np.ndarray:
    """The ``config`` entry: the JSON object as a 0-d unicode array."""
    meta = {"format": file_format, "version": FORMAT_VERSION, **config.to_dict(), **extra}
    return np.array(json.dumps(meta))


def write_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray], what: str) -> Path:
    """np.savez into a temporary file beside ``path``, on disk, then renamed: a crash never leaves half a file."""
    path = check_save_target(path, what)
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before it takes the real name
        os.chmod(temp_name, 0o666 & ~_umask())  # mkstemp makes it private; saved files are ordinary files
        os.replace(temp_name, path)
    except OSError as error:
        if "temp_name" in locals() and os.path.exists(temp_name):
            os.unlink(temp_name)
        raise NnvizError(f"{path}: cannot write: {error.strerror or error}") from None
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_arrays(path: str | os.PathLike, what: str) -> tuple[Path, dict[str, np.ndarray]]:
    """Every member of the archive, read without pickle; NnvizError naming the file for anything unreadable."""
    path = Path(path)
    if not path.is_file():
        raise NnvizError(f"{path}: no such file")
    _check_kind(path, what)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return path, {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise NnvizError(f"{path}: contains pickled Python objects; refusing to load it") from None
        raise NnvizError(f"{path}: not a valid .npz {what} ({error})") from None
    except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise NnvizError(f"{path}: not a valid .npz {what} ({error})") from None


def _check_kind(path: Path, what: str) -> None:
    """np.load takes whatever is not a zip or .npy file for a pickle: say what the file is instead."""
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


def parse_config(path: Path, arrays: dict[str, np.ndarray], what: str) -> tuple[TrainConfig, dict]:
    """The validated TrainConfig in ``arrays["config"]``, and the rest of its JSON object."""
    if "config" not in arrays:
        raise NnvizError(f"{path}: has no 'config' entry; not an nnviz {what}")
    config_array = arrays["config"]
    if config_array.shape != () or config_array.dtype.kind != "U":
        raise NnvizError(f"{path}: 'config' must be a JSON string")
    try:
        meta = json.loads(str(config_array))
    except json.JSONDecodeError as error:
        raise NnvizError(f"{path}: 'config' is not valid JSON ({error.msg})") from None
    if not isinstance(meta, dict):
        raise NnvizError(f"{path}: 'config' must be a JSON object")
    for key in ("layers", "activation", "output"):
        if key not in meta:
            raise NnvizError(f"{path}: 'config' has no '{key}'")
    layers = meta["layers"]
    if not isinstance(layers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in layers):
        raise NnvizError(f"{path}: 'config' layers must be a list of integers, got {layers!r}")

    known = TrainConfig.field_names()
    settings = {k: v for k, v in meta.items() if k in known}
    settings["layers"] = tuple(layers)
    if "layer_activations" in settings:  # files from before per-layer activations have none: all `activation`
        names = settings["layer_activations"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise NnvizError(f"{path}: 'config' layer_activations must be a list of activation names, got {names!r}")
        settings["layer_activations"] = tuple(names)
    try:
        config = validate(TrainConfig().replace(**settings))
    except ConfigError as error:  # names the field as the file does: "learning_rate 0: ..."
        raise NnvizError(f"{path}: config: {error}") from None
    except TypeError as error:
        raise NnvizError(f"{path}: config has a value of the wrong type ({error})") from None
    return config, {k: v for k, v in meta.items() if k not in known}
