"""Backpropagation against central finite differences, in float64."""

import itertools

import numpy as np
import pytest

from nnviz.model.activations import ACTIVATIONS
from nnviz.model.network import Network, initialize
from nnviz.model.outputs import OUTPUTS

LAYERS = [7, 6, 5, 4]


def _network(activation, output, seed=0):
    network = Network(LAYERS, activation, output, dtype=np.float64)
    initialize(network, "xavier", np.random.default_rng(seed))
    network.biases[0][...] = np.random.default_rng(seed + 1).normal(size=LAYERS[1])
    return network


def _cost(network, x, labels, weight_decay):
    l2 = 0.5 * weight_decay * float(np.dot(network.flat_weights, network.flat_weights))
    return network.cost(x, labels) + l2


@pytest.mark.parametrize("activation,output", list(itertools.product(sorted(ACTIVATIONS), sorted(OUTPUTS))))
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_backprop_matches_finite_differences(activation, output, weight_decay):
    rng = np.random.default_rng(42)
    network = _network(activation, output)
    x = rng.normal(size=(9, LAYERS[0]))
    labels = rng.integers(0, LAYERS[-1], size=9)
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
    assert np.max(relative[np.abs(numeric) > 1e-7]) < 1e-5
    assert np.allclose(analytic, numeric, atol=1e-8)


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
                                               ("leaky_relu", "sigmoid")])
def test_one_sample_backprop_is_that_sample_s_gradient(activation, output):
    rng = np.random.default_rng(7)
    network = _network(activation, output)
    x, label = rng.normal(size=LAYERS[0]), 2
    deltas, weight_gradients = network.backprop_one(x, label)
    assert [d.shape for d in deltas] == [(n,) for n in LAYERS[1:]]
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
