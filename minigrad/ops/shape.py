"""Ops that move values around without changing them.

reshape, transpose, getitem (indexing), concat, stack, broadcast_to, astype.
Each backward moves the gradient back to where the value came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..engine import SparseGrad
from ..errors import DTypeError, OutOfRangeError, ShapeError
from ..function import Function
from ..tensor import FLOAT_DTYPES, Tensor, array_of


class Reshape(Function):
    """y = x viewed with a new shape;  dx = g reshaped back"""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.shape)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad.reshape(x.shape),)


class Transpose(Function):
    """y = x with axes permuted;  dx = g with the inverse permutation"""

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(self.axes)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        if self.axes is None:
            return (grad.transpose(),)
        axes = [a % grad.ndim for a in self.axes]  # -1 and ndim - 1 are the same axis
        return (grad.transpose(tuple(np.argsort(axes))),)


class GetItem(Function):
    """y = x[index];  dx = zeros with g added at [index] (repeats accumulate)"""

    def __init__(self, index: Any) -> None:
        self.index = index

    def forward(self, x: np.ndarray) -> np.ndarray:
        try:
            return x[self.index]
        except IndexError as err:  # past the end, or too many indices: IndexError, as in numpy
            raise OutOfRangeError(f"{err} (indexing a tensor of shape {x.shape})") from None

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[SparseGrad]:
        return (SparseGrad(grad, self.index, x.shape),)


class ScatterAdd(Function):
    """y = zeros(shape) with x added at [index];  dx = g[index]"""

    def __init__(self, index: Any, shape: tuple[int, ...]) -> None:
        self.index, self.shape = index, shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape, dtype=x.dtype)
        np.add.at(out, self.index, x)
        return out

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad[self.index],)


class Concat(Function):
    """y = [x_1, x_2, ...] joined along axis;  dx_i = the slice of g that x_i filled"""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=self.axis)

    def backward(self, grad: Tensor, out: Tensor, *xs: Tensor) -> tuple[Tensor, ...]:
        axis = self.axis % grad.ndim
        ends = np.cumsum([x.shape[axis] for x in xs])
        lead = (slice(None),) * axis
        return tuple(
            grad[lead + (slice(int(end - x.shape[axis]), int(end)),)]
            for x, end in zip(xs, ends, strict=True)
        )


class Stack(Function):
    """y = [x_1, x_2, ...] stacked on a new axis;  dx_i = g[..., i, ...]"""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return np.stack(xs, axis=self.axis)

    def backward(self, grad: Tensor, out: Tensor, *xs: Tensor) -> tuple[Tensor, ...]:
        lead = (slice(None),) * (self.axis % grad.ndim)
        return tuple(grad[lead + (i,)] for i in range(len(xs)))


class BroadcastTo(Function):
    """y = x repeated to a larger shape;  dx = g summed over the repeats (by the engine)"""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, self.shape)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad,)


class AsType(Function):
    """y = x converted to another float dtype;  dx = g converted back"""

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad.astype(x.dtype),)


def _shape_args(op: str, args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept both ``f(2, 3)`` and ``f((2, 3))``; every entry must be an integer."""
    if (
        len(args) == 1
        and isinstance(args[0], Sequence | np.ndarray)
        and not isinstance(args[0], str)
    ):
        args = tuple(args[0])
    for n in args:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"{op}: expected integers, got {n!r} ({type(n).__name__}) in {args!r}")
    return tuple(int(n) for n in args)


def reshape(x: Any, *shape: Any) -> Tensor:
    """View with a new shape (one axis may be -1)."""
    return Reshape.apply(x, shape=_shape_args("reshape", shape))


def transpose(x: Any, *axes: Any) -> Tensor:
    """Permute axes (no axes: reverse them, like ``.T``)."""
    return Transpose.apply(x, axes=_shape_args("transpose", axes) if axes else None)


_BASIC_INDEX = (int, slice)  # kept as they are


def _plain_index(index: Any) -> Any:
    """Tensors and lists inside an index become numpy arrays."""
    if type(index) in _BASIC_INDEX:
        return index
    if isinstance(index, tuple):
        return tuple([_plain_index(i) for i in index])
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):  # empty lists select nothing, like numpy's x[[]] and x[[[]]]
        index = np.asarray(index)
        index = index.astype(np.intp) if index.size == 0 else index
    if isinstance(index, np.ndarray) and index.dtype.kind not in "biu":
        raise IndexError(f"indices must be integers or booleans, got dtype {index.dtype}")
    return index


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]``: basic slicing and integer/boolean array indexing."""
    return GetItem.apply(x, index=_plain_index(index))


def scatter_add(x: Any, index: Any, shape: tuple[int, ...]) -> Tensor:
    """zeros(shape) with x added at ``index`` (the adjoint of ``getitem``)."""
    return ScatterAdd.apply(x, index=index, shape=shape)


def _check_sequence(op: str, tensors: Any) -> None:
    """A list or tuple of at least one tensor, as numpy and PyTorch require."""
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, Sequence):
        raise TypeError(
            f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}"
            + (" (pass list(...) of it)" if isinstance(tensors, Iterable) else "")
        )
    if len(tensors) == 0:
        raise ShapeError(f"{op}: needs at least one tensor, got an empty sequence")


def concat(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    _check_sequence("concat", tensors)
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new axis."""
    _check_sequence("stack", tensors)
    ndim = np.ndim(array_of(tensors[0]))
    return Stack.apply(*tensors, axis=axis % (ndim + 1) if -ndim - 1 <= axis <= ndim else axis)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    """Repeat x to ``shape`` by numpy broadcasting rules."""
    return BroadcastTo.apply(x, shape=tuple(shape))


def astype(x: Any, dtype: Any) -> Tensor:
    """Convert to another dtype: bool, an integer type, float32 or float64.

    Only float -> float casts are differentiable; a cast to bool or an integer
    (or from one) gives a constant that leaves the graph, since a rounded value
    has no useful derivative.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    try:
        target = np.dtype(dtype)
    except TypeError as err:
        raise DTypeError(f"astype: {dtype!r} is not a dtype: {err}") from None
    if target.kind not in "biuf" or (target.kind == "f" and target not in FLOAT_DTYPES):
        raise DTypeError(
            f"astype: cannot convert a {x.dtype} tensor of shape {x.shape} to {target}; "
            "expected bool, an integer dtype, float32 or float64"
        )
    if target.kind == "f" and x.dtype.kind == "f":
        return AsType.apply(x, dtype=target)
    return Tensor._from_op(x.data.astype(target), None)
