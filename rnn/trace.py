"""The numbers the RNN diagrams show: one unroll, step by step, and its backward walk.

``trace(model, xs, targets, h0, backward)`` runs the textbook loop (one
``mg.scope`` per step for the cell, one for the output head) on leaf copies
of the parameters, so the model's own ``.grad`` stays untouched. With
``backward`` it walks ``loss.backward_steps()`` and keeps, for every state,
||dL/dh_t|| and the two parts that add up to it: what the head of step t
sends back to h_t (through V) and what step t+1 sends back (through W).
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


@dataclass
class Trace:
    """What one unroll (and, for the bptt view, its backward walk) produced.

    Lists of states run t = 0 .. T (h_0 first); per-step lists t = 1 .. T.
    Gradient entries are norms ||.|| over the whole batch.
    """

    inputs: Any  # the checked xs: int ids (T, B) or a Tensor (T, B, input)
    states: list[tuple[np.ndarray, ...]]  # (h,) or (h, c) for t = 0 .. T
    probs: np.ndarray  # softmax(V h_t + c): (T, B, output)
    loss: float | None = None
    state_grad: list[tuple[float, ...]] = field(default_factory=list)  # ||dL/dh_t|| (, ||dL/dc_t||)
    logit_grad: list[float] = field(default_factory=list)  # ||dL/do_t||, o_t = V h_t + c
    via_output: list[float] = field(default_factory=list)  # ||what y_t sends back to h_t||
    via_next: list[float] = field(default_factory=list)  # ||what step t sends back to state t-1||
    w_share: list[float] = field(default_factory=list)  # ||dL/dW|_t||


def _parts(state: State) -> tuple[mg.Tensor, ...]:
    return tuple(state) if isinstance(state, tuple | list) else (state,)


def _leaf_state(state: State) -> State:
    """A copy of the initial state that receives a gradient (dL/dh_0)."""
    parts = tuple(mg.Tensor(p.data, requires_grad=True, name=p.name) for p in _parts(state))
    return parts if len(parts) > 1 else parts[0]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def trace(model: Recurrent, xs: Any, targets: Any, h0: State | None, backward: bool) -> Trace:
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
            loss = sequence_loss(mg.stack(logits), targets)
            out.loss = loss.item()
    if backward:
        _walk_back(out, loss, states, logits, scopes)
    return out


def _walk_back(
    out: Trace,
    loss: mg.Tensor,
    states: list[State],
    logits: list[mg.Tensor],
    scopes: list[tuple[str, str]],
) -> None:
    """Record, from the engine's walk, the gradient at each state and along each arrow.

    An arrow's gradient is the sum of what the nodes on its far side send to
    the state: the head of step t (scope y_t) sends to h_t, step t+1 (scope
    t=t+1) sends to h_t (and c_t); what step t's own nodes send to c_t stays
    inside the state.
    """
    where = {id(p): (t, k) for t, s in enumerate(states) for k, p in enumerate(_parts(s))}
    logit_step = {id(o): t for t, o in enumerate(logits)}
    total = np.zeros((len(states), len(_parts(states[0]))))
    from_head = [np.zeros(_parts(s)[0].shape) for s in states]
    from_next = [[np.zeros(p.shape) for p in _parts(s)] for s in states]
    logit_grad = np.zeros(len(logits))
    for record in loss.backward_steps():
        if id(record.node) in where:
            total[where[id(record.node)]] = np.linalg.norm(record.grad.data)
        if id(record.node) in logit_step:
            logit_grad[logit_step[id(record.node)]] = np.linalg.norm(record.grad.data)
        for inp, grad in zip(record.inputs, record.input_grads, strict=True):
            if grad is None or id(inp) not in where:
                continue
            t, k = where[id(inp)]
            if t < len(scopes) and record.node.scope == scopes[t][0]:
                from_next[t][k] += grad.data
            elif t >= 1 and record.node.scope == scopes[t - 1][1]:
                from_head[t] += grad.data
    out.state_grad = [tuple(float(v) for v in row) for row in total]
    out.logit_grad = [float(v) for v in logit_grad]
    out.via_output = [float(np.linalg.norm(a)) for a in from_head[1:]]
    out.via_next = [float(np.sqrt(sum(np.sum(a * a) for a in p))) for p in from_next[:-1]]
