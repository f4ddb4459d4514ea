"""What the op table's rows draw and what they compare with.

Each strategy draws ``OpCase``s of one op (arrays plus fixed keyword
parameters) with ``minigrad.testing``; each reference is the op's forward in
plain numpy; ``kinks`` and friends say where a case is inside the op's
domain. ``op_table.py`` puts them together, one row per op.
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

from .ops.loss import REDUCTIONS
from .ops.reduce import reduced_count
from .testing import KINK_MARGIN, POSITIVE, arrays, away_from, broadcastable_shapes, floats, shapes


@dataclass
class OpCase:
    """One drawn input of an op: the differentiable arrays and fixed keyword params."""

    arrays: tuple[np.ndarray, ...]
    params: dict[str, Any] = field(default_factory=dict)


@st.composite
def elementwise(draw: Any, *elements: st.SearchStrategy[float]) -> OpCase:
    """Inputs of broadcastable shapes, input i drawn from ``elements[i]``."""
    drawn = draw(broadcastable_shapes(len(elements)))
    return OpCase(tuple(draw(arrays(s, elements=e)) for s, e in zip(drawn, elements, strict=True)))


def axes(ndim: int) -> st.SearchStrategy[int | tuple[int, ...] | None]:
    """None, an int (maybe negative) or a tuple of distinct axes (maybe negative)."""
    tuples = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).flatmap(
        lambda ax: st.tuples(*[st.sampled_from([a, a - ndim]) for a in ax])
    )
    return st.one_of(st.none(), st.integers(-ndim, ndim - 1), tuples)


@st.composite
def reduction(draw: Any, axis_param: bool = True) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axis = draw(axes(x.ndim)) if axis_param else draw(st.integers(-x.ndim, x.ndim - 1))
    params = {"axis": axis, "keepdims": draw(st.booleans())} if axis_param else {"axis": axis}
    return OpCase((x,), params)


@st.composite
def pow_scalar(draw: Any) -> OpCase:
    p = draw(st.sampled_from([2, 3, -1, 0.5, 1.5, -2.5]))
    elements = floats() if float(p).is_integer() else POSITIVE
    return OpCase((draw(arrays(elements=elements)),), {"p": p})


@st.composite
def matmul(draw: Any, a_ndim: int, b_ndim: int, batched: bool = False) -> OpCase:
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2)) if batched else ((), ())
    a_shape = (k,) if a_ndim == 1 else batch_a + (n, k)  # a 1-D operand has no batch axes
    b_shape = (k,) if b_ndim == 1 else batch_b + (k, m)
    return OpCase((draw(arrays(a_shape)), draw(arrays(b_shape))))


@st.composite
def addmm(draw: Any) -> OpCase:
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    c_shape = draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    return OpCase((draw(arrays(c_shape)), draw(arrays((n, k))), draw(arrays((k, m)))))


@st.composite
def reshape(draw: Any) -> OpCase:
    x = draw(arrays())
    size = x.size
    target = draw(st.sampled_from([(size,), (-1,), x.shape[::-1], (1, size), (size, 1, -1)]))
    return OpCase((x,), {"shape": target})


@st.composite
def transpose(draw: Any) -> OpCase:
    """A permutation of the axes, each axis written as ``a`` or as ``a - ndim``."""
    x = draw(arrays())
    perm = draw(st.permutations(range(x.ndim)))
    return OpCase((x,), {"axes": tuple(draw(st.sampled_from([a, a - x.ndim])) for a in perm)})


@st.composite
def basic_index(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    index = tuple(
        draw(st.one_of(st.integers(-n, n - 1), st.slices(n)))
        for n in x.shape[: draw(st.integers(1, x.ndim))]
    )
    return OpCase((x,), {"index": index})


@st.composite
def array_index(draw: Any) -> tuple[tuple[int, ...], Any]:
    """A shape and an integer-array index into it, repeats likely (axis 0 or 1)."""
    shape = draw(shapes(min_dims=1))
    axis = draw(st.integers(0, min(len(shape), 2) - 1))
    n = shape[axis]
    picks = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5)))
    return shape, (picks if axis == 0 else (slice(None), picks))


@st.composite
def array_getitem(draw: Any) -> OpCase:
    shape, index = draw(array_index())
    return OpCase((draw(arrays(shape)),), {"index": index})


@st.composite
def scatter(draw: Any) -> OpCase:
    shape, index = draw(array_index())
    x = draw(arrays(np.zeros(shape)[index].shape))
    return OpCase((x,), {"index": index, "shape": shape})


@st.composite
def join(draw: Any, new_axis: bool) -> OpCase:
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
def broadcast_to(draw: Any) -> OpCase:
    target = draw(shapes())
    kept = target[len(target) - draw(st.integers(0, len(target))) :]
    source = tuple(1 if draw(st.booleans()) else n for n in kept)
    return OpCase((draw(arrays(source)),), {"shape": target})


@st.composite
def logits(draw: Any, reduction: str) -> OpCase:
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    targets = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return OpCase((draw(arrays((n, c))),), {"targets": targets, "reduction": reduction})


@st.composite
def clip(draw: Any) -> OpCase:
    low = draw(st.one_of(st.none(), floats(-2.0, 0.0)))
    high = draw(floats(0.5, 2.0) if low is None else st.one_of(st.none(), floats(0.5, 2.0)))
    return OpCase((draw(arrays()),), {"low": low, "high": high})


@st.composite
def where(draw: Any) -> OpCase:
    a_shape, b_shape, cond_shape = draw(broadcastable_shapes(3))
    cond = draw(hnp.arrays(np.bool_, cond_shape))
    return OpCase((draw(arrays(a_shape)), draw(arrays(b_shape))), {"cond": cond})


@st.composite
def unary_with(
    draw: Any, elements: st.SearchStrategy[float] | None = None, **params: Any
) -> OpCase:
    """One array and a value drawn for each keyword parameter."""
    x = draw(arrays(elements=elements))
    return OpCase((x,), {name: draw(values) for name, values in params.items()})


@st.composite
def spread(draw: Any) -> OpCase:
    """var/std: a reduction case with a correction, leaving at least one degree of freedom."""
    case = draw(reduction())
    correction = draw(st.sampled_from([0, 1]))
    assume(reduced_count(case.arrays[0].shape, case.params["axis"]) > correction)
    return OpCase(case.arrays, {**case.params, "correction": correction})


@st.composite
def cumsum(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    return OpCase((x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))})


@st.composite
def squeeze(draw: Any) -> OpCase:
    shape = draw(shapes(min_dims=1, min_side=1, max_side=2))
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    return OpCase((draw(arrays(shape)),), {"axis": axis})


@st.composite
def unsqueeze(draw: Any) -> OpCase:
    x = draw(arrays())
    return OpCase((x,), {"axis": draw(st.integers(-x.ndim - 1, x.ndim))})


@st.composite
def flatten(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return OpCase((x,), {"start_dim": start, "end_dim": end - x.ndim if end % 2 else end})


@st.composite
def split(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    sections = draw(st.one_of(st.integers(1, n + 1), section_sizes(n)))
    return OpCase((x,), {"sections": sections, "axis": axis})


def section_sizes(n: int) -> st.SearchStrategy[list[int]]:
    """Sizes that add up to n (zeros allowed, as PyTorch allows)."""
    cuts = st.lists(st.integers(0, n), max_size=3).map(sorted)
    return cuts.map(lambda c: [b - a for a, b in zip([0, *c], [*c, n], strict=True)])


@st.composite
def chunk(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1, max_side=4)))
    return OpCase(
        (x,), {"chunks": draw(st.integers(1, 4)), "axis": draw(st.integers(0, x.ndim - 1))}
    )


@st.composite
def repeat(draw: Any) -> OpCase:
    x = draw(arrays(shapes(max_dims=2)))
    extra = draw(st.integers(0, 1))
    return OpCase((x,), {"repeats": tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))})


@st.composite
def pad(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axes = draw(st.integers(1, x.ndim))
    widths = tuple(draw(st.integers(0, 2)) for _ in range(2 * axes))
    return OpCase((x,), {"pad": widths, "value": draw(st.sampled_from([0.0, -1.5]))})


@st.composite
def matrix_with_diagonal(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=2)))
    return OpCase((x,), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def masked_fill(draw: Any) -> OpCase:
    """A mask that broadcasts to x: a suffix of x's shape, some sides set to 1."""
    x = draw(arrays())
    kept = x.shape[x.ndim - draw(st.integers(0, x.ndim)) :]
    mask = draw(hnp.arrays(np.bool_, tuple(1 if draw(st.booleans()) else n for n in kept)))
    return OpCase((x,), {"mask": mask, "value": draw(floats())})


@st.composite
def gather(draw: Any) -> OpCase:
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
def topk(draw: Any) -> OpCase:
    x = draw(arrays(shapes(min_dims=1)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    k = draw(st.integers(1, x.shape[axis]))
    return OpCase((x,), {"k": k, "axis": axis, "largest": draw(st.booleans())})


def gather_reference(x: np.ndarray, axis: int, index: np.ndarray) -> np.ndarray:
    """numpy's take_along_axis broadcasts; PyTorch's gather reads x only within index's shape."""
    axis %= x.ndim
    window = tuple(slice(None) if d == axis else slice(0, n) for d, n in enumerate(index.shape))
    return np.take_along_axis(x[window], index, axis)


@st.composite
def prod_with_zeros(draw: Any) -> OpCase:
    """A product with one to three factors exactly 0, the others away from 0."""
    x = draw(arrays(shapes(min_dims=1), elements=floats(0.1, 3.0)))
    x = x * draw(hnp.arrays(np.int8, x.shape, elements=st.sampled_from([1, -1])))
    zeros = draw(st.lists(st.integers(0, x.size - 1), min_size=1, max_size=3, unique=True))
    x.reshape(-1)[zeros] = 0.0
    return OpCase((x,), {"axis": None, "keepdims": draw(st.booleans())})


def distinct_along(x: np.ndarray, axis: int) -> bool:
    """No two values along ``axis`` within the kink margin (topk's order is then stable)."""
    ordered = np.sort(x, axis=axis)
    return bool(np.all(np.diff(ordered, axis=axis) >= KINK_MARGIN))


def topk_reference(x: np.ndarray, k: int, axis: int, largest: bool) -> np.ndarray:
    ordered = np.sort(x, axis=axis)
    ordered = np.flip(ordered, axis=axis) if largest else ordered
    return np.take(ordered, np.arange(k), axis=axis)


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


erf_reference = np.vectorize(math.erf, otypes=[float])


def split_weighted(x: Any, sections: Any, axis: int, split: Callable[..., Any], join: Any) -> Any:
    """The pieces of a split, piece i times (i + 1), joined again: each has its own gradient."""
    return join([piece * (i + 1) for i, piece in enumerate(split(x, sections, axis))], axis)


def np_split(x: np.ndarray, sections: Any, axis: int) -> list[np.ndarray]:
    n = x.shape[axis]
    if isinstance(sections, int):
        sections = [min(sections, n - s) for s in range(0, n, sections)]
    return np.split(x, np.cumsum(sections)[:-1], axis=axis)


@st.composite
def ignored_targets(draw: Any, smoothing: bool) -> OpCase:
    """Class targets with some rows set to ignore_index (-100), and maybe label smoothing."""
    case = draw(logits(draw(st.sampled_from(REDUCTIONS))))
    targets = case.params["targets"].copy()
    ignored = np.array(draw(st.lists(st.booleans(), min_size=len(targets), max_size=len(targets))))
    assume(case.params["reduction"] != "mean" or not ignored.all())
    targets[ignored] = -100
    params = {**case.params, "targets": targets}
    params["label_smoothing"] = draw(st.sampled_from([0.1, 0.5])) if smoothing else 0.0
    return OpCase(case.arrays, params)


@st.composite
def probability_targets(draw: Any) -> OpCase:
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


def cross_entropy_general(
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
    losses = -(q * log_softmax(logits, 1)).sum(axis=1)
    if reduction == "none":
        return losses
    return losses.sum() / kept.sum() if reduction == "mean" else losses.sum()


@st.composite
def log_probs(draw: Any) -> OpCase:
    case = draw(ignored_targets(smoothing=False))
    log_probs = log_softmax(case.arrays[0], 1)
    params = {k: v for k, v in case.params.items() if k != "label_smoothing"}
    return OpCase((log_probs,), params)


def nll_reference(x: np.ndarray, targets: np.ndarray, reduction: str) -> Any:
    kept = targets != -100
    losses = np.where(kept, -x[np.arange(len(x)), np.where(kept, targets, 0)], 0.0)
    if reduction == "none":
        return losses
    return losses.sum() / kept.sum() if reduction == "mean" else losses.sum()


@st.composite
def binary(draw: Any, first: st.SearchStrategy[float], reduction: str) -> OpCase:
    x = draw(arrays(elements=first))
    return OpCase((x, draw(arrays(x.shape, elements=floats(0.0, 1.0)))), {"reduction": reduction})


@st.composite
def pair(draw: Any, reduction: str) -> OpCase:
    a = draw(arrays())
    return OpCase((a, draw(arrays(a.shape))), {"reduction": reduction})


def reduced(losses: np.ndarray, reduction: str) -> Any:
    return losses if reduction == "none" else losses.mean() if reduction == "mean" else losses.sum()


def bce(p: np.ndarray, t: np.ndarray, reduction: str) -> Any:
    return reduced(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def bce_with_logits(x: np.ndarray, t: np.ndarray, reduction: str) -> Any:
    s = 1 / (1 + np.exp(-x))
    return reduced(-(t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)


def softplus_reference(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str) -> Any:
    losses = -log_softmax(logits, 1)[np.arange(len(targets)), targets]
    if reduction == "none":
        return losses
    return np.mean(losses) if reduction == "mean" else np.sum(losses)


def scatter_reference(x: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, index, x)
    return out


def kinks(*points: float) -> Callable[..., bool]:
    return lambda x, **params: away_from(x, points)


UNARY = elementwise(floats())
BINARY = elementwise(floats(), floats())
REDUCE = reduction()
