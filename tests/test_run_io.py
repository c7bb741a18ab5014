"""The .npz run format: a public interface, loaded without pickle, every defect one line naming the file."""

import json
import math
import pickle
import re
import zipfile

import numpy as np
import pytest

from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig
from nnviz.model.history import RunHistory
from nnviz.model.network import Network
from nnviz.model.run_io import load_run, save_run
from nnviz.model.trainer import Trainer
from nnviz.model.weights_io import load_weights, save_weights
from npz_helpers import rewrite_npz

CONFIG = TrainConfig(layers=(16, 4, 3), activation="relu", batch_size=10, learning_rate=0.01, seed=3)
PARAMS = 16 * 4 + 4 * 3 + 4 + 3  # 83


def _data(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    images = rng.integers(0, 60, (n, 4, 4)).astype(np.uint8)
    images[np.arange(n), labels, :] = 255
    return images, labels


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A recorded run of 250 batches (so thinned past the dense start), saved."""
    trainer = Trainer(CONFIG, *_data(200, 0), *_data(50, 1), history_every=70)
    history = RunHistory(dense_batches=50)
    history.attach(trainer)
    trainer.train_batches(250)
    path = save_run(tmp_path_factory.mktemp("runs") / "run.npz", history, dataset="tiny")
    return path, history




def _error(path) -> str:
    with pytest.raises(NnvizError) as info:
        load_run(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def test_format_is_readable_by_plain_numpy(run):
    path, history = run
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(["config", "batches", "samples_seen", "params", "point_samples",
                                               "point_loss", "point_train_accuracy", "point_test_accuracy"])
        n, m = len(history), len(history.points)
        assert archive["params"].shape == (n, PARAMS) and archive["params"].dtype == np.float32
        assert archive["batches"].dtype == np.int64 and archive["samples_seen"].shape == (n,)
        assert archive["point_loss"].shape == (m,) and archive["point_test_accuracy"].dtype == np.float64
        meta = json.loads(str(archive["config"]))
    assert meta["format"] == "nnviz-run" and meta["layers"] == [16, 4, 3] and meta["activation"] == "relu"
    assert meta["learning_rate"] == 0.01 and meta["dataset"] == "tiny"


def test_round_trip(run):
    path, history = run
    loaded = load_run(path)
    assert loaded.config == CONFIG
    assert np.array_equal(loaded.batches, history.batches)
    assert loaded.batches[:51].tolist() == list(range(51)) and 240 < loaded.batches[-1] <= 250
    for original, read in zip(history, loaded):
        assert read.state is None and read.batches == original.batches
        assert read.samples_seen == original.samples_seen
        assert np.array_equal(read.params, original.params) and read.params.dtype == np.float32
        assert not read.params.flags.writeable
    assert len(loaded.points) == len(history.points) > 250 * 10 // 70  # every 70 samples, and at epoch ends
    for original, read in zip(history.points, loaded.points):
        assert (read.samples_seen, read.loss, read.train_accuracy) == \
            (original.samples_seen, original.loss, original.train_accuracy)
        assert read.test_accuracy == original.test_accuracy or math.isnan(original.test_accuracy)
    assert loaded.index_at(100) == history.index_at(100)


def test_a_run_without_test_data_keeps_its_nan_accuracies(tmp_path):
    trainer = Trainer(CONFIG, *_data(200, 0), history_every=50)
    history = RunHistory()
    history.attach(trainer)
    trainer.train_batches(12)
    loaded = load_run(save_run(tmp_path / "r.npz", history))
    assert len(loaded.points) == 2 and all(math.isnan(p.test_accuracy) for p in loaded.points)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"batches": None}, "is missing 'batches'"),
        ({"params": None}, "is missing 'params'"),
        ({"point_test_accuracy": None}, "is missing 'point_test_accuracy'"),
        ({"config": None}, "has no 'config' entry; not an nnviz run file"),
        ({"config": np.array(json.dumps({"layers": [16, 4, 3], "activation": "swish", "output": "softmax"}))},
         "config: activation 'swish': not one of"),
        ({"batches": "reversed"}, "snapshots out of order"),
        ({"batches": "repeated"}, "snapshots out of order"),
        ({"batches": "negative"}, "snapshots out of order"),
        ({"batches": "as floats"}, "'batches' has dtype float64, expected integers"),
        ({"batches": "2-d"}, r"'batches' has shape \(1, \d+\), expected 1 axes"),
        ({"params": "int"}, "'params' has dtype int32, expected floats"),
        ({"params": "one short"}, r"'params' has shape \((\d+), 82\), expected \(\1, 83\) for \1 snapshots of layers \[16, 4, 3\]"),
        ({"params": "a row less"}, r"'params' has shape \(\d+, 83\), expected \(\d+, 83\)"),
        ({"params": "nan"}, r"'params' of snapshot 3 \(batch 3\) contains NaN or infinite values"),
        ({"samples_seen": "a row less"}, "'samples_seen' has \\d+ entries for \\d+ snapshots"),
        ({"samples_seen": "too few"}, "'samples_seen' disagrees with 'batches'"),
        ({"point_loss": "a row less"}, "'point_loss' has \\d+ entries, 'point_samples' \\d+"),
        ({"point_samples": "reversed"}, "loss points out of order"),
        ({"batches": "empty", "samples_seen": "empty", "params": "empty"}, "holds no snapshots"),
    ],
)
def test_damaged_files_get_a_clear_error(run, changes, message):
    path, _ = run
    with np.load(path, allow_pickle=False) as archive:
        originals = {name: archive[name] for name in archive.files}
    damage = {
        "reversed": lambda a: a[::-1],
        "repeated": lambda a: np.concatenate([a[:1], a[:-1]]),
        "negative": lambda a: a - 1,
        "as floats": lambda a: a.astype(np.float64),
        "2-d": lambda a: a[None, :],
        "int": lambda a: a.astype(np.int32),
        "one short": lambda a: a[:, :-1],
        "a row less": lambda a: a[:-1],
        "nan": lambda a: np.where(np.arange(len(a))[:, None] == 3, np.nan, a).astype(np.float32),
        "too few": lambda a: a // 20,
        "empty": lambda a: a[:0],
    }
    arrays = {name: value if value is None or isinstance(value, np.ndarray) else damage[value](originals[name])
              for name, value in changes.items()}
    assert re.search(message, _error(rewrite_npz(path, **arrays)))


def test_pickled_objects_are_refused(run):
    path, _ = run
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["params"] = np.array([{"evil": 1}], dtype=object)
    bad = path.with_name("pickled.npz")
    np.savez(bad, allow_pickle=True, **arrays)
    assert "contains pickled Python objects; refusing to load it" in _error(bad)
    whole = path.with_name("whole-pickle.npz")
    whole.write_bytes(pickle.dumps({"params": [1, 2]}))
    assert "pickled Python objects" in _error(whole)


def test_files_that_are_not_npz_archives(run, tmp_path):
    path, _ = run
    data = path.read_bytes()
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data[: len(data) // 2])
    assert "not a valid .npz run file" in _error(truncated)
    text = tmp_path / "notes.npz"
    text.write_text("batches, params\n1, 2\n")
    assert "not a valid .npz run file (not a zip archive)" in _error(text)
    lone = tmp_path / "lone.npz"
    with lone.open("wb") as handle:
        np.save(handle, np.zeros(3))
    assert "not a valid .npz run file (a single .npy array, not an archive)" in _error(lone)
    damaged_member = tmp_path / "member.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged_member, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, content[: len(content) // 2] if item.filename == "params.npy" else content)
    assert "not a valid .npz run file" in _error(damaged_member)
    assert _error(tmp_path / "missing.npz").endswith("missing.npz: no such file")


def test_weight_files_and_run_files_are_told_apart(run, tmp_path):
    path, _ = run
    network = Network(CONFIG.layers, CONFIG.activation)
    weights = save_weights(tmp_path / "weights.npz", network, CONFIG)
    assert _error(weights) == f"{weights}: is a weight file, not a run file"
    with pytest.raises(NnvizError, match="^" + str(path) + ": is a run file, not a weight file$"):
        load_weights(path)


def test_save_checks_the_target_and_refuses_an_empty_history(run, tmp_path):
    _, history = run
    with pytest.raises(NnvizError, match="run.txt: run files must end in .npz"):
        save_run(tmp_path / "run.txt", history)
    with pytest.raises(NnvizError, match="does not exist"):
        save_run(tmp_path / "nowhere" / "run.npz", history)
    with pytest.raises(ValueError, match="nothing to save"):
        save_run(tmp_path / "empty.npz", RunHistory())
    assert sorted(p.name for p in tmp_path.iterdir()) == []
