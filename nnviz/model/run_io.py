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
Loading reads no pickle and checks every member's header before reading its
data; every defect is an NnvizError naming the file and what is wrong.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nnviz import npz_files
from nnviz.errors import NnvizError
from nnviz.limits import excerpt
from nnviz.model import npz_archive
from nnviz.model.config import TrainConfig, parameter_count
from nnviz.model.history import RunHistory, Snapshot
from nnviz.model.trainer import HistoryPoint

WHAT = "run file"
SNAPSHOT_MEMBERS = ("batches", "samples_seen", "params")
POINT_MEMBERS = ("point_samples", "point_loss", "point_train_accuracy", "point_test_accuracy")
#: Each member's dtype kind ("i": integers, "f": floats) and number of axes.
_LAYOUT = {"batches": ("i", 1), "samples_seen": ("i", 1), "params": ("f", 2), "point_samples": ("i", 1),
           "point_loss": ("f", 1), "point_train_accuracy": ("f", 1), "point_test_accuracy": ("f", 1)}


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
        with npz_files.open_archive(path, WHAT) as archive:
            return "params" in archive.names
    except NnvizError:
        return False


def load_run(path: str | os.PathLike) -> RunHistory:
    """The run in ``path``: snapshots with parameters (state None), its config and points.

    Every member's name, dtype and shape is checked against the config and the others before any
    array is read (see npz_files.open_archive).
    """
    with npz_files.open_archive(path, WHAT) as archive:
        if "params" not in archive.names and "W0" in archive.names:
            raise NnvizError(f"{archive.path}: is a weight file, not a run file")
        config, _ = npz_archive.read_config(archive)
        _check_members(archive, config)
        arrays = {name: archive.read(name) for name in SNAPSHOT_MEMBERS + POINT_MEMBERS}
    path = archive.path
    batches, samples, params = _snapshot_arrays(path, arrays)
    params.flags.writeable = False  # each snapshot's parameters are a row of it
    snapshots = [Snapshot(int(b), int(s), None, row) for b, s, row in zip(batches, samples, params)]
    return RunHistory.from_snapshots(config, snapshots, _points(path, arrays))


def _check_members(archive: npz_files.Archive, config: TrainConfig) -> None:
    """Names, dtypes and shapes, from the zip directory and the .npy headers, before any data is read."""
    path = archive.path
    for name in SNAPSHOT_MEMBERS + POINT_MEMBERS:
        if name not in archive.names:
            raise NnvizError(f"{path}: is missing '{name}'")
    for name in sorted(archive.names - {"config", *SNAPSHOT_MEMBERS, *POINT_MEMBERS}):
        raise NnvizError(f"{path}: has '{excerpt(name)}', which is not part of a {WHAT}")
    headers = {name: archive.header(name) for name in SNAPSHOT_MEMBERS + POINT_MEMBERS}
    for name, header in headers.items():
        _check_header(path, header, *_LAYOUT[name])
    count = headers["batches"].shape[0]
    size = parameter_count(config.layers)
    if count == 0:
        raise NnvizError(f"{path}: holds no snapshots")
    if headers["samples_seen"].shape[0] != count:
        raise NnvizError(f"{path}: 'samples_seen' has {headers['samples_seen'].shape[0]:,} entries for "
                         f"{count:,} snapshots")
    if headers["params"].shape != (count, size):
        raise NnvizError(f"{path}: 'params' has shape {excerpt(headers['params'].shape)}, "
                         f"expected ({count}, {size}) for {count} snapshots of layers {excerpt(list(config.layers))}")
    points = headers["point_samples"].shape[0]
    for name in POINT_MEMBERS[1:]:
        if headers[name].shape[0] != points:
            raise NnvizError(f"{path}: '{name}' has {headers[name].shape[0]:,} entries, 'point_samples' {points:,}")


def _check_header(path: Path, header: npz_files.ArrayHeader, kind: str, ndim: int) -> None:
    """Of dtype kind ``kind`` ("i": integers, "f": floats) with ``ndim`` axes."""
    if header.dtype.kind not in ("iu" if kind == "i" else kind):
        expected = "integers" if kind == "i" else "floats"
        raise NnvizError(f"{path}: '{header.name}' has dtype {excerpt(header.dtype)}, expected {expected}")
    if header.ndim != ndim:
        raise NnvizError(f"{path}: '{header.name}' has shape {excerpt(header.shape)}, expected {ndim} axes")


def _snapshot_arrays(path: Path, arrays: dict):
    batches = arrays["batches"].astype(np.int64)
    samples = arrays["samples_seen"].astype(np.int64)
    params = arrays["params"]
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
    npz_archive.check_float32_range(path, "params", params)
    return batches, samples, params.astype(np.float32, copy=False)


def _points(path: Path, arrays: dict) -> list[HistoryPoint]:
    samples = arrays["point_samples"].astype(np.int64)
    columns = [arrays[name] for name in POINT_MEMBERS[1:]]
    if np.any(np.diff(samples) < 0):
        raise NnvizError(f"{path}: loss points out of order: 'point_samples' must not decrease")
    return [HistoryPoint(int(s), float(loss), float(train), float(test))
            for s, loss, train, test in zip(samples, *columns)]
