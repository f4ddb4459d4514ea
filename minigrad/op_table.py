"""The table of every built-in op: one ``OpSpec`` row each.

A row holds the op, a numpy reference forward, a strategy of valid inputs
(drawn with ``minigrad.testing``), and whether its second derivative is
checked. The test suite and ``python -m minigrad gradcheck`` both read
``OPS``, so adding an op means adding one row (and, for unusual inputs, one
small strategy next to the others below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from . import ops
from .tensor import Tensor
from .testing import (
    POLE_MARGIN,
    POSITIVE,
    arrays,
    away_from,
    broadcastable_shapes,
    clear_extremum,
    floats,
    shapes,
)


@dataclass
class OpCase:
    """One drawn input of an op: the differentiable arrays and fixed keyword params."""

    arrays: tuple[np.ndarray, ...]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpSpec:
    """A row of the op table.

    ``fn(*tensors, **params)`` is the minigrad op and ``reference(*arrays,
    **params)`` the same forward in plain numpy; ``cases`` draws ``OpCase``s and
    ``domain(*arrays, **params)`` must hold for a case to be used (kinks, poles);
    ``eps`` is the finite-difference step.
    """

    name: str
    fn: Callable[..., Tensor]
    reference: Callable[..., Any]
    cases: st.SearchStrategy[OpCase]
    domain: Callable[..., bool] | None = None
    second_order: bool = True
    eps: float = 1e-6

    def strategy(self) -> st.SearchStrategy[OpCase]:
        """The cases inside the op's domain (others are rejected with ``assume``)."""
        if self.domain is None:
            return self.cases
        domain = self.domain

        def inside(case: OpCase) -> OpCase:
            assume(domain(*case.arrays, **case.params))
            return case

        return self.cases.map(inside)

    def bind(self, case: OpCase) -> Callable[..., Tensor]:
        """The op as a function of its tensors alone, with the case's params fixed."""

        def op(*xs: Tensor) -> Tensor:
            return self.fn(*xs, **case.params)

        op.__name__ = self.name
        return op

    def leaves(self, case: OpCase) -> list[Tensor]:
        """Fresh leaf tensors (requires_grad) holding copies of the case's arrays."""
        return [Tensor(a.copy(), requires_grad=True) for a in case.arrays]


@st.composite
def _elementwise(draw: Any, *elements: st.SearchStrategy[float]) -> OpCase:
    """Inputs of broadcastable shapes, input i drawn from ``elements[i]``."""
    drawn = draw(broadcastable_shapes(len(elements)))
    return OpCase(tuple(draw(arrays(s, elements=e)) for s, e in zip(drawn, elements, strict=True)))


def _axes(ndim: int) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """None, an int (maybe negative) or a tuple of distinct axes (maybe negative)."""
    tuples = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
        lambda ax: st.tuples(*[st.sampled_from([a, a - ndim]) for a in ax])
    )
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), tuples)


@st.composite
def _reduction(draw: Any, axis_param: bool = True) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axis = draw(_axes(x.ndim)) if axis_param else draw(st.integers(-x.ndim, x.ndim - 1))
    params = {"axis": axis, "keepdims": draw(st.booleans())} if axis_param else {"axis": axis}
    return OpCase((x,), params)


@st.composite
def _pow_scalar(draw: Any) -> OpCase:
    p = draw(st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
    elements = floats() if float(p).is_integer() else POSITIVE
    return OpCase((draw(arrays(elements=elements)),), {"p": p})


@st.composite
def _matmul(draw: Any, a_ndim: int, b_ndim: int, batched: bool = False) -> OpCase:
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2)) if batched else ((), ())
    a_shape = (k,) if a_ndim == 1 else batch_a + (n, k)  # a 1-D operand has no batch axes
    b_shape = (k,) if b_ndim == 1 else batch_b + (k, m)
    return OpCase((draw(arrays(a_shape)), draw(arrays(b_shape))))


@st.composite
def _addmm(draw: Any) -> OpCase:
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    c_shape = draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    return OpCase((draw(arrays(c_shape)), draw(arrays((n, k))), draw(arrays((k, m)))))


@st.composite
def _reshape(draw: Any) -> OpCase:
    x = draw(arrays())
    size = x.size
    target = draw(st.sampled_from([(size,), (-1,), x.shape[::-1], (1, size), (size, 1, -1)]))
    return OpCase((x,), {"shape": target})


@st.composite
def _transpose(draw: Any) -> OpCase:
    """A permutation of the axes, each axis written as ``a`` or as ``a - ndim``."""
    x = draw(arrays())
    perm = draw(st.permutations(range(x.ndim)))
    return OpCase((x,), {"axes": tuple(draw(st.sampled_from([a, a - x.ndim])) for a in perm)})


@st.composite
def _basic_index(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    index = tuple(
        draw(st.one_of(st.integers(-n, n - 1), st.slices(n)))
        for n in x.shape[: draw(st.integers(1, x.ndim))]
    )
    return OpCase((x,), {"index": index})


@st.composite
def _array_index(draw: Any) -> tuple[tuple[int, ...], Any]:
    """A shape and an integer-array index into it, repeats likely (axis 0 or 1)."""
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(0, min(len(shape), 2) - 1))
    n = shape[axis]
    picks = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    return shape, (picks if axis == 0 else (slice(None), picks))


@st.composite
def _array_getitem(draw: Any) -> OpCase:
    shape, index = draw(_array_index())
    return OpCase((draw(arrays(shape)),), {"index": index})


@st.composite
def _scatter(draw: Any) -> OpCase:
    shape, index = draw(_array_index())
    x = draw(arrays(np.zeros(shape)[index].shape))
    return OpCase((x,), {"index": index, "shape": shape})


@st.composite
def _join(draw: Any, new_axis: bool) -> OpCase:
    base = draw(shapes(min_dims=0 if new_axis else 1))
    count = draw(st.integers(2, 3))
    if new_axis:
        axis = draw(st.integers(-len(base) - 1, len(base)))
        return OpCase(tuple(draw(arrays(base)) for _ in range(count)), {"axis": axis})
    axis = draw(st.integers(-len(base), len(base) - 1))
    sizes = [draw(st.integers(1, 3)) for _ in range(count)]
    parts = [base[: axis % len(base)] + (s,) + base[axis % len(base) + 1 :] for s in sizes]
    return OpCase(tuple(draw(arrays(p)) for p in parts), {"axis": axis})


@st.composite
def _broadcast_to(draw: Any) -> OpCase:
    target = draw(shapes())
    kept = target[len(target) - draw(st.integers(0, len(target))) :]
    source = tuple(1 if draw(st.booleans()) else n for n in kept)
    return OpCase((draw(arrays(source)),), {"shape": target})


@st.composite
def _logits(draw: Any, reduction: str) -> OpCase:
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    targets = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return OpCase((draw(arrays((n, c))),), {"targets": targets, "reduction": reduction})


@st.composite
def _clip(draw: Any) -> OpCase:
    low = draw(st.one_of(st.none(), floats(-2.0, 0.0)))
    high = draw(floats(0.5, 2.0) if low is None else st.one_of(st.none(), floats(0.5, 2.0)))
    return OpCase((draw(arrays()),), {"low": low, "high": high})


@st.composite
def _where(draw: Any) -> OpCase:
    a_shape, b_shape, cond_shape = draw(broadcastable_shapes(3))
    cond = draw(hnp.arrays(np.bool_, cond_shape))
    return OpCase((draw(arrays(a_shape)), draw(arrays(b_shape))), {"cond": cond})


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def _cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str) -> Any:
    losses = -_log_softmax(logits, 1)[np.arange(len(targets)), targets]
    if reduction == "none":
        return losses
    return np.mean(losses) if reduction == "mean" else np.sum(losses)


def _scatter_reference(x: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, x)
    return out


def _kinks(*points: float) -> Callable[..., bool]:
    return lambda x, **params: away_from(x, points)


_UNARY = _elementwise(floats())
_BINARY = _elementwise(floats(), floats())
_REDUCE = _reduction()

OPS: list[OpSpec] = [
    OpSpec("add", ops.add, np.add, _BINARY),
    OpSpec("sub", ops.sub, np.subtract, _BINARY),
    OpSpec("mul", ops.mul, np.multiply, _BINARY),
    OpSpec("div", ops.div, np.divide, _BINARY, lambda a, b: away_from(b, [0.0], POLE_MARGIN)),
    OpSpec("neg", ops.neg, np.negative, _UNARY),
    OpSpec("pow", ops.pow, np.power, _elementwise(POSITIVE, floats())),
    OpSpec(
        "pow_scalar",
        lambda x, p: x**p,
        lambda x, p: x**p,
        _pow_scalar(),
        lambda x, p: p > 0 or away_from(x, [0.0], POLE_MARGIN),
    ),
    OpSpec("rpow", lambda x: 2**x, lambda x: 2.0**x, _UNARY),
    OpSpec("rsub", lambda x: 2 - x, lambda x: 2.0 - x, _UNARY),
    OpSpec(
        "rdiv",
        lambda x: 2 / x,
        lambda x: 2.0 / x,
        _UNARY,
        lambda x: away_from(x, [0.0], POLE_MARGIN),
    ),
    OpSpec("exp", ops.exp, np.exp, _UNARY),
    OpSpec("log", ops.log, np.log, _elementwise(POSITIVE)),
    OpSpec("sqrt", ops.sqrt, np.sqrt, _elementwise(POSITIVE)),
    OpSpec("abs", ops.abs, np.abs, _UNARY, _kinks(0.0)),
    OpSpec("maximum", ops.maximum, np.maximum, _BINARY, lambda a, b: away_from(a - b, [0.0])),
    OpSpec("minimum", ops.minimum, np.minimum, _BINARY, lambda a, b: away_from(a - b, [0.0])),
    OpSpec(
        "where",
        lambda a, b, cond: ops.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b),
        _where(),
    ),
    OpSpec(
        "clip",
        ops.clip,
        lambda x, low, high: np.clip(x, low, high),
        _clip(),
        lambda x, low, high: away_from(x, [p for p in (low, high) if p is not None]),
    ),
    OpSpec("tanh", ops.tanh, np.tanh, _UNARY),
    OpSpec("sigmoid", ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), _UNARY),
    OpSpec("relu", ops.relu, lambda x: np.maximum(x, 0.0), _UNARY, _kinks(0.0)),
    OpSpec(
        "softmax",
        ops.softmax,
        lambda x, axis: np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True),
        _reduction(axis_param=False),
    ),
    OpSpec("log_softmax", ops.log_softmax, _log_softmax, _reduction(axis_param=False)),
    OpSpec(
        "logsumexp",
        ops.logsumexp,
        lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
        _REDUCE,
    ),
    OpSpec("sum", ops.sum, np.sum, _REDUCE),
    OpSpec("mean", ops.mean, np.mean, _REDUCE),
    OpSpec("max", ops.max, np.max, _REDUCE, lambda x, axis, keepdims: clear_extremum(x, axis)),
    OpSpec("min", ops.min, np.min, _REDUCE, lambda x, axis, keepdims: clear_extremum(-x, axis)),
    OpSpec("matmul_dot", ops.matmul, np.matmul, _matmul(1, 1)),
    OpSpec("matmul_vecmat", ops.matmul, np.matmul, _matmul(1, 2, batched=True)),
    OpSpec("matmul_matvec", ops.matmul, np.matmul, _matmul(2, 1, batched=True)),
    OpSpec("matmul", ops.matmul, np.matmul, _matmul(2, 2)),
    OpSpec("matmul_batched", ops.matmul, np.matmul, _matmul(2, 2, batched=True)),
    OpSpec("addmm", ops.addmm, lambda c, a, b: c + a @ b, _addmm()),
    OpSpec(
        "reshape",
        lambda x, shape: ops.reshape(x, shape),
        lambda x, shape: x.reshape(shape),
        _reshape(),
    ),
    OpSpec(
        "transpose",
        lambda x, axes: ops.transpose(x, *axes),
        np.transpose,
        _transpose(),
    ),
    OpSpec("T", lambda x: x.T, lambda x: x.T, _UNARY),
    OpSpec("getitem", ops.getitem, lambda x, index: x[index], _basic_index()),
    OpSpec("getitem_array", ops.getitem, lambda x, index: x[index], _array_getitem()),
    OpSpec("scatter_add", ops.scatter_add, _scatter_reference, _scatter()),
    OpSpec(
        "concat",
        lambda *xs, axis: ops.concat(xs, axis),
        lambda *xs, axis: np.concatenate(xs, axis),
        _join(new_axis=False),
    ),
    OpSpec(
        "stack",
        lambda *xs, axis: ops.stack(xs, axis),
        lambda *xs, axis: np.stack(xs, axis),
        _join(new_axis=True),
    ),
    OpSpec("broadcast_to", ops.broadcast_to, np.broadcast_to, _broadcast_to()),
    # float64 -> float32 rounds to ~1e-7, so the difference step must be much larger
    OpSpec(
        "astype",
        lambda x: ops.astype(ops.astype(x, np.float32), np.float64),
        lambda x: x.astype(np.float32).astype(np.float64),
        _UNARY,
        eps=1e-2,
    ),
    *(
        OpSpec(f"cross_entropy_{r}", ops.cross_entropy, _cross_entropy, _logits(r))
        for r in ("mean", "sum", "none")
    ),
    OpSpec(
        "mse",
        ops.mse,
        lambda a, b: np.mean((a - b) ** 2),
        arrays().flatmap(lambda a: arrays(a.shape).map(lambda b: OpCase((a, b)))),
    ),
]

OPS_BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in OPS}
