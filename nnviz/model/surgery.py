"""Changing a network's shape while keeping what it learned: neurons and layers in and out, a class more.

Each edit is a pure function of (config, flat parameters, optimiser state)
returning an EditResult: Trainer.apply_edit trains on with it, ``nnviz
edit`` saves it; nothing here knows of either. Edits chain: pass a result's
``config``, ``params`` and ``optimizer_state`` to the next.

One mechanism serves them all. An edit builds the new network's weight and
bias arrays side by side with arrays of *sources*: for every new parameter,
the flat index of the old one it continues, or -1 for a new one. The
parameters are what the edit's arithmetic made; every optimiser array the
size of the parameters (Adam's m and v, momentum's velocity) goes through
the sources, new entries 0, and counters (Adam's t) are kept. A parameter
continues an old one where it is the same connection or the same neuron's
bias, even if the edit rescaled or shifted it: Adam's step does not depend
on the scale of a gradient.

Counting, as the HUD does: layers as in ``TrainConfig.layers`` (0 is the
input, hidden layers 1 .. len - 2, the last the output), neurons from 0.
"""

from __future__ import annotations

import operator
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from nnviz.errors import NnvizError
from nnviz.model.activations import ACTIVATIONS, Activation
from nnviz.model.config import TrainConfig, format_layers, validate
from nnviz.model.network import INITIALIZERS, Network

#: What the input layer holds: the trainer feeds pixels scaled to [0, 1].
INPUT_RANGE = (0.0, 1.0)
#: A tanh or sigmoid layer inserted as a near-identity gets inputs of at most this size, where
#: both are close to linear: tanh(0.1) / 0.1 = 0.9967, while its weights stay within 10x of the old.
NEAR_LINEAR_INPUT = 0.1
#: A ReLU layer inserted after a layer unbounded below shifts its inputs up by this much: exact
#: while they stay above minus it (a leaky ReLU's outputs fall below -1 only for inputs below -100).
UNBOUNDED_SHIFT = 1.0
#: A new output class scores this much below the lowest top score any input can have: predictions
#: stay, and its softmax probability is below e^-5 (0.7%).
OUTPUT_MARGIN = 5.0
#: Where no such bound exists (unbounded last hidden layer): this far below the lowest output bias.
UNBOUNDED_OUTPUT_MARGIN = 10.0
#: Each activation as a line near 0, f(z) ~ value + slope * z: how remove_layer bridges the gap.
#: ReLU has no slope at 0; 1 is the one of the values it passes on.
LINEAR_AT_ZERO = {"tanh": (0.0, 1.0), "sigmoid": (0.5, 0.25), "relu": (0.0, 1.0), "leaky_relu": (0.0, 1.0)}


class EditError(NnvizError):
    """An edit this network cannot take: ``add_neurons: no hidden layer 7: the hidden layers are 1 to 2``.

    ``problem`` alone lets the command line say which option asked for it.
    """

    def __init__(self, edit: str, problem: str):
        self.edit = edit
        self.problem = problem
        super().__init__(f"{edit}: {problem}")


@dataclass(frozen=True, eq=False)  # field-wise == would compare whole arrays
class EditResult:
    config: TrainConfig  # the new layers (and per-layer activations); everything else as given
    params: np.ndarray  # float32, in Network's flat layout for config.layers
    optimizer_state: Mapping[str, np.ndarray | int]  # the given state, remapped
    message: str  # one line for the user: "added 4 neurons to hidden layer 2 (16 -> 20); outputs unchanged"
    parameter_sources: np.ndarray  # int64 per new parameter: the old flat index it continues, -1 if new
    #: Per layer of the new network: (the old layer it was, None for an inserted one;
    #: per neuron, its old index in that layer, -1 for a new one).
    neuron_sources: tuple[tuple[int | None, np.ndarray], ...]

    def layer_sources(self) -> list[tuple[int | None, np.ndarray]]:
        """neuron_sources as a list: where each neuron came from, to keep a selection or glide neurons over."""
        return list(self.neuron_sources)


class _Draft:
    """The network being edited: per weight layer its values (float64) and, parallel to them, their sources."""

    def __init__(self, config: TrainConfig, params: np.ndarray):
        layout = Network(config.layers)  # for its offsets only
        params = np.asarray(params)
        if params.shape != layout.params.shape:
            raise ValueError(f"{params.size} parameters do not fit layers {format_layers(config.layers)} "
                             f"({layout.params.size})")
        self.old_size = params.size
        indices = np.arange(params.size, dtype=np.int64)
        self.weights, self.weight_sources, self.biases, self.bias_sources = [], [], [], []
        for k, shape in enumerate(zip(config.layers[:-1], config.layers[1:])):
            weights = slice(layout.weight_offsets[k], layout.weight_offsets[k + 1])
            biases = slice(layout.bias_offsets[k], layout.bias_offsets[k + 1])
            self.weights.append(params[weights].astype(np.float64).reshape(shape))
            self.weight_sources.append(indices[weights].reshape(shape))
            self.biases.append(params[biases].astype(np.float64))
            self.bias_sources.append(indices[biases])
        self.neurons: list[tuple[int | None, np.ndarray]] = [
            (k, np.arange(n, dtype=np.int64)) for k, n in enumerate(config.layers)]

    @property
    def layers(self) -> tuple[int, ...]:
        return (self.weights[0].shape[0],) + tuple(b.size for b in self.biases)

    def append_neurons(self, layer: int, incoming: np.ndarray, biases: np.ndarray) -> None:
        """New neurons at the end of ``layer``: these incoming weights and biases, zero outgoing weights."""
        k, count = layer, len(biases)
        self.weights[k - 1] = np.hstack([self.weights[k - 1], incoming])
        self.weight_sources[k - 1] = np.hstack([self.weight_sources[k - 1], _new(incoming.shape)])
        self.biases[k - 1] = np.concatenate([self.biases[k - 1], biases])
        self.bias_sources[k - 1] = np.concatenate([self.bias_sources[k - 1], _new(count)])
        if k < len(self.weights):  # not the output layer
            fan_out = self.weights[k].shape[1]
            self.weights[k] = np.vstack([self.weights[k], np.zeros((count, fan_out))])
            self.weight_sources[k] = np.vstack([self.weight_sources[k], _new((count, fan_out))])
        old_layer, old_index = self.neurons[k]
        self.neurons[k] = (old_layer, np.concatenate([old_index, _new(count)]))

    def delete_neurons(self, layer: int, indices: list[int]) -> None:
        k = layer
        for arrays, axis in ((self.weights, 1), (self.weight_sources, 1), (self.biases, 0), (self.bias_sources, 0)):
            arrays[k - 1] = np.delete(arrays[k - 1], indices, axis=axis)
        self.weights[k] = np.delete(self.weights[k], indices, axis=0)
        self.weight_sources[k] = np.delete(self.weight_sources[k], indices, axis=0)
        old_layer, old_index = self.neurons[k]
        self.neurons[k] = (old_layer, np.delete(old_index, indices))

    def result(self, config: TrainConfig, optimizer_state: Mapping, message: str) -> EditResult:
        """``config`` with this draft's layers; the optimiser state through the sources."""
        config = validate(config.replace(layers=self.layers))
        params = np.concatenate([w.ravel() for w in self.weights] + self.biases).astype(np.float32)
        sources = np.concatenate([s.ravel() for s in self.weight_sources] + self.bias_sources)
        state = {key: _remapped(value, sources, self.old_size) for key, value in optimizer_state.items()}
        return EditResult(config, params, state, message, sources, tuple(self.neurons))


def _new(shape) -> np.ndarray:
    return np.full(shape, -1, dtype=np.int64)


def _remapped(value, sources: np.ndarray, old_size: int):
    """An optimiser array of the old parameters' size through the sources (new entries 0); anything else as is."""
    if not (isinstance(value, np.ndarray) and value.shape == (old_size,)):
        return value
    kept = sources >= 0
    remapped = np.zeros(sources.shape, dtype=value.dtype)
    remapped[kept] = value[sources[kept]]
    return remapped


# ------------------------------------------------------------------ checks
def _integer(edit: str, what: str, value) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise EditError(edit, f"{what} {value!r}: not a whole number") from None


def _hidden_layer(edit: str, config: TrainConfig, layer) -> int:
    layer = _integer(edit, "hidden layer", layer)
    hidden = len(config.layers) - 2
    if not 1 <= layer <= hidden:
        which = f"the hidden layers are 1 to {hidden}" if hidden > 0 else "this network has none"
        raise EditError(edit, f"no hidden layer {layer}: {which}")
    return layer


def _output_range(config: TrainConfig, layer: int) -> tuple[float, float]:
    """The values layer ``layer`` passes on (the input's pixels, or a hidden layer's activation range)."""
    if layer == 0:
        return INPUT_RANGE
    return ACTIVATIONS[config.hidden_activations()[layer - 1]].output_range


def _bounds(weights: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the least and greatest x @ weights for x anywhere in [low, high]^n (possibly infinite)."""
    with np.errstate(invalid="ignore"):  # 0 * inf is masked out below
        least = np.where(weights > 0, weights * low, np.where(weights < 0, weights * high, 0.0))
        most = np.where(weights > 0, weights * high, np.where(weights < 0, weights * low, 0.0))
    return least.sum(axis=0), most.sum(axis=0)


def _drawn(config: TrainConfig, fan_in: int, fan_out: int, shape, rng: np.random.Generator | None) -> np.ndarray:
    """Weights for new neurons of a layer now (fan_in, fan_out), drawn as the config's init draws them."""
    rng = np.random.default_rng() if rng is None else rng
    return rng.standard_normal(shape) * float(INITIALIZERS[config.init].weight_std(fan_in, fan_out))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ------------------------------------------------------------------- edits
def add_neurons(config: TrainConfig, params: np.ndarray, optimizer_state: Mapping, hidden_layer: int, count: int,
                rng: np.random.Generator | None = None) -> EditResult:
    """``count`` new neurons at the end of a hidden layer; the outputs do not change.

    Their incoming weights are drawn as the config's init would draw them for
    the grown layer, their biases are 0 and their outgoing weights 0: they
    answer from the start but count for nothing until training gives them weight.
    """
    edit = "add_neurons"
    k = _hidden_layer(edit, config, hidden_layer)
    count = _integer(edit, "count", count)
    if count < 1:
        raise EditError(edit, f"cannot add {count} neurons: add at least 1")
    draft = _Draft(config, params)
    fan_in, size = draft.weights[k - 1].shape
    draft.append_neurons(k, _drawn(config, fan_in, size + count, (fan_in, count), rng), np.zeros(count))
    message = f"added {_plural(count, 'neuron')} to hidden layer {k} ({size} -> {size + count}); outputs unchanged"
    return draft.result(config, optimizer_state, message)


def remove_neurons(config: TrainConfig, params: np.ndarray, optimizer_state: Mapping, hidden_layer: int,
                   indices) -> EditResult:
    """Drop neurons of a hidden layer: their incoming weights, biases and outgoing weights."""
    edit = "remove_neurons"
    k = _hidden_layer(edit, config, hidden_layer)
    indices = [_integer(edit, "neuron", i) for i in indices]
    size = config.layers[k]
    if not indices:
        raise EditError(edit, "no neurons given")
    for i in indices:
        if not 0 <= i < size:
            raise EditError(edit, f"no neuron {i} in hidden layer {k}: its neurons are 0 to {size - 1}")
    twice = [i for i, times in Counter(indices).items() if times > 1]
    if twice:
        raise EditError(edit, f"neuron {twice[0]} is listed twice")
    if len(indices) == size:
        raise EditError(edit, f"cannot remove all {size} neurons of hidden layer {k}: remove the layer instead")
    draft = _Draft(config, params)
    draft.delete_neurons(k, indices)
    listed = ", ".join(str(i) for i in sorted(indices))
    message = (f"removed {'neuron' if len(indices) == 1 else 'neurons'} {listed} of hidden layer {k} "
               f"({size} -> {size - len(indices)})")
    return draft.result(config, optimizer_state, message)


def insert_layer(config: TrainConfig, params: np.ndarray, optimizer_state: Mapping, position: int, size: int,
                 activation: str | None = None, rng: np.random.Generator | None = None) -> EditResult:
    """A new hidden layer that becomes hidden layer ``position``: 1 is right after the input, the
    number of hidden layers + 1 right before the output.

    It starts as close to passing its inputs through as its activation
    allows, so the network goes on computing what it did (see _pass_through);
    its activation is ``activation``, by default the config's ``activation``
    (the network stays uniform). The message says how close: "outputs
    unchanged" where exact (ReLU or leaky ReLU after the input or a layer
    with bounded outputs, with at least as many neurons as the layer before).
    """
    edit = "insert_layer"
    hidden = len(config.layers) - 2
    p = _integer(edit, "position", position)
    if not 1 <= p <= hidden + 1:
        raise EditError(edit, f"no position {p}: a layer goes at 1 (after the input) to {hidden + 1} "
                              "(before the output)")
    size = _integer(edit, "size", size)
    if size < 1:
        raise EditError(edit, f"a layer needs at least one neuron, not {size}")
    name = config.activation if activation is None else activation
    if name not in ACTIVATIONS:
        raise EditError(edit, f"activation {name!r}: not one of: {', '.join(sorted(ACTIVATIONS))}")

    draft = _Draft(config, params)
    weights, biases = draft.weights[p - 1], draft.biases[p - 1]
    fan_in, fan_out = weights.shape
    bridge = _pass_through(weights, biases, _output_range(config, p - 1), size, ACTIVATIONS[name],
                           f"layer {p - 1}" if p > 1 else "the input")
    carried = bridge.incoming.shape[1]
    incoming = np.zeros((fan_in, size))
    incoming[:, :carried] = bridge.incoming
    # Neurons beyond those that carry the values are added neurons: drawn, zero outgoing weights.
    incoming[:, carried:] = _drawn(config, fan_in, size, (fan_in, size - carried), rng)
    new_biases = np.zeros(size)
    new_biases[:carried] = bridge.biases
    outgoing = np.zeros((size, fan_out))
    outgoing[:carried] = bridge.outgoing
    outgoing_sources = _new((size, fan_out))
    if bridge.continues_weights:
        outgoing_sources[:carried] = draft.weight_sources[p - 1]
    draft.weights[p - 1:p] = [incoming, outgoing]
    draft.weight_sources[p - 1:p] = [_new((fan_in, size)), outgoing_sources]
    draft.biases[p - 1:p] = [new_biases, bridge.next_biases]
    draft.bias_sources[p - 1:p] = [_new(size), draft.bias_sources[p - 1]]
    draft.neurons.insert(p, (None, _new(size)))

    activations = list(config.hidden_activations())
    activations.insert(p - 1, name)
    new_config = config.replace(layers=draft.layers).with_hidden_activations(activations)
    message = (f"inserted hidden layer {p} ({size} {name} neurons): {format_layers(config.layers)} -> "
               f"{format_layers(draft.layers)}; {bridge.outcome}")
    return draft.result(new_config, optimizer_state, message)


@dataclass
class _Bridge:
    """How an inserted layer passes on what the layer before it gave."""

    incoming: np.ndarray  # (fan_in, carried): weights into the neurons that carry the values
    biases: np.ndarray  # (carried,)
    outgoing: np.ndarray  # (carried, fan_out)
    next_biases: np.ndarray  # (fan_out,): the next layer's biases, corrected
    continues_weights: bool  # outgoing rows are the old weights (rescaled at most): they keep their state
    outcome: str  # for the message: "outputs unchanged", or how near


def _pass_through(weights: np.ndarray, biases: np.ndarray, value_range: tuple[float, float], size: int,
                  activation: Activation, source: str) -> _Bridge:
    """Factor the old layer's weights W = A @ B across the new layer, and pass x @ A through its activation.

    With at least as many neurons as values before it, A is the identity and
    B is W itself. With fewer, A @ B comes from W's SVD: W itself when there
    are as many as W's rank can be (its fan-out, say 16 after 784 inputs),
    else its best rank-``size`` approximation.

    Through the activation: ReLU and leaky ReLU are the identity on [0, inf),
    so inputs that can be negative are shifted up by their lower bound and
    the shift taken back out of the next biases: exact. (Inputs unbounded
    below are shifted by UNBOUNDED_SHIFT: exact while that is enough, and the
    message says so.) tanh and sigmoid are near-linear only near 0: inputs
    scaled down into [-NEAR_LINEAR_INPUT, NEAR_LINEAR_INPUT], outgoing
    weights up by as much (over the slope), sigmoid's 0.5 taken out of the
    next biases: close.
    """
    fan_in, fan_out = weights.shape
    if size >= fan_in:
        factor, rest = np.eye(fan_in), weights
    else:
        # W has rank at most fan_out: that many neurons carry all of it (the rest are added neurons).
        rank = min(size, fan_out)
        u, s, vt = np.linalg.svd(weights, full_matrices=False)
        root = np.sqrt(s[:rank])
        factor, rest = u[:, :rank] * root, root[:, None] * vt[:rank]
    full_rank = size >= min(fan_in, fan_out)
    least, most = _bounds(factor, *value_range)
    if activation.name in ("relu", "leaky_relu"):
        bounded = np.isfinite(least)
        shift = np.where(bounded, np.maximum(-np.where(bounded, least, 0.0), 0.0), UNBOUNDED_SHIFT)
        bridge = _Bridge(factor, shift, rest, biases - shift @ rest, size >= fan_in, "outputs unchanged")
        if not bounded.all():  # shifted by UNBOUNDED_SHIFT: exact only while that is enough
            given = (f"{source}'s outputs" if size >= fan_in
                     else f"its inputs (mixtures of {source}'s outputs, which are unbounded)")
            bridge.outcome = f"outputs unchanged while {given} stay above -{UNBOUNDED_SHIFT:g}"
    else:
        value, slope = LINEAR_AT_ZERO[activation.name]
        reach = np.maximum(np.abs(least), np.abs(most))
        # Unbounded inputs (a ReLU layer's) are taken to be of order 1.
        usable = np.isfinite(reach) & (reach > 0)
        scale = NEAR_LINEAR_INPUT / np.where(usable, reach, 1.0)
        outgoing = rest / (slope * scale)[:, None]
        bridge = _Bridge(factor * scale, np.zeros(len(scale)), outgoing, biases - value * outgoing.sum(axis=0),
                         size >= fan_in, f"outputs nearly unchanged: {activation.name} is near-linear for the small "
                                    f"inputs it is given (at most about {NEAR_LINEAR_INPUT:g})")
    if not full_rank:
        bridge.outcome = (f"outputs approximate: {size} neurons carry only the best rank-{size} approximation "
                          f"of the {fan_in}x{fan_out} weights from {source}")
    return bridge


def remove_layer(config: TrainConfig, params: np.ndarray, optimizer_state: Mapping, hidden_layer: int) -> EditResult:
    """Take out a hidden layer and join its neighbours by the product of its two weight matrices.

    A linear approximation: the layer's activation is taken as the line it
    follows near 0 (LINEAR_AT_ZERO), so W = slope W_in @ W_out and the next
    biases become (value + slope b_in) @ W_out + b_out. Those biases keep
    their optimiser state (the same neurons'); the joined weights start afresh.
    """
    edit = "remove_layer"
    k = _hidden_layer(edit, config, hidden_layer)
    activations = list(config.hidden_activations())
    name = activations.pop(k - 1)
    value, slope = LINEAR_AT_ZERO[name]
    draft = _Draft(config, params)
    w_in, w_out = draft.weights[k - 1], draft.weights[k]
    joined = slope * (w_in @ w_out)
    joined_biases = (value + slope * draft.biases[k - 1]) @ w_out + draft.biases[k]
    draft.weights[k - 1:k + 1] = [joined]
    draft.weight_sources[k - 1:k + 1] = [_new(joined.shape)]
    draft.biases[k - 1:k + 1] = [joined_biases]
    draft.bias_sources[k - 1:k + 1] = [draft.bias_sources[k]]
    del draft.neurons[k]
    new_config = config.replace(layers=draft.layers).with_hidden_activations(activations)
    message = (f"removed hidden layer {k} ({config.layers[k]} {name} neurons): {format_layers(config.layers)} -> "
               f"{format_layers(draft.layers)}; its neighbours are joined by the product of its weight matrices "
               f"({name} taken as linear), an approximation: outputs change")
    return draft.result(new_config, optimizer_state, message)


def add_output_class(config: TrainConfig, params: np.ndarray, optimizer_state: Mapping) -> EditResult:
    """One more output neuron (the class after the last), with zero incoming weights: predictions stay.

    Its bias is OUTPUT_MARGIN below the lowest score the best-scoring class
    can have for any input (found from the range of the last hidden layer's
    outputs), so it is never the prediction until trained, and its softmax
    probability stays under 0.7%. Low, not lower: training on examples of the
    class must lift it within a few hundred steps. A last hidden layer with
    unbounded outputs (ReLU, leaky ReLU) bounds no score from below: then the
    bias is UNBOUNDED_OUTPUT_MARGIN below the lowest output bias, and the
    message says so.
    """
    draft = _Draft(config, params)
    last = len(config.layers) - 1
    weights, biases = draft.weights[-1], draft.biases[-1]
    least, _ = _bounds(weights, *_output_range(config, last - 1))
    floor = float(np.max(least + biases))
    if np.isfinite(floor):
        bias, outcome = floor - OUTPUT_MARGIN, "predictions unchanged"
    else:
        bias = float(np.min(biases)) - UNBOUNDED_OUTPUT_MARGIN
        outcome = (f"predictions unchanged wherever some class scores above {bias:.3g} (the last hidden layer's "
                   "outputs are unbounded, so no bound holds for every input)")
    draft.append_neurons(last, np.zeros((weights.shape[0], 1)), np.array([bias]))
    classes = config.layers[-1]
    message = (f"added output class {classes} (zero incoming weights, bias {bias:.3g}): "
               f"{format_layers(config.layers)} -> {format_layers(draft.layers)}; {outcome}")
    return draft.result(config, optimizer_state, message)
