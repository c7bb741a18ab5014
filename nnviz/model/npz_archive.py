"""What nnviz's .npz files share (weight files, run files): the config member, a safe read, an atomic write.

``config`` is a 0-d unicode array holding a JSON object: ``format`` (which
kind of file), ``version``, every TrainConfig field (``layers``,
``activation``, ``layer_activations`` (a list, empty when every hidden
layer uses ``activation``; files without it are read as empty), ``output``,
the hyperparameters) and whatever else the
writer adds (e.g. ``samples_seen``). Reading checks the zip directory and
each member's .npy header before any array data (nnviz.npz_files) and
refuses object arrays, so a file can never run code nor claim memory it
does not hold. ``what`` names the kind of file in messages,
e.g. "weight file".
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from pathlib import Path

import numpy as np

from nnviz import safe_files
from nnviz.errors import ConfigError, NnvizError
from nnviz.limits import MAX_CONFIG_CHARS, MAX_JSON_DEPTH, MAX_JSON_DIGITS, excerpt
from nnviz.npz_files import Archive
from nnviz.model.config import TrainConfig, validate

FORMAT_VERSION = 1


def check_save_target(path: str | os.PathLike, what: str) -> Path:
    """The checks a save must pass, for callers that want them before hours of training.

    Those of nnviz.safe_files.check_target (the folder takes new files, ...):
    an existing file is refused unless ``path`` is a safe_files.Replaceable or NextFree.
    """
    if Path(path).suffix != ".npz":
        raise NnvizError(f"{path}: {what}s must end in .npz")
    return safe_files.check_target(path)


def config_member(config: TrainConfig, file_format: str, **extra) -> np.ndarray:
    """The ``config`` entry: the JSON object as a 0-d unicode array."""
    meta = {"format": file_format, "version": FORMAT_VERSION, **config.to_dict(), **extra}
    return np.array(json.dumps(meta))


def write_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray], what: str) -> Path:
    """np.savez into a temporary file beside ``path``, on disk, then renamed: a crash never leaves half a file.

    An existing file is replaced only if ``path`` is a safe_files.Replaceable (the user gave --force); a
    safe_files.NextFree takes the next free name instead. Returns the name written.
    """
    check_save_target(path, what)
    return safe_files.write_to(path, lambda stream: np.savez(stream, **arrays))


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(path: Path, name: str, array: np.ndarray) -> None:
    """Refuse a finite float ``array`` holding a value that float32, in which nnviz computes, cannot:
    cast, it would become infinite and look like a diverged network."""
    if array.dtype.itemsize <= 4:
        return
    magnitudes = np.abs(array)
    if magnitudes.max(initial=0.0) > FLOAT32_MAX:
        value = float(array.flat[int(np.argmax(magnitudes))])
        raise NnvizError(f"{path}: '{name}' holds {value:.3g}, beyond the range of float32 (±{FLOAT32_MAX:.3g}), "
                         "in which nnviz computes")


def read_config(archive: Archive) -> tuple[TrainConfig, dict]:
    """The validated TrainConfig in the ``config`` member, and the rest of its JSON object."""
    path, what = archive.path, archive.what
    if "config" not in archive.names:
        raise NnvizError(f"{path}: has no 'config' entry; not an nnviz {what}")
    header = archive.header("config")
    if header.shape != () or header.dtype.kind != "U":
        raise NnvizError(f"{path}: 'config' must be a JSON string")
    characters = header.dtype.itemsize // np.dtype("U1").itemsize
    if characters > MAX_CONFIG_CHARS:
        raise NnvizError(f"{path}: 'config' is {characters:,} characters long; nnviz reads at most "
                         f"{MAX_CONFIG_CHARS:,}")
    return parse_config(path, str(archive.read("config")), what)


class _JsonNumberError(ValueError):
    """A number in JSON text that nnviz will not read."""


def _bounded_int(text: str) -> int:
    # Python refuses to convert integers over 4,300 digits with a ValueError of its own.
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise _JsonNumberError(f"a {len(text.lstrip('-')):,}-digit integer")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonNumberError(f"the number {excerpt(text)}, too large for a float")
    return value


def _not_a_json_number(name: str):
    raise _JsonNumberError(f"{name}, which is not a JSON number")


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped), counted without parsing it:
    json's parser recurses once per level and would hit Python's recursion limit first."""
    outside_strings = _JSON_STRING.sub("", text)
    return max(itertools.accumulate(_JSON_NESTING.get(char, 0) for char in outside_strings), default=0)


def _load_json(path: Path, text: str) -> object:
    """``text`` parsed, its size already bounded (read_config): no recursion, number or constant Python's
    json would choke on or take that JSON does not have."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise NnvizError(f"{path}: 'config' nests {depth:,} levels deep; nnviz reads at most {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, parse_int=_bounded_int, parse_float=_finite_float,
                          parse_constant=_not_a_json_number)
    except _JsonNumberError as error:
        raise NnvizError(f"{path}: 'config' holds {error}") from None
    except json.JSONDecodeError as error:
        raise NnvizError(f"{path}: 'config' is not valid JSON ({error.msg})") from None


def parse_config(path: Path, text: str, what: str) -> tuple[TrainConfig, dict]:
    """The validated TrainConfig in the JSON ``text`` of a ``config`` member, and the rest of its object."""
    meta = _load_json(path, text)
    if not isinstance(meta, dict):
        raise NnvizError(f"{path}: 'config' must be a JSON object")
    for key in ("layers", "activation", "output"):
        if key not in meta:
            raise NnvizError(f"{path}: 'config' has no '{key}'")
    layers = meta["layers"]
    if not isinstance(layers, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in layers):
        raise NnvizError(f"{path}: 'config' layers must be a list of integers, got {excerpt(repr(layers))}")

    known = TrainConfig.field_names()
    settings = {k: v for k, v in meta.items() if k in known}
    settings["layers"] = tuple(layers)
    if "layer_activations" in settings:  # files from before per-layer activations have none: all `activation`
        names = settings["layer_activations"]
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise NnvizError(f"{path}: 'config' layer_activations must be a list of activation names, "
                             f"got {excerpt(repr(names))}")
        settings["layer_activations"] = tuple(names)
    try:
        config = validate(TrainConfig().replace(**settings))
    except ConfigError as error:  # names the field as the file does: "learning_rate 0: ..."
        raise NnvizError(f"{path}: config: {error}") from None
    return config, {k: v for k, v in meta.items() if k not in known}
