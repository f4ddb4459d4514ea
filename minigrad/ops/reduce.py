"""Reductions: sum, mean, max, min over an axis (None, int, negative, tuple).

The gradient of a reduction spreads the output gradient back over the reduced
axes: ``keepdims_shape`` puts the reduced axes back as size 1, then the
gradient broadcasts to the input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import AxisError, ShapeError
from ..function import Function
from ..tensor import Tensor

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
    return grad.reshape(keepdims_shape(shape, axis, True)).broadcast_to(shape)


class Sum(Function):
    """y = sum_i x_i;  dy/dx_i = 1"""

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sum(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
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

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        return (_spread(grad, x.shape, self.axis) / reduced_count(x.shape, self.axis),)


class _Extremum(Function):
    """Shared rule of max and min: the gradient goes to the winners, split evenly."""

    reduce: Any = None

    def __init__(self, axis: Axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return type(self).reduce(x, axis=normalize_axes(x.ndim, self.axis), keepdims=self.keepdims)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (x,) = self.inputs
        kshape = keepdims_shape(x.shape, self.axis, True)
        winners = x.data == out.data.reshape(kshape)
        share = winners / winners.sum(axis=normalize_axes(x.ndim, self.axis), keepdims=True)
        return (_spread(grad, x.shape, self.axis) * share.astype(grad.dtype),)


class Max(_Extremum):
    """y = max_i x_i;  dy/dx_i = [x_i = y] / #ties"""

    reduce = staticmethod(np.max)


class Min(_Extremum):
    """y = min_i x_i;  dy/dx_i = [x_i = y] / #ties"""

    reduce = staticmethod(np.min)


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
