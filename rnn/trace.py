"""The numbers the RNN diagrams show: one unroll, step by step, and its backward walk.

``trace(model, xs, targets, h0, backward, loss)`` runs the textbook loop (one
``mg.scope`` per step for the cell, one for the output head) on leaf copies
of the parameters, so the model's own ``.grad`` stays untouched. The loss is
the mean over all positions (``loss="all"``) or the last step's alone
(``"last"``, the seed's L^(T)). With ``backward`` it walks
``loss.backward_steps()`` and keeps, for every state, ||dL/dh_t|| (and
||dL/dc_t||) and the parts that add up to it: what the head of step t sends
back to h_t (through V), what step t+1 sends back (through W, and for the
cell state through f), and W's share of the gradient at every step.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad as mg

from . import bptt
from .cell import State
from .model import Recurrent, sequence_loss

LOSSES = ("all", "last")


@dataclass
class Trace:
    """What one unroll (and, for the bptt view, its backward walk) produced.

    Lists of states run t = 0 .. T (h_0 first); per-step lists t = 1 .. T.
    Gradient entries are norms ||.|| over the whole batch; a state's parts
    are (h,) or (h, c).
    """

    inputs: Any  # the checked xs: int ids (T, B) or a Tensor (T, B, input)
    states: list[tuple[np.ndarray, ...]]  # (h,) or (h, c) for t = 0 .. T
    probs: np.ndarray  # softmax(V h_t + c): (T, B, output)
    loss: float | None = None
    state_grad: list[tuple[float, ...]] = field(default_factory=list)  # ||dL/dh_t|| (, ||dL/dc_t||)
    logit_grad: list[float] = field(default_factory=list)  # ||dL/do_t||, o_t = V h_t + c
    via_output: list[float] = field(default_factory=list)  # ||what y_t sends back to h_t||
    via_next: list[tuple[float, ...]] = field(default_factory=list)  # step t -> state t-1, per part
    via_hidden: list[float] = field(default_factory=list)  # step t's h_t -> c_t (LSTM only)
    w_share: list[np.ndarray] = field(default_factory=list)  # dL/dW|_t, W's use at step t


def _parts(state: State) -> tuple[mg.Tensor, ...]:
    return tuple(state) if isinstance(state, tuple | list) else (state,)


def _leaf_state(state: State) -> State:
    """A copy of the initial state that receives a gradient (dL/dh_0)."""
    parts = tuple(mg.Tensor(p.data, requires_grad=True, name=p.name) for p in _parts(state))
    return parts if len(parts) > 1 else parts[0]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def trace(
    model: Recurrent, xs: Any, targets: Any, h0: State | None, backward: bool, loss: str = "all"
) -> Trace:
    """Unroll ``model`` one step at a time; with ``backward``, walk back from the loss."""
    x, state = model.check_sequence(xs, h0)
    if backward:
        fresh = {n: mg.Tensor(p.data, requires_grad=True) for n, p in model.named_parameters()}
        model, state = bptt.with_params(model, fresh), _leaf_state(state)
    states, logits, scopes = [state], [], []
    with contextlib.nullcontext() if backward else mg.no_grad():
        for t in range(1, len(x) + 1):
            with mg.scope(f"t={t}") as step_scope:
                state = model.cell.step(x[t - 1], state)
            with mg.scope(f"y_{t}") as head_scope:
                logits.append(model.head(model.cell.hidden(state)))
            states.append(state)
            scopes.append((step_scope, head_scope))
        out = Trace(
            inputs=x,
            states=[tuple(p.data for p in _parts(s)) for s in states],
            probs=_softmax(np.stack([o.data for o in logits])),
        )
        if targets is not None:
            targets = np.asarray(targets)
            first = len(logits) - 1 if loss == "last" else 0
            total = sequence_loss(mg.stack(logits[first:]), targets[first:])
            out.loss = total.item()
    if backward:
        _walk_back(out, total, states, logits, scopes, model.cell.W)
    return out


def _walk_back(
    out: Trace,
    loss: mg.Tensor,
    states: list[State],
    logits: list[mg.Tensor],
    scopes: list[tuple[str, str]],
    W: mg.Tensor,
) -> None:
    """Record, from the engine's walk, the gradient at each state and along each arrow.

    An arrow's gradient is the sum of what the nodes on its far side send to
    the state: the head of step t (scope y_t) sends to h_t, step t+1 (scope
    t=t+1) sends to h_t (and c_t); step t's own nodes send from h_t to c_t
    (h_t = o ⊙ tanh(c_t)). W's share at step t is what the nodes of scope t=t
    send to W.
    """
    where = {id(p): (t, k) for t, s in enumerate(states) for k, p in enumerate(_parts(s))}
    logit_step = {id(o): t for t, o in enumerate(logits)}
    step_of = {scope: t for t, (scope, _) in enumerate(scopes, start=1)}
    total = np.zeros((len(states), len(_parts(states[0]))))
    from_head = [np.zeros(_parts(s)[0].shape) for s in states]
    from_next = [[np.zeros(p.shape) for p in _parts(s)] for s in states]
    from_own = [np.zeros(_parts(s)[-1].shape) for s in states]
    shares = [np.zeros(W.shape) for _ in scopes]
    logit_grad = np.zeros(len(logits))
    for record in loss.backward_steps():
        if id(record.node) in where:
            total[where[id(record.node)]] = np.linalg.norm(record.grad.data)
        if id(record.node) in logit_step:
            logit_grad[logit_step[id(record.node)]] = np.linalg.norm(record.grad.data)
        for inp, grad in zip(record.inputs, record.input_grads, strict=True):
            if grad is None:
                continue
            if inp is W:
                shares[step_of[record.node.scope] - 1] += grad.data
            if id(inp) not in where:
                continue
            t, k = where[id(inp)]
            if t < len(scopes) and record.node.scope == scopes[t][0]:
                from_next[t][k] += grad.data
            elif t >= 1 and record.node.scope == scopes[t - 1][1]:
                from_head[t] += grad.data
            elif t >= 1 and k == 1 and record.node.scope == scopes[t - 1][0]:
                from_own[t] += grad.data
    out.state_grad = [tuple(float(v) for v in row) for row in total]
    out.logit_grad = [float(v) for v in logit_grad]
    out.via_output = [float(np.linalg.norm(a)) for a in from_head[1:]]
    out.via_next = [tuple(float(np.linalg.norm(a)) for a in p) for p in from_next[:-1]]
    out.via_hidden = [float(np.linalg.norm(a)) for a in from_own[1:]]
    out.w_share = shares
