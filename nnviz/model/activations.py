"""Element-wise activation functions, written in place into preallocated buffers.

Every derivative is expressed through the activation's *output*, so the
backward pass needs only the activations the forward pass already keeps
(which are also what the visualizer draws).
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = np.float32(0.01)


class Activation:
    name: str
    #: The range the output can take; the renderer maps colours onto it.
    output_range: tuple[float, float]

    def apply_(self, z: np.ndarray) -> np.ndarray:
        """Overwrite ``z`` with f(z) and return it."""
        raise NotImplementedError

    def scale_by_derivative_(self, delta: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Overwrite ``delta`` with delta * f'(z), given a = f(z); return it."""
        raise NotImplementedError


class Sigmoid(Activation):
    name = "sigmoid"
    output_range = (0.0, 1.0)

    def apply_(self, z):
        # 0.5*tanh(z/2)+0.5 is the logistic function without exp overflow.
        z *= 0.5
        np.tanh(z, out=z)
        z *= 0.5
        z += 0.5
        return z

    def scale_by_derivative_(self, delta, a):
        delta *= a
        delta *= 1.0 - a
        return delta


class Tanh(Activation):
    name = "tanh"
    output_range = (-1.0, 1.0)

    def apply_(self, z):
        return np.tanh(z, out=z)

    def scale_by_derivative_(self, delta, a):
        # delta * (1 - a^2) = delta - (delta * a) * a, with one temporary.
        product = delta * a
        product *= a
        delta -= product
        return delta


class ReLU(Activation):
    name = "relu"
    output_range = (0.0, float("inf"))

    def apply_(self, z):
        return np.maximum(z, 0.0, out=z)

    def scale_by_derivative_(self, delta, a):
        delta *= a > 0
        return delta


class LeakyReLU(Activation):
    name = "leaky_relu"
    output_range = (float("-inf"), float("inf"))

    def apply_(self, z):
        return np.maximum(z, z * LEAKY_SLOPE, out=z)

    def scale_by_derivative_(self, delta, a):
        delta *= np.where(a > 0, np.float32(1.0), LEAKY_SLOPE)
        return delta


ACTIVATIONS: dict[str, Activation] = {cls.name: cls() for cls in (Sigmoid, Tanh, ReLU, LeakyReLU)}


def get_activation(name: str) -> Activation:
    return ACTIVATIONS[name]
