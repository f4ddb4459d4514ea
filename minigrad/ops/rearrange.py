"""More shape ops, PyTorch's: squeeze, unsqueeze, flatten, split, chunk, repeat, pad,
tril, triu, masked_fill, gather, topk.

Most are compositions of the basic moves in ``shape.py`` (a squeeze is a
reshape, a split is slicing, topk is a gather, which is indexing), so their
gradients come from those rules. ``repeat``, ``pad`` and the triangles have
their own classes: each moves the gradient back in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..errors import DTypeError, ShapeError
from ..function import Function
from ..tensor import Tensor, array_of
from .elementwise import where
from .reduce import normalize_axes
from .shape import _shape_args, getitem, reshape


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(op: str, ndim: int, axis: Any) -> int:
    """One axis as a non-negative int (numpy's rule: -1 is the last)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    (found,) = normalize_axes(ndim, int(axis)) or (0,)
    return found


def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Drop axes of size 1 (all of them, or those in ``axis``; an axis of another size stays).

    As in PyTorch, naming an axis whose size is not 1 leaves it (numpy refuses).
    """
    x = _tensor(x)
    axes = normalize_axes(x.ndim, axis)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1)))


def unsqueeze(x: Any, axis: int) -> Tensor:
    """Insert an axis of size 1 at position ``axis`` (-1: after the last)."""
    x = _tensor(x)
    where_ = _axis("unsqueeze", x.ndim + 1, axis)
    return reshape(x, x.shape[:where_] + (1,) + x.shape[where_:])


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim`` .. ``end_dim`` (inclusive) into one; a 0-d x becomes (1,)."""
    x = _tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = _axis("flatten", x.ndim, start_dim), _axis("flatten", x.ndim, end_dim)
    if start > end:
        raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start : end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1 :])


def split(x: Any, split_size_or_sections: int | Sequence[int], axis: int = 0) -> tuple[Tensor, ...]:
    """Slices along ``axis``, of ``split_size`` each (the last may be shorter) or of given sizes."""
    x = _tensor(x)
    axis = _axis("split", x.ndim, axis)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int | np.integer) and not isinstance(
        split_size_or_sections, bool
    ):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = list(_shape_args("split", (split_size_or_sections,)))
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ShapeError(
                f"split: sections {sizes} must be non-negative and add up to {n}, "
                f"the size of axis {axis} of a tensor of shape {x.shape}"
            )
    lead = (slice(None),) * axis
    ends = np.cumsum(sizes)
    return tuple(
        getitem(x, lead + (slice(int(end - size), int(end)),))
        for size, end in zip(sizes, ends, strict=True)
    )


def chunk(x: Any, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
    """``chunks`` slices along ``axis`` of ceil(n / chunks) each (maybe fewer, as in PyTorch)."""
    if isinstance(chunks, bool) or not isinstance(chunks, int | np.integer) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    x = _tensor(x)
    n = x.shape[_axis("chunk", x.ndim, axis)]
    return split(x, max(-(-n // int(chunks)), 1), axis)


class Repeat(Function):
    """y = x tiled ``repeats`` times along each axis;  dx = g summed over the copies"""

    def __init__(self, repeats: tuple[int, ...]) -> None:
        self.repeats = repeats

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tile(x, self.repeats)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        sizes = (1,) * (len(self.repeats) - x.ndim) + x.shape
        pairs = tuple(d for r, n in zip(self.repeats, sizes, strict=True) for d in (r, n))
        copies = tuple(range(0, len(pairs), 2))
        return (grad.reshape(pairs).sum(axis=copies).reshape(x.shape),)


def repeat(x: Any, *repeats: Any) -> Tensor:
    """Tile x: ``repeat(x, 2, 3)`` copies it twice along axis -2 and 3 times along -1.

    PyTorch's ``Tensor.repeat`` (numpy's ``tile``); there must be at least as
    many counts as x has axes (more add leading axes).
    """
    x = _tensor(x)
    counts = _shape_args("repeat", repeats)
    if len(counts) < x.ndim or any(r < 0 for r in counts):
        raise ShapeError(
            f"repeat: needs a non-negative count for each of the {x.ndim} axes of a tensor "
            f"of shape {x.shape}, got {counts}"
        )
    return Repeat.apply(x, repeats=counts)


class Pad(Function):
    """y = x with ``value`` added around it;  dx = g with the padding cut off"""

    def __init__(self, widths: tuple[tuple[int, int], ...], value: float) -> None:
        self.widths, self.value = widths, value

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.pad(x, self.widths, constant_values=self.value)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        inside = tuple(
            slice(before, before + n) for (before, _), n in zip(self.widths, x.shape, strict=True)
        )
        return (grad[inside],)


def pad(x: Any, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad with ``value``; ``pad`` lists (before, after) pairs from the LAST axis backwards.

    PyTorch's ``F.pad``: ``pad(x, (1, 2))`` adds one column before and two
    after along the last axis, ``(1, 2, 3, 4)`` also 3 rows above and 4 below.
    Only ``mode="constant"`` and non-negative widths.
    """
    x = _tensor(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    widths = _shape_args("pad", (pad,))
    if len(widths) % 2 or len(widths) // 2 > x.ndim or any(w < 0 for w in widths):
        raise ShapeError(
            f"pad: expected non-negative (before, after) pairs for at most {x.ndim} axes, "
            f"got {widths} for a tensor of shape {x.shape}"
        )
    pairs = [(widths[i], widths[i + 1]) for i in range(0, len(widths), 2)][::-1]
    full = ((0, 0),) * (x.ndim - len(pairs)) + tuple(pairs)
    return Pad.apply(x, widths=full, value=float(value))


class _Triangle(Function):
    """Shared rule of tril and triu: keep a triangle, zero the rest; dx = g on the triangle."""

    keep: Any = None

    def __init__(self, diagonal: int) -> None:
        self.diagonal = diagonal

    def forward(self, x: np.ndarray) -> np.ndarray:
        return type(self).keep(x, self.diagonal)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (type(self).apply(grad, diagonal=self.diagonal),)


class Tril(_Triangle):
    """y_ij = x_ij if j - i <= k else 0;  dx = tril(g, k)"""

    keep = staticmethod(np.tril)


class Triu(_Triangle):
    """y_ij = x_ij if j - i >= k else 0;  dx = triu(g, k)"""

    keep = staticmethod(np.triu)


def _triangle(op: type[_Triangle], x: Any, diagonal: int) -> Tensor:
    x = _tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"{op.name}: needs a matrix (or a batch of them), got shape {x.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, int | np.integer):
        raise TypeError(f"{op.name}: diagonal must be an int, got {diagonal!r}")
    return op.apply(x, diagonal=int(diagonal))


def tril(x: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two axes (diagonal k: above it, zeros); 0 is the main one."""
    return _triangle(Tril, x, diagonal)


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two axes (diagonal k: below it, zeros); 0 is the main one."""
    return _triangle(Triu, x, diagonal)


def masked_fill(x: Any, mask: Any, value: float) -> Tensor:
    """x with ``value`` where the boolean ``mask`` (broadcast to x's shape) is True.

    where(mask, value, x): the gradient flows to x where the mask is False.
    """
    x = _tensor(x)
    mask = np.asarray(array_of(mask))
    if mask.dtype != np.bool_:
        raise DTypeError(f"masked_fill: mask must be boolean, got dtype {mask.dtype}")
    try:
        mask = np.broadcast_to(mask, x.shape)
    except ValueError:
        raise ShapeError(
            f"masked_fill: a mask of shape {mask.shape} does not broadcast to x's shape {x.shape}"
        ) from None
    return where(mask, value, x)


def gather(x: Any, axis: int, index: Any) -> Tensor:
    """y[i][j] = x[index[i][j]][j] for axis 0 (PyTorch's ``gather``, numpy's ``take_along_axis``).

    ``index`` holds int64 positions along ``axis`` and has x's number of axes;
    it is plain indexing, so repeated positions add up their gradients.
    """
    x = _tensor(x)
    index = np.asarray(array_of(index))
    if index.dtype.kind not in "iu":
        raise DTypeError(f"gather: index must hold integers, got dtype {index.dtype}")
    axis = _axis("gather", x.ndim, axis)
    if index.ndim != x.ndim:
        raise ShapeError(
            f"gather: index of shape {index.shape} must have as many axes as x {x.shape}"
        )
    if x.ndim == 0:  # one value along its one axis, as in PyTorch
        return reshape(gather(reshape(x, 1), 0, index.reshape(1)), ())
    grid = list(np.ix_(*[np.arange(n) for n in index.shape]))
    grid[axis] = index
    return getitem(x, tuple(grid))


class TopK(NamedTuple):
    """The ``k`` largest (or smallest) values along an axis and their int64 positions."""

    values: Tensor
    indices: Tensor


def topk(x: Any, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> TopK:
    """The ``k`` largest values along ``axis`` (``largest=False``: smallest), best first.

    ``values`` is differentiable (the gradient goes back to the chosen
    positions), ``indices`` is int64 without gradient. Ties keep the earlier
    position first. ``sorted`` is accepted for PyTorch's signature; the
    values always come sorted.
    """
    x = _tensor(x)
    axis = _axis("topk", x.ndim, axis)
    n = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an integer in [0, {n}], got {k!r}")
    if x.ndim == 0:  # a 0-d x is one value along its one axis, as in PyTorch
        found = topk(reshape(x, 1), k, 0, largest)
        return TopK(found.values.reshape(()), found.indices.reshape(())) if k else found
    keys = -x.data if largest else x.data
    order = np.argsort(keys, axis=axis, kind="stable")
    picked = np.take(order, np.arange(k), axis=axis).astype(np.int64)
    return TopK(gather(x, axis, picked), Tensor(picked))
