"""Reductions: sum, mean, max, min, prod, var, std over an axis (None, int, negative,
tuple); cumsum; and the non-differentiable argmax, argmin, any, all.

Arguments keep numpy's names, ``axis`` and ``keepdims``, where PyTorch says
``dim`` and ``keepdim``; passed by position they are the same.

The gradient of a reduction spreads the output gradient back over the reduced
axes: ``keepdims_shape`` puts the reduced axes back as size 1, then the
gradient broadcasts to the input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AxisError, ShapeError
from ..function import Function
from ..tensor import Tensor, array_of, to_array
from .elementwise import where
from .shape import broadcast_to

Axis = int | tuple[int, ...] | None


def normalize_axes(ndim: int, axis: Axis) -> tuple[int, ...]:
    """Axes as non-negative ints: None -> all, -1 -> ndim - 1.

    A 0-d tensor takes axis 0 or -1 (and reduces nothing), as in numpy and PyTorch.
    """
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    span = ndim or 1
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int | np.integer):
            raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
        if not -span <= a < span:
            raise AxisError(
                f"axis {a} is out of range for a tensor with {ndim} dimensions "
                f"(expected an axis in [{-span}, {span - 1}])"
            )
    return tuple(sorted(int(a) % span for a in axes)) if ndim else ()


def keepdims_shape(shape: tuple[int, ...], axis: Axis, keepdims: bool) -> tuple[int, ...]:
    """Shape after reducing ``axis``: size 1 there (keepdims) or removed."""
    axes = normalize_axes(len(shape), axis)
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def reduced_count(shape: tuple[int, ...], axis: Axis) -> int:
    """How many elements each output of a reduction over ``axis`` combines."""
    return int(np.prod([shape[a] for a in normalize_axes(len(shape), axis)], dtype=np.int64))


def _spread(grad: Tensor, shape: tuple[int, ...], axis: Axis) -> Tensor:
    """Broadcast a reduced gradient back over the reduced axes."""
    return broadcast_to(grad.reshape(keepdims_shape(shape, axis, True)), shape)


class Sum(Function):
    """y = sum_i x_i;  dy/dx_i = 1"""

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sum(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (_spread(grad, x.shape, self.axis),)


class Mean(Function):
    """y = (1/n) sum_i x_i;  dy/dx_i = 1/n"""

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        if reduced_count(x.shape, self.axis) == 0:
            raise ShapeError(
                f"mean over axis {self.axis} of a tensor of shape {x.shape} averages no "
                "elements, which is undefined"
            )
        return np.mean(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (_spread(grad, x.shape, self.axis) / reduced_count(x.shape, self.axis),)


class _Extremum(Function):
    """Shared rule of max and min: the gradient goes to the winners, split evenly."""

    reduce: Any = None

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return type(self).reduce(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        kshape = keepdims_shape(x.shape, self.axis, True)
        winners = to_array(x) == to_array(out).reshape(kshape)
        share = winners / winners.sum(axis=normalize_axes(x.ndim, self.axis), keepdims=True)
        return (_spread(grad, x.shape, self.axis) * share.astype(grad.dtype),)


class Max(_Extremum):
    """y = max_i x_i;  dy/dx_i = [x_i = y] / #ties"""

    reduce = staticmethod(np.max)


class Min(_Extremum):
    """y = min_i x_i;  dy/dx_i = [x_i = y] / #ties"""

    reduce = staticmethod(np.min)


class Prod(Function):
    """y = prod_i x_i;  dy/dx_i = prod_{j != i} x_j

    Without zeros that is y / x_i. Where x_i = 0 it is P, the product of the
    nonzero factors, if x_i is the only zero; P x_l if one other x_l is 0 (a
    zero whose derivative in x_l is P); 0 with more zeros.
    """

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.prod(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        spread = _spread(grad, x.shape, self.axis)
        y = out.reshape(keepdims_shape(x.shape, self.axis, True))
        zero = x == 0
        if not zero.any():
            return (spread * y / x,)
        axes = normalize_axes(x.ndim, self.axis)
        count = zero.sum(axis=axes, keepdims=True)
        nonzero = prod(where(zero, 1.0, x), axes, keepdims=True)
        other_zero = sum(where(zero, x, 0.0), axes, keepdims=True) - x  # x_l, as a graph node
        others = nonzero * ((count == 1) + other_zero * (count == 2))
        return (spread * where(zero, others, y / where(zero, 1.0, x)),)


class CumSum(Function):
    """y_i = sum_{j <= i} x_j;  dx_j = sum_{i >= j} g_i  (a cumulative sum from the end)"""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.cumsum(x, axis=self.axis)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        flip = (slice(None),) * self.axis + (slice(None, None, -1),)
        return (cumsum(grad[flip], self.axis)[flip],)


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (None: all axes)."""
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (None: all axes)."""
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    return Max.apply(x, axis=axis, keepdims=keepdims)


def min(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    return Min.apply(x, axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (None: all axes)."""
    return Prod.apply(x, axis=axis, keepdims=keepdims)


def cumsum(x: Any, axis: int) -> Tensor:
    """Running sum along ``axis``: y_i = x_0 + ... + x_i (same shape as x)."""
    ndim = np.ndim(array_of(x))
    (axis,) = normalize_axes(ndim, axis) or (0,)
    return CumSum.apply(x, axis=axis)


def var(x: Any, axis: Axis = None, *, correction: int = 1, keepdims: bool = False) -> Tensor:
    """Variance over ``axis``: sum_i (x_i - mean)**2 / (n - correction).

    ``correction=1`` (the default, as in PyTorch) is the unbiased estimate,
    0 the population variance. Fewer than ``correction + 1`` elements are
    refused: the variance would divide by zero or a negative count.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    n = reduced_count(x.shape, axis)
    if isinstance(correction, bool) or not isinstance(correction, int | np.integer):
        raise TypeError(f"var: correction must be an integer, got {correction!r}")
    if n - correction <= 0:
        raise ShapeError(
            f"var over axis {axis} of a tensor of shape {x.shape}: {n} element(s) with "
            f"correction={correction} leave {n - correction} degrees of freedom; need at least 1"
        )
    deviation = x - mean(x, axis, keepdims=True)
    return sum(deviation * deviation, axis, keepdims) / (n - correction)


def std(x: Any, axis: Axis = None, *, correction: int = 1, keepdims: bool = False) -> Tensor:
    """Standard deviation over ``axis``: sqrt(var(x, axis, correction=...))."""
    return var(x, axis, correction=correction, keepdims=keepdims).sqrt()


def _index_of(op: str, x: Any, axis: int | None, keepdims: bool, pick: Any) -> Tensor:
    """argmax/argmin: int64 positions (of the flattened x when axis is None), no gradient."""
    data = np.asarray(array_of(x))
    if data.size == 0:
        raise ShapeError(f"{op}: a tensor of shape {data.shape} is empty; it has no {op[3:]}")
    if axis is None:
        found = pick(data.reshape(-1)).reshape((1,) * data.ndim if keepdims else ())
    else:
        if isinstance(axis, tuple | list):
            raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
        axes = normalize_axes(data.ndim, axis)
        found = pick(data, axis=axes[0], keepdims=keepdims) if axes else np.zeros(data.shape)
    return Tensor(np.asarray(found, dtype=np.int64))


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest value along ``axis`` (the first one at a tie), as int64."""
    return _index_of("argmax", x, axis, keepdims, np.argmax)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value along ``axis`` (the first one at a tie), as int64."""
    return _index_of("argmin", x, axis, keepdims, np.argmin)


def _truth(op: str, x: Any, axis: Axis, keepdims: bool, reduce: Any) -> Tensor:
    data = np.asarray(array_of(x))
    return Tensor(
        np.asarray(reduce(data != 0, axis=normalize_axes(data.ndim, axis), keepdims=keepdims))
    )


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """True where some element along ``axis`` is nonzero (a bool tensor, no gradient)."""
    return _truth("any", x, axis, keepdims, np.any)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """True where every element along ``axis`` is nonzero (a bool tensor, no gradient)."""
    return _truth("all", x, axis, keepdims, np.all)
