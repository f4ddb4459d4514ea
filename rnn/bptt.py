"""Backpropagation through time, made visible.

The weights are shared across time, so the gradient of a shared weight is a
sum of one term per time step:

    dL/dW = sum_t dL/dW |_t

where dL/dW|_t is what W's use at step t contributes. ``contributions``
computes each term honestly from a graph: it unties the weights (a separate
leaf copy of every parameter for every step), so the engine delivers each
step's term into its own copy. ``hidden_grad_norms`` gives ||dL/dh_t||, the
profile that shows gradients vanishing (or exploding) as they travel back.

Truncated BPTT cuts the graph every k steps: the hidden state is carried
forward into the next window but detached, so no gradient crosses the cut.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

import minigrad as mg

from .cell import State
from .model import Recurrent, sequence_loss


def with_params(model: Recurrent, params: dict[str, mg.Tensor]) -> Recurrent:
    """A shallow copy of ``model`` that uses ``params`` (by dotted name) instead of its own."""
    clone = copy.copy(model)
    clone.cell = copy.copy(model.cell)
    for name, tensor in params.items():
        owner, attr = (clone.cell, name[5:]) if name.startswith("cell.") else (clone, name)
        if not hasattr(owner, attr):
            raise KeyError(f"with_params: {type(model).__name__} has no parameter {name!r}")
        setattr(owner, attr, tensor)
    return clone


def _fresh_leaves(model: Recurrent, tag: str = "") -> dict[str, mg.Tensor]:
    """New leaves holding the model's current values (the model's .grad stays untouched)."""
    return {
        name: mg.Tensor(p.data, requires_grad=True, name=name.removeprefix("cell.") + tag)
        for name, p in model.named_parameters()
    }


def contributions(
    model: Recurrent, xs: Any, targets: Any, h0: State | None = None
) -> dict[str, np.ndarray]:
    """dL/dθ|_t for every parameter θ and step t: {"U": (T, *U.shape), "W": ..., ...}.

    Summed over t (axis 0) they give the gradient of the tied model.
    """
    x, state = model.check_sequence(xs, h0)
    copies, logits = [], []
    for t in range(len(x)):
        leaves = _fresh_leaves(model, f"|t={t + 1}")
        step_model = with_params(model, leaves)
        with mg.scope(f"t={t + 1}"):
            state = step_model.cell.step(x[t], state)
            logits.append(step_model.head(step_model.cell.hidden(state)))
        copies.append(leaves)
    sequence_loss(mg.stack(logits), targets).backward()
    return {
        name.removeprefix("cell."): np.stack(
            [
                np.zeros_like(p.data) if p.grad is None else p.grad.data
                for p in (c[name] for c in copies)
            ]
        )
        for name in copies[0]
    }


def hidden_grad_norms(
    model: Recurrent, xs: Any, targets: Any, h0: State | None = None, only_last: bool = False
) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T, read from the graph with ``retain_grad``.

    dL/dh_t is the total derivative: through the output at t and through h_{t+1}.
    With ``only_last`` the loss is the last step's alone, so the profile shows
    how much of it reaches back to each earlier step (the vanishing gradient).
    The model's own gradients are left untouched.
    """
    out = with_params(model, _fresh_leaves(model)).unroll(xs, h0)
    for h in out.steps:
        h.retain_grad()
    targets = np.asarray(targets)
    if only_last:
        sequence_loss(out.logits[-1:], targets[-1:]).backward()
    else:
        sequence_loss(out.logits, targets).backward()
    return np.array([0.0 if h.grad is None else np.linalg.norm(h.grad.data) for h in out.steps])


def detach(state: State) -> State:
    """The same state cut from its history: the next window's graph stops here."""
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def windows(length: int, k: int) -> list[slice]:
    """Consecutive slices of at most k steps covering 0..length."""
    if k < 1:
        raise ValueError(f"windows: the truncation length k must be >= 1, got {k}")
    return [slice(s, min(s + k, length)) for s in range(0, length, k)]


def truncated_backward(
    model: Recurrent, xs: Any, targets: Any, k: int, h0: State | None = None
) -> tuple[float, State]:
    """Truncated BPTT over one long sequence: accumulate the gradient into ``.grad``.

    The sequence is cut into windows of k steps; window w has loss L_w (mean over
    its positions) and backward runs inside it only. Weighting L_w by its share
    of the positions makes the total sum_w (k_w / T) L_w the full mean loss, so
    k = T gives exactly full BPTT. Returns the mean loss and the final state.
    """
    x, state = model.check_sequence(xs, h0)
    targets = np.asarray(targets)
    total = 0.0
    for window in windows(len(x), k):
        out = model.unroll(x[window], state)
        share = (window.stop - window.start) / len(x)
        loss = sequence_loss(out.logits, targets[window]) * share
        loss.backward()
        total += loss.item()
        state = detach(out.state)
    return total, state
