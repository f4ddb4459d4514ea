"""The chain rule of one backward step, written out with names and numbers.

At a node y = f(a, b) the engine multiplies what arrived, dL/dy, by the
local derivative of each input and sends the product on:

    dL/da = dL/dy · dy/da = (−2)·(−3) = 6

For tensors the same line is given with norms and shapes. A node used by
several ops receives one gradient from each, and its gradient is their sum:

    a.grad = 0.3333 + 0.3333 + 0.1667 = 0.8333
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..engine import BackwardStep, SparseGrad, unbroadcast
from ..mode import no_grad
from ..tensor import Tensor
from .flow import dense
from .formula import d, written

MINUS = "\u2212"


def num(value: float) -> str:
    """4 significant digits, with a true minus sign."""
    return f"{value:.4g}".replace("-", MINUS)


def shape_norm(array: np.ndarray) -> str:
    data = np.asarray(array, dtype=np.float64)
    return f"‖·‖ {num(float(np.sqrt(np.sum(data * data))))}, shape {data.shape}"


def value(array: np.ndarray) -> str:
    """A scalar as a number, a tensor as its norm and shape."""
    array = np.asarray(array)
    return num(float(array.item())) if array.size == 1 else shape_norm(array)


def rule(step: BackwardStep, me: str, inputs: Sequence[str]) -> str:
    """The op's formula with the actual names in place of its letters."""
    return written(step.formula, me, inputs)


def local_derivatives(step: BackwardStep) -> list[np.ndarray | None]:
    """dy/dx_i for a scalar y: the op's rule applied to dL/dy = 1."""
    fn, node = step.node._ctx, step.node
    if fn is None or node.size != 1:
        return [None] * len(step.inputs)
    with no_grad():
        raw = fn.backward(Tensor(np.ones(node.shape, dtype=node.dtype)), node)
        out: list[np.ndarray | None] = []
        for x, g in zip(step.inputs, raw, strict=True):
            if g is None or not x.requires_grad:
                out.append(None)
            elif isinstance(g, SparseGrad):
                out.append(dense(g))
            else:
                out.append(unbroadcast(g, x.shape, fn.name).data)
    return out


def chain_lines(step: BackwardStep, me: str, inputs: Sequence[str]) -> list[str]:
    """One line per input: dL/dx = dL/dy · dy/dx with the numbers."""
    out = []
    locals_ = local_derivatives(step)
    incoming = step.grad.data
    for x, name, sent, local in zip(step.inputs, inputs, step.input_grads, locals_, strict=True):
        head = f"dL/{d(name)} = dL/{d(me)} · {d(me)}/{d(name)}"
        if sent is None:
            out.append(f"{name} needs no gradient: nothing is sent to it")
        elif local is not None and incoming.size == 1 and x.size == 1:
            product = f"({num(incoming.item())})·({num(local.item())})"
            out.append(f"{head} = {product} = {num(dense(sent).item())}")
        else:
            out.append(f"{head}: {value(incoming)} in, {value(dense(sent))} out")
    return out


def sum_line(name: str, parts: Sequence[np.ndarray], total: np.ndarray, leaf: bool) -> str:
    """What arrived at a node from each consumer, and the sum."""
    target = f"{name}.grad" if leaf else f"dL/{d(name)}"
    if total.size == 1:
        terms = " + ".join(num(np.asarray(p).item()) for p in parts).replace(
            f"+ {MINUS}", f"{MINUS} "
        )
        return (
            f"{target} = {terms} = {num(total.item())}"
            if len(parts) > 1
            else (f"{target} = {num(total.item())}")
        )
    norms = ", ".join(num(float(np.linalg.norm(np.asarray(p, dtype=np.float64)))) for p in parts)
    return f"{target} = sum of {len(parts)} parts (‖·‖ {norms}) → {shape_norm(total)}"


def contributions(
    steps: Sequence[BackwardStep],
) -> Mapping[int, list[tuple[int, np.ndarray]]]:
    """id(tensor) -> (step number, gradient) for every gradient sent to it."""
    out: dict[int, list[tuple[int, np.ndarray]]] = {}
    for k, step in enumerate(steps):
        for x, sent in zip(step.inputs, step.input_grads, strict=True):
            if sent is not None:
                out.setdefault(id(x), []).append((k, dense(sent)))
    return out
