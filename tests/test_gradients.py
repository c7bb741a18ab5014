"""Backpropagation against central finite differences, in float64."""

import itertools

import numpy as np
import pytest

from nnviz.model.activations import ACTIVATIONS, LEAKY_SLOPE
from nnviz.model.network import Network, initialize
from nnviz.model.outputs import OUTPUTS

LAYERS = [7, 6, 5, 4]


#: Four hidden layers, each with an activation of its own.
MIXED_LAYERS = [7, 6, 5, 6, 5, 4]
MIXED = ("sigmoid", "relu", "tanh", "leaky_relu")


def _network(activation, output, seed=0, layers=LAYERS, layer_activations=None):
    network = Network(layers, activation, output, dtype=np.float64, layer_activations=layer_activations)
    initialize(network, "xavier", np.random.default_rng(seed))
    network.biases[0][...] = np.random.default_rng(seed + 1).normal(size=layers[1])
    return network


def _cost(network, x, labels, weight_decay):
    l2 = 0.5 * weight_decay * float(np.dot(network.flat_weights, network.flat_weights))
    return network.cost(x, labels) + l2


def _check_against_finite_differences(network, weight_decay, rng, relative_above=1e-7):
    """Relative agreement for gradients above ``relative_above``: central differences carry ~1e-10 of rounding."""
    layers = network.layer_sizes
    x = rng.normal(size=(9, layers[0]))
    labels = rng.integers(0, layers[-1], size=9)
    network.input_buffer(len(labels))[...] = x
    cost, _ = network.compute_gradients(labels, weight_decay)
    assert cost == pytest.approx(network.cost(x, labels), rel=1e-12)
    analytic = network.grads.copy()

    numeric = np.empty_like(analytic)
    eps = 1e-6
    for i in range(network.params.size):
        saved = network.params[i]
        network.params[i] = saved + eps
        plus = _cost(network, x, labels, weight_decay)
        network.params[i] = saved - eps
        minus = _cost(network, x, labels, weight_decay)
        network.params[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)

    scale = np.maximum(np.abs(analytic) + np.abs(numeric), 1e-8)
    relative = np.abs(analytic - numeric) / scale
    assert np.max(relative[np.abs(numeric) > relative_above]) < 1e-5
    assert np.allclose(analytic, numeric, atol=1e-8)


@pytest.mark.parametrize("activation,output", list(itertools.product(sorted(ACTIVATIONS), sorted(OUTPUTS))))
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_backprop_matches_finite_differences(activation, output, weight_decay):
    _check_against_finite_differences(_network(activation, output), weight_decay, np.random.default_rng(42))


@pytest.mark.parametrize("order", [MIXED, MIXED[::-1], ("relu", "tanh", "relu", "sigmoid")])
@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_backprop_with_an_activation_per_layer_matches_finite_differences(order, output, weight_decay):
    network = _network("tanh", output, layers=MIXED_LAYERS, layer_activations=order)
    # Five weight layers deep, some gradients are as small as 1e-6: compared by the absolute check only.
    _check_against_finite_differences(network, weight_decay, np.random.default_rng(43), relative_above=1e-4)


def test_each_hidden_layer_applies_its_own_activation():
    # Written out with NumPy's own functions: the forward pass must not borrow another layer's activation.
    functions = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
                 "leaky_relu": lambda z: np.where(z > 0, z, LEAKY_SLOPE * z)}
    network = _network("tanh", "softmax", layers=MIXED_LAYERS, layer_activations=MIXED)
    assert network.activation.name == "tanh" and network.layer_activations == MIXED
    x = np.random.default_rng(5).normal(size=(4, MIXED_LAYERS[0]))
    a = x
    for k, (w, b) in enumerate(zip(network.weights, network.biases)):
        z = a @ w + b
        a = functions[MIXED[k]](z) if k < len(MIXED) else np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(network.forward(x)[k + 1], a, rtol=1e-12, atol=1e-15)


def test_one_layer_s_activation_can_change():
    network = _network("tanh", "softmax", layers=MIXED_LAYERS)
    assert network.layer_activations == () and [a.name for a in network.activations] == ["tanh"] * 4
    network.set_layer_activation(3, "relu")
    assert network.layer_activations == ("tanh", "tanh", "relu", "tanh")
    assert (network.forward(np.ones(7))[3] >= 0).all()
    assert network.hidden_output_range == (-1.0, float("inf"))
    with pytest.raises(IndexError):
        network.set_layer_activation(5, "relu")
    network.set_activation("sigmoid")
    assert network.layer_activations == () and network.hidden_output_range == (0.0, 1.0)
    with pytest.raises(ValueError, match="3 activations for 4 hidden layers"):
        Network(MIXED_LAYERS, layer_activations=("relu",) * 3)


def test_single_sample_forward_equals_batch_row():
    network = _network("tanh", "softmax")
    x = np.random.default_rng(0).normal(size=(3, LAYERS[0]))
    batch = network.forward(x)
    single = network.forward(x[1])
    for layer_batch, layer_single in zip(batch, single):
        np.testing.assert_allclose(layer_single, layer_batch[1], rtol=1e-12)
    np.testing.assert_allclose(batch[-1].sum(axis=1), 1.0)


def test_parameter_views_share_the_flat_array():
    network = Network([784, 16, 16, 10])
    network.weights[1][2, 3] = 5.0
    network.biases[2][4] = -2.0
    assert network.flat_weights[784 * 16 + 2 * 16 + 3] == 5.0
    assert network.params[network.bias_offsets[2] + 4] == -2.0
    assert network.num_weights == 784 * 16 + 16 * 16 + 16 * 10


@pytest.mark.parametrize("activation,output", [("tanh", "softmax"), ("relu", "sigmoid"), ("sigmoid", "softmax"),
                                               ("leaky_relu", "sigmoid"), (MIXED, "softmax")])
def test_one_sample_backprop_is_that_sample_s_gradient(activation, output):
    rng = np.random.default_rng(7)
    if isinstance(activation, tuple):
        network = _network("tanh", output, layers=MIXED_LAYERS, layer_activations=activation)
    else:
        network = _network(activation, output)
    x, label = rng.normal(size=network.layer_sizes[0]), 2
    deltas, weight_gradients = network.backprop_one(x, label)
    assert [d.shape for d in deltas] == [(n,) for n in network.layer_sizes[1:]]
    assert [g.shape for g in weight_gradients] == [W.shape for W in network.weights]

    numeric = np.empty(network.params.size)
    eps = 1e-6
    for i in range(network.params.size):
        saved = network.params[i]
        network.params[i] = saved + eps
        plus = network.cost(x[None, :], [label])
        network.params[i] = saved - eps
        minus = network.cost(x[None, :], [label])
        network.params[i] = saved
        numeric[i] = (plus - minus) / (2 * eps)
    # z = a W + b: a bias's gradient is its neuron's delta; a weight's is a_i * delta_j.
    np.testing.assert_allclose(np.concatenate([g.ravel() for g in weight_gradients]), numeric[:network.num_weights],
                               rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(np.concatenate(deltas), numeric[network.num_weights:], rtol=1e-5, atol=1e-8)


def test_one_sample_backprop_leaves_training_alone():
    rng = np.random.default_rng(3)
    network = _network("tanh", "softmax")
    x, labels = rng.normal(size=(5, LAYERS[0])), rng.integers(0, LAYERS[-1], 5)
    network.input_buffer(5)[...] = x
    network.compute_gradients(labels)
    grads, buffers = network.grads.copy(), [a.copy() for a in network._buffers_for(5).activations]
    deltas, weight_gradients = network.backprop_one(x[0], int(labels[0]))
    np.testing.assert_array_equal(network.grads, grads)
    for kept, now in zip(buffers, network._buffers_for(5).activations):
        np.testing.assert_array_equal(kept, now)
    # The same as a batch of one through the training path.
    network.input_buffer(1)[...] = x[:1]
    network.compute_gradients(labels[:1])
    np.testing.assert_allclose(np.concatenate([g.ravel() for g in weight_gradients]),
                               network.grads[:network.num_weights], rtol=1e-12)
    np.testing.assert_allclose(np.concatenate(deltas), network.grads[network.num_weights:], rtol=1e-12)
