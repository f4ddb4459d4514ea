"""Activations and the softmax family.

Elementwise: tanh, sigmoid, relu, leaky_relu, elu, gelu, silu, softplus,
logsigmoid, hardtanh, relu6 (PyTorch's names and defaults; at a kink the
derivative is the one PyTorch uses, written in each docstring).

``softmax``, ``log_softmax`` and ``logsumexp`` are fused ops: each shifts its
input by the maximum first, so logits of +-1000 give finite results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, array_of
from .elementwise import _erf, erf, exp
from .reduce import Axis, keepdims_shape, normalize_axes


class Tanh(Function):
    """y = tanh(x);  dy/dx = 1 - y**2"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
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

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * out * (1 - out),)


class Relu(Function):
    """y = max(x, 0);  dy/dx = [x > 0]  (0 at x = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * (x > 0),)


class LeakyRelu(Function):
    """y = x if x > 0 else a x;  dy/dx = 1 if x > 0 else a  (a at x = 0)"""

    def __init__(self, negative_slope: float) -> None:
        self.slope = negative_slope

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, x * self.slope)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * np.where(x > 0, 1.0, self.slope).astype(grad.dtype),)


class Elu(Function):
    """y = x if x > 0 else alpha (exp(x) - 1);  dy/dx = 1 if x > 0 else alpha exp(x)"""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        positive = x > 0
        return (grad * positive + grad * ~positive * self.alpha * exp(x.clip(None, 0.0)),)


def _gaussian_pdf(x: Tensor) -> Tensor:
    """phi(x) = exp(-x**2 / 2) / sqrt(2 pi)"""
    return exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


class Gelu(Function):
    """y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;  dy/dx = Phi(x) + x phi(x)

    phi is the standard normal density. ``approximate="tanh"`` is PyTorch's
    tanh form, written as a composition of tanh and polynomials (see ``gelu``).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * (0.5 * (1 + np.asarray(_erf(x / math.sqrt(2)), dtype=x.dtype)))

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        cdf = 0.5 * (1 + erf(x * (1 / math.sqrt(2))))
        return (grad * (cdf + x * _gaussian_pdf(x)),)


class Silu(Function):
    """y = x sigmoid(x);  dy/dx = s (1 + x (1 - s)), s = sigmoid(x)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x * Sigmoid().forward(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        s = sigmoid(x)
        return (grad * s * (1 + x * (1 - s)),)


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow for large x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Softplus(Function):
    """y = log(1 + exp(b x)) / b  (y = x where b x > threshold);  dy/dx = sigmoid(b x)"""

    def __init__(self, beta: float, threshold: float) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, x: np.ndarray) -> np.ndarray:
        bx = x * self.beta
        return np.where(bx > self.threshold, x, _softplus(bx) / self.beta)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        linear = (array_of(x) * self.beta) > self.threshold
        return (grad * linear + grad * ~linear * sigmoid(x * self.beta),)


class LogSigmoid(Function):
    """y = log sigmoid(x) = -log(1 + exp(-x));  dy/dx = 1 - sigmoid(x) = sigmoid(-x)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -_softplus(-x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * sigmoid(-x),)


class Hardtanh(Function):
    """y = min(max(x, low), high);  dy/dx = [low < x < high]  (0 at both kinks)"""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.low, self.high)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * ((x > self.low) & (x < self.high)),)


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

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
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

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad - exp(out) * grad.sum(axis=self.axis, keepdims=True),)


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

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        shape = keepdims_shape(x.shape, self.axis, True)
        return (grad.reshape(shape) * exp(x - out.reshape(shape)),)


def tanh(x: Any) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return Tanh.apply(x)


def sigmoid(x: Any) -> Tensor:
    """Elementwise logistic function 1 / (1 + exp(-x))."""
    return Sigmoid.apply(x)


def relu(x: Any) -> Tensor:
    """Elementwise max(x, 0)."""
    return Relu.apply(x)


def _number(op: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{op}: {name} must be finite, got {value}")
    return float(value)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return LeakyRelu.apply(
        x, negative_slope=_number("leaky_relu", "negative_slope", negative_slope)
    )


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) otherwise."""
    return Elu.apply(x, alpha=_number("elu", "alpha", alpha))


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Phi(x) with Phi the standard normal CDF; ``approximate="tanh"`` is PyTorch's tanh form:

    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))), built from tanh, so its
    derivative comes from the rules of the ops it is made of.
    """
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        x = x if isinstance(x, Tensor) else Tensor(x)
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + tanh(inner))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x: Any) -> Tensor:
    """x sigmoid(x) (also called swish)."""
    return Silu.apply(x)


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth relu, log(1 + exp(beta x)) / beta; x itself where beta x > threshold."""
    beta = _number("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must be nonzero")
    return Softplus.apply(x, beta=beta, threshold=_number("softplus", "threshold", threshold))


def logsigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)), computed without overflow for large |x|."""
    return LogSigmoid.apply(x)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clamped into [min_val, max_val]."""
    low, high = _number("hardtanh", "min_val", min_val), _number("hardtanh", "max_val", max_val)
    if low > high:
        raise ValueError(f"hardtanh: min_val ({low}) must not exceed max_val ({high})")
    return Hardtanh.apply(x, low=low, high=high)


def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6): hardtanh between 0 and 6."""
    return hardtanh(x, 0.0, 6.0)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """Probabilities along ``axis``: exp(x) / sum(exp(x)); a 0-d x is one probability, 1."""
    return Softmax.apply(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) computed stably; 0 for a 0-d x."""
    return LogSoftmax.apply(x, axis=axis)


def logsumexp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably."""
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)
