"""What every format shares: a stack of dense layers, checked and turned into LoadedWeights' parts, and back.

PyTorch's ``nn.Linear`` keeps a weight as (out, in); nnviz as (in, out). A
state dict of ``nn.Sequential(Linear, act, Linear, act, ..., Linear)`` names
them ``0.weight, 0.bias, 2.weight, ...``: the Linear layers sit at every
second index, the activations (which hold no tensors) between them.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import numpy as np

from nnviz.errors import ConfigError, NnvizError
from nnviz.limits import MAX_ARCHIVE_BYTES, MAX_CONFIG_CHARS, excerpt
from nnviz.model import npz_archive
from nnviz.model.config import TrainConfig, check_layers, format_layers, validate
from nnviz.safe_files import os_error

#: The format name nnviz writes into the config it exports (as weights_io does into its .npz).
EXPORT_FORMAT = "nnviz-weights"
#: The fields of a weights_io.LoadedWeights: config, weights (in, out), biases, the config's other entries.
Parts = tuple[TrainConfig, list[np.ndarray], list[np.ndarray], dict]
_STATE_KEY = re.compile(r"^(\d+)\.(weight|bias)$")
#: Index step between two Linear layers of a Sequential: one activation module sits between them.
_SEQUENTIAL_STEP = 2


def require(module: str, extra: str):
    """``module`` imported, or a one-line error saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise NnvizError(f"reading and writing this format needs the '{module}' package: "
                         f"pip install 'nnviz[{extra}]'") from None


def check_file_size(path: Path) -> None:
    """Refuse a file larger than nnviz.limits.MAX_ARCHIVE_BYTES before any parser reads it."""
    try:
        size = os.stat(path).st_size
    except OSError as error:
        raise os_error(error, path) from None
    if size > MAX_ARCHIVE_BYTES:
        raise NnvizError(f"{path}: {size:,} bytes; nnviz reads weight files of at most {MAX_ARCHIVE_BYTES:,}")


def checked_layers(path: Path, layers: list[int]) -> tuple[int, ...]:
    """``layers`` if a network can be built of them (nnviz.model.config.check_layers); else NnvizError."""
    try:
        check_layers(layers)
    except ConfigError as error:
        raise NnvizError(f"{path}: {error}") from None
    return tuple(layers)


def sequential_keys(path: Path, shapes: dict[str, tuple[int, ...]]) -> tuple[list[tuple[str, str]], tuple[int, ...]]:
    """The (weight key, bias key) of each Linear layer of a PyTorch Sequential's state dict, in order, and the
    layer sizes; from the tensors' names and shapes alone, so nothing is read before they are checked."""
    indices = set()
    for key in shapes:
        match = _STATE_KEY.match(key)
        if not match:
            raise NnvizError(f"{path}: has '{excerpt(key)}', which is not a Linear layer's weight or bias of "
                             "an nn.Sequential state dict ('0.weight', '0.bias', '2.weight', ...)")
        indices.add(int(match.group(1)))
    if not indices:
        raise NnvizError(f"{path}: holds no tensors")
    order = sorted(indices)  # by number: '10' comes after '2'
    for before, after in zip(order, order[1:]):
        if after != before + _SEQUENTIAL_STEP:
            raise NnvizError(f"{path}: has {before}.weight and {after}.weight but no {before + _SEQUENTIAL_STEP}"
                             ".weight; nnviz reads an nn.Sequential of Linear layers with one activation "
                             "between each two")
    keys = [(f"{index}.weight", f"{index}.bias") for index in order]
    layers = []
    for weight, bias in keys:
        for key in (weight, bias):
            if key not in shapes:
                raise NnvizError(f"{path}: has no '{key}'")
        shape = shapes[weight]
        if len(shape) != 2:
            raise NnvizError(f"{path}: '{weight}' has shape {excerpt(shape)}; a Linear weight is (out, in)")
        fan_out, fan_in = shape
        if layers and fan_in != layers[-1]:
            raise NnvizError(f"{path}: '{weight}' has shape {excerpt(shape)}, expected ({fan_out}, {layers[-1]}): "
                             f"its layer takes the {layers[-1]} outputs of the one before")
        if shapes[bias] != (fan_out,):
            raise NnvizError(f"{path}: '{bias}' has shape {excerpt(shapes[bias])}, expected ({fan_out},)")
        layers += [fan_in, fan_out] if not layers else [fan_out]
    return keys, checked_layers(path, layers)


def config_for(path: Path, layers: tuple[int, ...], hidden: list[str | None], output: str | None,
               activation_option: str | None, output_option: str | None, config_json: str | None = None):
    """The validated TrainConfig (and the config's other entries) of a file's layers.

    ``hidden``: each hidden layer's activation as the file gives it (None: it does not say, and
    ``activation_option`` stands for it); ``output`` likewise, ``output_option`` then softmax standing in.
    ``config_json``: the config nnviz wrote on export, which says everything.
    """
    if config_json is not None:
        if len(config_json) > MAX_CONFIG_CHARS:
            raise NnvizError(f"{path}: its nnviz config is {len(config_json):,} characters long; nnviz reads "
                             f"at most {MAX_CONFIG_CHARS:,}")
        config, extra = npz_archive.parse_config(path, config_json, "weight file")
        if config.layers != layers:
            raise NnvizError(f"{path}: its nnviz config says layers {excerpt(format_layers(config.layers))}, "
                             f"its tensors hold {excerpt(format_layers(layers))}")
        return config, extra
    if any(name is None for name in hidden):
        if activation_option is None:
            raise NnvizError(f"{path}: does not say which activation its hidden layers use; give it with "
                             "--activation")
        hidden = [activation_option if name is None else name for name in hidden]
    if output and output_option and output_option != output:
        raise NnvizError(f"--output {output_option} does not match {path}, whose output layer is {output}")
    defaults = TrainConfig()
    base = TrainConfig(layers=layers, activation=hidden[0] if hidden else activation_option or defaults.activation,
                       output=output or output_option or defaults.output)
    try:
        return validate(base.with_hidden_activations(hidden)), {}
    except ConfigError as error:
        raise NnvizError(f"{path}: {error}") from None


def parameters(path: Path, name: str, array) -> np.ndarray:
    """A tensor of the file as float32, refused if it holds NaN, infinities or values beyond float32."""
    array = np.asarray(array)
    if array.dtype.kind != "f":
        raise NnvizError(f"{path}: '{excerpt(name)}' has dtype {excerpt(array.dtype)}, expected floating point")
    if not np.isfinite(array).all():
        raise NnvizError(f"{path}: '{excerpt(name)}' contains NaN or infinite values")
    npz_archive.check_float32_range(path, excerpt(name), array)
    return array.astype(np.float32)


def state_dict(loaded) -> dict[str, np.ndarray]:
    """The weights as ``nn.Sequential(Linear, act, ..., Linear).state_dict()`` holds them: float32, (out, in)."""
    tensors = {}
    for k, (weight, bias) in enumerate(zip(loaded.weights, loaded.biases)):
        tensors[f"{k * _SEQUENTIAL_STEP}.weight"] = np.ascontiguousarray(weight.T, dtype=np.float32)
        tensors[f"{k * _SEQUENTIAL_STEP}.bias"] = np.ascontiguousarray(bias, dtype=np.float32)
    return tensors


def config_json(loaded) -> str:
    """The JSON config nnviz writes into an exported file, so that loading it back needs no options."""
    return json.dumps({"format": EXPORT_FORMAT, **loaded.config.to_dict(), **loaded.extra})
