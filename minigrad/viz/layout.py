"""What to draw: the tensors and ops behind a root, their boxes, clusters and edges.

``trace(root)`` walks the graph (iteratively: graphs can be very deep).
Tensor ``i`` (inputs first) has key ``t{i}``, the op that made it ``o{i}``.
Two rules keep the picture close to the math:

- a leaf used by several scopes (an RNN's shared weight) sits outside them,
  in their common ancestor scope; one used by a single scope only sits in it;
- a computation on shared weights alone that is repeated in every scope
  (``W.T`` in each time step) is one computation: the copies become aliases
  of the first and are drawn once, next to the weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import MinigradError
from ..tensor import Tensor
from .labels import natural_key

DEFAULT_MAX_NODES = 2000


class GraphTooLargeError(MinigradError, ValueError):
    """The graph has more nodes (or backward steps) than the limit allows."""


Edge = tuple[str, str, int, int]  # (source key, target key, tensor index, input position)


@dataclass
class Layout:
    """The drawable structure of a graph.

    ``canonical[i]`` is the tensor index drawn for tensor ``i`` (itself unless
    it is a copy of an earlier computation). ``edges`` are
    ``(source, target, i, pos)``: ``pos`` is the input position for an
    input -> op edge and -1 for the op -> output edge.
    """

    root: Tensor
    tensors: list[Tensor]
    canonical: list[int]
    scope_of: dict[str, str] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.scope_of)

    def key(self, i: int) -> str:
        """The key of the box drawn for tensor ``i``."""
        return f"t{self.canonical[i]}"

    def copies(self, j: int) -> list[int]:
        """Every tensor drawn as the box of canonical tensor ``j``."""
        return [i for i, c in enumerate(self.canonical) if c == j]


def trace(root: Tensor, max_nodes: int = DEFAULT_MAX_NODES, collapse: bool = False) -> Layout:
    """The layout of every tensor and op behind ``root`` (iterative walk).

    Raises ``GraphTooLargeError`` naming the count when the boxes to draw
    exceed ``max_nodes``, before anything is drawn.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw: expected a minigrad Tensor, got {type(root).__name__}")
    tensors = reachable(root)
    layout = Layout(root, tensors, _canonical(tensors))
    index = {id(t): i for i, t in enumerate(tensors)}
    consumers: dict[int, set[str]] = {}
    seen: set[Edge] = set()
    for i, t in enumerate(tensors):
        if t._ctx is None or layout.canonical[i] != i:
            continue
        for pos, x in enumerate(t._ctx.inputs):
            edge = (layout.key(index[id(x)]), f"o{i}", i, pos)
            if edge not in seen:
                seen.add(edge)
                layout.edges.append(edge)
        layout.edges.append((f"o{i}", f"t{i}", i, -1))
    for t in tensors:
        if t._ctx is not None:
            for x in t._ctx.inputs:
                consumers.setdefault(layout.canonical[index[id(x)]], set()).add(t.scope)
    copied = {c for i, c in enumerate(layout.canonical) if c != i}
    for i, t in enumerate(tensors):
        if layout.canonical[i] == i:
            shared = t._ctx is None or i in copied
            scope = _placement(t, consumers.get(i, set()), shared)
            layout.scope_of[f"t{i}"] = scope
            if t._ctx is not None:
                layout.scope_of[f"o{i}"] = scope
    count = _count(layout, collapse)
    if count > max_nodes:
        raise GraphTooLargeError(
            f"draw: the graph has {count} nodes to draw ({len(tensors)} tensors and their ops), "
            f"over the limit max_nodes={max_nodes}; draw it with collapse=True (one box per "
            f"outermost scope), draw a smaller part of it, or raise max_nodes"
        )
    return layout


def _count(layout: Layout, collapse: bool) -> int:
    if not collapse:
        return layout.node_count
    return len({outermost(s) or key for key, s in layout.scope_of.items()})


def outermost(scope: str) -> str:
    """The outermost scope of a scope path ``a/b/c`` (``a``); "" for no scope."""
    return scope.split("/")[0]


def reachable(root: Tensor) -> list[Tensor]:
    """All tensors behind ``root``, inputs before outputs (iterative DFS)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            if node._ctx is not None:
                # reversed: the first input is popped, so listed, first
                stack.extend((x, False) for x in reversed(node._ctx.inputs) if id(x) not in seen)
    return order


def _canonical(tensors: list[Tensor]) -> list[int]:
    """For each tensor, the first tensor computing the same thing from shared weights.

    Only computations whose inputs are all parameters (leaves that require
    grad) or such computations, with plain options (axes, not index arrays),
    are merged: the same op on the same inputs gives the same value.
    """
    index = {id(t): i for i, t in enumerate(tensors)}
    canonical = list(range(len(tensors)))
    weight_only: set[int] = {i for i, t in enumerate(tensors) if t._ctx is None and t.requires_grad}
    first: dict[tuple[object, ...], int] = {}
    for i, t in enumerate(tensors):
        fn = t._ctx
        if fn is None:
            continue
        inputs = [canonical[index[id(x)]] for x in fn.inputs]
        options = _options(fn)
        if options is None or not all(j in weight_only for j in inputs):
            continue
        weight_only.add(i)
        signature = (type(fn), tuple(inputs), options, t.shape, t.dtype.str)
        j = first.setdefault(signature, i)
        if j != i and np.array_equal(tensors[j].data, t.data):
            canonical[i] = j
    return canonical


PLAIN = (type(None), bool, int, str)


def _options(fn: object) -> tuple[object, ...] | None:
    """An op's own settings as a hashable tuple, or None if any is not plain (an array)."""
    skip = {"inputs", "created_at", "consumed"}
    items = []
    for name, value in sorted(vars(fn).items()):
        if name in skip:
            continue
        plain = isinstance(value, PLAIN) or (
            isinstance(value, tuple) and all(isinstance(v, PLAIN) for v in value)
        )
        if not plain:
            return None
        items.append((name, value))
    return tuple(items)


def _placement(t: Tensor, consumer_scopes: set[str], shared: bool) -> str:
    """The scope a box is drawn in: its own, but a leaf or merged computation used by
    several scopes moves out to the scopes' common ancestor, and a leaf made outside
    every scope and used in one only (an RNN's h_0) moves into it."""
    if t._ctx is None and not t.scope and len(consumer_scopes) == 1:
        return next(iter(consumer_scopes))
    if not shared or len(consumer_scopes) <= 1:
        return t.scope
    paths = [s.split("/") if s else [] for s in (t.scope, *consumer_scopes)]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


def scope_paths(scopes: set[str]) -> list[tuple[str, ...]]:
    """Every scope path and its ancestors, in natural order (``t=2`` before ``t=10``)."""
    paths = {tuple(s.split("/")) for s in scopes if s}
    for path in list(paths):
        paths.update(path[:n] for n in range(1, len(path)))
    return sorted(paths, key=lambda p: tuple(natural_key(part) for part in p))


def merged(layout: Layout) -> Layout:
    """The same graph with each op drawn in one box with the tensor it makes: edges into
    op ``o{i}`` go to ``t{i}``, and the edge ``o{i} -> t{i}`` is gone."""
    scope_of = {k: s for k, s in layout.scope_of.items() if k[0] != "o"}
    edges = [(a, "t" + b[1:] if b[0] == "o" else b, i, p) for a, b, i, p in layout.edges if p >= 0]
    return Layout(layout.root, layout.tensors, layout.canonical, scope_of, edges)
