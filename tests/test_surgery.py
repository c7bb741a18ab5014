"""Network surgery (nnviz.model.surgery): what each edit keeps, computes and says, on trained networks."""

import math

import numpy as np
import pytest

from nnviz.errors import NnvizError
from nnviz.model import surgery
from nnviz.model.activations import ACTIVATIONS
from nnviz.model.config import TrainConfig, network_for
from nnviz.model.network import INITIALIZERS, Network
from nnviz.model.optimizers import make_optimizer
from nnviz.model.surgery import EditError
from nnviz.model.trainer import Trainer
from synthetic_data import synthetic_dataset

DATA = synthetic_dataset(n_train=640, n_test=200)
TEST_X = DATA.test_images.reshape(len(DATA.test_images), -1).astype(np.float32) / np.float32(255)
LAYERS = (784, 16, 12, 10)
#: Outputs the same "to float32 rounding": probabilities through a few float32 layers in another summation order.
ROUNDING = dict(rtol=1e-5, atol=2e-6)


def _trained(activation="tanh", output="softmax", layers=LAYERS, optimizer="adam", batches=60, **changes):
    config = TrainConfig(layers=layers, activation=activation, output=output, optimizer=optimizer, seed=2,
                         **changes)
    trainer = Trainer(config, DATA.train_images, DATA.train_labels, DATA.test_images, DATA.test_labels,
                      history_every=10**9)
    trainer.train_batches(batches)
    return trainer


@pytest.fixture(scope="module", params=sorted(ACTIVATIONS))
def trained(request):
    return _trained(request.param)


def _edit(trainer, function, *arguments, **options):
    return function(trainer.config, trainer.network.params, trainer.optimizer.state(), *arguments, **options)


def _outputs(config, params, x=TEST_X):
    network = network_for(config)
    network.params[...] = params
    return network.forward(x)[-1]


def _layer_views(layers, flat):
    """Per weight layer, (W, b) views of a flat array in Network's layout: built from Network's own views."""
    network = Network(layers)
    network.params[...] = flat
    return [(w.copy(), b.copy()) for w, b in zip(network.weights, network.biases)]


def _flat(views):
    return np.concatenate([w.ravel() for w, _ in views] + [b for _, b in views])


# ----------------------------------------------------------------- adding neurons
@pytest.mark.parametrize("layer", [1, 2])
def test_added_neurons_leave_the_outputs_as_they_were(trained, layer):
    before = trained.network.forward(TEST_X)[-1]
    result = _edit(trained, surgery.add_neurons, layer, 5, rng=np.random.default_rng(0))
    assert result.config.layers[layer] == LAYERS[layer] + 5
    np.testing.assert_allclose(_outputs(result.config, result.params), before, **ROUNDING)
    size = LAYERS[layer]
    assert result.message == f"added 5 neurons to hidden layer {layer} ({size} -> {size + 5}); outputs unchanged"


def test_added_neurons_are_drawn_like_the_init_with_zero_bias_and_zero_outgoing_weights():
    trainer = _trained("relu", init="he", layers=(784, 16, 10))
    result = _edit(trainer, surgery.add_neurons, 1, 200, rng=np.random.default_rng(1))
    (w_in, b_in), (w_out, _) = _layer_views(result.config.layers, result.params)
    new_in = w_in[:, 16:]
    assert np.std(new_in) == pytest.approx(INITIALIZERS["he"].weight_std(784, 216), rel=0.02)
    assert not b_in[16:].any() and not w_out[16:].any()
    # The old neurons' parameters are where they were, and the sources say so.
    old = _layer_views(trainer.config.layers, trainer.network.params)
    np.testing.assert_array_equal(w_in[:, :16], old[0][0])
    np.testing.assert_array_equal(w_out[:16], old[1][0])
    kept = result.parameter_sources >= 0
    np.testing.assert_array_equal(result.params[kept], trainer.network.params[result.parameter_sources[kept]])
    assert np.count_nonzero(~kept) == 200 * (784 + 1 + 10)


def test_new_neurons_learn():
    trainer = _trained("tanh")
    trainer.edit(surgery.add_neurons, 2, 3, rng=np.random.default_rng(0))
    trainer.train_batches(10)
    w_out = trainer.network.weights[2]
    assert np.abs(w_out[12:]).min() > 0  # their outgoing weights moved off 0


def test_the_neuron_map_says_where_each_neuron_came_from():
    trainer = _trained("tanh")
    added = _edit(trainer, surgery.add_neurons, 2, 2, rng=np.random.default_rng(0))
    assert [old for old, _ in added.layer_sources()] == [0, 1, 2, 3]
    np.testing.assert_array_equal(added.neuron_sources[2][1], list(range(12)) + [-1, -1])
    np.testing.assert_array_equal(added.neuron_sources[1][1], range(16))
    removed = _edit(trainer, surgery.remove_neurons, 1, [3, 0])
    np.testing.assert_array_equal(removed.neuron_sources[1][1], [1, 2] + list(range(4, 16)))
    inserted = _edit(trainer, surgery.insert_layer, 2, 4, rng=np.random.default_rng(0))
    assert [old for old, _ in inserted.layer_sources()] == [0, 1, None, 2, 3]
    np.testing.assert_array_equal(inserted.neuron_sources[2][1], [-1] * 4)
    dropped = _edit(trainer, surgery.remove_layer, 1)
    assert [old for old, _ in dropped.layer_sources()] == [0, 2, 3]
    grown = _edit(trainer, surgery.add_output_class)
    np.testing.assert_array_equal(grown.neuron_sources[3][1], list(range(10)) + [-1])


# --------------------------------------------------------------- removing neurons
@pytest.mark.parametrize("layer,indices", [(1, [5]), (1, [0, 15, 7]), (2, [11, 2])])
def test_removing_neurons_is_the_network_built_without_them(trained, layer, indices):
    result = _edit(trained, surgery.remove_neurons, layer, indices)
    # Built directly: the same weights with those columns (into the layer) and rows (out of it) gone.
    views = _layer_views(LAYERS, trained.network.params)
    w_in, b_in = views[layer - 1]
    views[layer - 1] = (np.delete(w_in, indices, axis=1), np.delete(b_in, indices))
    views[layer] = (np.delete(views[layer][0], indices, axis=0), views[layer][1])
    sizes = list(LAYERS)
    sizes[layer] -= len(indices)
    direct = Network(sizes, trained.config.activation, trained.config.output)
    direct.params[...] = _flat(views)
    assert result.config.layers == tuple(sizes)
    np.testing.assert_array_equal(result.params, direct.params)
    np.testing.assert_allclose(_outputs(result.config, result.params), direct.forward(TEST_X)[-1], **ROUNDING)
    assert result.message.startswith(f"removed neuron{'s' if len(indices) > 1 else ''} "
                                     f"{', '.join(map(str, sorted(indices)))} of hidden layer {layer}")


# --------------------------------------------------------------- inserting a layer
@pytest.mark.parametrize("network_activation,position,size", [
    # ReLU is the identity on [0, inf): after pixels, sigmoid or ReLU outputs as they are, after tanh's shifted up.
    # At least as many neurons as the layer before: they carry its values.
    *[(activation, position, 20) for activation in ("tanh", "sigmoid", "relu") for position in (1, 2, 3)],
    # Fewer, but as many as the old weights' rank (784x16: 16; 16x12: 12): they carry a factor of them.
    ("tanh", 1, 16), ("sigmoid", 1, 16), ("relu", 1, 16), ("tanh", 2, 12), ("sigmoid", 2, 12),
])
def test_an_inserted_relu_layer_leaves_the_outputs_as_they_were(network_activation, position, size):
    trainer = _trained(network_activation)
    before = trainer.network.forward(TEST_X)[-1]
    result = _edit(trainer, surgery.insert_layer, position, size, activation="relu", rng=np.random.default_rng(0))
    layers = list(LAYERS)
    layers.insert(position, size)
    assert result.config.layers == tuple(layers)
    np.testing.assert_allclose(_outputs(result.config, result.params), before, **ROUNDING)
    assert result.message.endswith("; outputs unchanged")
    assert result.message.startswith(f"inserted hidden layer {position} ({size} relu neurons): 784,16,12,10 -> ")
    activations = [network_activation] * 2
    activations.insert(position - 1, "relu")
    assert result.config.hidden_activations() == tuple(activations)


@pytest.mark.parametrize("network_activation", ["tanh", "sigmoid"])
def test_an_inserted_tanh_or_sigmoid_layer_is_near_the_identity_and_says_so(network_activation):
    trainer = _trained(network_activation)
    before = trainer.network.forward(TEST_X)[-1]
    result = _edit(trainer, surgery.insert_layer, 2, 16, rng=np.random.default_rng(0))
    after = _outputs(result.config, result.params)
    np.testing.assert_array_equal(after.argmax(axis=1), before.argmax(axis=1))
    assert np.abs(after - before).max() < 0.01
    assert result.config.layer_activations == ()  # the network's own activation: it stays uniform
    assert f"outputs nearly unchanged: {network_activation} is near-linear" in result.message


def test_a_layer_after_leaky_relu_says_when_it_is_exact():
    trainer = _trained("leaky_relu")
    before = trainer.network.forward(TEST_X)[-1]
    result = _edit(trainer, surgery.insert_layer, 2, 16, rng=np.random.default_rng(0))
    np.testing.assert_allclose(_outputs(result.config, result.params), before, **ROUNDING)
    assert result.message.endswith("; outputs unchanged while layer 1's outputs stay above -1")


def test_a_narrower_layer_after_relu_says_when_it_is_exact():
    # A factor of the weights mixes the ReLU outputs with negative weights too: unbounded below.
    trainer = _trained("relu")
    result = _edit(trainer, surgery.insert_layer, 2, 12, rng=np.random.default_rng(0))
    assert result.message.endswith("; outputs unchanged while its inputs (mixtures of layer 1's outputs, "
                                   "which are unbounded) stay above -1")


def test_a_layer_too_narrow_for_the_weights_is_an_approximation_and_says_so():
    trainer = _trained("tanh")
    before = trainer.network.forward(TEST_X)[-1]
    result = _edit(trainer, surgery.insert_layer, 2, 4, rng=np.random.default_rng(0))
    assert result.message.endswith("; outputs approximate: 4 neurons carry only the best rank-4 approximation "
                                   "of the 16x12 weights from layer 1")
    after = _outputs(result.config, result.params)
    assert np.mean(after.argmax(axis=1) == before.argmax(axis=1)) > 0.5  # approximate, not random


# ----------------------------------------------------------------- removing a layer
def test_removing_a_layer_joins_its_neighbours_by_the_product_of_its_weights():
    trainer = _trained("tanh")
    result = _edit(trainer, surgery.remove_layer, 1)
    (w0, b0), (w1, b1), (w2, b2) = _layer_views(LAYERS, trainer.network.params)
    (joined, joined_b), (last, last_b) = _layer_views(result.config.layers, result.params)
    np.testing.assert_allclose(joined, w0.astype(np.float64) @ w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(joined_b, b0.astype(np.float64) @ w1 + b1, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(last, w2)
    assert result.config.layers == (784, 12, 10)
    assert result.message == ("removed hidden layer 1 (16 tanh neurons): 784,16,12,10 -> 784,12,10; its neighbours "
                              "are joined by the product of its weight matrices (tanh taken as linear), "
                              "an approximation: outputs change")


def test_removing_a_layer_of_a_mixed_network_drops_its_activation():
    trainer = _trained("tanh", layers=(784, 16, 12, 8, 10), layer_activations=("relu", "sigmoid", "tanh"))
    result = _edit(trainer, surgery.remove_layer, 2)
    assert result.config.layers == (784, 16, 8, 10)
    assert result.config.hidden_activations() == ("relu", "tanh")
    # Only the neighbours of the gap change.
    old, new = _layer_views(trainer.config.layers, trainer.network.params), _layer_views((784, 16, 8, 10), result.params)
    np.testing.assert_array_equal(new[0][0], old[0][0])
    np.testing.assert_array_equal(new[2][0], old[3][0])


def test_removing_the_only_hidden_layer_leaves_a_linear_classifier():
    trainer = _trained("relu", layers=(784, 16, 10))
    result = _edit(trainer, surgery.remove_layer, 1)
    assert result.config.layers == (784, 10) and result.config.layer_activations == ()
    assert _outputs(result.config, result.params).shape == (len(TEST_X), 10)


# ------------------------------------------------------------- adding an output class
@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_a_new_output_class_changes_no_prediction(trained, output):
    trainer = trained if output == "softmax" else _trained(trained.config.activation, output="sigmoid")
    before = trainer.network.forward(TEST_X)[-1]
    result = _edit(trainer, surgery.add_output_class)
    assert result.config.layers == LAYERS[:-1] + (11,)
    after = _outputs(result.config, result.params)
    np.testing.assert_array_equal(after.argmax(axis=1), before.argmax(axis=1))
    if output == "softmax":  # the old classes' probabilities, shared with the new one, in the same proportions
        assert after[:, 10].max() < math.exp(-surgery.OUTPUT_MARGIN)
        np.testing.assert_allclose(after[:, :10] / after[:, :10].sum(axis=1, keepdims=True), before, **ROUNDING)
    else:  # sigmoid outputs are independent: the old ones exactly as they were
        np.testing.assert_allclose(after[:, :10], before, **ROUNDING)
    (w, b) = _layer_views(result.config.layers, result.params)[-1]
    assert not w[:, 10].any()
    bounded = trainer.config.activation in ("tanh", "sigmoid")
    assert result.message.startswith(f"added output class 10 (zero incoming weights, bias {b[10]:.3g}): "
                                     "784,16,12,10 -> 784,16,12,11; predictions unchanged")
    assert result.message.endswith("predictions unchanged") == bounded


def test_the_new_class_s_bias_is_below_every_possible_top_score():
    # A bounded last layer (tanh, in [-1, 1]): whatever the input, some class scores above the new one.
    trainer = _trained("tanh")
    result = _edit(trainer, surgery.add_output_class)
    w, b = _layer_views(LAYERS, trainer.network.params)[-1]
    new_bias = _layer_views(result.config.layers, result.params)[-1][1][10]
    worst_top = max(b[j] - np.abs(w[:, j]).sum() for j in range(10))
    assert new_bias == pytest.approx(worst_top - surgery.OUTPUT_MARGIN, abs=1e-4)
    for x in np.random.default_rng(0).choice([-1.0, 1.0], size=(2000, 12)):  # corners of the box
        assert (x @ w + b).max() > new_bias


def test_a_new_class_learns():
    trainer = _trained("tanh", layers=(784, 16, 10))
    trainer.edit(surgery.add_output_class)
    labels = DATA.train_labels.copy()
    labels[labels == 9] = 10  # the nines are now the new class
    trainer.set_data(DATA.train_images, labels)
    for _ in range(12):
        trainer.train_epoch()
    predicted = trainer.network.predict(TEST_X[DATA.test_labels == 9])
    assert np.mean(predicted == 10) > 0.8


# ------------------------------------------------------------------ optimiser state
def _surviving_state(layers, state_array, layer, indices):
    """An optimiser array with neurons `indices` of `layer` taken out, built from Network's views."""
    views = _layer_views(layers, state_array)
    w_in, b_in = views[layer - 1]
    views[layer - 1] = (np.delete(w_in, indices, axis=1), np.delete(b_in, indices))
    views[layer] = (np.delete(views[layer][0], indices, axis=0), views[layer][1])
    return _flat(views)


def test_adam_after_removing_neurons_steps_as_a_fresh_adam_given_the_surviving_moments():
    trainer = _trained("tanh", optimizer="adam")
    state = trainer.optimizer.state()
    assert state["t"] == 60 and state["m"].any()
    trainer.edit(surgery.remove_neurons, 1, [2, 9])
    layers = trainer.config.layers
    expected = make_optimizer("adam", trainer.network.params.size)
    expected.load_state({"m": _surviving_state(LAYERS, state["m"], 1, [2, 9]),
                         "v": _surviving_state(LAYERS, state["v"], 1, [2, 9]), "t": 60})
    assert layers == (784, 14, 12, 10)
    params = trainer.network.params.copy()
    indices = np.arange(32)
    trainer.network.load_pixel_batch(trainer._train_x, indices)
    trainer.network.compute_gradients(trainer._train_y[indices])
    grads = trainer.network.grads.copy()
    trainer.optimizer.step(trainer.network.params, grads, 0.002)
    expected.step(params, grads, 0.002)
    np.testing.assert_array_equal(trainer.network.params, params)
    assert trainer.optimizer.t == 61


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_new_parameters_start_with_zero_optimiser_state_and_old_ones_keep_theirs(optimizer):
    trainer = _trained("tanh", optimizer=optimizer)
    state = trainer.optimizer.state()
    result = _edit(trainer, surgery.insert_layer, 3, 14, activation="relu", rng=np.random.default_rng(0))
    sources = result.parameter_sources
    kept = sources >= 0
    # Every old parameter goes on somewhere: the old weights and biases out of layer 2 leave the new layer now.
    assert sorted(sources[kept]) == list(range(trainer.network.params.size))
    # New: the new layer's incoming weights and biases, and the outgoing weights of its 2 neurons past the 12
    # that carry layer 2's values.
    assert np.count_nonzero(~kept) == 12 * 14 + 14 + 2 * 10
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(result.optimizer_state[key][kept], value[sources[kept]])
            assert not result.optimizer_state[key][~kept].any()
        else:
            assert result.optimizer_state[key] == value


def test_an_edit_leaves_its_inputs_alone():
    trainer = _trained("tanh")
    state = trainer.snapshot()  # read-only arrays: an edit writing into them would raise
    result = surgery.add_neurons(state.config, state.params, state.optimizer_state, 1, 2, rng=np.random.default_rng(0))
    chained = surgery.remove_layer(result.config, result.params, result.optimizer_state, 2)
    assert chained.config.layers == (784, 18, 10)
    np.testing.assert_array_equal(state.params, trainer.network.params)


# -------------------------------------------------------------------- bad edits
@pytest.mark.parametrize(
    "function,arguments,message",
    [
        (surgery.add_neurons, (3, 1), "add_neurons: no hidden layer 3: the hidden layers are 1 to 2"),
        (surgery.add_neurons, (0, 1), "add_neurons: no hidden layer 0: the hidden layers are 1 to 2"),
        (surgery.add_neurons, (1, 0), "add_neurons: cannot add 0 neurons: add at least 1"),
        (surgery.add_neurons, (1, 2.5), "add_neurons: count 2.5: not a whole number"),
        (surgery.remove_neurons, (1, []), "remove_neurons: no neurons given"),
        (surgery.remove_neurons, (1, [16]), "remove_neurons: no neuron 16 in hidden layer 1: its neurons are 0 to 15"),
        (surgery.remove_neurons, (1, [-1]), "remove_neurons: no neuron -1 in hidden layer 1"),
        (surgery.remove_neurons, (2, [3, 4, 3]), "remove_neurons: neuron 3 is listed twice"),
        (surgery.remove_neurons, (2, list(range(12))),
         "remove_neurons: cannot remove all 12 neurons of hidden layer 2: remove the layer instead"),
        (surgery.insert_layer, (4, 8), "insert_layer: no position 4: a layer goes at 1 (after the input) to 3 "
                                       "(before the output)"),
        (surgery.insert_layer, (1, 0), "insert_layer: a layer needs at least one neuron, not 0"),
        (surgery.insert_layer, (1, 8, "swish"), "insert_layer: activation 'swish': not one of: leaky_relu, relu"),
        (surgery.remove_layer, (3,), "remove_layer: no hidden layer 3: the hidden layers are 1 to 2"),
    ],
)
def test_bad_edits_are_one_line_errors(function, arguments, message):
    trainer = _trained("tanh", batches=1)
    with pytest.raises(EditError) as info:
        _edit(trainer, function, *arguments)
    assert isinstance(info.value, NnvizError) and str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_a_network_without_hidden_layers_says_so():
    trainer = _trained("tanh", layers=(784, 10), batches=1)
    with pytest.raises(EditError, match=r"^remove_layer: no hidden layer 1: this network has none$"):
        _edit(trainer, surgery.remove_layer, 1)
    result = _edit(trainer, surgery.insert_layer, 1, 10, activation="relu", rng=np.random.default_rng(0))
    assert result.config.layers == (784, 10, 10) and result.message.endswith("outputs unchanged")
