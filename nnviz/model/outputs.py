"""Output layers, each paired with the cost it is trained with."""

from __future__ import annotations

import numpy as np

from nnviz.model.activations import Sigmoid


def _prediction_error(a: np.ndarray, labels: np.ndarray, out: np.ndarray) -> np.ndarray:
    """a - onehot(labels), written into ``out``."""
    np.copyto(out, a)
    out[np.arange(len(labels)), labels] -= 1.0
    return out


class OutputLayer:
    name: str
    output_range = (0.0, 1.0)

    def apply_(self, z: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def cost(self, a: np.ndarray, labels: np.ndarray) -> float:
        """Mean cost over the batch."""
        raise NotImplementedError

    def delta_(self, a: np.ndarray, labels: np.ndarray, out: np.ndarray) -> np.ndarray:
        """d(mean cost)/dz for the output pre-activations, written into ``out``."""
        raise NotImplementedError


class SoftmaxCrossEntropy(OutputLayer):
    name = "softmax"

    # ufunc.reduce instead of ndarray.max/sum/mean: same result, a fraction of
    # the per-call overhead, which dominates at the small batches we train on.
    def apply_(self, z):
        z -= np.maximum.reduce(z, axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= np.add.reduce(z, axis=1, keepdims=True)
        return z

    def cost(self, a, labels):
        picked = a[np.arange(len(labels)), labels]
        np.maximum(picked, 1e-30, out=picked)
        return -float(np.add.reduce(np.log(picked, out=picked))) / len(labels)

    def delta_(self, a, labels, out):
        _prediction_error(a, labels, out)
        out *= np.float32(1.0 / len(labels))
        return out


class SigmoidQuadratic(OutputLayer):
    """Nielsen's textbook output: sigmoid units and C = 1/2n * sum ||y - a||^2."""

    name = "sigmoid"
    _sigmoid = Sigmoid()

    def apply_(self, z):
        return self._sigmoid.apply_(z)

    def cost(self, a, labels):
        error = _prediction_error(a, labels, np.empty_like(a))
        return float(0.5 * np.einsum("ij,ij->", error, error) / len(labels))

    def delta_(self, a, labels, out):
        _prediction_error(a, labels, out)
        out *= np.float32(1.0 / len(labels))
        return self._sigmoid.scale_by_derivative_(out, a)


OUTPUTS: dict[str, OutputLayer] = {cls.name: cls() for cls in (SoftmaxCrossEntropy, SigmoidQuadratic)}
