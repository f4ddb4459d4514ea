"""Check analytic gradients against finite differences.

The numeric derivative of a scalar L along an input element x_i is the central
difference

    dL/dx_i ~ (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

whose error shrinks like eps**2 (a forward difference's only like eps). It is
computed in float64: in float32 the rounding error ~1e-7 / eps swamps it.

A non-scalar output y is checked through projections L = sum(v * y): for a
small output, one one-hot v per output element (the full Jacobian); for a
large one, a few random v. Likewise a large input is checked along a few random
directions d (comparing <dL/dx, d> with the difference along d) instead of
element by element.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import MinigradError
from .mode import enable_grad, no_grad
from .ops import concat, reshape
from .tensor import Tensor

FULL_JACOBIAN_MAX = 64  # inputs/outputs up to this size are checked element by element
RANDOM_PROBES = 6  # directions used above that size


class GradcheckError(MinigradError, AssertionError):
    """Analytic and numeric gradients disagree; the message is a table of mismatches."""


@dataclass
class Mismatch:
    input: int
    index: str
    analytic: float
    numeric: float

    @property
    def abs_err(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def rel_err(self) -> float:
        return self.abs_err / max(abs(self.numeric), 1e-300)


def _table(rows: list[Mismatch], total: int, fn_name: str) -> str:
    head = (
        f"{'input':>5}  {'index':<14}{'analytic':>14}{'numeric':>14}{'abs err':>11}{'rel err':>11}"
    )
    lines = [f"gradcheck failed for {fn_name}: {total} mismatch(es); first {len(rows)}:", head]
    for m in rows:
        lines.append(
            f"{m.input:>5}  {m.index:<14}{m.analytic:>14.6g}{m.numeric:>14.6g}"
            f"{m.abs_err:>11.2e}{m.rel_err:>11.2e}"
        )
    return "\n".join(lines)


def _as_float64_leaves(inputs: tuple[Any, ...]) -> list[Tensor]:
    """Copies of the inputs in float64; float inputs that require grad are checked."""
    leaves = []
    for x in inputs:
        t = x if isinstance(x, Tensor) else Tensor(x)
        if t.dtype == np.float32 and t.requires_grad:
            warnings.warn(
                "gradcheck: float32 input converted to float64 for finite differences",
                stacklevel=4,
            )
        data = t.data.astype(np.float64) if t.dtype.kind == "f" else t.data
        leaves.append(Tensor(data.copy(), requires_grad=t.requires_grad))
    return leaves


def _prepare(
    fn: Callable[..., Tensor], inputs: tuple[Any, ...], eps: float
) -> tuple[list[Tensor], Any]:
    """float64 copies of the inputs, and the shape of ``fn``'s output on them."""
    if not (isinstance(eps, int | float) and 0 < eps < np.inf):
        raise ValueError(f"gradcheck: eps must be a positive finite step, got {eps!r}")
    leaves = _as_float64_leaves(inputs)
    if not any(x.requires_grad for x in leaves):
        raise ValueError(
            "gradcheck: no input requires grad, so there is nothing to check; "
            "pass the inputs to differentiate with requires_grad=True"
        )
    with no_grad():
        y = fn(*leaves)
    if not isinstance(y, Tensor):
        raise TypeError(
            f"gradcheck: {getattr(fn, '__name__', 'fn')} must return a Tensor, "
            f"got {type(y).__name__} (a plain number or array has no gradient)"
        )
    return leaves, y.shape


def _projections(size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One-hot vectors for small sizes, random unit vectors otherwise."""
    if size <= FULL_JACOBIAN_MAX:
        return list(np.eye(size))
    return [v / np.linalg.norm(v) for v in rng.standard_normal((RANDOM_PROBES, size))]


def numerical_grad(
    fn: Callable[..., Tensor],
    inputs: list[Tensor],
    which: int,
    direction: np.ndarray,
    out_weights: np.ndarray,
    eps: float = 1e-6,
) -> float:
    """Central difference of L = sum(w * fn(*inputs)) along ``direction`` of input ``which``."""
    x = inputs[which].data
    saved = x.copy()
    values = []
    with no_grad():
        for sign in (1.0, -1.0):
            x[...] = saved + sign * eps * direction.reshape(x.shape)
            values.append(float(np.sum(out_weights * _data(fn(*inputs)))))
    x[...] = saved
    return (values[0] - values[1]) / (2 * eps)


def _data(y: Any) -> np.ndarray:
    return y.data if isinstance(y, Tensor) else np.asarray(y)


def _analytic(
    fn: Callable[..., Tensor], inputs: list[Tensor], out_weights: np.ndarray
) -> list[np.ndarray]:
    """d sum(w * fn(*inputs)) / d input, by backward (zeros where nothing flows)."""
    for x in inputs:
        x.grad = None
    y = fn(*inputs)
    if y.requires_grad:
        y.backward(out_weights.reshape(y.shape).astype(y.dtype))
    return [np.zeros_like(x.data) if x.grad is None else x.grad.data.copy() for x in inputs]


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """True if backward of ``fn`` matches central differences, else ``GradcheckError``.

    Checks every input that requires grad; the inputs themselves are not modified.
    A pair passes when |analytic - numeric| <= atol + rtol * |numeric|.
    """
    rng = np.random.default_rng(seed)
    leaves, out_shape = _prepare(fn, inputs, eps)
    mismatches: list[Mismatch] = []
    for flat_weights in _projections(int(np.prod(out_shape)), rng):
        out_weights = flat_weights.reshape(out_shape)
        grads = _analytic(fn, leaves, out_weights)
        for i, x in enumerate(leaves):
            if not x.requires_grad:
                continue
            for direction in _projections(x.size, rng):
                numeric = numerical_grad(fn, leaves, i, direction, out_weights, eps)
                analytic = float(np.sum(grads[i] * direction.reshape(x.shape)))
                if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
                    mismatches.append(
                        Mismatch(i, _label(direction, x.shape, out_weights), analytic, numeric)
                    )
    if mismatches:
        name = getattr(fn, "__name__", repr(fn))
        raise GradcheckError(_table(mismatches[:8], len(mismatches), name))
    return True


def _label(direction: np.ndarray, shape: tuple[int, ...], out_weights: np.ndarray) -> str:
    """Which check failed: the input element (or 'random dir') and the output row."""
    hot = np.flatnonzero(direction)
    where = "random dir"
    if len(hot) == 1:
        where = str(tuple(int(i) for i in np.unravel_index(hot[0], shape)))
    rows = np.flatnonzero(out_weights)
    if len(rows) == 1 and out_weights.size > 1:
        where += f" y[{int(rows[0])}]"
    return where


def gradgradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check second derivatives: gradcheck of x -> d sum(v * fn(x)) / dx.

    The inner gradient is built with ``create_graph=True``, so the engine's
    backward formulas are themselves differentiated.
    """
    leaves, out_shape = _prepare(fn, inputs, eps)
    weights = np.random.default_rng(seed + 1).standard_normal(out_shape)

    def first_derivative(*xs: Tensor) -> Tensor:
        for x in xs:
            x.grad = None
        with enable_grad():  # gradcheck evaluates this under no_grad too
            y = fn(*xs)
            y.backward(weights.astype(y.dtype), create_graph=True)
            flat = [
                reshape(x.grad if x.grad is not None else Tensor(np.zeros(x.shape)), -1)
                for x in xs
                if x.requires_grad
            ]
        for x in xs:
            x.grad = None
        return concat(flat)

    first_derivative.__name__ = f"grad of {getattr(fn, '__name__', 'fn')}"
    return gradcheck(first_derivative, *leaves, eps=eps, atol=atol, rtol=rtol, seed=seed)
