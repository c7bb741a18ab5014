"""Keras 3: ``.weights.h5`` (``model.save_weights``) and ``.keras`` (``model.save``: a zip of ``config.json``
and ``model.weights.h5``) of a ``Sequential`` of ``Dense`` layers.

The weights file keeps layer k's kernel, already (in, out) as nnviz's, at
``layers/dense_k/vars/0`` and its bias at ``.../vars/1`` (the first layer's
group is plain ``dense``): Keras names the groups by class and position,
whatever the layers are called. Only ``.keras`` says the activations, in
its config; for ``.weights.h5`` they come from the options.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from nnviz.errors import NnvizError
from nnviz.limits import MAX_ARCHIVE_BYTES, excerpt
from nnviz.model.activations import LEAKY_SLOPE
from nnviz.model.interchange import layers as dense

EXTRA = "keras"
#: Bytes of a .keras file's config.json: Keras writes about 1 KB per layer, and nnviz takes at most
#: nnviz.limits.MAX_NETWORK_LAYERS layers.
MAX_KERAS_CONFIG_BYTES = 2**20
_DENSE_GROUP = re.compile(r"^dense(?:_(\d+))?$")
#: Layers a Sequential may hold besides Dense: none has weights or changes what nnviz computes.
_SHAPELESS = ("InputLayer", "Flatten", "Dropout")
_HIDDEN = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
_OUTPUT = {"softmax": "softmax", "sigmoid": "sigmoid", "linear": None}  # linear: logits, softmax stands in


def load(path: Path, activation: str | None, output: str | None) -> dense.Parts:
    h5py = dense.require("h5py", EXTRA)
    dense.check_file_size(path)
    if path.suffix.lower() == ".keras":
        weights_file, activations = _read_keras_zip(path)
    else:
        weights_file, activations = path, None
    try:
        with h5py.File(weights_file, "r") as file:
            groups = _dense_groups(path, file)
            if activations is not None and len(activations) != len(groups):
                raise NnvizError(f"{path}: config.json has {len(activations)} Dense layers, its weights "
                                 f"{len(groups)}")
            shapes, keys = {}, []
            for index, group in enumerate(groups):  # as a PyTorch state dict: the checks are the same
                kernel, bias = group.get("vars/0"), group.get("vars/1")
                if not isinstance(kernel, h5py.Dataset) or not isinstance(bias, h5py.Dataset):
                    raise NnvizError(f"{path}: '{group.name}' lacks its kernel and bias (vars/0, vars/1)")
                shapes[f"{2 * index}.weight"] = tuple(reversed(kernel.shape))
                shapes[f"{2 * index}.bias"] = bias.shape
                keys.append((kernel, bias))
            _, layers = dense.sequential_keys(path, shapes)
            hidden, output_layer = _activations(path, activations, len(groups))
            config, extra = dense.config_for(path, layers, hidden, output_layer, activation, output)
            weights = [dense.parameters(path, kernel.name, kernel[()]) for kernel, _ in keys]
            biases = [dense.parameters(path, bias.name, bias[()]) for _, bias in keys]
    except (OSError, KeyError, ValueError) as error:  # h5py's words for a file that is not HDF5, or damaged
        raise NnvizError(f"{path}: not a readable Keras weights file ({excerpt(error)})") from None
    return config, weights, biases, extra


def _read_keras_zip(path: Path) -> tuple[io.BytesIO, list]:
    """model.weights.h5 (in memory, within MAX_ARCHIVE_BYTES) and the Dense layers' activations."""
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(_member(path, archive, "config.json", MAX_KERAS_CONFIG_BYTES))
            weights = io.BytesIO(_member(path, archive, "model.weights.h5", MAX_ARCHIVE_BYTES))
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise NnvizError(f"{path}: not a readable .keras file ({excerpt(error)})") from None
    except ValueError as error:  # json's errors, and Unicode's
        raise NnvizError(f"{path}: config.json is not JSON ({excerpt(error)})") from None
    return weights, _dense_activations(path, config)


def _member(path: Path, archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise NnvizError(f"{path}: has no {name}; not a Keras 3 .keras file") from None
    if info.file_size > limit:
        raise NnvizError(f"{path}: {name} is {info.file_size:,} bytes; nnviz reads at most {limit:,}")
    return archive.read(info)


def _dense_activations(path: Path, config) -> list:
    """Each Dense layer's activation as config.json gives it, refusing layers nnviz cannot show."""
    model = config.get("config", {}) if isinstance(config, dict) else {}
    if not isinstance(config, dict) or config.get("class_name") != "Sequential" or not isinstance(model, dict):
        raise NnvizError(f"{path}: config.json does not describe a Sequential model")
    activations = []
    for layer in model.get("layers", []):
        kind = layer.get("class_name") if isinstance(layer, dict) else None
        settings = layer.get("config", {}) if isinstance(layer, dict) else {}
        if kind == "Dense" and isinstance(settings, dict):
            activations.append(settings.get("activation"))
        elif kind not in _SHAPELESS:
            name = settings.get("name") if isinstance(settings, dict) else None
            raise NnvizError(f"{path}: layer '{excerpt(name)}' ({excerpt(kind)}) is not part of an MLP nnviz can "
                             "show (Dense layers)")
    return activations


def _dense_groups(path: Path, file) -> list:
    """The Dense layers' groups in the model's order: dense, dense_1, dense_2, ..., by number."""
    layers = file.get("layers")
    if layers is None:
        raise NnvizError(f"{path}: has no 'layers' group; nnviz reads Keras 3 weight files (model.save_weights)")
    numbered = {}
    for name, group in layers.items():
        match = _DENSE_GROUP.match(name)
        if match:
            numbered[int(match.group(1) or 0)] = group
        elif len(group.get("vars", {})):
            raise NnvizError(f"{path}: layer '{excerpt(name)}' has weights but is not Dense")
    order = sorted(numbered)
    if order != list(range(len(order))):
        missing = min(set(range(len(order))) - set(order))
        raise NnvizError(f"{path}: has no layer group '{'dense' if missing == 0 else f'dense_{missing}'}'")
    return [numbered[k] for k in order]


def _activations(path: Path, activations: list | None, count: int):
    """Hidden layers' nnviz activations (None: not in the file) and the output layer's."""
    if activations is None:
        return [None] * (count - 1), None
    for name in activations:
        if name == "leaky_relu":  # Keras's slope is 0.2
            raise NnvizError(f"{path}: Keras's leaky_relu has slope 0.2; nnviz's has {float(LEAKY_SLOPE):g}")
    hidden = []
    for k, name in enumerate(activations[:-1]):
        if not isinstance(name, str) or name not in _HIDDEN:
            raise NnvizError(f"{path}: Dense layer {k} has activation {excerpt(name)}; nnviz's hidden layers use "
                             f"{', '.join(_HIDDEN)} (or leaky_relu of slope {float(LEAKY_SLOPE):g})")
        hidden.append(_HIDDEN[name])
    last = activations[-1]
    if not isinstance(last, str) or last not in _OUTPUT:
        raise NnvizError(f"{path}: the last Dense layer has activation {excerpt(last)}; nnviz's output layer is "
                         "softmax or sigmoid")
    return hidden, _OUTPUT[last]
