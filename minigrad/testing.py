"""Property-testing tools for minigrad ops (yours and the built-in ones).

Check your own op in three lines::

    from hypothesis import given
    from minigrad.testing import assert_grad_matches, tensors

    @given(tensors(shape=(2, 3)))
    def test_my_op(x):
        assert_grad_matches(my_op, x)

``tensors``/``arrays`` draw inputs, ``shapes``/``broadcastable_shapes`` draw
shapes, and ``away_from``/``clear_extremum`` are predicates for
``hypothesis.assume`` that keep inputs away from kinks (relu at 0, ties of max)
and poles (1/x at 0): inputs are rejected there, never shifted.

The table of every built-in op, checked with these tools by the test suite
and by ``python -m minigrad gradcheck``, is in ``minigrad/op_table.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from .gradcheck import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = [
    "KINK_MARGIN",
    "POLE_MARGIN",
    "POSITIVE",
    "arrays",
    "assert_grad_matches",
    "away_from",
    "broadcastable_shapes",
    "clear_extremum",
    "floats",
    "shapes",
    "tensors",
]

KINK_MARGIN = 1e-3  # finite differences use eps = 1e-6, far inside this margin
POLE_MARGIN = 0.1


def floats(low: float = -3.0, high: float = 3.0, dtype: Any = np.float64) -> st.SearchStrategy:
    """Finite floats in [low, high], representable in ``dtype``."""
    if np.dtype(dtype) == np.float32:
        return st.floats(low, high, allow_nan=False, allow_subnormal=False, width=32)
    return st.floats(low, high, allow_nan=False, allow_subnormal=False)


POSITIVE = floats(0.1, 3.0)  # the domain of log, sqrt and of a base with a real exponent


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, small by default so full Jacobians stay cheap."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    num_shapes: int = 2,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 3,
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Tuples of ``num_shapes`` shapes that broadcast together, e.g. ((2, 1, 3), (4, 1))."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes,
        min_dims=min_dims,
        max_dims=max_dims,
        min_side=min_side,
        max_side=max_side,
    ).map(lambda drawn: tuple(drawn.input_shapes))


def arrays(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """Numpy arrays whose every element is drawn independently (default: floats in [-3, 3])."""
    return hnp.arrays(
        np.dtype(dtype),
        shapes() if shape is None else shape,
        elements=floats(dtype=dtype) if elements is None else elements,
        fill=st.nothing(),
    )


def tensors(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]] | None = None,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
    requires_grad: bool = True,
) -> st.SearchStrategy[Tensor]:
    """Leaf tensors; ``shape`` is a tuple or a strategy of shapes (default ``shapes()``)."""
    return arrays(shape, dtype, elements).map(lambda a: Tensor(a, requires_grad=requires_grad))


def _values(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)


def away_from(values: Any, points: Sequence[float], margin: float = KINK_MARGIN) -> bool:
    """True when every value is at least ``margin`` away from each of ``points``.

    Use with ``assume``: ``assume(away_from(x, [0.0]))`` before checking relu.
    """
    v = _values(values)
    return all(bool(np.all(np.abs(v - p) >= margin)) for p in points)


def clear_extremum(
    values: Any, axis: int | tuple[int, ...] | None = None, margin: float = KINK_MARGIN
) -> bool:
    """True when, along ``axis``, the largest value beats the runner-up by ``margin``.

    Max has a kink where two entries tie; use ``clear_extremum(-x)`` for min.
    """
    v = _values(values)
    if axis is None:
        axis = tuple(range(v.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    moved = np.moveaxis(v, axes, tuple(range(-len(axes), 0)))
    groups = moved.reshape(*moved.shape[: moved.ndim - len(axes)], -1)
    if groups.shape[-1] < 2:
        return True
    top2 = np.sort(groups, axis=-1)[..., -2:]
    return bool(np.all(top2[..., 1] - top2[..., 0] >= margin))


def assert_grad_matches(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    second_order: bool = False,
) -> None:
    """Assert backward of ``fn`` agrees with central differences (``minigrad.gradcheck``).

    Passes when |analytic - numeric| <= atol + rtol * |numeric| for every checked
    element; otherwise raises an AssertionError whose message is the table of
    mismatches. ``second_order=True`` also checks the gradient of the gradient.
    """
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("assert_grad_matches: no input has requires_grad=True; nothing to check")
    gradcheck(fn, *inputs, eps=eps, atol=atol, rtol=rtol)
    if second_order:
        gradgradcheck(fn, *inputs, eps=eps, atol=atol, rtol=rtol)
