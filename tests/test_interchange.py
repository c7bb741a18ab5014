"""Weights from and to other frameworks (nnviz.model.interchange): safetensors state dicts, ONNX graphs, Keras
files, .pt.

Files "as PyTorch writes them" are built here with NumPy (torch is too big a test dependency): the same keys,
(out, in) shapes and float32 a ``model.state_dict()`` of ``nn.Sequential(Linear, act, ..., Linear)`` holds,
and the Gemm(transB=1) graph ``torch.onnx.export`` writes for it. Keras files are built with h5py in the layout
Keras 3.15 writes (checked against files it saved: same groups, names and shapes).
"""

import io
import json
import sys
import zipfile

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
safetensors_numpy = pytest.importorskip("safetensors.numpy")
h5py = pytest.importorskip("h5py")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

from nnviz.cli import build_parser, main  # noqa: E402
from nnviz.commands.builders import build_config  # noqa: E402
from nnviz.data import load_dataset  # noqa: E402
from nnviz.errors import NnvizError  # noqa: E402
from nnviz.model import interchange  # noqa: E402
from nnviz.model.config import TrainConfig, network_for  # noqa: E402
from nnviz.model.interchange import layers as dense  # noqa: E402
from nnviz.model.weights_io import LoadedWeights, load_weights, save_weights  # noqa: E402

RNG = np.random.default_rng(7)


def _network(layers=(784, 24, 16, 10), activation="relu", output="softmax", layer_activations=()):
    config = TrainConfig(layers=layers, activation=activation, output=output, layer_activations=layer_activations)
    network = network_for(config)
    network.params[...] = RNG.standard_normal(network.params.size).astype(np.float32) * np.float32(0.2)
    return network, config


def _saved(tmp_path, **kwargs) -> tuple:
    network, config = _network(**kwargs)
    return save_weights(tmp_path / "w.npz", network, config), network


def _outputs(loaded: LoadedWeights, x: np.ndarray) -> np.ndarray:
    network = network_for(loaded.config)
    network.params[...] = loaded.flat_parameters()
    return network.forward(x)[-1]


def _reference_mlp(torch_weights, biases, x, hidden, output="softmax"):
    """What PyTorch computes for Sequential(Linear, act, ..., Linear) then softmax, written out in NumPy."""
    functions = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    a = x.astype(np.float64)
    for k, (weight, bias) in enumerate(zip(torch_weights, biases)):
        a = a @ weight.T.astype(np.float64) + bias
        if k < len(torch_weights) - 1:
            a = functions[hidden](a)
    if output == "sigmoid":
        return functions["sigmoid"](a)
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _torch_state(layers):
    """A PyTorch-shaped state dict of random Linear layers: (out, in) float32, at indices 0, 2, 4, ..."""
    state = {}
    for k, (fan_in, fan_out) in enumerate(zip(layers[:-1], layers[1:])):
        state[f"{2 * k}.weight"] = (RNG.standard_normal((fan_out, fan_in)) * 0.2).astype(np.float32)
        state[f"{2 * k}.bias"] = (RNG.standard_normal(fan_out) * 0.2).astype(np.float32)
    return state


def _pixels(count=8, size=784):
    return RNG.random((count, size), dtype=np.float32)


@pytest.fixture(scope="module")
def mnist_test_x(mnist_dir):
    """The first 500 pictures of the real MNIST test set, as the trainer feeds them."""
    images = load_dataset("mnist", mnist_dir, download=False, progress=False).test_images[:500]
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255)


def _error(path, **options) -> str:
    with pytest.raises(NnvizError) as caught:
        load_weights(path, **options)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


# ------------------------------------------------------------------ safetensors
@pytest.mark.parametrize("kwargs", [dict(activation="relu"), dict(activation="tanh", output="sigmoid"),
                                    dict(layers=(784, 12, 8, 6, 10), activation="tanh",
                                         layer_activations=("leaky_relu", "sigmoid", "relu"))],
                         ids=["relu", "sigmoid-output", "mixed"])
def test_safetensors_round_trip_is_exact(tmp_path, kwargs):
    npz, _ = _saved(tmp_path, **kwargs)
    original = load_weights(npz)
    interchange.save_any(tmp_path / "w.safetensors", original)
    again = load_weights(tmp_path / "w.safetensors")  # no options: the file carries nnviz's config
    assert again.config == original.config
    for mine, theirs in zip(again.weights + again.biases, original.weights + original.biases):
        assert mine.dtype == np.float32 and mine.shape == theirs.shape
        assert np.array_equal(mine, theirs)


def test_exported_safetensors_is_a_pytorch_state_dict(tmp_path):
    npz, network = _saved(tmp_path)
    interchange.save_any(tmp_path / "w.safetensors", load_weights(npz))
    state = safetensors_numpy.load_file(tmp_path / "w.safetensors")
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    for k in range(3):
        assert state[f"{2 * k}.weight"].dtype == np.float32
        assert np.array_equal(state[f"{2 * k}.weight"], network.weights[k].T)  # (out, in)
        assert np.array_equal(state[f"{2 * k}.bias"], network.biases[k])


def test_a_pytorch_state_dict_loads_in_layer_order_and_predicts_the_same(tmp_path):
    layers = (784, 9, 8, 7, 6, 5, 10)  # Linear layers at 0, 2, ..., 10: '10' sorts before '2' as a string
    state = _torch_state(layers)
    safetensors_numpy.save_file(state, tmp_path / "torch.safetensors")
    loaded = load_weights(tmp_path / "torch.safetensors", activation="tanh")
    assert loaded.config.layers == layers
    assert loaded.config.hidden_activations() == ("tanh",) * 5 and loaded.config.output == "softmax"
    x = _pixels()
    torch_weights = [state[f"{2 * k}.weight"] for k in range(6)]
    expected = _reference_mlp(torch_weights, [state[f"{2 * k}.bias"] for k in range(6)], x, "tanh")
    np.testing.assert_allclose(_outputs(loaded, x), expected, atol=1e-5)


def test_output_option_chooses_the_output_layer_of_a_state_dict(tmp_path):
    safetensors_numpy.save_file(_torch_state((784, 8, 10)), tmp_path / "torch.safetensors")
    assert load_weights(tmp_path / "torch.safetensors", "relu", "sigmoid").config.output == "sigmoid"


def test_a_state_dict_needs_the_activation_option(tmp_path):
    safetensors_numpy.save_file(_torch_state((784, 8, 10)), tmp_path / "torch.safetensors")
    assert "--activation" in _error(tmp_path / "torch.safetensors")


def test_load_option_reads_a_state_dict_with_activation_option(tmp_path, capsys):
    path = tmp_path / "torch.safetensors"
    safetensors_numpy.save_file(_torch_state((784, 8, 10)), path)
    config, loaded = build_config(build_parser().parse_args(["--activation", "relu", "train", "--load", str(path)]))
    assert config.layers == (784, 8, 10) and config.activation == "relu" and loaded is not None
    # Without it: one line from the CLI, before any data is needed.
    code = main(["train", "--load", str(path), "--no-download", "--data", str(tmp_path)])
    stderr = capsys.readouterr().err
    assert code == 2 and stderr.count("\n") == 1 and "--activation" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("keys, part", [
    ({"0.weight": (8, 784), "0.bias": (8,), "4.weight": (10, 8), "4.bias": (10,)}, "no 2.weight"),
    ({"0.weight": (8, 784), "0.bias": (8,), "2.weight": (10, 7), "2.bias": (10,)}, "'2.weight' has shape (10, 7)"),
    ({"0.weight": (8, 784), "0.bias": (9,)}, "'0.bias' has shape (9,)"),
    ({"0.weight": (8, 784)}, "no '0.bias'"),
    ({"fc1.weight": (8, 784)}, "'fc1.weight'"),
    ({"0.weight": (8, 4, 784), "0.bias": (8,)}, "'0.weight' has shape (8, 4, 784)"),
], ids=["key-gap", "wrong-shape", "bias-shape", "no-bias", "foreign-key", "not-2d"])
def test_a_state_dict_nnviz_cannot_use_is_refused_naming_the_tensor(tmp_path, keys, part):
    state = {key: np.zeros(shape, np.float32) for key, shape in keys.items()}
    safetensors_numpy.save_file(state, tmp_path / "bad.safetensors")
    assert part in _error(tmp_path / "bad.safetensors", activation="relu")


def test_a_truncated_safetensors_file_is_refused(tmp_path):
    safetensors_numpy.save_file(_torch_state((784, 8, 10)), tmp_path / "w.safetensors")
    data = (tmp_path / "w.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[:len(data) // 2])
    assert "not a readable safetensors file" in _error(tmp_path / "cut.safetensors", activation="relu")


def test_layer_sizes_beyond_the_limits_are_refused_before_reading(tmp_path, monkeypatch):
    safetensors_numpy.save_file(_torch_state((784, 8, 10)), tmp_path / "w.safetensors")
    monkeypatch.setattr("nnviz.model.config.MAX_LAYER_SIZE", 100)
    assert "at most 100" in _error(tmp_path / "w.safetensors", activation="relu")


@pytest.mark.parametrize("name", ["w.safetensors", "w.onnx"])
def test_a_file_beyond_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch, name):
    (tmp_path / name).write_bytes(b"\0" * 2000)
    monkeypatch.setattr(dense, "MAX_ARCHIVE_BYTES", 1000)
    assert "2,000 bytes" in _error(tmp_path / name, activation="relu")


# ------------------------------------------------------------------ ONNX
@pytest.mark.parametrize("kwargs", [dict(activation="relu"), dict(activation="tanh", output="sigmoid"),
                                    dict(layers=(784, 12, 8, 10), activation="tanh",
                                         layer_activations=("leaky_relu", "sigmoid"))],
                         ids=["relu", "sigmoid-output", "mixed"])
def test_onnx_export_computes_what_nnviz_does_on_real_mnist(tmp_path, mnist_test_x, kwargs):
    npz, network = _saved(tmp_path, **kwargs)
    interchange.save_any(tmp_path / "m.onnx", load_weights(npz))
    (outputs,) = ReferenceEvaluator(str(tmp_path / "m.onnx")).run(None, {"input": mnist_test_x})
    np.testing.assert_allclose(outputs, network.forward(mnist_test_x)[-1], atol=1e-5)
    back = load_weights(tmp_path / "m.onnx")  # and read back from its graph
    assert back.config.hidden_activations() == load_weights(npz).config.hidden_activations()
    assert back.config.output == load_weights(npz).config.output
    np.testing.assert_allclose(_outputs(back, mnist_test_x), outputs, atol=1e-5)


def test_onnx_export_has_the_interface_it_promises(tmp_path):
    npz, _ = _saved(tmp_path)
    interchange.save_any(tmp_path / "m.onnx", load_weights(npz))
    model = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(model)
    assert max(opset.version for opset in model.opset_import if opset.domain in ("", "ai.onnx")) >= 13
    (graph_input,), (graph_output,) = model.graph.input, model.graph.output
    batch, pixels = graph_input.type.tensor_type.shape.dim
    assert graph_input.name == "input" and batch.dim_param and pixels.dim_value == 784
    assert graph_output.name == "output" and model.graph.node[-1].op_type == "Softmax"


def _model(nodes, initializers, input_shape=("N", 784), output="out"):
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(array, name) for name, array in initializers.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _torch_export_style(state, path, hidden_op="Relu", softmax=False, **hidden_attributes):
    """The graph torch.onnx.export writes for Sequential(Flatten, Linear, act, Linear, ...): Gemm transB=1."""
    nodes = [helper.make_node("Flatten", ["x"], ["/0/Flatten_output_0"], name="/0/Flatten", axis=1)]
    current, count = "/0/Flatten_output_0", len(state) // 2
    for k in range(count):
        nodes.append(helper.make_node("Gemm", [current, f"{2 * k}.weight", f"{2 * k}.bias"], [f"/gemm{k}"],
                                      name=f"/{2 * k}/Gemm", alpha=1.0, beta=1.0, transB=1))
        current = f"/gemm{k}"
        if k < count - 1:
            nodes.append(helper.make_node(hidden_op, [current], [f"/act{k}"], name=f"/{2 * k + 1}/{hidden_op}",
                                          **hidden_attributes))
            current = f"/act{k}"
    if softmax:
        nodes.append(helper.make_node("Softmax", [current], ["probs"], name="/Softmax", axis=1))
        current = "probs"
    onnx.save(_model(nodes, state, ("N", 1, 28, 28), current), str(path))


def test_a_torch_onnx_export_loads_and_predicts_the_same(tmp_path):
    state = _torch_state((784, 20, 12, 10))
    _torch_export_style(state, tmp_path / "torch.onnx")
    loaded = load_weights(tmp_path / "torch.onnx")  # activations come from the graph: no option needed
    assert loaded.config.layers == (784, 20, 12, 10) and loaded.config.hidden_activations() == ("relu", "relu")
    x = _pixels()
    expected = _reference_mlp([state[f"{2 * k}.weight"] for k in range(3)],
                              [state[f"{2 * k}.bias"] for k in range(3)], x, "relu")
    np.testing.assert_allclose(_outputs(loaded, x), expected, atol=1e-5)


def test_a_matmul_add_graph_as_tf2onnx_writes_it_loads(tmp_path):
    """Keras Dense kernels are (in, out): MatMul by them, then Add the bias (either side), then the activation."""
    kernels = [(RNG.standard_normal((784, 16)) * 0.2).astype(np.float32),
               (RNG.standard_normal((16, 10)) * 0.2).astype(np.float32)]
    biases = [(RNG.standard_normal(16)).astype(np.float32), (RNG.standard_normal(10)).astype(np.float32)]
    nodes = [helper.make_node("MatMul", ["x", "k0"], ["m0"], name="dense/MatMul"),
             helper.make_node("Add", ["b0", "m0"], ["a0"], name="dense/BiasAdd"),
             helper.make_node("Tanh", ["a0"], ["t0"], name="dense/Tanh"),
             helper.make_node("MatMul", ["t0", "k1"], ["m1"], name="dense_1/MatMul"),
             helper.make_node("Add", ["m1", "b1"], ["a1"], name="dense_1/BiasAdd"),
             helper.make_node("Softmax", ["a1"], ["out"], name="dense_1/Softmax", axis=-1)]
    onnx.save(_model(nodes, {"k0": kernels[0], "b0": biases[0], "k1": kernels[1], "b1": biases[1]}),
              str(tmp_path / "tf.onnx"))
    loaded = load_weights(tmp_path / "tf.onnx")
    assert loaded.config.activation == "tanh" and loaded.config.output == "softmax"
    x = _pixels()
    expected = _reference_mlp([kernel.T for kernel in kernels], biases, x, "tanh")
    np.testing.assert_allclose(_outputs(loaded, x), expected, atol=1e-5)


def test_a_softmax_graph_is_not_loaded_as_a_sigmoid_one(tmp_path):
    _torch_export_style(_torch_state((784, 8, 10)), tmp_path / "m.onnx", softmax=True)
    assert load_weights(tmp_path / "m.onnx").config.output == "softmax"
    assert "--output sigmoid does not match" in _error(tmp_path / "m.onnx", output="sigmoid")


def test_a_leaky_relu_of_another_slope_is_refused(tmp_path):
    _torch_export_style(_torch_state((784, 8, 10)), tmp_path / "leaky.onnx", "LeakyRelu", alpha=0.2)
    assert "node '/1/LeakyRelu' (LeakyRelu) has slope 0.2" in _error(tmp_path / "leaky.onnx")
    _torch_export_style(_torch_state((784, 8, 10)), tmp_path / "ok.onnx", "LeakyRelu", alpha=0.01)
    assert load_weights(tmp_path / "ok.onnx").config.activation == "leaky_relu"


def test_a_conv_node_is_refused_naming_it(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "k"], ["c"], name="/conv1/Conv"),
             helper.make_node("Flatten", ["c"], ["out"], name="/Flatten")]
    onnx.save(_model(nodes, {"k": np.zeros((4, 1, 3, 3), np.float32)}, ("N", 1, 28, 28)), str(tmp_path / "cnn.onnx"))
    assert "node '/conv1/Conv' (Conv)" in _error(tmp_path / "cnn.onnx")


def test_a_skip_connection_is_refused_naming_the_node(tmp_path):
    state = {"w0": np.zeros((8, 784), np.float32), "b0": np.zeros(8, np.float32),
             "w1": np.zeros((8, 8), np.float32), "b1": np.zeros(8, np.float32)}
    nodes = [helper.make_node("Gemm", ["x", "w0", "b0"], ["g0"], name="/fc0/Gemm", transB=1),
             helper.make_node("Relu", ["g0"], ["r0"], name="/relu0"),
             helper.make_node("Gemm", ["r0", "w1", "b1"], ["g1"], name="/fc1/Gemm", transB=1),
             helper.make_node("Add", ["g1", "r0"], ["out"], name="/residual/Add")]
    onnx.save(_model(nodes, state), str(tmp_path / "skip.onnx"))
    message = _error(tmp_path / "skip.onnx")
    assert "node '/residual/Add' (Add)" in message and "skip connection" in message


def test_a_wrong_shaped_onnx_weight_is_refused(tmp_path):
    state = _torch_state((784, 8, 10))
    state["2.weight"] = np.zeros((10, 9), np.float32)
    _torch_export_style(state, tmp_path / "bad.onnx")
    assert "node '/2/Gemm' (Gemm) has a weight of shape (9, 10)" in _error(tmp_path / "bad.onnx")


def test_a_truncated_onnx_file_is_refused(tmp_path):
    _torch_export_style(_torch_state((784, 8, 10)), tmp_path / "m.onnx")
    data = (tmp_path / "m.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[:len(data) // 3])
    assert "not a readable ONNX model" in _error(tmp_path / "cut.onnx")


# ------------------------------------------------------------------ the rest
def test_pt_files_without_torch_say_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if it were not installed
    (tmp_path / "w.pt").write_bytes(b"PK\3\4 not read")
    message = _error(tmp_path / "w.pt", activation="relu")
    assert "pip install torch" in message and ".safetensors" in message


def test_a_missing_optional_package_names_its_extra(tmp_path, monkeypatch):
    _torch_export_style(_torch_state((784, 8, 10)), tmp_path / "m.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert "pip install 'nnviz[onnx]'" in str(pytest.raises(NnvizError, load_weights, tmp_path / "m.onnx").value)


# ------------------------------------------------------------------ Keras
def _keras_weights(target, kernels, biases):
    """model.save_weights's layout (Keras 3): layers/dense, layers/dense_1, ... each with vars/0 (kernel, (in, out))
    and vars/1 (bias), named by class and position whatever the layers are called."""
    with h5py.File(target, "w") as file:
        file.create_group("vars").attrs["name"] = "sequential"
        for k, (kernel, bias) in enumerate(zip(kernels, biases)):
            group = file.create_group(f"layers/{'dense' if k == 0 else f'dense_{k}'}/vars")
            group.attrs["name"] = f"my_layer_{k}"
            group["0"], group["1"] = kernel, bias


def _keras_file(path, kernels, biases, activations, extra_layers=()):
    """model.save's zip: config.json (a Sequential's layers, with their activations) and model.weights.h5."""
    layers = [{"module": "keras.layers", "class_name": "InputLayer",
               "config": {"batch_shape": [None, 784], "name": "input_layer"}}, *extra_layers]
    layers += [{"module": "keras.layers", "class_name": "Dense",
                "config": {"name": f"my_layer_{k}", "units": len(bias), "activation": activation, "use_bias": True}}
               for k, (bias, activation) in enumerate(zip(biases, activations))]
    config = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}
    weights = io.BytesIO()
    _keras_weights(weights, kernels, biases)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())


def _keras_layers(layers):
    kernels = [(RNG.standard_normal((fan_in, fan_out)) * 0.2).astype(np.float32)
               for fan_in, fan_out in zip(layers[:-1], layers[1:])]
    return kernels, [(RNG.standard_normal(kernel.shape[1]) * 0.2).astype(np.float32) for kernel in kernels]


def test_a_keras_file_loads_in_layer_order_and_predicts_the_same(tmp_path):
    layers = (784, *[6] * 11, 10)  # groups dense .. dense_11: 'dense_10' sorts before 'dense_2' as a string
    kernels, biases = _keras_layers(layers)
    _keras_file(tmp_path / "m.keras", kernels, biases, ["tanh"] * 11 + ["softmax"],
                [{"class_name": "Flatten", "config": {"name": "flatten"}}])
    loaded = load_weights(tmp_path / "m.keras")
    assert loaded.config.layers == layers and loaded.config.activation == "tanh"
    x = _pixels()
    expected = _reference_mlp([kernel.T for kernel in kernels], biases, x, "tanh")
    np.testing.assert_allclose(_outputs(loaded, x), expected, atol=1e-5)


def test_keras_activations_come_from_the_config(tmp_path):
    kernels, biases = _keras_layers((784, 8, 6, 10))
    _keras_file(tmp_path / "m.keras", kernels, biases, ["relu", "sigmoid", "sigmoid"])
    loaded = load_weights(tmp_path / "m.keras")
    assert loaded.config.hidden_activations() == ("relu", "sigmoid") and loaded.config.output == "sigmoid"


def test_a_keras_weights_file_needs_the_activation_option(tmp_path):
    kernels, biases = _keras_layers((784, 8, 10))
    _keras_weights(tmp_path / "m.weights.h5", kernels, biases)
    assert "--activation" in _error(tmp_path / "m.weights.h5")
    loaded = load_weights(tmp_path / "m.weights.h5", activation="relu")
    assert all(np.array_equal(a, b) for a, b in zip(loaded.weights + loaded.biases, kernels + biases))


def test_keras_files_nnviz_cannot_use_are_refused_naming_the_part(tmp_path):
    kernels, biases = _keras_layers((784, 8, 10))
    _keras_file(tmp_path / "leaky.keras", kernels, biases, ["leaky_relu", "softmax"])
    assert "leaky_relu has slope 0.2" in _error(tmp_path / "leaky.keras")
    conv = {"class_name": "Conv2D", "config": {"name": "conv2d"}}
    _keras_file(tmp_path / "cnn.keras", kernels, biases, ["relu", "softmax"], [conv])
    assert "layer 'conv2d' (Conv2D)" in _error(tmp_path / "cnn.keras")
    _keras_weights(tmp_path / "gap.weights.h5", kernels, biases)
    with h5py.File(tmp_path / "gap.weights.h5", "a") as file:
        file.move("layers/dense_1", "layers/dense_2")
    assert "no layer group 'dense_1'" in _error(tmp_path / "gap.weights.h5", activation="relu")
    _keras_weights(tmp_path / "shape.weights.h5", [kernels[0], kernels[1][:5]], biases)
    assert "has shape (10, 5)" in _error(tmp_path / "shape.weights.h5", activation="relu")


def test_a_truncated_keras_file_is_refused(tmp_path):
    kernels, biases = _keras_layers((784, 8, 10))
    _keras_file(tmp_path / "m.keras", kernels, biases, ["relu", "softmax"])
    _keras_weights(tmp_path / "m.weights.h5", kernels, biases)
    for name in ("m.keras", "m.weights.h5"):
        data = (tmp_path / name).read_bytes()
        (tmp_path / f"cut-{name}").write_bytes(data[:len(data) // 2])
        assert "not a readable" in _error(tmp_path / f"cut-{name}", activation="relu")
