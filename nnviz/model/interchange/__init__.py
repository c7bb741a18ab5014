"""Weights in the formats other frameworks write: PyTorch (safetensors, .pt), ONNX, Keras; and out again.

nnviz's own ``.npz`` stays the format it saves (nnviz.model.weights_io); a
file in another format, chosen by its extension, is read into the fields of
the same LoadedWeights (load_any; weights_io builds it, so this package never
imports that module), and ``nnviz export`` writes a network in one of them
(save_any). Every reader checks the file's size and the tensors' shapes
before reading their data, and none unpickles anything.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from nnviz.errors import NnvizError
from nnviz.model.interchange.layers import Parts

#: Extension -> the module (in this package) that reads and writes it; ``.weights.h5`` counts as ``.h5``.
_READERS = {".safetensors": "safetensors_format", ".onnx": "onnx_format", ".pt": "torch_format",
            ".pth": "torch_format", ".keras": "keras_format", ".h5": "keras_format"}
_WRITERS = {".safetensors": "safetensors_format", ".onnx": "onnx_format"}


def handles(path: str | os.PathLike) -> bool:
    """Whether ``path``'s extension is one of the formats of this package (else: nnviz's .npz)."""
    suffix = Path(path).suffix.lower()
    return suffix in _READERS


def load_any(path: str | os.PathLike, activation: str | None = None, output: str | None = None) -> Parts:
    """The weights in ``path`` as weights_io.LoadedWeights's fields, read by its extension's reader.

    ``activation`` and ``output`` (the options of those names) stand for what the file does not say: a
    PyTorch state dict holds no activations. NnvizError naming the file for any defect.
    """
    return _module(path, _READERS, "reads").load(Path(path), activation, output)


def writable_suffixes() -> list[str]:
    return sorted(_WRITERS)


def save_any(path: str | os.PathLike, loaded) -> Path:
    """Write ``loaded`` (a weights_io.LoadedWeights) to ``path`` in its extension's format, atomically, by
    the policy ``path`` carries (nnviz.safe_files.write_to); returns the name written."""
    return _module(path, _WRITERS, "writes").save(path, loaded)


def _module(path, table: dict[str, str], verb: str):
    suffix = Path(path).suffix.lower()
    if suffix not in table:
        raise NnvizError(f"{path}: unknown weight format '{suffix}'; nnviz {verb} {', '.join(sorted(table))} "
                         "(and its own .npz)")
    return importlib.import_module(f"{__name__}.{table[suffix]}")
