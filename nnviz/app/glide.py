"""Neurons gliding from their old places to their new ones after the network changed shape."""

from __future__ import annotations

from typing import Callable

import numpy as np

GLIDE_SECONDS = 0.6


class NeuronGlide:
    """Positions between `start` and `end` (N, 3), eased in and out over GLIDE_SECONDS."""

    def __init__(self, start: np.ndarray, end: np.ndarray, clock: Callable[[], float],
                 seconds: float = GLIDE_SECONDS):
        self.start, self.end = np.asarray(start, np.float32), np.asarray(end, np.float32)
        self._clock, self._began, self._seconds = clock, clock(), seconds

    @property
    def done(self) -> bool:
        return self._clock() - self._began >= self._seconds

    def positions(self) -> np.ndarray:
        t = min(max((self._clock() - self._began) / self._seconds, 0.0), 1.0)
        eased = t * t * (3.0 - 2.0 * t)
        return self.start + (self.end - self.start) * np.float32(eased)


def start_positions(old_positions: list[np.ndarray], new_positions: list[np.ndarray],
                    sources: list[tuple[int | None, np.ndarray]]) -> np.ndarray:
    """Where each neuron of the new layout starts: its old place if it survived, else its new one.

    `sources[k]` is (old layer, old index per neuron or -1) for new layer k;
    old layer None: a new layer, every neuron starts at its new place.
    """
    starts = []
    for k, (old_layer, old_index) in enumerate(sources):
        start = new_positions[k].copy()
        if old_layer is not None:
            kept = old_index >= 0
            start[kept] = old_positions[old_layer][old_index[kept]]
        starts.append(start)
    return np.concatenate(starts)
