"""Which neuron each line joins: the renderer reads endpoints from here, not from a rule in the shader.

Dense layers are all there is today; sparse or convolutional layers add a
class with the same three arrays (each line's source, target and weight
matrix), and the shaders need no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True, eq=False)
class DenseConnectivity:
    """Every neuron of layer k feeds every neuron of layer k + 1.

    Lines are numbered like the concatenated ``W_k.ravel()`` (row-major,
    W_k of shape (fan_in, fan_out)), which is how weights are stored.
    """

    layer_sizes: tuple[int, ...]

    @cached_property
    def layer_offsets(self) -> np.ndarray:
        """(L + 1,) int64: neurons of layer k are [offsets[k], offsets[k+1])."""
        return np.concatenate([[0], np.cumsum(self.layer_sizes)]).astype(np.int64)

    @cached_property
    def edge_offsets(self) -> np.ndarray:
        """(L,) int64: lines of weight matrix k are [edge_offsets[k], edge_offsets[k+1])."""
        counts = [a * b for a, b in zip(self.layer_sizes[:-1], self.layer_sizes[1:])]
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)

    @property
    def num_edges(self) -> int:
        return int(self.edge_offsets[-1])

    @property
    def num_matrices(self) -> int:
        return len(self.layer_sizes) - 1

    def endpoints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, target, matrix) of every line, as global neuron indices and matrix numbers."""
        sources, targets, matrices = [], [], []
        offsets = self.layer_offsets
        for k, (fan_in, fan_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:])):
            local = np.arange(fan_in * fan_out, dtype=np.int64)
            sources.append(offsets[k] + local // fan_out)
            targets.append(offsets[k + 1] + local % fan_out)
            matrices.append(np.full(local.size, k, dtype=np.int64))
        if not sources:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        return np.concatenate(sources), np.concatenate(targets), np.concatenate(matrices)

    def layer_of(self, neuron: int) -> int:
        """The layer a global neuron index belongs to."""
        neuron = int(neuron)
        if not 0 <= neuron < int(self.layer_offsets[-1]):
            raise IndexError(f"neuron {neuron} out of range 0..{int(self.layer_offsets[-1]) - 1}")
        return int(np.searchsorted(self.layer_offsets, neuron, side="right")) - 1

    def fan_in(self, neuron: int) -> int:
        """Lines ending at a neuron."""
        layer = self.layer_of(neuron)
        return self.layer_sizes[layer - 1] if layer > 0 else 0

    def fan_out(self, neuron: int) -> int:
        """Lines starting at a neuron."""
        layer = self.layer_of(neuron)
        return self.layer_sizes[layer + 1] if layer + 1 < len(self.layer_sizes) else 0

    def incoming(self, neuron: int) -> np.ndarray:
        """Line indices ending at a neuron, ordered by source."""
        layer = self.layer_of(neuron)
        if layer == 0:
            return np.zeros(0, np.int64)
        index = neuron - int(self.layer_offsets[layer])
        fan_in, fan_out = self.layer_sizes[layer - 1], self.layer_sizes[layer]
        return int(self.edge_offsets[layer - 1]) + np.arange(fan_in) * fan_out + index

    def outgoing(self, neuron: int) -> np.ndarray:
        """Line indices starting at a neuron, ordered by target."""
        layer = self.layer_of(neuron)
        if layer + 1 >= len(self.layer_sizes):
            return np.zeros(0, np.int64)
        index = neuron - int(self.layer_offsets[layer])
        fan_out = self.layer_sizes[layer + 1]
        return int(self.edge_offsets[layer]) + index * fan_out + np.arange(fan_out)

    def edge_index(self, layer: int, source: int, target: int) -> int:
        """Line index of W_layer[source, target] (indices within their layers)."""
        return int(self.edge_offsets[layer]) + source * self.layer_sizes[layer + 1] + target
