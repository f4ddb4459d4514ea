"""Elementwise ops: arithmetic, exp/log/sqrt/abs, sin/cos/erf, maximum/minimum, where, clip.

Inputs broadcast like numpy; the engine sums gradients back to each input's
shape, so every backward here is the plain elementwise derivative.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..function import Function
from ..tensor import Tensor, array_of


class Add(Function):
    """y = a + b;  dy/da = 1, dy/db = 1"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        return grad, grad


class Sub(Function):
    """y = a - b;  dy/da = 1, dy/db = -1"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        return grad, -grad


class Mul(Function):
    """y = a * b;  dy/da = b, dy/db = a"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    def backward(
        self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        needs_a, needs_b = self.needs_input_grad
        return grad * b if needs_a else None, grad * a if needs_b else None


class Div(Function):
    """y = a / b;  dy/da = 1/b, dy/db = -a/b**2 = -y/b"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        grad_a = grad / b
        return grad_a, -grad_a * out


class Neg(Function):
    """y = -x;  dy/dx = -1"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (-grad,)


class Pow(Function):
    """y = a ** b;  dy/da = b * a**(b-1), dy/db = y * log(a)

    Where b = 0, dy/da = 0: it is formed as b * a**1 at a = 0, and for a
    constant exponent everywhere, since b * a**(b-1) is 0 * inf at a = 0 and
    its own derivative 0 * inf at a tiny a (a tensor exponent keeps a**(b-1)
    elsewhere: d/db of dy/da is 1/a at b = 0). At a = 0, dy/db = 0 for b >= 0
    (0 * log 0) and -inf for b < 0 (inf * log 0), as in PyTorch. The
    derivatives are computed in the dtype of y, so a float32 base with a
    float64 exponent gets float64 gradients.
    """

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.power(a, b)

    def backward(
        self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        needs_a, needs_b = self.needs_input_grad
        a, b = (x if x.dtype == out.dtype else x.astype(out.dtype) for x in (a, b))
        grad_a = grad_b = None
        if needs_a:
            flat = (b == 0) & ((a == 0) | (not needs_b))
            exponent = where(flat, 1.0, b - 1) if flat.any() else b - 1
            grad_a = grad * b * a**exponent
        if needs_b:  # y = 0 at a = 0, b > 0: take log(1) there, not 0 * log(0) = NaN
            grad_b = grad * out * log(where((a == 0) & (b >= 0), 1.0, a))
        return grad_a, grad_b


class Exp(Function):
    """y = exp(x);  dy/dx = y"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * out,)


class Log(Function):
    """y = log(x);  dy/dx = 1/x  (log of a negative is NaN)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad / x,)


class Sqrt(Function):
    """y = sqrt(x);  dy/dx = 1 / (2 y)  (inf at x = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad / (2 * out),)


class Abs(Function):
    """y = |x|;  dy/dx = sign(x)  (0 at x = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * np.sign(array_of(x)),)


class Log2(Function):
    """y = log2(x);  dy/dx = 1 / (x ln 2)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log2(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad / (x * math.log(2.0)),)


class Exp2(Function):
    """y = 2 ** x;  dy/dx = y ln 2"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp2(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * out * math.log(2.0),)


class Rsqrt(Function):
    """y = 1 / sqrt(x);  dy/dx = -y / (2 x)  (inf at x = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return 1 / np.sqrt(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * -0.5 * out / x,)


class Sin(Function):
    """y = sin(x);  dy/dx = cos(x)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * cos(x),)


class Cos(Function):
    """y = cos(x);  dy/dx = -sin(x)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (-grad * sin(x),)


_erf = np.frompyfunc(math.erf, 1, 1)  # numpy has no erf; Python's is exact to the last bit


class Erf(Function):
    """y = erf(x) = (2/sqrt(pi)) integral_0^x exp(-t**2) dt;  dy/dx = (2/sqrt(pi)) exp(-x**2)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(_erf(x), dtype=x.dtype)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * (2 / math.sqrt(math.pi)) * exp(-x * x),)


def _tie_weights(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 where a wins, 0 where b wins, 1/2 at ties (the gradient splits evenly)."""
    return (a > b) + 0.5 * (a == b)


class Maximum(Function):
    """y = max(a, b);  dy/da = [a > b], dy/db = [b > a]  (ties split 1/2, 1/2)"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        weight_a = _tie_weights(array_of(a), array_of(b)).astype(grad.dtype)
        return grad * weight_a, grad * (1 - weight_a)


class Minimum(Function):
    """y = min(a, b);  dy/da = [a < b], dy/db = [b < a]  (ties split 1/2, 1/2)"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        weight_a = _tie_weights(array_of(b), array_of(a)).astype(grad.dtype)
        return grad * weight_a, grad * (1 - weight_a)


class Where(Function):
    """y = a where cond else b;  dy/da = [cond], dy/db = [not cond]"""

    def __init__(self, cond: np.ndarray) -> None:
        self.cond = cond

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(self.cond, a, b)

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        return grad * self.cond, grad * ~self.cond


class Clip(Function):
    """y = min(max(x, low), high);  dy/dx = [low <= x <= high]"""

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low, self.high = low, high

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.low, self.high)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        inside = np.ones(x.shape, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return (grad * inside,)


def add(a: Any, b: Any) -> Tensor:
    """Elementwise a + b with broadcasting."""
    return Add.apply(a, b)


def sub(a: Any, b: Any) -> Tensor:
    """Elementwise a - b with broadcasting."""
    return Sub.apply(a, b)


def mul(a: Any, b: Any) -> Tensor:
    """Elementwise a * b with broadcasting."""
    return Mul.apply(a, b)


def div(a: Any, b: Any) -> Tensor:
    """Elementwise a / b with broadcasting."""
    return Div.apply(a, b)


def neg(x: Any) -> Tensor:
    """Elementwise -x."""
    return Neg.apply(x)


def pow(a: Any, b: Any) -> Tensor:
    """Elementwise a ** b; either may be a tensor or a number."""
    return Pow.apply(a, b)


def exp(x: Any) -> Tensor:
    """Elementwise e ** x."""
    return Exp.apply(x)


def log(x: Any) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(x)


def sqrt(x: Any) -> Tensor:
    """Elementwise square root."""
    return Sqrt.apply(x)


def abs(x: Any) -> Tensor:
    """Elementwise absolute value."""
    return Abs.apply(x)


def log2(x: Any) -> Tensor:
    """Elementwise base-2 logarithm."""
    return Log2.apply(x)


def exp2(x: Any) -> Tensor:
    """Elementwise 2 ** x."""
    return Exp2.apply(x)


def rsqrt(x: Any) -> Tensor:
    """Elementwise 1 / sqrt(x)."""
    return Rsqrt.apply(x)


def sin(x: Any) -> Tensor:
    """Elementwise sine (radians)."""
    return Sin.apply(x)


def cos(x: Any) -> Tensor:
    """Elementwise cosine (radians)."""
    return Cos.apply(x)


def erf(x: Any) -> Tensor:
    """Elementwise error function (the Gaussian's cumulative: Phi(x) = (1 + erf(x/sqrt 2)) / 2)."""
    return Erf.apply(x)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise larger of a and b."""
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of a and b."""
    return Minimum.apply(a, b)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick a where ``cond`` is true, else b (``cond``: boolean array, no gradient)."""
    cond = np.asarray(array_of(cond))
    if cond.dtype != np.bool_:
        raise TypeError(f"where: cond must be a boolean array, got dtype {cond.dtype}")
    return Where.apply(a, b, cond=cond)


def clip(x: Any, low: float | None, high: float | None) -> Tensor:
    """Clamp x into [low, high] (None = no bound on that side)."""
    for side, bound in (("low", low), ("high", high)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int | float | np.number)
        ):
            raise TypeError(f"clip: {side} must be a number or None, got {bound!r}")
        if bound is not None and np.isnan(bound):
            raise ValueError(f"clip: {side} is NaN; a bound must be a number or None")
    if low is not None and high is not None and low > high:
        raise ValueError(f"clip: low ({low}) must not exceed high ({high})")
    return Clip.apply(x, low=low, high=high)
