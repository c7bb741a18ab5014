"""``.onnx``: an MLP as ``torch.onnx.export`` and ``tf2onnx`` write one, read from its graph; and written.

Read: a chain of nodes, each taking the previous one's output: optional
Flatten/Reshape at the input, then dense layers (``Gemm``, or ``MatMul``
then ``Add``), each but the last followed by one activation, and optional
``Softmax`` or ``Sigmoid`` at the end. Anything else is refused, naming the
first node nnviz cannot represent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnviz import safe_files
from nnviz.errors import NnvizError
from nnviz.limits import excerpt
from nnviz.model.activations import LEAKY_SLOPE
from nnviz.model.interchange import layers as dense

EXTRA = "onnx"
#: The opset nnviz writes: 13 is the first whose Softmax normalises over one axis only, as PyTorch's does.
OPSET = 13
#: The IR version written: 7 is what opset 13 needs, so older runtimes read the file too.
IR_VERSION = 7
INPUT, OUTPUT = "input", "output"
#: ONNX op -> nnviz activation.
_ACTIVATIONS = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "LeakyRelu": "leaky_relu"}
_ONNX_OPS = {name: op for op, name in _ACTIVATIONS.items()}
_OUTPUT_OPS = {"Softmax": "softmax", "Sigmoid": "sigmoid"}
_SHAPE_OPS = ("Flatten", "Reshape")
_PASS_THROUGH = ("Identity", "Dropout")  # eval-mode exports keep these as no-ops


@dataclass
class _Layer:
    weight: np.ndarray  # (in, out)
    bias: np.ndarray | None = None
    activation: str | None = None
    node: object = field(default=None, repr=False)


class _Graph:
    """Walks the nodes, keeping the name of the tensor the chain has reached."""

    def __init__(self, path: Path, graph, numpy_helper, helper):
        self.path, self.graph = path, graph
        self.constants = {init.name: init for init in graph.initializer}
        self.to_array = numpy_helper.to_array
        self.attribute_value = helper.get_attribute_value
        inputs = [value.name for value in graph.input if value.name not in self.constants]
        if len(inputs) != 1:
            raise NnvizError(f"{path}: has {len(inputs)} inputs; an MLP has one")
        self.current = inputs[0]
        self.layers: list[_Layer] = []
        self.output: str | None = None

    def fail(self, node, why: str) -> NnvizError:
        return NnvizError(f"{self.path}: node '{excerpt(node.name)}' ({excerpt(node.op_type)}) {why}")

    def constant(self, node, name: str) -> np.ndarray:
        if name not in self.constants:
            raise self.fail(node, f"has no stored tensor '{excerpt(name)}'")
        tensor = self.constants[name]
        if tensor.data_location == tensor.EXTERNAL:
            raise self.fail(node, f"keeps '{excerpt(name)}' in an external file; nnviz reads self-contained files")
        return self.to_array(tensor)

    def walk(self) -> None:
        for node in self.graph.node:
            if node.op_type == "Constant":
                self.add_constant(node)
                continue
            tensors = [name for name in node.input if name and name not in self.constants]
            if tensors != [self.current] or node.input[0] != self.current and node.op_type != "Add":
                raise self.fail(node, f"takes {excerpt(tensors)}, not just the previous node's output "
                                      f"'{excerpt(self.current)}' (a skip connection?)")
            self.step(node, {a.name: self.attribute_value(a) for a in node.attribute})
            self.current = node.output[0]
        outputs = [value.name for value in self.graph.output]
        if outputs != [self.current]:
            raise NnvizError(f"{self.path}: its outputs {excerpt(outputs)} are not the last node's output")
        if not self.layers:
            raise NnvizError(f"{self.path}: has no dense layer (Gemm or MatMul)")

    def add_constant(self, node) -> None:
        import onnx

        values = [a for a in node.attribute if a.name == "value"]
        if not values:
            raise self.fail(node, "holds no tensor nnviz can read")
        tensor = onnx.TensorProto()
        tensor.CopyFrom(values[0].t)
        tensor.name = node.output[0]
        self.constants[tensor.name] = tensor

    def step(self, node, attributes) -> None:
        op = node.op_type
        if self.output is not None:
            raise self.fail(node, f"follows the output layer's {self.output}")
        if op in _SHAPE_OPS and not self.layers:
            return
        if op in _PASS_THROUGH:
            return
        if op == "Gemm":
            return self.gemm(node, attributes)
        if op == "MatMul":
            return self.new_layer(node, self.constant(node, node.input[1]))
        if op == "Add" and self.layers and self.layers[-1].bias is None and self.layers[-1].node.op_type == "MatMul":
            other = node.input[1] if node.input[0] == self.current else node.input[0]
            self.layers[-1].bias = self.bias(node, self.constant(node, other), self.layers[-1].weight.shape[1])
            return
        if op in _ACTIVATIONS and self.layers and self.layers[-1].activation is None:
            self.layers[-1].activation = self.activation(node, attributes)
            return
        if op == "Softmax" and self.layers and self.layers[-1].activation is None:
            axis = attributes.get("axis", -1)
            if axis not in (-1, 1):
                raise self.fail(node, f"normalises over axis {axis}; nnviz's softmax is over the classes")
            self.output = "softmax"
            return
        raise self.fail(node, "is not part of an MLP nnviz can show (dense layers and activations)")

    def gemm(self, node, attributes) -> None:
        if attributes.get("transA", 0):
            raise self.fail(node, "transposes its input (transA=1)")
        weight = self.constant(node, node.input[1]) * np.float32(attributes.get("alpha", 1.0))
        layer = self.new_layer(node, weight.T if attributes.get("transB", 0) else weight)
        if len(node.input) > 2 and node.input[2]:
            bias = self.constant(node, node.input[2]) * np.float32(attributes.get("beta", 1.0))
            layer.bias = self.bias(node, bias, layer.weight.shape[1])

    def new_layer(self, node, weight: np.ndarray) -> _Layer:
        if weight.ndim != 2:
            raise self.fail(node, f"has a weight of shape {excerpt(weight.shape)}; a dense layer's is 2-D")
        if self.layers:
            before = self.layers[-1]
            if before.activation is None:
                raise self.fail(node, "follows a dense layer with no activation; nnviz's hidden layers have one")
            if weight.shape[0] != before.weight.shape[1]:
                raise self.fail(node, f"has a weight of shape {excerpt(weight.shape)}, which does not take the "
                                      f"{before.weight.shape[1]} outputs of the layer before")
        layer = _Layer(dense.parameters(self.path, node.input[1], weight), node=node)
        self.layers.append(layer)
        return layer

    def bias(self, node, bias: np.ndarray, size: int) -> np.ndarray:
        if bias.size != size or bias.shape not in ((size,), (1, size)):
            raise self.fail(node, f"has a bias of shape {excerpt(bias.shape)}, expected ({size},)")
        return dense.parameters(self.path, node.name, bias.reshape(size))

    def activation(self, node, attributes) -> str:
        name = _ACTIVATIONS[node.op_type]
        if name == "leaky_relu":
            alpha = attributes.get("alpha", 0.01)  # ONNX's default
            if not np.isclose(np.float32(alpha), LEAKY_SLOPE):
                raise self.fail(node, f"has slope {alpha:g}; nnviz's leaky_relu has slope {float(LEAKY_SLOPE):g}")
        return name

    def sizes_and_activations(self):
        """Layer sizes, each hidden layer's activation, and the output layer's (None: not in the file)."""
        layers = [self.layers[0].weight.shape[0]] + [layer.weight.shape[1] for layer in self.layers]
        hidden = [layer.activation for layer in self.layers[:-1]]
        last = self.layers[-1]
        output = self.output
        if last.activation is not None:
            if last.activation not in _OUTPUT_OPS.values():
                raise self.fail(last.node, f"ends with {_ONNX_OPS[last.activation]}; nnviz's output layer is "
                                           "softmax or sigmoid")
            output = last.activation
        return layers, hidden, output


def load(path: Path, activation: str | None, output: str | None) -> dense.Parts:
    onnx = dense.require("onnx", EXTRA)
    from onnx import helper, numpy_helper

    dense.check_file_size(path)
    try:
        # External data files would be opened from paths the model names: never followed.
        model = onnx.load(str(path), load_external_data=False)
    except OSError as error:
        raise safe_files.os_error(error, path) from None
    except Exception as error:  # protobuf's DecodeError and kin: the bytes are not an ONNX model
        raise NnvizError(f"{path}: not a readable ONNX model ({type(error).__name__})") from None
    graph = _Graph(path, model.graph, numpy_helper, helper)
    graph.walk()
    sizes, hidden, output_layer = graph.sizes_and_activations()
    layers = dense.checked_layers(path, sizes)
    config, extra = dense.config_for(path, layers, hidden, output_layer, activation, output)
    biases = [layer.bias if layer.bias is not None else np.zeros(layer.weight.shape[1], np.float32)
              for layer in graph.layers]
    return config, [layer.weight for layer in graph.layers], biases, extra


def model_proto(loaded):
    """The network as an ONNX model: Gemm layers with PyTorch-shaped (out, in) weights named as its state dict."""
    onnx = dense.require("onnx", EXTRA)
    from onnx import TensorProto, helper, numpy_helper

    tensors = dense.state_dict(loaded)
    names = list(tensors)
    nodes, current = [], INPUT
    activations = loaded.config.hidden_activations()
    for k in range(len(loaded.weights)):
        weight, bias = names[2 * k], names[2 * k + 1]
        nodes.append(helper.make_node("Gemm", [current, weight, bias], [f"linear{k}"], name=f"linear{k}", transB=1))
        current = f"linear{k}"
        is_output = k == len(loaded.weights) - 1
        op = {"softmax": "Softmax", "sigmoid": "Sigmoid"}[loaded.config.output] if is_output else \
            _ONNX_OPS[activations[k]]
        attributes = {"alpha": float(LEAKY_SLOPE)} if op == "LeakyRelu" else {"axis": -1} if op == "Softmax" else {}
        result = OUTPUT if is_output else f"{op.lower()}{k}"
        nodes.append(helper.make_node(op, [current], [result], name=result, **attributes))
        current = result
    sizes = loaded.config.layers
    graph = helper.make_graph(
        nodes, "nnviz_mlp",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", sizes[0]])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", sizes[-1]])],
        initializer=[numpy_helper.from_array(array, name) for name, array in tensors.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="nnviz",
                              ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    return model


def save(path, loaded) -> Path:
    data = model_proto(loaded).SerializeToString()
    return safe_files.write_to(path, lambda stream: stream.write(data))
