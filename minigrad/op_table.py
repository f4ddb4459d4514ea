"""The table of every built-in op: one ``OpSpec`` row each.

A row holds the op, a numpy reference forward, a strategy of valid inputs
(drawn with ``minigrad.testing``), and whether its second derivative is
checked. The test suite and ``python -m minigrad gradcheck`` both read
``OPS``, so adding an op means adding one row (and, for unusual inputs, one
small strategy in ``op_cases.py``, where the strategies and references live).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from . import ops
from .op_cases import (
    BINARY,
    REDUCE,
    UNARY,
    OpCase,
    addmm,
    array_getitem,
    basic_index,
    bce,
    bce_with_logits,
    binary,
    broadcast_to,
    chunk,
    clip,
    cross_entropy,
    cross_entropy_general,
    cumsum,
    distinct_along,
    elementwise,
    erf_reference,
    flatten,
    gather,
    gather_reference,
    gelu_tanh,
    ignored_targets,
    join,
    kinks,
    log_probs,
    log_softmax,
    logits,
    masked_fill,
    matmul,
    matrix_with_diagonal,
    nll_reference,
    np_split,
    pad,
    pair,
    pow_scalar,
    probability_targets,
    prod_with_zeros,
    reduced,
    reduction,
    repeat,
    reshape,
    scatter,
    scatter_reference,
    softplus_reference,
    split,
    split_weighted,
    spread,
    squeeze,
    topk,
    topk_reference,
    transpose,
    unary_with,
    unsqueeze,
    where,
)
from .ops.loss import REDUCTIONS
from .tensor import Tensor
from .testing import POLE_MARGIN, POSITIVE, arrays, away_from, clear_extremum, floats


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


OPS: list[OpSpec] = [
    OpSpec("add", ops.add, np.add, BINARY),
    OpSpec("sub", ops.sub, np.subtract, BINARY),
    OpSpec("mul", ops.mul, np.multiply, BINARY),
    OpSpec("div", ops.div, np.divide, BINARY, lambda a, b: away_from(b, [0.0], POLE_MARGIN)),
    OpSpec("neg", ops.neg, np.negative, UNARY),
    OpSpec("pow", ops.pow, np.power, elementwise(POSITIVE, floats())),
    OpSpec(
        "pow_scalar",
        lambda x, p: x**p,
        lambda x, p: x**p,
        pow_scalar(),
        lambda x, p: p > 0 or away_from(x, [0.0], POLE_MARGIN),
    ),
    OpSpec("rpow", lambda x: 2**x, lambda x: 2.0**x, UNARY),
    OpSpec("rsub", lambda x: 2 - x, lambda x: 2.0 - x, UNARY),
    OpSpec(
        "rdiv",
        lambda x: 2 / x,
        lambda x: 2.0 / x,
        UNARY,
        lambda x: away_from(x, [0.0], POLE_MARGIN),
    ),
    OpSpec("exp", ops.exp, np.exp, UNARY),
    OpSpec("log", ops.log, np.log, elementwise(POSITIVE)),
    OpSpec("sqrt", ops.sqrt, np.sqrt, elementwise(POSITIVE)),
    OpSpec("abs", ops.abs, np.abs, UNARY, kinks(0.0)),
    OpSpec("maximum", ops.maximum, np.maximum, BINARY, lambda a, b: away_from(a - b, [0.0])),
    OpSpec("minimum", ops.minimum, np.minimum, BINARY, lambda a, b: away_from(a - b, [0.0])),
    OpSpec(
        "where",
        lambda a, b, cond: ops.where(cond, a, b),
        lambda a, b, cond: np.where(cond, a, b),
        where(),
    ),
    OpSpec(
        "clip",
        ops.clip,
        lambda x, low, high: np.clip(x, low, high),
        clip(),
        lambda x, low, high: away_from(x, [p for p in (low, high) if p is not None]),
    ),
    OpSpec("tanh", ops.tanh, np.tanh, UNARY),
    OpSpec("sigmoid", ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), UNARY),
    OpSpec("relu", ops.relu, lambda x: np.maximum(x, 0.0), UNARY, kinks(0.0)),
    OpSpec(
        "softmax",
        ops.softmax,
        lambda x, axis: np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True),
        reduction(axis_param=False),
    ),
    OpSpec("log_softmax", ops.log_softmax, log_softmax, reduction(axis_param=False)),
    OpSpec(
        "logsumexp",
        ops.logsumexp,
        lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)),
        REDUCE,
    ),
    OpSpec("sum", ops.sum, np.sum, REDUCE),
    OpSpec("mean", ops.mean, np.mean, REDUCE),
    OpSpec("max", ops.max, np.max, REDUCE, lambda x, axis, keepdims: clear_extremum(x, axis)),
    OpSpec("min", ops.min, np.min, REDUCE, lambda x, axis, keepdims: clear_extremum(-x, axis)),
    OpSpec("matmul_dot", ops.matmul, np.matmul, matmul(1, 1)),
    OpSpec("matmul_vecmat", ops.matmul, np.matmul, matmul(1, 2, batched=True)),
    OpSpec("matmul_matvec", ops.matmul, np.matmul, matmul(2, 1, batched=True)),
    OpSpec("matmul", ops.matmul, np.matmul, matmul(2, 2)),
    OpSpec("matmul_batched", ops.matmul, np.matmul, matmul(2, 2, batched=True)),
    OpSpec("addmm", ops.addmm, lambda c, a, b: c + a @ b, addmm()),
    OpSpec(
        "reshape",
        lambda x, shape: ops.reshape(x, shape),
        lambda x, shape: x.reshape(shape),
        reshape(),
    ),
    OpSpec(
        "transpose",
        lambda x, axes: ops.transpose(x, *axes),
        np.transpose,
        transpose(),
    ),
    OpSpec("T", lambda x: x.T, lambda x: x.T, UNARY),
    OpSpec("getitem", ops.getitem, lambda x, index: x[index], basic_index()),
    OpSpec("getitem_array", ops.getitem, lambda x, index: x[index], array_getitem()),
    OpSpec("scatter_add", ops.scatter_add, scatter_reference, scatter()),
    OpSpec(
        "concat",
        lambda *xs, axis: ops.concat(xs, axis),
        lambda *xs, axis: np.concatenate(xs, axis),
        join(new_axis=False),
    ),
    OpSpec(
        "stack",
        lambda *xs, axis: ops.stack(xs, axis),
        lambda *xs, axis: np.stack(xs, axis),
        join(new_axis=True),
    ),
    OpSpec("broadcast_to", ops.broadcast_to, np.broadcast_to, broadcast_to()),
    # float64 -> float32 rounds to ~1e-7, so the difference step must be much larger
    OpSpec(
        "astype",
        lambda x: ops.astype(ops.astype(x, np.float32), np.float64),
        lambda x: x.astype(np.float32).astype(np.float64),
        UNARY,
        eps=1e-2,
    ),
    *(
        OpSpec(f"cross_entropy_{r}", ops.cross_entropy, cross_entropy, logits(r))
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
    OpSpec("sin", ops.sin, np.sin, UNARY),
    OpSpec("cos", ops.cos, np.cos, UNARY),
    OpSpec("erf", ops.erf, erf_reference, UNARY),
    OpSpec("log2", ops.log2, np.log2, elementwise(POSITIVE)),
    OpSpec("exp2", ops.exp2, np.exp2, UNARY),
    OpSpec("rsqrt", ops.rsqrt, lambda x: 1 / np.sqrt(x), elementwise(POSITIVE)),
    OpSpec(
        "leaky_relu",
        ops.leaky_relu,
        lambda x, negative_slope: np.where(x > 0, x, negative_slope * x),
        unary_with(negative_slope=st.sampled_from([0.01, 0.2, -0.5])),
        kinks(0.0),
    ),
    OpSpec(
        "elu",
        ops.elu,
        lambda x, alpha: np.where(x > 0, x, alpha * (np.exp(x) - 1)),
        unary_with(alpha=st.sampled_from([1.0, 0.5])),
        kinks(0.0),
    ),
    OpSpec("gelu", ops.gelu, lambda x: x * (1 + erf_reference(x / np.sqrt(2))) / 2, UNARY),
    OpSpec("gelu_tanh", lambda x: ops.gelu(x, approximate="tanh"), gelu_tanh, UNARY),
    OpSpec("silu", ops.silu, lambda x: x / (1 + np.exp(-x)), UNARY),
    OpSpec(
        "softplus",
        ops.softplus,
        softplus_reference,
        unary_with(beta=st.sampled_from([1.0, 2.0]), threshold=st.sampled_from([20.0, 1.0])),
        lambda x, beta, threshold: away_from(beta * x, [threshold]),
    ),
    OpSpec("logsigmoid", ops.logsigmoid, lambda x: -np.log1p(np.exp(-x)), UNARY),
    OpSpec(
        "hardtanh",
        ops.hardtanh,
        lambda x, min_val, max_val: np.clip(x, min_val, max_val),
        unary_with(min_val=st.sampled_from([-1.0, -2.0]), max_val=st.sampled_from([1.0, 0.5])),
        lambda x, min_val, max_val: away_from(x, [min_val, max_val]),
    ),
    OpSpec(
        "relu6",
        ops.relu6,
        lambda x: np.clip(x, 0.0, 6.0),
        elementwise(floats(-2.0, 8.0)),
        kinks(0.0, 6.0),
    ),
    OpSpec(
        "prod",
        ops.prod,
        np.prod,
        REDUCE,
        lambda x, axis, keepdims: away_from(x, [0.0]),  # y / x_i is the rule away from 0
    ),
    OpSpec("prod_zeros", ops.prod, np.prod, prod_with_zeros()),
    OpSpec(
        "var",
        ops.var,
        lambda x, axis, keepdims, correction: np.var(
            x, axis=axis, keepdims=keepdims, ddof=correction
        ),
        spread(),
    ),
    OpSpec(
        "std",
        ops.std,
        lambda x, axis, keepdims, correction: np.std(
            x, axis=axis, keepdims=keepdims, ddof=correction
        ),
        spread(),
        lambda x, axis, keepdims, correction: bool(np.all(np.var(x, axis=axis) > 1e-3)),
    ),
    OpSpec("cumsum", ops.cumsum, lambda x, axis: np.cumsum(x, axis=axis), cumsum()),
    OpSpec(
        "squeeze",
        ops.squeeze,
        lambda x, axis: np.squeeze(x, axis) if axis is None or x.shape[axis] == 1 else x,
        squeeze(),
    ),
    OpSpec("unsqueeze", ops.unsqueeze, np.expand_dims, unsqueeze()),
    OpSpec(
        "flatten",
        ops.flatten,
        lambda x, start_dim, end_dim: x.reshape(
            x.shape[:start_dim] + (-1,) + x.shape[end_dim % x.ndim + 1 :]
        ),
        flatten(),
    ),
    OpSpec(
        "split",
        lambda x, sections, axis: split_weighted(x, sections, axis, ops.split, ops.concat),
        lambda x, sections, axis: split_weighted(x, sections, axis, np_split, np.concatenate),
        split(),
    ),
    OpSpec(
        "chunk",
        lambda x, chunks, axis: split_weighted(x, chunks, axis, ops.chunk, ops.concat),
        lambda x, chunks, axis: split_weighted(
            x, -(-x.shape[axis] // chunks), axis, np_split, np.concatenate
        ),
        chunk(),
    ),
    OpSpec(
        "repeat",
        lambda x, repeats: ops.repeat(x, *repeats),
        lambda x, repeats: np.tile(x, repeats),
        repeat(),
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
        pad(),
    ),
    OpSpec("tril", ops.tril, lambda x, diagonal: np.tril(x, diagonal), matrix_with_diagonal()),
    OpSpec("triu", ops.triu, lambda x, diagonal: np.triu(x, diagonal), matrix_with_diagonal()),
    OpSpec(
        "masked_fill",
        ops.masked_fill,
        lambda x, mask, value: np.where(mask, value, x),
        masked_fill(),
    ),
    OpSpec(
        "gather",
        ops.gather,
        gather_reference,
        gather(),
    ),
    OpSpec(
        "topk",
        lambda x, k, axis, largest: ops.topk(x, k, axis, largest).values,
        topk_reference,
        topk(),
        lambda x, k, axis, largest: distinct_along(x, axis),
    ),
    OpSpec(
        "cross_entropy_ignore_index",
        ops.cross_entropy,
        cross_entropy_general,
        ignored_targets(smoothing=False),
    ),
    OpSpec(
        "cross_entropy_smoothing",
        ops.cross_entropy,
        cross_entropy_general,
        ignored_targets(smoothing=True),
    ),
    OpSpec(
        "cross_entropy_probs",
        ops.cross_entropy,
        cross_entropy_general,
        probability_targets(),
    ),
    OpSpec("nll_loss", ops.nll_loss, nll_reference, log_probs()),
    *(
        OpSpec(
            f"binary_cross_entropy_{r}",
            ops.binary_cross_entropy,
            bce,
            binary(floats(0.05, 0.95), r),
        )
        for r in REDUCTIONS
    ),
    *(
        OpSpec(
            f"bce_with_logits_{r}",
            ops.binary_cross_entropy_with_logits,
            bce_with_logits,
            binary(floats(), r),
        )
        for r in REDUCTIONS
    ),
    *(
        OpSpec(
            f"mse_{r}",
            ops.mse,
            lambda a, b, reduction: reduced((a - b) ** 2, reduction),
            pair(r),
        )
        for r in ("sum", "none")
    ),
]

OPS_BY_NAME: dict[str, OpSpec] = {spec.name: spec for spec in OPS}
