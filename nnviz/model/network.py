"""A multilayer perceptron whose parameters live in one flat float32 array.

All weights come first (W0, W1, ...), then all biases (b0, b1, ...); the
per-layer arrays are views into it. One flat array lets an optimiser update
every parameter in a handful of vectorized calls, and lets the renderer
upload every weight in one write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnviz.model.activations import Activation, get_activation
from nnviz.model.outputs import OUTPUTS, OutputLayer

DTYPE = np.float32
#: uint8 pixel value -> network input: 255 is 1.0.
PIXEL_SCALE = 1.0 / 255.0


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


@dataclass
class _BatchBuffers:
    """Scratch arrays for one batch size, reused across steps to avoid allocation."""

    activations: list[np.ndarray]
    deltas: list[np.ndarray]


def pixel_input(pixels: np.ndarray, dtype=DTYPE) -> np.ndarray:
    """uint8 pixels as the network takes them: scaled to [0, 1] (a cast, then one multiply in ``dtype``).
    The one definition of that scaling: training, evaluation, the window and predict all use it."""
    dtype = np.dtype(dtype)
    return pixels.astype(dtype) * dtype.type(PIXEL_SCALE)


class Network:
    """Layers are counted as in ``layer_sizes``: 0 is the input, hidden layers are 1 .. len - 2, the last the output.

    ``activation`` is the network-wide choice (TrainConfig.activation); each
    hidden layer has its own in ``activations`` (hidden layer k's is
    ``activations[k - 1]``), all ``activation`` unless ``layer_activations``
    names one per hidden layer.
    """

    def __init__(self, layer_sizes, activation: str = "sigmoid", output: str = "softmax", dtype=DTYPE,
                 layer_activations=None):
        # dtype is float32 for training; float64 serves the finite-difference gradient check.
        self.dtype = np.dtype(dtype)
        self.layer_sizes = [int(n) for n in layer_sizes]
        self.set_activations(activation, layer_activations)
        self.output: OutputLayer = OUTPUTS[output]
        fan_pairs = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.weight_offsets = _offsets([i * o for i, o in fan_pairs])
        self.bias_offsets = _offsets([o for _, o in fan_pairs]) + self.weight_offsets[-1]
        self.params = np.zeros(int(self.bias_offsets[-1]), dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self.weights = self._views(self.params, fan_pairs)
        self.biases = self._bias_views(self.params)
        self.weight_grads = self._views(self.grads, fan_pairs)
        self.bias_grads = self._bias_views(self.grads)
        self._buffers: dict[int, _BatchBuffers] = {}

    def _views(self, flat, fan_pairs):
        return [
            flat[self.weight_offsets[k] : self.weight_offsets[k + 1]].reshape(fan_in, fan_out)
            for k, (fan_in, fan_out) in enumerate(fan_pairs)
        ]

    def _bias_views(self, flat):
        return [flat[self.bias_offsets[k] : self.bias_offsets[k + 1]] for k in range(self.num_weight_layers)]

    @property
    def num_weight_layers(self) -> int:
        return len(self.layer_sizes) - 1

    @property
    def num_weights(self) -> int:
        return int(self.weight_offsets[-1])

    @property
    def flat_weights(self) -> np.ndarray:
        """Every weight, W0.ravel() then W1.ravel() ..., as one view."""
        return self.params[: self.num_weights]

    @property
    def num_hidden_layers(self) -> int:
        return max(len(self.layer_sizes) - 2, 0)

    def set_activations(self, activation: str, layer_activations=None) -> None:
        """``activation`` everywhere, unless ``layer_activations`` (empty or None: none) names one per hidden layer."""
        names = tuple(layer_activations or ()) or (activation,) * self.num_hidden_layers
        if len(names) != self.num_hidden_layers:
            raise ValueError(f"{len(names)} activations for {self.num_hidden_layers} hidden layers")
        self.activation: Activation = get_activation(activation)
        self.activations: list[Activation] = [get_activation(name) for name in names]

    def set_activation(self, name: str) -> None:
        """Every hidden layer's."""
        self.set_activations(name)

    def set_layer_activation(self, hidden_layer: int, name: str) -> None:
        """Hidden layer ``hidden_layer``'s (counted from 1); IndexError if there is no such layer."""
        if not 1 <= hidden_layer <= self.num_hidden_layers:
            raise IndexError(f"no hidden layer {hidden_layer} in a network with {self.num_hidden_layers}")
        self.activations[hidden_layer - 1] = get_activation(name)

    @property
    def layer_activations(self) -> tuple[str, ...]:
        """As TrainConfig.layer_activations: () when every hidden layer uses ``activation``."""
        names = tuple(activation.name for activation in self.activations)
        return () if all(name == self.activation.name for name in names) else names

    @property
    def hidden_output_range(self) -> tuple[float, float]:
        """The range every hidden layer's outputs lie in: what one colour scale for all of them must cover."""
        ranges = [activation.output_range for activation in self.activations] or [self.activation.output_range]
        return min(low for low, _ in ranges), max(high for _, high in ranges)

    # ----------------------------------------------------------------- forward
    def _buffers_for(self, batch: int) -> _BatchBuffers:
        buffers = self._buffers.get(batch)
        if buffers is None:
            buffers = _BatchBuffers(
                activations=[np.empty((batch, n), self.dtype) for n in self.layer_sizes],
                deltas=[np.empty((batch, n), self.dtype) for n in self.layer_sizes[1:]],
            )
            self._buffers = {batch: buffers}  # keep one size: batch size changes are rare
        return buffers

    def _forward_into(self, activations: list[np.ndarray]) -> None:
        last = self.num_weight_layers - 1
        for k in range(self.num_weight_layers):
            z = activations[k + 1]
            np.matmul(activations[k], self.weights[k], out=z)
            z += self.biases[k]
            (self.output if k == last else self.activations[k]).apply_(z)

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations for a batch (B, n0) or one sample (n0,).

        Returns new arrays (safe to keep); element 0 is the input itself.
        """
        x = np.asarray(x, dtype=self.dtype)
        single = x.ndim == 1
        batch = x[None, :] if single else x
        activations = [batch] + [np.empty((len(batch), n), self.dtype) for n in self.layer_sizes[1:]]
        with np.errstate(over="ignore", invalid="ignore"):
            self._forward_into(activations)
        return [a[0] for a in activations] if single else activations

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)[-1].argmax(axis=-1)

    # ---------------------------------------------------------------- backward
    def input_buffer(self, batch: int) -> np.ndarray:
        """The array a caller fills with a batch before :meth:`compute_gradients`."""
        return self._buffers_for(batch).activations[0]

    def load_pixel_batch(self, pixels: np.ndarray, indices: np.ndarray) -> None:
        """Fill the input buffer with rows ``indices`` of uint8 ``pixels``, scaled to [0, 1]."""
        inputs = self._buffers_for(len(indices)).activations[0]
        # take() into a fresh array beats take(out=...) and fancy indexing, and a
        # plain cast then a float32 multiply beats one mixed-type multiply 2.5x.
        np.copyto(inputs, pixels.take(indices, axis=0))
        inputs *= self.dtype.type(PIXEL_SCALE)  # as pixel_input, in place

    def compute_gradients(self, labels: np.ndarray, weight_decay: float = 0.0) -> tuple[float, int]:
        """Forward and backward pass on the batch in :meth:`input_buffer`.

        Fills ``self.grads`` with d(mean cost)/d(params) (+ L2 weight decay on
        weights) and returns (mean cost, number of correct predictions).
        """
        buffers = self._buffers_for(len(labels))
        acts, deltas = buffers.activations, buffers.deltas
        # The trainer enters np.errstate once per bite, not here per batch: it is slow.
        self._forward_into(acts)
        probabilities = acts[-1]
        cost = self.output.cost(probabilities, labels)
        correct = int(np.count_nonzero(probabilities.argmax(axis=1) == labels))
        delta = self.output.delta_(probabilities, labels, out=deltas[-1])
        for k in range(self.num_weight_layers - 1, -1, -1):
            np.matmul(acts[k].T, delta, out=self.weight_grads[k])
            np.add.reduce(delta, axis=0, out=self.bias_grads[k])
            if k > 0:
                previous = deltas[k - 1]
                np.matmul(delta, self.weights[k].T, out=previous)
                delta = self.activations[k - 1].scale_by_derivative_(previous, acts[k])
        if weight_decay:
            self.grads[: self.num_weights] += np.float32(weight_decay) * self.flat_weights
        return cost, correct

    def backprop_one(self, x: np.ndarray, label: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The gradient of one sample's cost (no weight decay), for display: (deltas, weight_gradients).

        deltas[k] is dCost/dz of neuron layer k+1, shaped like it (it is also
        the bias gradient); weight_gradients[k] = outer(a_k, deltas[k]),
        shaped like W_k. New arrays: the training buffers and grads are not touched.
        """
        activations = [a[None, :] for a in self.forward(x)]  # a batch of one, as the output layer works on
        last = self.num_weight_layers - 1
        deltas, weight_gradients = [None] * (last + 1), [None] * (last + 1)
        with np.errstate(over="ignore", invalid="ignore"):
            delta = self.output.delta_(activations[-1], np.array([label]), out=np.empty_like(activations[-1]))
            for k in range(last, -1, -1):
                deltas[k] = delta[0]
                weight_gradients[k] = np.outer(activations[k][0], delta[0])
                if k > 0:
                    delta = self.activations[k - 1].scale_by_derivative_(delta @ self.weights[k].T, activations[k])
        return deltas, weight_gradients

    def cost(self, x: np.ndarray, labels: np.ndarray) -> float:
        return self.output.cost(self.forward(x)[-1], labels)


@dataclass
class Initializer:
    """How a layer's weights and biases are drawn."""

    name: str
    weight_std: callable = field(repr=False)
    random_biases: bool


INITIALIZERS = {
    # Nielsen's textbook: everything standard normal.
    "normal": Initializer("normal", lambda fan_in, fan_out: 1.0, random_biases=True),
    "xavier": Initializer("xavier", lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)), random_biases=False),
    "he": Initializer("he", lambda fan_in, fan_out: np.sqrt(2.0 / fan_in), random_biases=False),
}


def initialize(network: Network, scheme: str, rng: np.random.Generator) -> None:
    init = INITIALIZERS[scheme]
    for W, b in zip(network.weights, network.biases):
        fan_in, fan_out = W.shape
        W[...] = rng.standard_normal(W.shape, dtype=DTYPE) * DTYPE(init.weight_std(fan_in, fan_out))
        b[...] = rng.standard_normal(b.shape, dtype=DTYPE) if init.random_biases else 0.0
