"""Optimisers that update a flat parameter array in a few vectorized calls."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

#: What an optimiser has accumulated: arrays the size of the parameters, and counters.
OptimizerState = Mapping[str, "np.ndarray | int"]


class Optimizer:
    name: str
    #: What starting this optimiser afresh means, for messages when training switches to it mid-run.
    fresh_start: str

    def __init__(self, size: int):
        self._scratch = np.zeros(size, dtype=np.float32)

    def step(self, params: np.ndarray, grads: np.ndarray, learning_rate: float) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget accumulated state (after re-initialising the parameters)."""

    def state(self) -> dict[str, np.ndarray | int]:
        """Copies of what step() has accumulated: load_state() of it continues training exactly."""
        return {}

    def load_state(self, state: OptimizerState) -> None:
        """Take over a state() of an optimiser of the same kind and size; ValueError if it is not one."""
        self._check_state(state)

    def _check_state(self, state: OptimizerState) -> None:
        expected = self.state()
        if set(state) != set(expected):
            raise ValueError(f"{self.name} state needs {sorted(expected)}, got {sorted(state)}")
        for key, mine in expected.items():
            if isinstance(mine, np.ndarray) and np.shape(state[key]) != mine.shape:
                raise ValueError(f"{self.name} state '{key}' has shape {np.shape(state[key])}, expected {mine.shape}")


class SGD(Optimizer):
    name = "sgd"
    fresh_start = "plain gradient steps, nothing carried over"

    def step(self, params, grads, learning_rate):
        np.multiply(grads, learning_rate, out=self._scratch)
        params -= self._scratch


class Momentum(Optimizer):
    name = "momentum"
    fresh_start = "its velocity starts from zero"

    def __init__(self, size: int, momentum: float = 0.9):
        super().__init__(size)
        self.momentum = float(momentum)
        self.velocity = np.zeros(size, dtype=np.float32)

    def step(self, params, grads, learning_rate):
        self.velocity *= self.momentum
        np.multiply(grads, learning_rate, out=self._scratch)
        self.velocity -= self._scratch
        params += self.velocity

    def reset(self):
        self.velocity.fill(0.0)

    def state(self):
        return {"velocity": self.velocity.copy()}

    def load_state(self, state):
        self._check_state(state)
        np.copyto(self.velocity, state["velocity"])


class Adam(Optimizer):
    name = "adam"
    fresh_start = "Adam's moment estimates start from zero"

    def __init__(self, size: int, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(size)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros(size, dtype=np.float32)
        self.v = np.zeros(size, dtype=np.float32)
        self.t = 0

    def step(self, params, grads, learning_rate):
        # Python floats, not np.float32(...): NumPy keeps float32 arrays float32
        # with them (NEP 50) and skips building a scalar object per call.
        self.t += 1
        b1, b2, scratch = self.beta1, self.beta2, self._scratch
        # m <- b1 m + (1 - b1) g, written as b1 (m - g) + g: no scratch needed.
        self.m -= grads
        self.m *= b1
        self.m += grads
        np.multiply(grads, grads, out=scratch)
        self.v -= scratch
        self.v *= b2
        self.v += scratch
        # Bias correction folded into the step size and epsilon (Kingma & Ba, sec. 2).
        correction1 = 1.0 - b1**self.t
        correction2 = math.sqrt(1.0 - b2**self.t)
        np.sqrt(self.v, out=scratch)
        scratch += self.eps * correction2
        np.divide(self.m, scratch, out=scratch)
        scratch *= learning_rate * correction2 / correction1
        params -= scratch

    def reset(self):
        self.m.fill(0.0)
        self.v.fill(0.0)
        self.t = 0

    def state(self):
        return {"m": self.m.copy(), "v": self.v.copy(), "t": self.t}

    def load_state(self, state):
        self._check_state(state)
        np.copyto(self.m, state["m"])
        np.copyto(self.v, state["v"])
        self.t = int(state["t"])


OPTIMIZERS = {cls.name: cls for cls in (SGD, Momentum, Adam)}


def make_optimizer(name: str, size: int, momentum: float = 0.9) -> Optimizer:
    if name == "momentum":
        return Momentum(size, momentum)
    return OPTIMIZERS[name](size)
