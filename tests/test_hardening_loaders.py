"""Loaders of untrusted files against damaged, lying and hostile input (issue 12, part A).

Each limit is checked before the memory or disk it guards is committed; where
that matters, a file is loaded in a child process whose address space is
capped (RLIMIT_AS) below what the file asks for, so reading it whole would
end in MemoryError instead of the one-line error expected.
"""

from __future__ import annotations

import functools
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from helpers_idx import STEMS, write_dataset
from nnviz.cli import main
from nnviz.data import fetch, load_dataset
from nnviz.data.sources import FASHION, MNIST
from nnviz.errors import ConfigError, NnvizError
from nnviz.limits import MAX_ARCHIVE_BYTES, MAX_ECHO_CHARS, MAX_JSON_DEPTH, MAX_NETWORK_LAYERS
from nnviz.model.config import TrainConfig, validate
from nnviz.model.history import RunHistory
from nnviz.model.network import Network, initialize
from nnviz.model.run_io import is_run_file, load_run, save_run
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import load_weights, save_weights
from tests.conftest import REPO

CONFIG = TrainConfig(layers=(16, 4, 3), activation="relu", batch_size=10, learning_rate=0.01, seed=3)
PARAMS = 16 * 4 + 4 * 3 + 4 + 3  # 83
#: The address space a child process loading a hostile file gets: well below the gigabytes the files
#: below claim, well above what loading any of them properly takes.
CHILD_MEMORY = 1024 * 2**20


# ---- building hostile files ------------------------------------------------------------------------

def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A .npy header alone, claiming whatever shape it is told."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


_ZERO_BLOCK = 2**24


@functools.lru_cache(maxsize=1)
def _deflated_zero_block() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(bytes(_ZERO_BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH)


def deflated(prefix: bytes, zeros: int) -> bytes:
    """A raw deflate stream of ``prefix`` then ``zeros`` zero bytes, made in milliseconds however many:
    one 16 MiB block of zeros, compressed once and fully flushed so that it stands alone, repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    whole, rest = divmod(zeros, _ZERO_BLOCK)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return head + _deflated_zero_block() * whole + compressor.compress(bytes(rest)) + compressor.flush()


def gzip_bomb(zeros: int) -> bytes:
    """A gzip file of ``zeros`` zero bytes (its checksum left wrong: computing it would take seconds)."""
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + deflated(b"", zeros) + struct.pack("<2L", 0, zeros % 2**32)


def stored(name: str, data: bytes) -> tuple:
    return name, data, zipfile.ZIP_STORED, len(data), zlib.crc32(data)


def zip_bytes(members, *, flags: int = 0) -> bytes:
    """A zip archive of ``members``, (name, data as stored, method, declared size, crc) each, written by
    hand so that it can say what zipfile would never write: sizes that lie, bombs, flags."""
    body, directory = b"", b""
    for name, data, method, size, crc in members:
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(zipfile.structFileHeader, zipfile.stringFileHeader, 20, 0, flags, method, 0, 0x21,
                            crc, len(data), size, len(encoded), 0) + encoded + data
        directory += struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, 20, 3, 20, 0, flags, method,
                                 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, len(members), len(members),
                      len(directory), len(body), 0)
    return body + directory + end


def members_of(path: Path, **changes) -> list[tuple]:
    """Every member of a saved file, stored, with ``changes`` (name -> array, bytes or None to drop)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays.update(changes)
    return [stored(f"{name}.npy", value if isinstance(value, bytes) else npy_bytes(value))
            for name, value in arrays.items() if value is not None]


def config_text(path: Path) -> str:
    with np.load(path, allow_pickle=False) as archive:
        return str(archive["config"])


def with_config(path: Path, target: Path, text: str) -> Path:
    target.write_bytes(zip_bytes(members_of(path, config=np.array(text))))
    return target


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> Path:
    network = Network(CONFIG.layers, CONFIG.activation, CONFIG.output)
    initialize(network, "he", np.random.default_rng(1))
    return save_weights(tmp_path_factory.mktemp("weights") / "w.npz", network, CONFIG)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 255, (100, 4, 4)).astype(np.uint8), rng.integers(0, 3, 100)
    trainer = Trainer(CONFIG, images, labels, history_every=20)
    history = RunHistory()
    history.attach(trainer)
    trainer.train_batches(30)
    return save_run(tmp_path_factory.mktemp("runs") / "run.npz", history)


def error_of(load, path) -> str:
    with pytest.raises(NnvizError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


_CHILD = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from nnviz.errors import NnvizError
from nnviz.model.run_io import load_run
from nnviz.model.weights_io import load_weights
from nnviz.data import load_dataset
LOADERS = {{"weights": load_weights, "run": load_run, "data": lambda path: load_dataset("mnist", data_dir=path)}}
for line in sys.stdin:
    kind, path = line.rstrip("\n").split("\t")
    try:
        LOADERS[kind](path)
        print("loaded", flush=True)
    except NnvizError as error:
        print("error", error, flush=True)
"""


def load_in_child(inputs: list[tuple[str, Path]], limit: int = CHILD_MEMORY, timeout: float = 120) -> list[str]:
    """Each (loader, path) loaded in one child process with ``limit`` bytes of address space: one line per
    input, "loaded" or "error <message>"; a traceback (MemoryError included) or a kill fails the test."""
    result = subprocess.run(
        [sys.executable, "-c", _CHILD.format(limit=limit)], input="".join(f"{k}\t{p}\n" for k, p in inputs),
        capture_output=True, text=True, timeout=timeout, cwd=REPO, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(inputs), result.stdout
    return lines


# ---- .npz files: size, shape and kind checked before anything is inflated ---------------------------

def test_bombs_and_lying_sizes_are_refused_without_committing_memory(weights, run, tmp_path):
    meta = json.loads(config_text(run))
    count = 10**7  # snapshots: params alone claim 3.3 GB, headers, directory and config all agreeing
    honest_bomb = tmp_path / "honest-bomb.npz"
    members = [stored("config.npy", npy_bytes(np.array(json.dumps(meta))))]
    for name, shape, descr in (("batches", (count,), "<i8"), ("samples_seen", (count,), "<i8"),
                               ("params", (count, PARAMS), "<f4")):
        header = npy_header(shape, descr)
        size = len(header) + int(np.prod(shape)) * np.dtype(descr).itemsize
        members.append((f"{name}.npy", deflated(header, size - len(header)), zipfile.ZIP_DEFLATED, size, 0))
    members += [stored(f"{name}.npy", npy_bytes(np.zeros(0)))
                for name in ("point_samples", "point_loss", "point_train_accuracy", "point_test_accuracy")]
    honest_bomb.write_bytes(zip_bytes(members))
    assert honest_bomb.stat().st_size < 4 * 2**20

    # W0's zip entry says 176 bytes, as its header does; the deflate stream holds 8 GB.
    lying_bomb = tmp_path / "lying-bomb.npz"
    header = npy_header((16, 4))
    lying_bomb.write_bytes(zip_bytes(members_of(weights, W0=None) + [
        ("W0.npy", deflated(header, 8 * 2**30), zipfile.ZIP_DEFLATED, len(header) + 256, 0)]))
    # b0's header claims 4 TB; nothing else about the file is wrong.
    huge_header = tmp_path / "huge-header.npz"
    huge_header.write_bytes(zip_bytes(members_of(weights, b0=npy_header((10**12,)) + bytes(16))))

    lines = load_in_child([("run", honest_bomb), ("weights", lying_bomb), ("weights", huge_header)])
    total = sum(size for _, _, _, size, _ in members)
    assert lines[0] == (f"error {honest_bomb}: holds {total:,} bytes uncompressed; nnviz reads .npz files of "
                        f"at most {MAX_ARCHIVE_BYTES:,}")
    assert lines[1].startswith(f"error {lying_bomb}: not a valid .npz weight file ('W0': ")
    assert lines[2] == (f"error {huge_header}: not a valid .npz weight file ('b0': its header describes "
                        f"4,000,000,000,000 bytes of data, the zip directory 16)")


def test_a_header_must_agree_with_the_config_before_its_data_is_read(weights, tmp_path):
    # 256 MiB of W0, under the archive limit, claimed by a header the zip directory agrees with; the
    # config says (16, 4). The child could not hold it.
    bad = tmp_path / "bad.npz"
    header = npy_header((2**14, 2**12))
    bad.write_bytes(zip_bytes(members_of(weights, W0=None) + [
        ("W0.npy", deflated(header, 2**28), zipfile.ZIP_DEFLATED, len(header) + 2**28, 0)]))
    # The same for a config of 2**26 characters (256 MiB as NumPy holds them).
    long_config = tmp_path / "long-config.npz"
    header = npy_header((), f"<U{2**26}")
    long_config.write_bytes(zip_bytes(members_of(weights, config=None) + [
        ("config.npy", deflated(header, 2**28), zipfile.ZIP_DEFLATED, len(header) + 2**28, 0)]))
    lines = load_in_child([("weights", bad), ("weights", long_config)], limit=256 * 2**20)
    assert lines == [f"error {bad}: 'W0' has shape (16384, 4096), expected (16, 4) for layers [16, 4, 3]",
                     f"error {long_config}: 'config' is 67,108,864 characters long; nnviz reads at most 65,536"]


def test_members_that_are_not_part_of_the_format_are_refused(weights, run, tmp_path):
    extra = tmp_path / "extra.npz"
    extra.write_bytes(zip_bytes(members_of(weights, notes=np.zeros(3))))
    assert error_of(load_weights, extra) == f"{extra}: has 'notes', which is not part of a weight file"
    extra_run = tmp_path / "extra-run.npz"
    extra_run.write_bytes(zip_bytes(members_of(run, W0=np.zeros(3))))
    assert error_of(load_run, extra_run) == f"{extra_run}: has 'W0', which is not part of a run file"
    not_array = tmp_path / "text-member.npz"
    not_array.write_bytes(zip_bytes(members_of(weights) + [stored("README.txt", b"hello")]))
    assert error_of(load_weights, not_array) == \
        f"{not_array}: has 'README.txt', which is not a .npy array; not an nnviz weight file"
    not_npy = tmp_path / "not-npy.npz"
    not_npy.write_bytes(zip_bytes(members_of(weights, W0=b"just some text")))
    assert error_of(load_weights, not_npy).startswith(
        f"{not_npy}: not a valid .npz weight file ('W0': not a .npy array: ")
    twice = tmp_path / "twice.npz"
    twice.write_bytes(zip_bytes(members_of(weights) + [stored("config.npy", npy_bytes(np.array("{}")))]))
    assert error_of(load_weights, twice) == f"{twice}: not a valid .npz weight file (two members named 'config')"


def test_a_member_whose_data_ends_before_its_entry_says(weights, tmp_path):
    # Stored, with the CRC of what is there: zipfile hands over the short data without a word.
    full = npy_bytes(load_weights(weights).weights[0])
    cut = full[:-100]
    short = tmp_path / "short.npz"
    short.write_bytes(zip_bytes(members_of(weights, W0=None) + [("W0.npy", cut, zipfile.ZIP_STORED, len(full),
                                                                  zlib.crc32(cut))]))
    assert error_of(load_weights, short) == \
        f"{short}: not a valid .npz weight file ('W0': its data ends after 156 of 256 bytes)"


def test_headers_of_an_empty_dtype_or_negative_sizes(weights, tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(zip_bytes(members_of(weights, config=npy_header((), "<U0"))))
    assert error_of(load_weights, empty) == \
        f"{empty}: not a valid .npz weight file ('config': its header gives shape () of dtype <U0)"
    negative = tmp_path / "negative.npz"  # -1 x -3 = 3 values: what the data holds
    negative.write_bytes(zip_bytes(members_of(weights, b0=npy_header((-1, -3)) + bytes(12))))
    assert error_of(load_weights, negative) == \
        f"{negative}: not a valid .npz weight file ('b0': its header gives shape (-1, -3) of dtype float32)"


def test_names_from_a_file_are_quoted_without_their_control_characters(weights, tmp_path):
    bad = tmp_path / "escape.npz"
    bad.write_bytes(zip_bytes(members_of(weights) + [stored("W\x1b[2J\n.npy", npy_bytes(np.zeros(2)))]))
    assert error_of(load_weights, bad) == f"{bad}: has 'W\\x1b[2J\\n', which is not part of a weight file"


def test_encrypted_and_unusually_compressed_members_are_refused(weights, tmp_path):
    encrypted = tmp_path / "encrypted.npz"
    encrypted.write_bytes(zip_bytes(members_of(weights), flags=0x1))
    assert error_of(load_weights, encrypted) == \
        f"{encrypted}: 'config' is encrypted; nnviz reads only unencrypted archives"
    bzip2 = tmp_path / "bzip2.npz"
    with np.load(weights) as archive, zipfile.ZipFile(bzip2, "w", zipfile.ZIP_BZIP2) as target:
        for name in archive.files:
            target.writestr(f"{name}.npy", npy_bytes(archive[name]))
    assert error_of(load_weights, bzip2).startswith(f"{bzip2}: 'config' is compressed with zip method 12; ")


def test_a_zip_directory_too_large_to_be_an_nnviz_file_is_not_parsed(weights, tmp_path, monkeypatch):
    many = tmp_path / "many.npz"
    many.write_bytes(zip_bytes(members_of(weights) + [stored(f"m{i}.npy", b"") for i in range(6000)]))
    assert error_of(load_weights, many).startswith(f"{many}: not a valid .npz weight file (a zip directory of ")
    # A zip64 end record would give zipfile a directory size of its own: nnviz's files never need one.
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    zip64 = tmp_path / "zip64.npz"
    with zipfile.ZipFile(zip64, "w") as target:
        for name, data, *_ in members_of(weights):
            target.writestr(name, data)
    monkeypatch.undo()
    assert error_of(load_weights, zip64).endswith("(a zip64 archive, larger than any nnviz file)")


@pytest.mark.parametrize("kind", ["directory", "dangling link", "text", "lone .npy", "fifo"])
def test_what_is_not_an_npz_file_is_named(tmp_path, kind):
    path = tmp_path / "x.npz"
    if kind == "directory":
        path.mkdir()
        expected = f"{path}: is a directory, not a weight file"
    elif kind == "dangling link":
        path.symlink_to(tmp_path / "gone.npz")
        expected = f"{path}: is a broken symbolic link (to {tmp_path / 'gone.npz'}, which does not exist)"
    elif kind == "text":
        path.write_text("W0,b0\n1,2\n")
        expected = f"{path}: not a valid .npz weight file (not a zip archive)"
    elif kind == "lone .npy":
        path.write_bytes(npy_bytes(np.zeros(3)))
        expected = f"{path}: not a valid .npz weight file (a single .npy array, not an archive)"
    else:
        os.mkfifo(path)  # opening it to read would wait for a writer forever
        expected = f"{path}: is not a regular file, so not a weight file"
    assert error_of(load_weights, path) == expected
    assert not is_run_file(path)


def test_values_beyond_float32_are_refused_and_other_layouts_load(weights, tmp_path):
    huge = np.full((16, 4), 1e300)
    beyond = tmp_path / "beyond.npz"
    beyond.write_bytes(zip_bytes(members_of(weights, W0=huge)))
    assert error_of(load_weights, beyond) == \
        f"{beyond}: 'W0' holds 1e+300, beyond the range of float32 (±3.4e+38), in which nnviz computes"
    # float64, big-endian and Fortran-ordered parameters are all what they say: loaded as float32.
    original = load_weights(weights)
    w0 = original.weights[0].astype(np.float64)
    other = tmp_path / "layouts.npz"
    other.write_bytes(zip_bytes(members_of(weights, W0=np.asfortranarray(w0),
                                           b0=original.biases[0].astype(">f4"))))
    loaded = load_weights(other)
    assert loaded.weights[0].dtype == np.float32 and np.array_equal(loaded.weights[0], original.weights[0])
    assert np.array_equal(loaded.biases[0], original.biases[0])


def test_run_parameters_beyond_float32_are_refused(run, tmp_path):
    with np.load(run) as archive:
        params = archive["params"].astype(np.float64)
    params[1, 5] = -1e39
    bad = tmp_path / "bad-run.npz"
    bad.write_bytes(zip_bytes(members_of(run, params=params)))
    assert error_of(load_run, bad) == \
        f"{bad}: 'params' holds -1e+39, beyond the range of float32 (±3.4e+38), in which nnviz computes"


# ---- the JSON config ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda meta: {**meta, "batch_size": 32.5}, "config: batch_size 32.5: must be a whole number"),
        (lambda meta: {**meta, "batch_size": 32.0}, "config: batch_size 32.0: must be a whole number"),
        (lambda meta: {**meta, "weight_decay": "0.1"}, "config: weight_decay '0.1': must be a number"),
        (lambda meta: {**meta, "momentum": None}, "config: momentum None: must be a number"),
        (lambda meta: {**meta, "activation": ["relu"]}, "config: activation ['relu']: not one of: "),
        (lambda meta: {**meta, "layers": [16, 2**20, 3]},
         "config: layers 16,1048576,3: a layer of 1,048,576 neurons; at most 65,536"),
        (lambda meta: {**meta, "layers": [16, 60000, 60000, 3]},
         "config: layers 16,60000,60000,3: 3,601,260,003 weights and biases; at most 67,108,864"),
    ],
)
def test_config_values_of_the_wrong_kind(weights, tmp_path, change, expected):
    meta = json.loads(config_text(weights))
    bad = with_config(weights, tmp_path / "bad.npz", json.dumps(change(meta)))
    assert error_of(load_weights, bad).startswith(f"{bad}: {expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"seed": ' + "9" * 5000, "'config' holds a 5,000-digit integer"),
        ('"weight_decay": Infinity', "'config' holds Infinity, which is not a JSON number"),
        ('"learning_rate": NaN', "'config' holds NaN, which is not a JSON number"),
        ('"momentum": -Infinity', "'config' holds -Infinity, which is not a JSON number"),
        ('"weight_decay": 1e400', "'config' holds the number 1e400, too large for a float"),
        ('"deep": ' + "[" * 5000 + "]" * 5000, "'config' nests 5,001 levels deep; nnviz reads at most 16"),
        ('"name": "' + "x" * 70000 + '"', "'config' is 70,"),
    ],
)
def test_json_that_python_would_choke_on(weights, tmp_path, text, expected):
    meta = json.dumps(json.loads(config_text(weights)))
    bad = with_config(weights, tmp_path / "bad.npz", meta[:-1] + ", " + text + "}")
    assert error_of(load_weights, bad).startswith(f"{bad}: {expected}")


def test_depth_at_the_limit_loads(weights, tmp_path):
    meta = json.dumps(json.loads(config_text(weights)))
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)  # plus the object around it
    assert load_weights(with_config(weights, tmp_path / "ok.npz", meta[:-1] + ', "x": ' + nested + "}")).extra["x"]


def test_every_echoed_value_is_short(weights, tmp_path):
    meta = json.loads(config_text(weights))
    many = with_config(weights, tmp_path / "many.npz", json.dumps({**meta, "layers": [1] * 20000}))
    message = error_of(load_weights, many)
    assert "20,000 layers; at most 64" in message and len(message) < len(str(many)) + 200
    names = with_config(weights, tmp_path / "names.npz", json.dumps({**meta, "layer_activations": ["x" * 9000]}))
    assert len(error_of(load_weights, names)) < len(str(names)) + 300
    odd = with_config(weights, tmp_path / "odd.npz", json.dumps({**meta, "output": "y" * 9000}))
    assert len(error_of(load_weights, odd)) < len(str(odd)) + 200 + MAX_ECHO_CHARS


def test_validate_bounds_networks_and_refuses_non_finite_hyperparameters():
    with pytest.raises(ConfigError, match=f"^layers .*: 65 layers; at most {MAX_NETWORK_LAYERS}$"):
        validate(TrainConfig(layers=(784, *[2] * 63, 10)))
    validate(TrainConfig(layers=(784, *[2] * 62, 10)))  # 64: the limit itself is fine
    with pytest.raises(ConfigError, match="weights and biases; at most"):
        validate(TrainConfig(layers=(784, 50000, 50000, 10)))  # would be 10 GB if built
    for field, value, problem in (("learning_rate", float("nan"), "the learning rate must be > 0 and at most 100"),
                                  ("momentum", float("inf"), r"must be in \[0, 1\)"),
                                  ("weight_decay", 1e999, "must be a finite number"),
                                  ("learning_rate", True, "must be a number"), ("momentum", [0.5], "must be a number")):
        with pytest.raises(ConfigError, match=f"^{field} .*: {problem}$"):
            validate(TrainConfig(**{field: value}))
    assert validate(TrainConfig(batch_size=np.int64(5), learning_rate=np.float32(0.5))).batch_size == 5


def test_a_hostile_weight_file_through_the_command_line(weights, tmp_path, capsys):
    meta = json.loads(config_text(weights))
    bad = with_config(weights, tmp_path / "bad.npz", json.dumps(meta)[:-1] + ', "weight_decay": 1e400}')
    assert main(["train", "--load", str(bad), "--epochs", "1", "--no-download"]) == 2
    err = capsys.readouterr().err
    assert err == f"nnviz: error: {bad}: 'config' holds the number 1e400, too large for a float\n"


# ---- IDX files ------------------------------------------------------------------------------------

def test_idx_bombs_and_oversized_files_are_refused_by_size(tmp_path):
    directory = tmp_path / "data"
    paths = write_dataset(directory)
    gz_bomb = directory / f"{STEMS['train_images']}.gz"
    paths["train_images"].unlink()
    gz_bomb.write_bytes(gzip_bomb(4 * 2**30))  # 4 MB inflating to 4 GB
    sparse = tmp_path / "sparse"  # a 12 GB file (sparse: it costs no disk)
    write_dataset(sparse)
    with (sparse / STEMS["train_images"]).open("r+b") as handle:
        handle.truncate(12 * 2**30)
    lines = load_in_child([("data", directory), ("data", sparse)])
    assert lines[0] == (f"error {gz_bomb}: corrupt gzip data (it inflates to more than 47,040,016 bytes, "
                        "an intact file's size)")
    assert lines[1] == (f"error {sparse / STEMS['train_images']}: {12 * 2**30 - 47040016} unexpected trailing "
                        f"bytes: expected 47040016 bytes of data, found {12 * 2**30}")


def test_a_gzip_file_larger_than_its_content_can_compress_to(tmp_path):
    paths = write_dataset(tmp_path, gz=True)
    with paths["test_labels"].open("ab") as handle:
        handle.truncate(10**6)
    with pytest.raises(NnvizError) as caught:
        load_dataset("mnist", data_dir=tmp_path)
    assert str(caught.value) == (f"{paths['test_labels']}: 1,000,000 bytes: more gzip data than an intact "
                                 "file (10,008 bytes) compresses to")


def test_an_idx_header_that_claims_billions_of_images(tmp_path):
    paths = write_dataset(tmp_path)
    data = bytearray(paths["test_images"].read_bytes())
    data[4:8] = (2**32 - 1).to_bytes(4, "big")
    paths["test_images"].write_bytes(bytes(data))
    with pytest.raises(NnvizError, match=r"header says 4294967295 images, expected 10000$"):
        load_dataset("mnist", data_dir=tmp_path)


# ---- one dataset's files given for the other --------------------------------------------------------

@pytest.mark.parametrize("asked", ["mnist", "fashion"])
def test_the_other_dataset_s_files_are_named(mnist_dir, fashion_dir, asked, capsys):
    given, spec, other = (fashion_dir, MNIST, FASHION) if asked == "mnist" else (mnist_dir, FASHION, MNIST)
    code = main(["train", "--dataset", asked, "--data", str(given), "--epochs", "1", "--no-download"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err == (f"nnviz: error: {given / STEMS['train_labels']}.gz: is {other.title}'s "
                   f"{STEMS['train_labels']}, not {spec.title}'s: for {other.title}, use --dataset {other.name}\n")


def test_the_right_dataset_and_unknown_data_still_load(mnist_dir, tmp_path):
    assert load_dataset("mnist", data_dir=mnist_dir).test_labels.shape == (10000,)
    write_dataset(tmp_path)  # synthetic: neither dataset's checksums
    assert load_dataset("fashion", data_dir=tmp_path).name == "fashion"


# ---- downloads ------------------------------------------------------------------------------------

class _Mirror:
    """A local mirror whose every file is ``body`` (sent without a length: it ends when the connection
    does), or, with ``stall``, that sends ``body`` then nothing more until the client gives up."""

    def __init__(self, body: bytes, stall: bool = False):
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.end_headers()
                try:
                    self.wfile.write(body)
                    self.wfile.flush()
                    if stall:
                        mirror.stopping.wait(30)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def cache() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "nnviz" / "mnist"


def _label_download_error(cache, monkeypatch, body: bytes) -> tuple[str, str]:
    """(the mirror's URL, the error) of downloading the test labels from a mirror that sends ``body``."""
    monkeypatch.setenv("NNVIZ_DOWNLOAD_TIMEOUT", "5")
    mirror = _Mirror(body)
    try:
        with pytest.raises(NnvizError) as caught:
            fetch.download(MNIST, [MNIST.test_labels], cache, mirrors=[mirror.url], progress=False)
    finally:
        mirror.close()
    return mirror.url, str(caught.value)


def test_a_response_that_does_not_end_is_cut_off(cache, monkeypatch):
    # 8 MB for a 10 kB file: "endless" as far as it matters
    url, error = _label_download_error(cache, monkeypatch, os.urandom(2**20) * 8)
    assert f"{url}: sent more than 75,644 bytes, more than the file can be" in error
    assert list(cache.iterdir()) == []


def test_a_download_inflates_no_further_than_an_intact_file(cache, monkeypatch):
    # 65 kB: within a label file's download limit
    url, error = _label_download_error(cache, monkeypatch, gzip_bomb(64 * 2**20))
    assert f"{url}: corrupt gzip data (it inflates to more than 47,040,016 bytes" in error


@pytest.mark.parametrize("value", ["inf", "1e400", "86401", "nan"])
def test_download_timeout_must_be_a_finite_positive_number(monkeypatch, capsys, value):
    monkeypatch.setenv("NNVIZ_DOWNLOAD_TIMEOUT", value)
    assert main(["train", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    reason = "is not a positive number of seconds" if value == "nan" else "is more than a day; at most 86400 seconds"
    assert err == f"nnviz: error: NNVIZ_DOWNLOAD_TIMEOUT: '{value}' {reason}\n"


def test_stale_parts_are_removed_after_minutes_and_only_nnviz_s(cache, monkeypatch):
    cache.mkdir(parents=True)
    old = time.time() - 10 * 60
    ours = cache / f".{STEMS['test_labels']}.x1y2.part"
    theirs = cache / ".notes.x1y2.part"
    for part in (ours, theirs):
        part.write_bytes(b"half")
        os.utime(part, (old, old))
    mirror = _Mirror(b"")
    try:
        with pytest.raises(NnvizError):
            fetch.download(MNIST, [MNIST.test_labels], cache, mirrors=[mirror.url], progress=False)
    finally:
        mirror.close()
    assert not ours.exists() and theirs.exists()


def test_a_download_cut_off_by_the_process_ending_leaves_no_part_file(cache):
    # The window downloads on a daemon thread: at exit it stops mid-download, without its `finally`.
    mirror = _Mirror(b"\x1f\x8b" + bytes(1000), stall=True)
    script = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "from nnviz.data import fetch\n"
        "from nnviz.data.sources import MNIST\n"
        f"cache = Path({str(cache)!r})\n"
        "threading.Thread(target=fetch.download, args=(MNIST, [MNIST.test_labels], cache),\n"
        f"                 kwargs=dict(mirrors=[{mirror.url!r}], progress=False), daemon=True).start()\n"
        "deadline = time.time() + 20\n"
        "while not list(cache.glob('.*.part')) and time.time() < deadline:\n"
        "    time.sleep(0.02)\n"
        "print(len(list(cache.glob('.*.part'))))\n"
    )
    try:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                                cwd=REPO, env={**os.environ, "NNVIZ_DOWNLOAD_TIMEOUT": "30"})
    finally:
        mirror.close()
    assert result.returncode == 0 and result.stdout == "1\n", result.stderr  # it was there mid-download
    assert list(cache.iterdir()) == []


def test_a_terminated_download_leaves_no_part_file(cache, tmp_path):
    # SIGTERM (kill, a desktop session ending) skipped every finally and atexit: the .part stayed.
    mirror = _Mirror(b"\x1f\x8b" + bytes(1000), stall=True)
    environment = {**os.environ, "NNVIZ_MIRRORS": mirror.url, "NNVIZ_DOWNLOAD_TIMEOUT": "30"}
    environment.pop("NNVIZ_DATA", None)
    try:
        train = subprocess.Popen([sys.executable, "-m", "nnviz", "train", "--epochs", "1"], cwd=REPO,
                                 env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not list(cache.glob(".*.part")) and time.monotonic() < deadline and train.poll() is None:
            time.sleep(0.02)
        assert list(cache.glob(".*.part")), "the download never started"
        time.sleep(0.5)  # the mirror answers at once, then stalls: the progress bar is on screen
        train.terminate()
        _, errors = train.communicate(timeout=30)
    finally:
        mirror.close()
    assert train.returncode == 128 + signal.SIGTERM, errors
    assert errors.strip().splitlines()[-1] == "nnviz: terminated" and "Traceback" not in errors, errors
    assert list(cache.glob(".*.part")) == []
