"""Save and load weights as ``.npz``: a public format other tools read.

Layout: float32 arrays ``W0, b0, W1, b1, ...`` where ``Wk`` has shape
(fan_in, fan_out) of layer k and ``bk`` shape (fan_out,), plus ``config``, a
0-d unicode array holding a JSON object with at least ``layers``,
``activation``, ``output`` and the training hyperparameters. Loading uses
``allow_pickle=False``, so a file can never run code.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.errors import ConfigError, NnvizError
from nnviz.model.config import TrainConfig, validate
from nnviz.model.network import Network

FORMAT_VERSION = 1
_PARAM_NAME = re.compile(r"^[Wb](\d+)$")


@dataclass
class LoadedWeights:
    config: TrainConfig
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    extra: dict  # anything else the JSON config held (e.g. samples_seen)

    def flat_parameters(self) -> np.ndarray:
        """In :class:`Network`'s flat layout: all weights, then all biases."""
        return np.concatenate([w.ravel() for w in self.weights] + list(self.biases))


def check_save_target(path: str | os.PathLike) -> Path:
    """The checks a save must pass, for callers that want them before hours of training."""
    path = Path(path)
    if path.suffix != ".npz":
        raise NnvizError(f"{path}: weight files must end in .npz")
    if not path.parent.is_dir():
        raise NnvizError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise NnvizError(f"{path}: is a directory")
    return path


def save_weights(path: str | os.PathLike, network: Network, config: TrainConfig, **extra) -> Path:
    """Write atomically: a crash mid-write never leaves a damaged file at ``path``."""
    path = check_save_target(path)
    meta = {"format": "nnviz-weights", "version": FORMAT_VERSION, **config.to_dict(), **extra}
    meta.update(layers=list(network.layer_sizes), activation=network.activation.name, output=network.output.name)
    arrays = {"config": np.array(json.dumps(meta))}
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"W{k}"] = np.asarray(W, dtype=np.float32)
        arrays[f"b{k}"] = np.asarray(b, dtype=np.float32)
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


def load_weights(path: str | os.PathLike) -> LoadedWeights:
    path = Path(path)
    if not path.is_file():
        raise NnvizError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise NnvizError(f"{path}: contains pickled Python objects; refusing to load it") from None
        raise NnvizError(f"{path}: not a valid .npz weight file ({error})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise NnvizError(f"{path}: not a valid .npz weight file ({error})") from None
    return _parse(path, arrays)


def _parse(path: Path, arrays: dict) -> LoadedWeights:
    if "config" not in arrays:
        raise NnvizError(f"{path}: has no 'config' entry; not an nnviz weight file")
    config_array = arrays.pop("config")
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
    try:
        config = validate(TrainConfig().replace(**settings))
    except ConfigError as error:  # names the field as the file does: "learning_rate 0: ..."
        raise NnvizError(f"{path}: config: {error}") from None
    except TypeError as error:
        raise NnvizError(f"{path}: config has a value of the wrong type ({error})") from None

    expected = {}
    for k, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
        expected[f"W{k}"] = (fan_in, fan_out)
        expected[f"b{k}"] = (fan_out,)
    for name in sorted(arrays):
        if _PARAM_NAME.match(name) and name not in expected:
            raise NnvizError(f"{path}: has '{name}', which layers {layers} do not have")
    weights, biases = [], []
    for name, shape in expected.items():
        if name not in arrays:
            raise NnvizError(f"{path}: is missing '{name}' for layers {layers}")
        array = arrays[name]
        if array.dtype.kind != "f":
            raise NnvizError(f"{path}: '{name}' has dtype {array.dtype}, expected float32")
        if array.shape != shape:
            raise NnvizError(f"{path}: '{name}' has shape {array.shape}, expected {shape} for layers {layers}")
        if not np.isfinite(array).all():
            raise NnvizError(f"{path}: '{name}' contains NaN or infinite values")
        (weights if name[0] == "W" else biases).append(array.astype(np.float32))
    extra = {k: v for k, v in meta.items() if k not in known}
    return LoadedWeights(config, weights, biases, extra)
