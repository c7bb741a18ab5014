"""Save and load weights as ``.npz``: a public format other tools read.

Layout: float32 arrays ``W0, b0, W1, b1, ...`` where ``Wk`` has shape
(fan_in, fan_out) of layer k and ``bk`` shape (fan_out,), plus ``config``, a
0-d unicode array holding a JSON object with at least ``layers``,
``activation``, ``output`` and the training hyperparameters, and
``layer_activations`` where hidden layers differ (one name per hidden layer;
empty or absent: all ``activation``). Loading reads no pickle, so a file
can never run code, and checks every member against the config before
reading it (npz_files.open_archive).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz import npz_files
from nnviz.errors import NnvizError
from nnviz.limits import excerpt
from nnviz.model import interchange, npz_archive
from nnviz.model.config import TrainConfig
from nnviz.model.network import Network

WHAT = "weight file"
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
    return npz_archive.check_save_target(path, WHAT)


def save_weights(path: str | os.PathLike, network: Network, config: TrainConfig, **extra) -> Path:
    """Write atomically: a crash mid-write never leaves a damaged file at ``path``.

    By ``path``'s extension: nnviz's .npz, or (nnviz.model.interchange) ONNX or safetensors as PyTorch
    names a state dict. An existing file is replaced only if ``path`` is a safe_files.Replaceable; a
    safe_files.NextFree takes the next free name. Returns the name written."""
    config = config.replace(layers=tuple(network.layer_sizes), activation=network.activation.name,
                            layer_activations=network.layer_activations, output=network.output.name)
    if interchange.handles(path):
        loaded = LoadedWeights(config, [np.asarray(W, dtype=np.float32) for W in network.weights],
                               [np.asarray(b, dtype=np.float32) for b in network.biases], dict(extra))
        return interchange.save_any(path, loaded)
    arrays = {"config": npz_archive.config_member(config, "nnviz-weights", **extra)}
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        arrays[f"W{k}"] = np.asarray(W, dtype=np.float32)
        arrays[f"b{k}"] = np.asarray(b, dtype=np.float32)
    return npz_archive.write_atomically(path, arrays, WHAT)


def load_weights(path: str | os.PathLike, activation: str | None = None, output: str | None = None) -> LoadedWeights:
    """The weights in ``path``; every member's name, dtype and shape checked against the config before
    any array is read (see npz_files.open_archive). NnvizError naming the file for any defect.

    PyTorch and ONNX files (by extension) are read by nnviz.model.interchange; ``activation`` and
    ``output`` stand for what such a file does not say.
    """
    if interchange.handles(path):
        return LoadedWeights(*interchange.load_any(path, activation, output))
    with npz_files.open_archive(path, WHAT) as archive:
        if "W0" not in archive.names and "params" in archive.names:
            raise NnvizError(f"{archive.path}: is a run file, not a weight file")
        config, extra = npz_archive.read_config(archive)
        names = extra.get("class_names", [])
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise NnvizError(f"{archive.path}: config: class_names must be a list of names, got {excerpt(names)}")
        expected = _expected_shapes(archive, config)
        weights, biases = [], []
        for name in expected:
            (weights if name[0] == "W" else biases).append(_read_parameters(archive, name))
    return LoadedWeights(config, weights, biases, extra)


def _expected_shapes(archive: npz_files.Archive, config: TrainConfig) -> dict[str, tuple[int, ...]]:
    """Each parameter member's shape, in W0, b0, W1, ... order, checked against the members' headers."""
    path, layers = archive.path, list(config.layers)
    expected = {}
    for k, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
        expected[f"W{k}"] = (fan_in, fan_out)
        expected[f"b{k}"] = (fan_out,)
    for name in sorted(archive.names - expected.keys() - {"config"}):
        if _PARAM_NAME.match(name):
            raise NnvizError(f"{path}: has '{excerpt(name)}', which layers {excerpt(layers)} do not have")
        raise NnvizError(f"{path}: has '{excerpt(name)}', which is not part of a {WHAT}")
    for name, shape in expected.items():
        if name not in archive.names:
            raise NnvizError(f"{path}: is missing '{name}' for layers {excerpt(layers)}")
        header = archive.header(name)
        if header.dtype.kind != "f":
            raise NnvizError(f"{path}: '{name}' has dtype {excerpt(header.dtype)}, expected float32")
        if header.shape != shape:
            raise NnvizError(f"{path}: '{name}' has shape {excerpt(header.shape)}, expected {shape} "
                             f"for layers {excerpt(layers)}")
    return expected


def _read_parameters(archive: npz_files.Archive, name: str) -> np.ndarray:
    """Member ``name`` as float32, refused if it holds a value float32 cannot (NaN, infinities, beyond 3.4e38)."""
    array = archive.read(name)
    if not np.isfinite(array).all():
        raise NnvizError(f"{archive.path}: '{name}' contains NaN or infinite values")
    npz_archive.check_float32_range(archive.path, name, array)
    return array.astype(np.float32, copy=False)
