"""FrameSnapshot: everything one frame draws, as plain arrays, from a live trainer or a stored past state.

The app builds one per frame; the renderer uploads it and the HUD reads it.
Nothing in it refers to a trainer, so a snapshot taken earlier (history,
replay) draws exactly like a live one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Sequence

import numpy as np

from nnviz.engine.connectivity import DenseConnectivity



@dataclass(frozen=True, eq=False)  # field-wise == would compare whole arrays
class FrameSnapshot:
    layer_sizes: tuple[int, ...]
    weights: np.ndarray  # (lines,) float32: W0.ravel(), W1.ravel(), ... (the connectivity's line order)
    biases: np.ndarray  # (neurons - input neurons,) float32: b0, b1, ...
    activations: np.ndarray  # (neurons,) float32: layer 0 holds pixel intensities in [0, 1]
    input_image: np.ndarray | None = None  # (H, W) uint8, for the HUD's picture of the input
    true_class: int | None = None
    predicted_class: int | None = None
    samples_seen: int = 0
    # Further values per line and per neuron (weight changes, gradients, error
    # signals), each in the same order as weights / activations.
    edge_channels: Mapping[str, np.ndarray] = field(default_factory=dict)
    neuron_channels: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        connectivity = self.connectivity
        neurons = int(connectivity.layer_offsets[-1])
        _check_length("weights", self.weights, connectivity.num_edges)
        _check_length("biases", self.biases, neurons - self.layer_sizes[0])
        _check_length("activations", self.activations, neurons)
        for name, values in self.edge_channels.items():
            _check_length(f"line channel {name!r}", values, connectivity.num_edges)
        for name, values in self.neuron_channels.items():
            _check_length(f"neuron channel {name!r}", values, neurons)
        for name, label in (("true_class", self.true_class), ("predicted_class", self.predicted_class)):
            if label is not None and not 0 <= label < self.layer_sizes[-1]:
                raise ValueError(f"{name} {label} out of range 0..{self.layer_sizes[-1] - 1}")

    @classmethod
    def from_layers(cls, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
                    activations: Sequence[np.ndarray], **details) -> "FrameSnapshot":
        """From per-layer arrays: W_k (fan_in, fan_out), b_k (fan_out,), one activation array per layer."""
        sizes = tuple(int(np.size(a)) for a in activations)
        if len(weights) != len(sizes) - 1 or len(biases) != len(sizes) - 1:
            raise ValueError(f"expected {len(sizes) - 1} weight matrices and bias arrays for {len(sizes)} layers, "
                             f"got {len(weights)} and {len(biases)}")
        for k, matrix in enumerate(weights):
            if np.shape(matrix) != (sizes[k], sizes[k + 1]):
                raise ValueError(f"weight matrix {k} has shape {np.shape(matrix)}, expected {(sizes[k], sizes[k + 1])}")
        return cls(
            layer_sizes=sizes,
            weights=_flat(weights),
            biases=_flat(biases),
            activations=_flat(activations),
            **details,
        )

    @cached_property
    def connectivity(self) -> DenseConnectivity:
        return DenseConnectivity(tuple(self.layer_sizes))

    def edge_values(self, channel: str) -> np.ndarray:
        """Per-line values of a channel; "weights" is always there."""
        if channel == "weights":
            return self.weights
        try:
            return self.edge_channels[channel]
        except KeyError:
            raise KeyError(f"this frame has no line channel {channel!r}") from None

    def neuron_values(self, channel: str) -> np.ndarray:
        """Per-neuron values of a channel; "activations" is always there."""
        if channel == "activations":
            return self.activations
        try:
            return self.neuron_channels[channel]
        except KeyError:
            raise KeyError(f"this frame has no neuron channel {channel!r}") from None

    def weight_matrix(self, k: int) -> np.ndarray:
        """W_k as a (fan_in, fan_out) view."""
        offsets = self.connectivity.edge_offsets
        return self.weights[offsets[k]:offsets[k + 1]].reshape(self.layer_sizes[k], self.layer_sizes[k + 1])

    def layer_activations(self, k: int) -> np.ndarray:
        offsets = self.connectivity.layer_offsets
        return self.activations[offsets[k]:offsets[k + 1]]

    def layer_biases(self, k: int) -> np.ndarray:
        """Biases of neuron layer k >= 1."""
        offsets = self.connectivity.layer_offsets - self.layer_sizes[0]
        return self.biases[offsets[k]:offsets[k + 1]]


def _flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    if not len(arrays):
        return np.zeros(0, np.float32)
    return np.concatenate([np.asarray(a, dtype=np.float32).ravel() for a in arrays])


def _check_length(what: str, values: np.ndarray, expected: int) -> None:
    if np.ndim(values) != 1 or len(values) != expected:
        raise ValueError(f"{what} has shape {np.shape(values)}, expected ({expected},)")
