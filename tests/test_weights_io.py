"""The .npz weight format: a public interface, loaded without pickle."""

import json

import numpy as np
import pytest

from nnviz.errors import NnvizError
from nnviz.model.config import TrainConfig
from nnviz.model.network import Network, initialize
from nnviz.model.weights_io import load_weights, save_weights
from nnviz.safe_files import Replaceable
from npz_helpers import rewrite_npz

CONFIG = TrainConfig(layers=(784, 16, 16, 10), activation="relu", learning_rate=0.01, seed=5)


@pytest.fixture
def saved(tmp_path):
    network = Network(CONFIG.layers, CONFIG.activation, CONFIG.output)
    initialize(network, "he", np.random.default_rng(1))
    path = save_weights(tmp_path / "w.npz", network, CONFIG, samples_seen=1234)
    return path, network




def test_format_is_readable_by_plain_numpy(saved):
    path, network = saved
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W0", "W1", "W2", "b0", "b1", "b2", "config"]
        assert archive["W0"].shape == (784, 16) and archive["W0"].dtype == np.float32
        assert archive["b2"].shape == (10,)
        np.testing.assert_array_equal(archive["W1"], network.weights[1])
        meta = json.loads(str(archive["config"]))
    assert meta["layers"] == [784, 16, 16, 10]
    assert meta["activation"] == "relu" and meta["output"] == "softmax"
    assert meta["learning_rate"] == 0.01 and meta["samples_seen"] == 1234


def test_round_trip(saved):
    path, network = saved
    loaded = load_weights(path)
    assert loaded.config == CONFIG
    np.testing.assert_array_equal(loaded.flat_parameters(), network.params)
    assert loaded.extra["samples_seen"] == 1234


def test_pickled_objects_are_refused(saved, tmp_path):
    path, _ = saved
    bad = rewrite_npz(path, W0=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(NnvizError, match="pickled Python objects; refusing"):
        load_weights(bad)


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"W1": None}, "is missing 'W1'"),
        ({"config": None}, "has no 'config' entry"),
        ({"W1": np.zeros((16, 15), np.float32)}, r"'W1' has shape \(16, 15\), expected \(16, 16\)"),
        ({"b0": np.full(16, np.nan, np.float32)}, "'b0' contains NaN"),
        ({"W3": np.zeros((10, 2), np.float32)}, "has 'W3'"),
        ({"W0": np.zeros((784, 16), np.int32)}, "'W0' has dtype int32"),
        ({"config": np.array("{not json")}, "'config' is not valid JSON"),
        ({"config": np.array(json.dumps({"layers": [784, 10]}))}, "'config' has no 'activation'"),
        ({"config": np.array(json.dumps({"layers": [784, 16, 16, 10], "activation": "swish", "output": "softmax"}))},
         "config: activation 'swish': not one of: leaky_relu, relu"),
        ({"config": np.array(json.dumps({"layers": "784", "activation": "tanh", "output": "softmax"}))},
         "layers must be a list of integers"),
        ({"config": np.array(json.dumps({**CONFIG.to_dict(), "layer_activations": "relu,tanh"}))},
         "'config' layer_activations must be a list of activation names, got 'relu,tanh'"),
        ({"config": np.array(json.dumps({**CONFIG.to_dict(), "layer_activations": ["relu", 3]}))},
         "'config' layer_activations must be a list of activation names"),
        ({"config": np.array(json.dumps({**CONFIG.to_dict(), "layer_activations": ["relu"]}))},
         "config: layer_activations relu: needs one activation per hidden layer: layers 784,16,16,10 have 2"),
        ({"config": np.array(json.dumps({**CONFIG.to_dict(), "layer_activations": ["relu", "swish"]}))},
         "config: layer_activations relu,swish: 'swish' is not one of"),
    ],
)
def test_damaged_files_get_a_clear_error(saved, changes, message):
    path, _ = saved
    bad = rewrite_npz(path, **changes)
    with pytest.raises(NnvizError, match=message) as info:
        load_weights(bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("content", [b"", b"definitely not a zip", b"PK\x03\x04truncated"])
def test_not_an_npz(tmp_path, content):
    path = tmp_path / "junk.npz"
    path.write_bytes(content)
    with pytest.raises(NnvizError, match="junk.npz"):
        load_weights(path)
    assert path.read_bytes() == content


def test_save_is_atomic_and_checks_the_target(saved, tmp_path, monkeypatch):
    path, network = saved
    with pytest.raises(NnvizError, match="does not exist"):
        save_weights(tmp_path / "nowhere" / "w.npz", network, CONFIG)
    with pytest.raises(NnvizError, match="must end in .npz"):
        save_weights(tmp_path / "w.txt", network, CONFIG)
    before = path.read_bytes()

    def disk_full(handle, **arrays):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(NnvizError, match="already exists; not overwriting it"):
        save_weights(path, network, CONFIG)  # replaced only when the caller says so
    with pytest.raises(NnvizError, match="cannot write: No space left on device"):
        save_weights(Replaceable(path), network, CONFIG)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


def test_a_bad_config_value_names_the_field_not_an_option(saved):
    path, _ = saved
    meta = {**CONFIG.to_dict(), "learning_rate": 0}
    bad = rewrite_npz(path, config=np.array(json.dumps(meta)))
    with pytest.raises(NnvizError) as info:
        load_weights(bad)
    assert str(info.value) == f"{bad}: config: learning_rate 0: the learning rate must be > 0 and at most 100"
    assert "--lr" not in str(info.value)


def test_any_layer_sizes_load_the_dataset_decides_what_fits(tmp_path):
    config = TrainConfig(layers=(49, 5, 3))
    network = Network(config.layers)
    initialize(network, "xavier", np.random.default_rng(0))
    loaded = load_weights(save_weights(tmp_path / "small.npz", network, config))
    assert loaded.config.layers == (49, 5, 3)


def test_each_layer_s_activation_round_trips(tmp_path):
    config = TrainConfig(layers=(784, 16, 8, 10), activation="tanh", layer_activations=("relu", "sigmoid"))
    network = Network(config.layers, config.activation, config.output, layer_activations=config.layer_activations)
    initialize(network, "xavier", np.random.default_rng(2))
    path = save_weights(tmp_path / "mixed.npz", network, config)
    with np.load(path, allow_pickle=False) as archive:
        assert json.loads(str(archive["config"]))["layer_activations"] == ["relu", "sigmoid"]
    loaded = load_weights(path)
    assert loaded.config == config and loaded.config.layer_activations == ("relu", "sigmoid")


def test_the_network_s_activations_are_saved_whatever_the_config_says(tmp_path):
    network = Network(CONFIG.layers, "tanh", CONFIG.output)
    network.set_layer_activation(2, "leaky_relu")
    loaded = load_weights(save_weights(tmp_path / "w.npz", network, CONFIG))
    assert loaded.config.activation == "tanh" and loaded.config.layer_activations == ("tanh", "leaky_relu")


def test_a_file_from_before_per_layer_activations_loads(saved):
    path, network = saved
    meta = {key: value for key, value in CONFIG.to_dict().items() if key != "layer_activations"}
    old = rewrite_npz(path, config=np.array(json.dumps({"format": "nnviz-weights", "version": 1, **meta})))
    loaded = load_weights(old)
    assert loaded.config == CONFIG and loaded.config.layer_activations == ()
    assert loaded.config.hidden_activations() == ("relu", "relu")
