"""Save and load a recorded run (RunHistory) as ``.npz``: a public format other tools read.

Layout, for n snapshots of a network with P parameters and m loss points:

==========================  ===========  ==========================================================
``config``                  0-d unicode  JSON object, as in weight files: ``format`` "nnviz-run",
                                         ``layers``, ``activation``, ``output``, hyperparameters
``batches``                 (n,) int64   batches trained at each snapshot, strictly increasing
``samples_seen``            (n,) int64   samples trained on at each snapshot
``params``                  (n, P) f32   each snapshot's parameters in nnviz's flat layout: every
                                         weight (W0 (fan_in, fan_out) row-major, W1, ...), then
                                         every bias (b0, b1, ...)
``point_samples``           (m,) int64   the loss/accuracy points: samples seen when taken,
``point_loss``              (m,) f64     the loss then,
``point_train_accuracy``    (m,) f64     the training accuracy,
``point_test_accuracy``     (m,) f64     and the test accuracy (NaN where not measured)
==========================  ===========  ==========================================================

Parameters only: the optimiser's state is not kept, so a loaded snapshot
shows a moment of the run but training on from it starts a fresh optimiser.
Loading uses ``allow_pickle=False``; every defect is an NnvizError naming the
file and what is wrong.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from nnviz.errors import NnvizError
from nnviz.model import npz_archive
from nnviz.model.config import TrainConfig
from nnviz.model.history import RunHistory, Snapshot
from nnviz.model.network import Network
from nnviz.model.trainer import HistoryPoint

WHAT = "run file"
SNAPSHOT_MEMBERS = ("batches", "samples_seen", "params")
POINT_MEMBERS = ("point_samples", "point_loss", "point_train_accuracy", "point_test_accuracy")


def check_save_target(path: str | os.PathLike) -> Path:
    """The checks save_run makes of ``path``, for callers that want them before training."""
    return npz_archive.check_save_target(path, WHAT)


def save_run(path: str | os.PathLike, history: RunHistory, **extra) -> Path:
    """Write atomically, like save_weights; ``extra`` goes into the config JSON (e.g. dataset)."""
    if not len(history) or history.config is None:
        raise ValueError("an empty run history has nothing to save")
    points = history.points
    arrays = {
        "config": npz_archive.config_member(history.config, "nnviz-run", **extra),
        "batches": history.batches,
        "samples_seen": np.array([snapshot.samples_seen for snapshot in history], dtype=np.int64),
        "params": np.stack([snapshot.params for snapshot in history]).astype(np.float32, copy=False),
        "point_samples": np.array([p.samples_seen for p in points], dtype=np.int64),
        "point_loss": np.array([p.loss for p in points], dtype=np.float64),
        "point_train_accuracy": np.array([p.train_accuracy for p in points], dtype=np.float64),
        "point_test_accuracy": np.array([p.test_accuracy for p in points], dtype=np.float64),
    }
    return npz_archive.write_atomically(path, arrays, WHAT)


def is_run_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a run file (has snapshot parameters), from its zip directory alone."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "params.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def load_run(path: str | os.PathLike) -> RunHistory:
    """The run in ``path``: snapshots with parameters (state None), its config and points."""
    path, arrays = npz_archive.read_arrays(path, WHAT)
    if "params" not in arrays and "W0" in arrays:
        raise NnvizError(f"{path}: is a weight file, not a run file")
    config, _ = npz_archive.parse_config(path, arrays, WHAT)
    for name in SNAPSHOT_MEMBERS + POINT_MEMBERS:
        if name not in arrays:
            raise NnvizError(f"{path}: is missing '{name}'")
    batches, samples, params = _snapshot_arrays(path, arrays, config)
    params.flags.writeable = False  # each snapshot's parameters are a row of it
    snapshots = [Snapshot(int(b), int(s), None, row) for b, s, row in zip(batches, samples, params)]
    return RunHistory.from_snapshots(config, snapshots, _points(path, arrays))


def _member(path: Path, arrays: dict, name: str, kind: str, ndim: int) -> np.ndarray:
    """``arrays[name]``, checked to be of dtype kind ``kind`` ("i": integers, "f": floats) with ``ndim`` axes."""
    array = arrays[name]
    kinds = "iu" if kind == "i" else kind
    if array.dtype.kind not in kinds:
        expected = "integers" if kind == "i" else "floats"
        raise NnvizError(f"{path}: '{name}' has dtype {array.dtype}, expected {expected}")
    if array.ndim != ndim:
        raise NnvizError(f"{path}: '{name}' has shape {array.shape}, expected {ndim} axes")
    return array.astype(np.int64) if kind == "i" else array


def _snapshot_arrays(path: Path, arrays: dict, config: TrainConfig):
    batches = _member(path, arrays, "batches", "i", 1)
    samples = _member(path, arrays, "samples_seen", "i", 1)
    params = _member(path, arrays, "params", "f", 2)
    count = len(batches)
    size = Network(config.layers).params.size
    if count == 0:
        raise NnvizError(f"{path}: holds no snapshots")
    if len(samples) != count:
        raise NnvizError(f"{path}: 'samples_seen' has {len(samples)} entries for {count} snapshots")
    if params.shape != (count, size):
        raise NnvizError(f"{path}: 'params' has shape {params.shape}, expected ({count}, {size}) "
                         f"for {count} snapshots of layers {list(config.layers)}")
    if batches[0] < 0 or np.any(np.diff(batches) <= 0):
        raise NnvizError(f"{path}: snapshots out of order: 'batches' must increase from 0 or more")
    # Every batch trains on at least one sample.
    if samples[0] < batches[0] or np.any(np.diff(samples) < np.diff(batches)):
        raise NnvizError(f"{path}: 'samples_seen' disagrees with 'batches': fewer samples than batches trained")
    finite = np.isfinite(params).all(axis=1)
    if not finite.all():
        first = int(np.argmin(finite))
        raise NnvizError(f"{path}: 'params' of snapshot {first} (batch {batches[first]}) "
                         "contains NaN or infinite values")
    return batches, samples, params.astype(np.float32, copy=False)


def _points(path: Path, arrays: dict) -> list[HistoryPoint]:
    samples = _member(path, arrays, "point_samples", "i", 1)
    columns = [_member(path, arrays, name, "f", 1) for name in POINT_MEMBERS[1:]]
    for name, column in zip(POINT_MEMBERS[1:], columns):
        if len(column) != len(samples):
            raise NnvizError(f"{path}: '{name}' has {len(column)} entries, 'point_samples' {len(samples)}")
    if np.any(np.diff(samples) < 0):
        raise NnvizError(f"{path}: loss points out of order: 'point_samples' must not decrease")
    return [HistoryPoint(int(s), float(loss), float(train), float(test))
            for s, loss, train, test in zip(samples, *columns)]
