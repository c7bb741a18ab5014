"""``nnviz export``: saved weights written as a PyTorch state dict (.safetensors) or an ONNX model."""

import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
safetensors_numpy = pytest.importorskip("safetensors.numpy")
from onnx.reference import ReferenceEvaluator  # noqa: E402

from nnviz.cli import main  # noqa: E402
from nnviz.model.config import TrainConfig, network_for  # noqa: E402
from nnviz.model.weights_io import load_weights, save_weights  # noqa: E402
from tests.conftest import REPO  # noqa: E402


@pytest.fixture
def weights(tmp_path):
    config = TrainConfig(layers=(784, 16, 12, 10), activation="leaky_relu", output="sigmoid")
    network = network_for(config)
    network.params[...] = np.random.default_rng(1).standard_normal(network.params.size).astype(np.float32) * 0.3
    return save_weights(tmp_path / "w.npz", network, config), network


def _export(capsys, *args):
    code = main(["export", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(code, stderr):
    assert code == 2 and stderr.startswith("nnviz: error: ") and stderr.count("\n") == 1
    assert "Traceback" not in stderr


def test_export_writes_a_state_dict_pytorch_loads(capsys, weights, tmp_path):
    path, network = weights
    code, stdout, stderr = _export(capsys, "--load", path, "--out", tmp_path / "m.safetensors")
    assert code == 0, stderr
    assert "784,16,12,10" in stdout and "m.safetensors" in stdout
    state = safetensors_numpy.load_file(tmp_path / "m.safetensors")
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"]
    for k in range(3):
        assert state[f"{2 * k}.weight"].dtype == np.float32
        assert np.array_equal(state[f"{2 * k}.weight"], network.weights[k].T)
        assert np.array_equal(state[f"{2 * k}.bias"], network.biases[k])


def test_export_writes_an_onnx_model_of_the_same_network(capsys, weights, tmp_path):
    path, network = weights
    code, _, stderr = _export(capsys, "--load", path, "--out", tmp_path / "m.onnx")
    assert code == 0, stderr
    x = np.random.default_rng(2).random((5, 784), dtype=np.float32)
    (outputs,) = ReferenceEvaluator(str(tmp_path / "m.onnx")).run(["output"], {"input": x})
    np.testing.assert_allclose(outputs, network.forward(x)[-1], atol=1e-5)


def test_export_converts_a_state_dict_to_onnx_with_the_activation_option(capsys, tmp_path):
    rng = np.random.default_rng(3)
    state = {"0.weight": rng.standard_normal((8, 784), dtype=np.float32), "0.bias": np.zeros(8, np.float32),
             "2.weight": rng.standard_normal((10, 8), dtype=np.float32), "2.bias": np.ones(10, np.float32)}
    safetensors_numpy.save_file(state, tmp_path / "torch.safetensors")
    code, _, stderr = _export(capsys, "--load", tmp_path / "torch.safetensors", "--activation", "tanh",
                              "--out", tmp_path / "m.onnx")
    assert code == 0, stderr
    assert [node.op_type for node in onnx.load(str(tmp_path / "m.onnx")).graph.node] == \
        ["Gemm", "Tanh", "Gemm", "Softmax"]


def test_export_never_overwrites_without_force(capsys, weights, tmp_path):
    path, _ = weights
    out = tmp_path / "m.onnx"
    out.write_bytes(b"precious")
    code, _, stderr = _export(capsys, "--load", path, "--out", out)
    _one_line_error(code, stderr)
    assert "--force" in stderr and out.read_bytes() == b"precious"
    code, _, stderr = _export(capsys, "--load", path, "--out", out, "--force")
    assert code == 0, stderr
    assert onnx.load(str(out)).graph.output[0].name == "output"


def test_export_refuses_a_format_it_cannot_write(capsys, weights):
    path, _ = weights
    code, _, stderr = _export(capsys, "--load", path, "--out", path.parent / "m.h5")
    _one_line_error(code, stderr)
    assert "nnviz exports .onnx, .safetensors" in stderr and not (path.parent / "m.h5").exists()


def test_export_never_replaces_its_input_even_with_force(capsys, weights, tmp_path):
    _export(capsys, "--load", weights[0], "--out", tmp_path / "m.onnx")
    before = (tmp_path / "m.onnx").read_bytes()
    code, _, stderr = _export(capsys, "--load", tmp_path / "m.onnx", "--out", tmp_path / "m.onnx", "--force")
    _one_line_error(code, stderr)
    assert "the same file as --load" in stderr and (tmp_path / "m.onnx").read_bytes() == before


def test_export_needs_load_and_out(capsys, weights):
    _one_line_error(*_export(capsys, "--out", "m.onnx")[:3:2])
    code, _, stderr = _export(capsys, "--load", weights[0])
    _one_line_error(code, stderr)
    assert "--out" in stderr


def test_exported_safetensors_loads_back_with_its_config(capsys, weights, tmp_path):
    path, _ = weights
    _export(capsys, "--load", path, "--out", tmp_path / "m.safetensors")
    assert load_weights(tmp_path / "m.safetensors").config == load_weights(path).config


def test_export_from_the_command_line_reports_a_damaged_file_in_one_line(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"\xff" * 64)
    result = subprocess.run([sys.executable, "-m", "nnviz", "export", "--load", str(tmp_path / "bad.onnx"),
                             "--out", str(tmp_path / "m.safetensors")], capture_output=True, text=True, cwd=REPO)
    _one_line_error(result.returncode, result.stderr)
    assert "bad.onnx" in result.stderr and not (tmp_path / "m.safetensors").exists()
