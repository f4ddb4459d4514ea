"""Which gradient each box and edge of a drawing shows.

From the records of ``root.backward_steps()`` every node has its gradient;
from ``.grad`` only leaves and ``retain_grad()`` tensors do. A box drawn for
several copies of one computation (see layout.py) shows their sum: the
gradient the single computation would have received.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..engine import BackwardStep, SparseGrad
from ..tensor import Tensor
from .layout import Layout


@dataclass
class Flow:
    """Known gradients: ``node[key]`` for boxes, ``edge[(i, pos)]`` for the gradient
    op ``o{i}`` sent to its input ``pos`` (``pos = -1``: its output's)."""

    node: dict[str, np.ndarray] = field(default_factory=dict)
    edge: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    def add_node(self, key: str, grad: np.ndarray) -> None:
        old = self.node.get(key)
        self.node[key] = grad if old is None else old + grad

    def add_edge(self, edge: tuple[int, int], grad: np.ndarray) -> None:
        old = self.edge.get(edge)
        self.edge[edge] = grad if old is None else old + grad


def dense(grad: Tensor | SparseGrad) -> np.ndarray:
    """The gradient as a full array (a sparse one scattered into zeros)."""
    if isinstance(grad, SparseGrad):
        buffer = np.zeros(grad.shape, dtype=grad.values.dtype)
        grad.add_into(buffer)
        return buffer
    return grad.data


def flow_from_steps(layout: Layout, steps: Iterable[BackwardStep]) -> Flow:
    """Every node's gradient, read from the records of ``root.backward_steps()``."""
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    flow = Flow()
    for step in steps:
        i = index[id(step.node)]
        j = layout.canonical[i]
        flow.add_node(f"t{j}", step.grad.data)
        flow.add_edge((j, -1), step.grad.data)
        for pos, sent in enumerate(step.input_grads):
            if sent is not None:
                flow.add_edge((j, pos), dense(sent))
    return flow


def flow_from_tensors(layout: Layout) -> Flow:
    """Gradients stored in ``.grad`` (leaves, and tensors that called ``retain_grad``)."""
    flow = Flow()
    for i, t in enumerate(layout.tensors):
        if layout.canonical[i] != i:
            continue
        if t.grad is not None:
            flow.node[f"t{i}"] = t.grad.data
            flow.edge[(i, -1)] = t.grad.data
        if t._ctx is not None:
            for pos, x in enumerate(t._ctx.inputs):
                if x.grad is not None:
                    flow.edge[(i, pos)] = x.grad.data
    return flow
