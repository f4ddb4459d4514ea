"""The table of every built-in op: one ``OpSpec`` row each.

A row holds the op, a numpy reference forward, a strategy of valid inputs
(drawn with ``minigrad.testing``), and whether its second derivative is
checked. The test suite and ``python -m minigrad gradcheck`` both read
``OPS``, so adding an op means adding one row (and, for unusual inputs, one
small strategy next to the others below).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from . import ops
from .ops.loss import REDUCTIONS
from .ops.reduce import reduced_count
from .tensor import Tensor
from .testing import (
    KINK_MARGIN,
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


@st.composite
def _unary_with(
    draw: Any, elements: st.SearchStrategy[float] | None = None, **params: Any
) -> OpCase:
    """One array and a value drawn for each keyword parameter."""
    x = draw(arrays(elements=elements))
    return OpCase((x,), {name: draw(values) for name, values in params.items()})


@st.composite
def _spread(draw: Any) -> OpCase:
    """var/std: a reduction case with a correction, leaving at least one degree of freedom."""
    case = draw(_reduction())
    correction = draw(st.sampled_from([0, 1]))
    assume(reduced_count(case.arrays[0].shape, case.params["axis"]) > correction)
    return OpCase(case.arrays, {**case.params, "correction": correction})


@st.composite
def _cumsum(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    return OpCase((x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))})


@st.composite
def _squeeze(draw: Any) -> OpCase:
    shape = draw(shapes(min_dims=1, min_side=1, max_side=2))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return OpCase((draw(arrays(shape)),), {"axis": axis})


@st.composite
def _unsqueeze(draw: Any) -> OpCase:
    x = draw(arrays())
    return OpCase((x,), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))})


@st.composite
def _flatten(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return OpCase((x,), {"start_dim": start, "end_dim": end - x.ndim if end % 2 else end})


@st.composite
def _split(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    sections = draw(st.one_of(st.integers(1, n + 1), _sections(n)))
    return OpCase((x,), {"sections": sections, "axis": axis})


def _sections(n: int) -> st.SearchStrategy[list[int]]:
    """Sizes that add up to n (zeros allowed, as PyTorch allows)."""
    cuts = st.lists(st.integers(0, n), max_size=3).map(sorted)
    return cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, n], strict=True)])


@st.composite
def _chunk(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    return OpCase(
        (x,), {"chunks": draw(st.integers(1, 4)), "axis": draw(st.integers(0, x.ndim - 1))}
    )


@st.composite
def _repeat(draw: Any) -> OpCase:
    x = draw(arrays(shapes(max_dims=2)))
    extra = draw(st.integers(0, 1))
    return OpCase((x,), {"repeats": tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))})


@st.composite
def _pad(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axes = draw(st.integers(1, x.ndim))
    widths = tuple(draw(st.integers(0, 2)) for _ in range(2 * axes))
    return OpCase((x,), {"pad": widths, "value": draw(st.sampled_from([0.0, -1.5]))})


@st.composite
def _matrix_with_diagonal(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=2)))
    return OpCase((x,), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def _masked_fill(draw: Any) -> OpCase:
    """A mask that broadcasts to x: a suffix of x's shape, some sides set to 1."""
    x = draw(arrays())
    kept = x.shape[x.ndim - draw(st.integers(0, x.ndim)) :]
    mask = draw(hnp.arrays(np.bool_, tuple(1 if draw(st.booleans()) else n for n in kept)))
    return OpCase((x,), {"mask": mask, "value": draw(floats())})


@st.composite
def _gather(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    index_shape = tuple(draw(st.integers(1, n)) for n in x.shape)
    index_shape = (
        index_shape[: axis % x.ndim] + (draw(st.integers(1, 4)),) + index_shape[axis % x.ndim + 1 :]
    )
    n = x.shape[axis]
    index = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, n - 1)))
    return OpCase((x,), {"axis": axis, "index": index})


@st.composite
def _topk(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    k = draw(st.integers(1, x.shape[axis]))
    return OpCase((x,), {"k": k, "axis": axis, "largest": draw(st.booleans())})


def _gather_reference(x: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """numpy's take_along_axis broadcasts; PyTorch's gather reads x only within index's shape."""
    axis %= x.ndim
    window = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
    return np.take_along_axis(x[window], index, axis)


@st.composite
def _prod_with_zeros(draw: Any) -> OpCase:
    """A product with one to three factors exactly 0, the others away from 0."""
    x = draw(arrays(shapes(min_dims=1), elements=floats(0.1, 3.0)))
    x = x * draw(hnp.arrays(np.int8, x.shape, elements=st.sampled_from([1, -1])))
    zeros = draw(st.lists(st.integers(0, x.size - 1), min_size=1, max_size=3, unique=True))
    x.reshape(-1)[zeros] = 0.0
    return OpCase((x,), {"axis": None, "keepdims": draw(st.booleans())})


def _distinct_along(x: np.ndarray, axis: int) -> bool:
    """No two values along ``axis`` within the kink margin (topk's order is then stable)."""
    ordered = np.sort(x, axis=axis)
    return bool(np.all(np.diff(ordered, axis=axis) >= KINK_MARGIN))


def _topk_reference(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    ordered = np.sort(x, axis=axis)
    ordered = np.flip(ordered, axis=axis) if largest else ordered
    return np.take(ordered, np.arange(k), axis=axis)


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


_erf_reference = np.vectorize(math.erf, otypes=[float])


def _split_weighted(x: Any, sections: Any, axis: int, split: Callable[..., Any], join: Any) -> Any:
    """The pieces of a split, piece i times (i + 1), joined again: each has its own gradient."""
    return join([piece * (i + 1) for i, piece in enumerate(split(x, sections, axis))], axis)


def _np_split(x: np.ndarray, sections: Any, axis: int) -> list[np.ndarray]:
    n = x.shape[axis]
    if isinstance(sections, int):
        sections = [min(sections, n - s) for s in range(0, n, sections)]
    return np.split(x, np.cumsum(sections)[:-1], axis=axis)


@st.composite
def _ignored_targets(draw: Any, smoothing: bool) -> OpCase:
    """Class targets with some rows set to ignore_index (-100), and maybe label smoothing."""
    case = draw(_logits(draw(st.sampled_from(REDUCTIONS))))
    targets = case.params["targets"].copy()
    ignored = np.array(draw(st.lists(st.booleans(), min_size=len(targets), max_size=len(targets))))
    assume(case.params["reduction"] != "mean" or not ignored.all())
    targets[ignored] = -100
    params = {**case.params, "targets": targets}
    params["label_smoothing"] = draw(st.sampled_from([0.1, 0.5])) if smoothing else 0.0
    return OpCase(case.arrays, params)


@st.composite
def _probability_targets(draw: Any) -> OpCase:
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    weights = draw(arrays((n, c), elements=floats(0.0, 1.0)))
    assume(np.all(weights.sum(axis=1) > 0))
    targets = weights / weights.sum(axis=1, keepdims=True)
    params = {
        "targets": targets,
        "reduction": draw(st.sampled_from(REDUCTIONS)),
        "label_smoothing": draw(st.sampled_from([0.0, 0.2])),
    }
    return OpCase((draw(arrays((n, c))),), params)


def _cross_entropy_general(
    logits: np.ndarray, targets: np.ndarray, reduction: str, label_smoothing: float
) -> Any:
    """-sum_c q_nc log softmax(o_n)_c with q from indices (ignored rows: 0) or probabilities."""
    n, c = logits.shape
    if targets.ndim == 2:
        q, kept = targets, np.ones(n, dtype=bool)
    else:
        kept = targets != -100
        q = np.zeros((n, c))
        q[np.arange(n)[kept], targets[kept]] = 1.0
    q = ((1 - label_smoothing) * q + label_smoothing / c) * kept[:, None]
    losses = -(q * _log_softmax(logits, 1)).sum(axis=1)
    if reduction == "none":
        return losses
    return losses.sum() / kept.sum() if reduction == "mean" else losses.sum()


@st.composite
def _log_probs(draw: Any) -> OpCase:
    case = draw(_ignored_targets(smoothing=False))
    log_probs = _log_softmax(case.arrays[0], 1)
    params = {k: v for k, v in case.params.items() if k != "label_smoothing"}
    return OpCase((log_probs,), params)


def _nll_reference(x: np.ndarray, targets: np.ndarray, reduction: str) -> Any:
    kept = targets != -100
    losses = np.where(kept, -x[np.arange(len(x)), np.where(kept, targets, 0)], 0.0)
    if reduction == "none":
        return losses
    return losses.sum() / kept.sum() if reduction == "mean" else losses.sum()


@st.composite
def _binary(draw: Any, first: st.SearchStrategy[float], reduction: str) -> OpCase:
    x = draw(arrays(elements=first))
    return OpCase((x, draw(arrays(x.shape, elements=floats(0.0, 1.0)))), {"reduction": reduction})


@st.composite
def _pair(draw: Any, reduction: str) -> OpCase:
    a = draw(arrays())
    return OpCase((a, draw(arrays(a.shape))), {"reduction": reduction})


def _reduced(losses: np.ndarray, reduction: str) -> Any:
    return losses if reduction == "none" else losses.mean() if reduction == "mean" else losses.sum()


def _bce(p: np.ndarray, t: np.ndarray, reduction: str) -> Any:
    return _reduced(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def _bce_with_logits(x: np.ndarray, t: np.ndarray, reduction: str) -> Any:
    s = 1 / (1 + np.exp(-x))
    return _reduced(-(t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)


def _softplus_reference(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


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


# The ops PyTorch users reach for next: elementwise, activations, reductions, shapes, losses.
OPS += [
    OpSpec("sin", ops.sin, np.sin, _UNARY),
    OpSpec("cos", ops.cos, np.cos, _UNARY),
    OpSpec("erf", ops.erf, _erf_reference, _UNARY),
    OpSpec("log2", ops.log2, np.log2, _elementwise(POSITIVE)),
    OpSpec("exp2", ops.exp2, np.exp2, _UNARY),
    OpSpec("rsqrt", ops.rsqrt, lambda x: 1 / np.sqrt(x), _elementwise(POSITIVE)),
    OpSpec(
        "leaky_relu",
        ops.leaky_relu,
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
        _unary_with(negative_slope=st.sampled_from([0.01, 0.2, -0.5])),
        _kinks(0.0),
    ),
    OpSpec(
        "elu",
        ops.elu,
        lambda x, alpha: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
        _unary_with(alpha=st.sampled_from([1.0, 0.5])),
        _kinks(0.0),
    ),
    OpSpec("gelu", ops.gelu, lambda x: x * (1 + _erf_reference(x / np.sqrt(2))) / 2, _UNARY),
    OpSpec("gelu_tanh", lambda x: ops.gelu(x, approximate="tanh"), _gelu_tanh, _UNARY),
    OpSpec("silu", ops.silu, lambda x: x / (1 + np.exp(-x)), _UNARY),
    OpSpec(
        "softplus",
        ops.softplus,
        _softplus_reference,
        _unary_with(beta=st.sampled_from([1.0, 2.0]), threshold=st.sampled_from([20.0, 1.0])),
        lambda x, beta, threshold: away_from(beta * x, [threshold]),
    ),
    OpSpec("logsigmoid", ops.logsigmoid, lambda x: -np.log1p(np.exp(-x)), _UNARY),
    OpSpec(
        "hardtanh",
        ops.hardtanh,
        lambda x, min_val, max_val: np.clip(x, min_val, max_val),
        _unary_with(min_val=st.sampled_from([-1.0, -2.0]), max_val=st.sampled_from([1.0, 0.5])),
        lambda x, min_val, max_val: away_from(x, [min_val, max_val]),
    ),
    OpSpec(
        "relu6",
        ops.relu6,
        lambda x: np.clip(x, 0.0, 6.0),
        _elementwise(floats(-2.0, 8.0)),
        _kinks(0.0, 6.0),
    ),
    OpSpec(
        "prod",
        ops.prod,
        np.prod,
        _REDUCE,
        lambda x, axis, keepdims: away_from(x, [0.0]),  # y / x_i is the rule away from 0
    ),
    OpSpec("prod_zeros", ops.prod, np.prod, _prod_with_zeros()),
    OpSpec(
        "var",
        ops.var,
        lambda x, axis, keepdims, correction: np.var(
            x, axis=axis, keepdims=keepdims, ddof=correction
        ),
        _spread(),
    ),
    OpSpec(
        "std",
        ops.std,
        lambda x, axis, keepdims, correction: np.std(
            x, axis=axis, keepdims=keepdims, ddof=correction
        ),
        _spread(),
        lambda x, axis, keepdims, correction: bool(np.all(np.var(x, axis=axis) > 1e-3)),
    ),
    OpSpec("cumsum", ops.cumsum, lambda x, axis: np.cumsum(x, axis=axis), _cumsum()),
    OpSpec(
        "squeeze",
        ops.squeeze,
        lambda x, axis: np.squeeze(x, axis) if axis is None or x.shape[axis] == 1 else x,
        _squeeze(),
    ),
    OpSpec("unsqueeze", ops.unsqueeze, np.expand_dims, _unsqueeze()),
    OpSpec(
        "flatten",
        ops.flatten,
        lambda x, start_dim, end_dim: x.reshape(
            x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1 :]
        ),
        _flatten(),
    ),
    OpSpec(
        "split",
        lambda x, sections, axis: _split_weighted(x, sections, axis, ops.split, ops.concat),
        lambda x, sections, axis: _split_weighted(x, sections, axis, _np_split, np.concatenate),
        _split(),
    ),
    OpSpec(
        "chunk",
        lambda x, chunks, axis: _split_weighted(x, chunks, axis, ops.chunk, ops.concat),
        lambda x, chunks, axis: _split_weighted(
            x, -(-x.shape[axis] // chunks), axis, _np_split, np.concatenate
        ),
        _chunk(),
    ),
    OpSpec(
        "repeat",
        lambda x, repeats: ops.repeat(x, *repeats),
        lambda x, repeats: np.tile(x, repeats),
        _repeat(),
    ),
    OpSpec(
        "pad",
        ops.pad,
        lambda x, pad, value: np.pad(
            x,
            [(0, 0)] * (x.ndim - len(pad) // 2)
            + [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)][::-1],
            constant_values=value,
        ),
        _pad(),
    ),
    OpSpec("tril", ops.tril, lambda x, diagonal: np.tril(x, diagonal), _matrix_with_diagonal()),
    OpSpec("triu", ops.triu, lambda x, diagonal: np.triu(x, diagonal), _matrix_with_diagonal()),
    OpSpec(
        "masked_fill",
        ops.masked_fill,
        lambda x, mask, value: np.where(mask, value, x),
        _masked_fill(),
    ),
    OpSpec(
        "gather",
        ops.gather,
        _gather_reference,
        _gather(),
    ),
    OpSpec(
        "topk",
        lambda x, k, axis, largest: ops.topk(x, k, axis, largest).values,
        _topk_reference,
        _topk(),
        lambda x, k, axis, largest: _distinct_along(x, axis),
    ),
    OpSpec(
        "cross_entropy_ignore_index",
        ops.cross_entropy,
        _cross_entropy_general,
        _ignored_targets(smoothing=False),
    ),
    OpSpec(
        "cross_entropy_smoothing",
        ops.cross_entropy,
        _cross_entropy_general,
        _ignored_targets(smoothing=True),
    ),
    OpSpec(
        "cross_entropy_probs",
        ops.cross_entropy,
        _cross_entropy_general,
        _probability_targets(),
    ),
    OpSpec("nll_loss", ops.nll_loss, _nll_reference, _log_probs()),
    *(
        OpSpec(
            f"binary_cross_entropy_{r}",
            ops.binary_cross_entropy,
            _bce,
            _binary(floats(0.05, 0.95), r),
        )
        for r in REDUCTIONS
    ),
    *(
        OpSpec(
            f"bce_with_logits_{r}",
            ops.binary_cross_entropy_with_logits,
            _bce_with_logits,
            _binary(floats(), r),
        )
        for r in REDUCTIONS
    ),
    *(
        OpSpec(
            f"mse_{r}",
            ops.mse,
            lambda a, b, reduction: _reduced((a - b) ** 2, reduction),
            _pair(r),
        )
        for r in ("sum", "none")
    ),
]

OPS_BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in OPS}
