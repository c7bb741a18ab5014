"""Fuzzing the loaders of weight files, run files and IDX files with generated damage.

Seeded and of fixed size, so every run feeds the same inputs and a failure
names one that can be rebuilt (its file name says which case and damage it
is). The inputs go, many per process, to a child whose address space is
capped (RLIMIT_AS): each must load, or fail with a one-line NnvizError
(through the real command line for weight files); a traceback, MemoryError
included, or a killed child fails the test.
"""

from __future__ import annotations

import ast
import gzip
import json
import os
import itertools
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from helpers_idx import STEMS, write_dataset
from nnviz.model.config import TrainConfig
from nnviz.model.history import RunHistory
from nnviz.model.network import Network, initialize
from nnviz.model.run_io import save_run
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import save_weights
from test_hardening_loaders import deflated, gzip_bomb, npy_bytes, npy_header, stored, zip_bytes
from tests.conftest import REPO

SEED = 12
#: Inputs per kind of file: a few seconds of loading each.
CASES = {"weights": 160, "run": 160, "idx": 60}
CHILD_MEMORY = 1536 * 2**20
#: Sizes a lying field or header is given: the edges of the integer types and the sizes of bombs.
EXTREMES = (0, 1, 2**15, 2**16 - 1, 2**31 - 1, 2**31, 2**32 - 1, 2**40, 2**63 - 1, -1, -(2**31))

_CHILD = r"""
import contextlib, io, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from nnviz.cli import main
from nnviz.errors import NnvizError
from nnviz.model.run_io import load_run
from nnviz.data import load_dataset

def through_the_command_line(path):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["train", "--load", path, "--epochs", "1", "--no-download"])
    return f"exit {{code}} {{err.getvalue()!r}}"

def loaded(load):
    def run(path):
        try:
            load(path)
            return "loaded"
        except NnvizError as error:
            return f"error {{str(error)!r}}"
    return run

LOADERS = {{"weights": through_the_command_line, "run": loaded(load_run),
           "idx": loaded(lambda path: load_dataset("mnist", data_dir=path))}}
for line in sys.stdin:
    kind, path = line.rstrip("\n").split("\t")
    print(LOADERS[kind](path), flush=True)
"""


def _run_in_child(kind: str, paths: list[Path]) -> None:
    result = subprocess.run([sys.executable, "-c", _CHILD.format(limit=CHILD_MEMORY)],
                            input="".join(f"{kind}\t{path}\n" for path in paths), capture_output=True, text=True,
                            timeout=300, cwd=REPO, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    lines = result.stdout.splitlines()
    stopped_at = paths[len(lines)] if len(lines) < len(paths) else None
    assert result.returncode == 0 and result.stderr == "", \
        f"stopped at {stopped_at} (exit {result.returncode}):\n{result.stderr[-3000:]}"
    assert len(lines) == len(paths)
    for path, line in zip(paths, lines):
        if kind == "weights":
            # The file may load: its network (784-4-10) then finds no data, downloading being off.
            code, _, err = line.removeprefix("exit ").partition(" ")
            err = ast.literal_eval(err)  # a repr the child wrote
            assert code == "2" and err.startswith("nnviz: error: ") and err.endswith("\n"), (path, line)
            assert err[:-1].isprintable(), (path, err)  # one line, and no control character from the file
        elif line != "loaded":
            status, _, message = line.partition(" ")
            message = ast.literal_eval(message)
            assert status == "error" and message.startswith(f"{path}") and message.isprintable(), (path, line)


# ---- damage ---------------------------------------------------------------------------------------

def truncated(rng, data: bytes) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def bits_flipped(rng, data: bytes, start: int = 0) -> bytes:
    damaged = bytearray(data)
    for _ in range(int(rng.integers(1, 17))):
        damaged[int(rng.integers(start, len(damaged)))] ^= 1 << int(rng.integers(0, 8))
    return bytes(damaged)


def field_overwritten(rng, data: bytes, start: int = 0) -> bytes:
    """A 2- or 4-byte field (a size, an offset, a count) given an extreme value: a lying header."""
    width = int(rng.choice([2, 4]))
    at = int(rng.integers(start, len(data) - width))
    value = int(rng.choice([0, 1, 2**(8 * width) - 1, 2**(8 * width - 1), int(rng.integers(0, 2**(8 * width)))]))
    return data[:at] + value.to_bytes(width, "little") + data[at + width:]


def byte_level(rng, data: bytes) -> bytes:
    """Damage to the file's bytes, anywhere or in the zip directory at its end."""
    tail = max(0, len(data) - 400)
    return [lambda: truncated(rng, data), lambda: bits_flipped(rng, data), lambda: bits_flipped(rng, data, tail),
            lambda: field_overwritten(rng, data), lambda: field_overwritten(rng, data, tail)][int(rng.integers(5))]()


def random_value(rng, depth: int = 0):
    choices = [lambda: int(rng.choice(EXTREMES)), lambda: float(rng.choice([0.0, -1.0, 1e308, 1e-320, 3.5])),
               lambda: "x" * int(rng.integers(0, 3000)), lambda: None, lambda: bool(rng.integers(2)),
               lambda: [random_value(rng, depth + 1) for _ in range(int(rng.integers(0, 4)))],
               lambda: {"k": random_value(rng, depth + 1)}, lambda: [784] * int(rng.integers(0, 2000))]
    return choices[int(rng.integers(len(choices) if depth < 3 else 5))]()


def config_damaged(rng, text: str) -> str:
    meta = json.loads(text)
    kind = int(rng.integers(5))
    if kind == 0:  # a field given a value of another kind
        meta[str(rng.choice(sorted(meta)))] = random_value(rng)
        return json.dumps(meta)
    if kind == 1:  # numbers JSON has no place for, or Python chokes on
        field = str(rng.choice(["learning_rate", "batch_size", "momentum", "weight_decay", "seed"]))
        raw = str(rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "32.5", "-0", "1" * 19]))
        return json.dumps(meta)[:-1] + f', "{field}": {raw}}}'
    if kind == 2:  # nested deep
        depth = int(rng.integers(1, 3000))
        return json.dumps(meta)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    if kind == 3:  # cut short
        return text[: int(rng.integers(0, len(text)))]
    return "".join(chr(int(rng.integers(0, 0x110000))) if rng.random() < 0.02 else c for c in text)


def member_level(rng, arrays: dict[str, np.ndarray]) -> bytes:
    """Damage to the archive's structure: a member's header, dtype, data, name; bombs; the config."""
    arrays = dict(arrays)
    names = sorted(arrays)
    name = str(rng.choice(names))
    members = {key: npy_bytes(value) for key, value in arrays.items()}
    kind = int(rng.integers(7))
    if kind == 0:  # a header that lies about the shape
        shape = tuple(int(rng.choice(EXTREMES[:9])) for _ in range(int(rng.integers(0, 4))))
        members[name] = npy_header(shape) + members[name][len(npy_header(arrays[name].shape)):]
    elif kind == 1:  # a dtype the format does not have
        descr = str(rng.choice(["<f8", ">f4", "<f2", "<i4", "|b1", "<c8", "|O", "<U4", "|V8", "<M8[s]", "|S3"]))
        members[name] = npy_header(arrays[name].shape, descr) + members[name][len(npy_header(arrays[name].shape)):]
    elif kind == 2:  # a bomb, declared honestly or as the size it pretends to have
        zeros = int(rng.choice([2**20, 2**28, 2**31, 2**32 - 2**24]))
        header = npy_header(arrays[name].shape, arrays[name].dtype.str)
        declared = int(rng.choice([len(members[name]), len(header) + zeros, 2**32 - 1]))
        bomb = (f"{name}.npy", deflated(header, zeros), zipfile.ZIP_DEFLATED, declared, 0)
        return zip_bytes([stored(f"{key}.npy", data) for key, data in members.items() if key != name] + [bomb])
    elif kind == 3:  # dropped, renamed, or joined by a stranger
        data = members.pop(name)
        action = int(rng.integers(3))
        if action == 1:
            members[str(rng.choice(["W9", "b0 ", "../config", "params2", "Config", ""]))] = data
        elif action == 2:
            members[name], members["extra"] = data, npy_bytes(np.zeros(int(rng.integers(0, 100))))
    elif kind == 4 and "config" in arrays:
        members["config"] = npy_bytes(np.array(config_damaged(rng, str(arrays["config"]))))
    elif kind == 5:  # values: NaN, infinities, beyond float32, as float64
        value = arrays[name].astype(np.float64) if arrays[name].dtype.kind == "f" else arrays[name]
        if value.size and value.dtype.kind == "f":
            value.flat[int(rng.integers(value.size))] = float(rng.choice([np.nan, np.inf, -1e300, 1e39, 3e38]))
        members[name] = npy_bytes(value)
    else:  # the data of a member cut short, the directory still saying its full size (and the cut's CRC)
        data = members[name]
        cut = data[: int(rng.integers(0, len(data)))]
        return zip_bytes([stored(f"{key}.npy", value) for key, value in members.items() if key != name]
                         + [(f"{name}.npy", cut, zipfile.ZIP_STORED, len(data), zlib.crc32(cut))])
    return zip_bytes([stored(f"{key}.npy", data) for key, data in members.items()])


def npz_cases(rng, base: Path, count: int, directory: Path, prefix: str) -> list[Path]:
    with np.load(base, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    compressed = directory / f"{prefix}-compressed.npz"
    np.savez_compressed(compressed, **arrays)
    originals = [base.read_bytes(), compressed.read_bytes()]
    paths = []
    for case in range(count):
        if rng.random() < 0.5:
            name, data = "bytes", byte_level(rng, originals[int(rng.integers(2))])
        else:
            name, data = "members", member_level(rng, arrays)
        path = directory / f"{prefix}-{case:03d}-{name}.npz"
        path.write_bytes(data)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def bases(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("fuzz-bases")
    config = TrainConfig(layers=(784, 4, 10))
    network = Network(config.layers)
    initialize(network, "xavier", np.random.default_rng(0))
    weights = save_weights(directory / "weights.npz", network, config)
    small = TrainConfig(layers=(16, 4, 3), batch_size=10)
    rng = np.random.default_rng(0)
    trainer = Trainer(small, rng.integers(0, 255, (60, 4, 4)).astype(np.uint8), rng.integers(0, 3, 60),
                      history_every=20)
    history = RunHistory()
    history.attach(trainer)
    trainer.train_batches(12)
    return {"weights": weights, "run": save_run(directory / "run.npz", history)}


@pytest.mark.parametrize("kind", ["weights", "run"])
def test_damaged_npz_files_load_or_fail_in_one_line(bases, tmp_path, kind):
    rng = np.random.default_rng([SEED, len(kind)])
    _run_in_child(kind, npz_cases(rng, bases[kind], CASES[kind], tmp_path, kind))


#: What a .npy header's three fields are given: all kinds of Python literal, valid or not.
HEADER_DESCRS = (5, None, "<f4", "|O", "<U0", "<U99999999999", "xx", "(2,)<f4", [("a", "<f4")], [("a",)],
                 [("a", "<f4", (10**12,))], ("<f4", (2,)), ("<f4", (10**12,)), {"a": 1}, [5])
HEADER_SHAPES = ((), (16, 4), (-1, 4), (2.5,), [16, 4], (10**30,), "16", (True, 4), ((16,), 4), (2**63, 2**63))


def test_hostile_npy_headers(bases, tmp_path):
    """Every descr and shape above in W0's header, in every pairing: numpy's own parser meets them all."""
    with np.load(bases["weights"], allow_pickle=False) as archive:
        members = {name: npy_bytes(archive[name]) for name in archive.files}
    data = members.pop("W0")[len(npy_header((784, 4))):]
    headers = [repr({"descr": descr, "fortran_order": False, "shape": shape})
               for descr, shape in itertools.product(HEADER_DESCRS, HEADER_SHAPES)]
    headers += ["{'descr': '<f4', 'fortran_order': False, 'shape': (784, 4), 'extra': 1}", "{'descr': '<f4'",
                "[1, 2]", "{'descr': '<f4', 'fortran_order': 'yes', 'shape': (784, 4)}", "(((((" * 200, "'",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (784L, 4L), }"]  # as Python 2 wrote them
    paths = []
    for number, text in enumerate(headers):
        encoded = text.encode("latin1")
        header = b"\x93NUMPY\x01\x00" + len(encoded).to_bytes(2, "little") + encoded
        path = tmp_path / f"header-{number:03d}.npz"
        path.write_bytes(zip_bytes([stored(f"{name}.npy", value) for name, value in members.items()]
                                   + [stored("W0.npy", header + data)]))
        paths.append(path)
    _run_in_child("weights", paths)


#: A value of every JSON kind, and the ones Python's json takes but JSON has not.
JSON_VALUES = ("0", "-1", "1.5", "32.0", "1e308", "1e999", "-1e999", "NaN", "Infinity", "9" * 5000, "true", "null",
               '"relu"', '""', '"x\\u0000\\ud800"', "[]", "[784, 10]", "[1.5]", '["a"]', "{}", '{"a": [1]}',
               "[" * 40 + "]" * 40)


def test_every_config_field_with_every_kind_of_value(bases, tmp_path):
    with np.load(bases["weights"], allow_pickle=False) as archive:
        members = {name: npy_bytes(archive[name]) for name in archive.files}
        meta = json.loads(str(archive["config"]))
    paths = []
    for field, value in itertools.product(sorted(meta) + ["class_names"], JSON_VALUES):
        text = json.dumps({key: val for key, val in meta.items() if key != field})[:-1] + f', "{field}": {value}}}'
        members["config"] = npy_bytes(np.array(text))
        path = tmp_path / f"config-{len(paths):03d}.npz"
        path.write_bytes(zip_bytes([stored(f"{name}.npy", data) for name, data in members.items()]))
        paths.append(path)
    _run_in_child("weights", paths)


def idx_damaged(rng, data: bytes) -> bytes:
    kind = int(rng.integers(6))
    if kind == 0:
        return truncated(rng, data)
    if kind == 1:
        return bits_flipped(rng, data)
    if kind == 2:  # the header's magic number or a dimension given an extreme value
        at = 4 * int(rng.integers(0, 4))
        return data[:at] + int(rng.choice(EXTREMES[:7])).to_bytes(4, "big") + data[at + 4:]
    if kind == 3:
        return data + bytes(int(rng.integers(1, 5000)))
    if kind == 4:
        return bits_flipped(rng, data, min(len(data) - 1, 16))
    return b""


def test_damaged_idx_files_load_or_fail_in_one_line(tmp_path):
    rng = np.random.default_rng([SEED, 3])
    good = tmp_path / "good"
    paths = write_dataset(good)
    originals = {role: paths[role].read_bytes() for role in ("test_labels", "train_labels", "test_images")}
    directories = []
    for case in range(CASES["idx"]):
        role = str(rng.choice(sorted(originals)))
        gz = role == "test_images" or bool(rng.integers(2))  # 7.8 MB uncompressed: too much to write often
        directory = tmp_path / f"idx-{case:03d}-{role}{'-gz' if gz else ''}"
        directory.mkdir()
        for other, path in paths.items():
            if other != role:
                (directory / path.name).symlink_to(path)
        target = directory / (STEMS[role] + (".gz" if gz else ""))
        if gz and rng.random() < 0.3:  # a gzip bomb, or a good stream cut or flipped
            data = gzip_bomb(int(rng.choice([2**20, 2**27, 2**32])))
        elif gz:
            data = byte_level(rng, _gzip(originals[role])) if rng.random() < 0.5 else \
                _gzip(idx_damaged(rng, originals[role]))
        else:
            data = idx_damaged(rng, originals[role])
        target.write_bytes(data)
        directories.append(directory)
    _run_in_child("idx", directories)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


def test_the_fuzz_inputs_are_reproducible(bases, tmp_path):
    first = npz_cases(np.random.default_rng([SEED, 7]), bases["weights"], 20, tmp_path, "a")
    second = npz_cases(np.random.default_rng([SEED, 7]), bases["weights"], 20, tmp_path, "b")
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
