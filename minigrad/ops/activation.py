"""Activations and the softmax family.

``softmax``, ``log_softmax`` and ``logsumexp`` are fused ops: each shifts its
input by the maximum first, so logits of +-1000 give finite results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor
from .reduce import Axis, keepdims_shape, normalize_axes


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y**2"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad * (1 - out * out),)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x));  dy/dx = y (1 - y)

    Computed from e = exp(-|x|) <= 1: y = 1 / (1 + e) for x >= 0 and
    y = e / (1 + e) for x < 0, so nothing overflows and tiny values of y keep
    their relative precision.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad * out * (1 - out),)


class Relu(Function):
    """y = max(x, 0);  dy/dx = [x > 0]  (0 at x = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        return (grad * (x.data > 0),)


def _max(x: np.ndarray, axis: Axis) -> np.ndarray:
    """max over ``axis`` with the reduced axes kept; -inf over a size-0 axis."""
    return x.max(axis=axis, keepdims=True, initial=-np.inf)


def _shifted_exp(x: np.ndarray, axis: Axis) -> np.ndarray:
    """exp(x - max(x)): the largest term is 1, nothing overflows."""
    return np.exp(x - _max(x, axis))


class Softmax(Function):
    """y_i = exp(x_i) / sum_j exp(x_j);  dx = y * (g - sum(g * y))"""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        axes = normalize_axes(x.ndim, self.axis)
        e = _shifted_exp(x, axes)
        return e / e.sum(axis=axes, keepdims=True)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (out * (grad - (grad * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """y_i = x_i - logsumexp(x);  dx = g - softmax(x) * sum(g)"""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        axes = normalize_axes(x.ndim, self.axis)
        shifted = x - _max(x, axes)
        with np.errstate(divide="ignore"):  # over a size-0 axis: log(0), broadcast to nothing
            return shifted - np.log(np.exp(shifted).sum(axis=axes, keepdims=True))

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        return (grad - out.exp() * grad.sum(axis=self.axis, keepdims=True),)


class LogSumExp(Function):
    """y = log(sum_i exp(x_i));  dy/dx_i = exp(x_i - y) = softmax(x)_i"""

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        axes = normalize_axes(x.ndim, self.axis)
        top = _max(x, axes)
        top = np.where(np.isfinite(top), top, 0)
        with np.errstate(divide="ignore"):  # an empty sum is 0, and log(0) = -inf
            total = np.log(np.exp(x - top).sum(axis=axes, keepdims=True)) + top
        return total if self.keepdims else total.reshape(keepdims_shape(x.shape, self.axis, False))

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        shape = keepdims_shape(x.shape, self.axis, True)
        return (grad.reshape(shape) * (x - out.reshape(shape)).exp(),)


def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return Tanh.apply(x)


def sigmoid(x: Any) -> Tensor:
    """Elementwise logistic function 1 / (1 + exp(-x))."""
    return Sigmoid.apply(x)


def relu(x: Any) -> Tensor:
    """Elementwise max(x, 0)."""
    return Relu.apply(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: exp(x) / sum(exp(x)); a 0-d x is one probability, 1."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) computed stably; 0 for a 0-d x."""
    return LogSoftmax.apply(x, axis=axis)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably."""
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)
