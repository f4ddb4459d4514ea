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
        raw = fn.backward(Tensor(np.ones(node.shape, dtype=node.dtype)), node, *fn.inputs)
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


SMALL_TENSOR = 6  # elements: a sum of tensors this small is written element by element


def elements(array: np.ndarray) -> str:
    """A small tensor's elements in a row: ``[0.1, −0.2]``."""
    return "[" + ", ".join(num(float(v)) for v in np.asarray(array).ravel()) + "]"


def sum_line(
    name: str,
    parts: Sequence[np.ndarray],
    total: np.ndarray,
    leaf: bool,
    tags: Sequence[str] = (),
) -> str:
    """What arrived at a node from each consumer, and their sum; ``tags`` (the time step
    each part came from, ``t=2``) go before the parts.

    A scalar or a tensor of at most ``SMALL_TENSOR`` elements: the sum itself,
    element by element. A bigger one: the norms, with the triangle inequality
    ‖a + b‖ ≤ ‖a‖ + ‖b‖ (a norm of a sum is not the sum of the norms).
    """
    target = f"{name}.grad" if leaf else f"dL/{d(name)}"
    tagged = [f"{tag}: " if tag else "" for tag in (list(tags) or [""] * len(parts))]
    small = total.size <= SMALL_TENSOR
    shown = num(total.item()) if total.size == 1 else elements(total) if small else None
    if len(parts) == 1:
        what = shown if shown is not None else shape_norm(total)
        return f"{target} = {tagged[0]}{what}  (1 part)"
    if shown is not None:
        values = [num(np.asarray(p).item()) if total.size == 1 else elements(p) for p in parts]
        terms = " + ".join(tag + v for tag, v in zip(tagged, values, strict=True))
        return f"{target} = {terms} = {shown}".replace(f"+ {MINUS}", f"{MINUS} ")
    norms = [float(np.linalg.norm(np.asarray(p, dtype=np.float64))) for p in parts]
    listed = " + ".join(f"{tag}{num(n)}" for tag, n in zip(tagged, norms, strict=True))
    return (
        f"{target} = sum of {len(parts)} parts, shape {total.shape}: "
        f"‖{target}‖ = {num(float(np.linalg.norm(total)))} ≤ {listed} = {num(sum(norms))}"
        f"  (‖a + b‖ ≤ ‖a‖ + ‖b‖: a norm of a sum is not the sum of the norms)"
    )


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
