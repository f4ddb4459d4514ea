"""Draw a minigrad graph with Graphviz: DOT text, clusters, heat colours, rendering.

``draw(root)`` walks the graph behind ``root`` (iteratively: graphs can be very
deep) and returns a ``Graph``. Each tensor is a box — parameters blue,
constants grey and dashed, intermediates white — and each op an ellipse with
its formula; data flows along the edges, inputs -> op -> output. Tensors
made under ``minigrad.scope("...")`` sit in clusters (nested scopes nest); a
leaf used by several scopes, like an RNN's shared weight, is drawn once
outside them with its edges fanning in. ``heat=True`` colours tensors and
edges by the gradient norm on a log10 scale, with a legend.

``Graph.source`` is the DOT text and needs no binary; ``Graph.save`` and the
Jupyter display render it with Graphviz's ``dot`` (see ``render``).
Layout and labels are shared with the backward step-through in flipbook.py.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ..engine import BackwardStep
from ..errors import MinigradError
from ..tensor import Tensor
from .heat import UNKNOWN_FILL, HeatScale, norm, text_colour
from .render import Graph

DEFAULT_MAX_NODES = 2000
LABEL_LIMIT = 60  # characters of one label line before the ellipsis
RANKDIRS = ("LR", "RL", "TB", "BT")

PARAM_FILL, CONST_FILL, OP_FILL, PLAIN_FILL = "#cfe3f7", "#eeeeee", "#fff4c2", "#ffffff"
FONT = "Helvetica,Arial,sans-serif"


class GraphTooLargeError(MinigradError, ValueError):
    """The graph has more nodes (or backward steps) than the limit allows."""


# ---------------------------------------------------------------- labels
def escape(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` for an HTML-like DOT label, so that Graphviz shows it literally.

    Long text ends in an ellipsis; control characters show as ``\\xNN``;
    backslashes are doubled (Graphviz expands ``\\N``-style escapes even in
    HTML labels); ``& < > " '`` become entities; a newline becomes a line break.
    """
    if len(text) > limit:
        text = text[: max(limit - 1, 0)] + "\u2026"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates
    text = "".join(_printable(c) for c in text)
    text = html.escape(text.replace("\\", "\\\\"), quote=True)
    return text.replace("\n", '<BR ALIGN="CENTER"/>')


def _printable(char: str) -> str:
    if char == "\n":
        return char
    if char == "\t":
        return " "
    return f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char


def number(value: float) -> str:
    """A number with 4 significant digits."""
    return f"{value:.4g}"


def summarize(array: np.ndarray, limit: int = LABEL_LIMIT) -> str:
    """A compact view of an array: the values when tiny, else min, max and norm."""
    if array.size == 0:
        return f"empty {array.shape}"
    if array.ndim == 0:
        return number(array.item())
    if array.size <= 4:
        text = np.array2string(array, separator=", ", formatter=cast(Any, {"all": number}))
        if len(text) <= limit:
            return text.replace("\n", "")
    data = array.astype(np.float64)
    norm = float(np.sqrt(np.sum(data * data)))
    return f"min {number(data.min())}  max {number(data.max())}  norm {number(norm)}"


def _lines(lines: Iterable[tuple[str, str]]) -> str:
    """HTML label from (escaped text, font colour or "") lines."""
    parts = [f'<FONT COLOR="{colour}">{text}</FONT>' if colour else text for text, colour in lines]
    return '<BR ALIGN="CENTER"/>'.join(parts)


# ----------------------------------------------------------------- layout
@dataclass
class Layout:
    """The drawable structure of a graph: node keys, clusters and edges.

    Tensor ``i`` (inputs first) has key ``t{i}``; the op that made it has key
    ``o{i}``. ``edges`` are ``(source key, target key, i, pos)``: ``pos`` is the
    input position for an input -> op edge and -1 for the op -> output edge.
    """

    root: Tensor
    tensors: list[Tensor]
    scope_of: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, int, int]] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.scope_of)


def trace(root: Tensor, max_nodes: int = DEFAULT_MAX_NODES) -> Layout:
    """The layout of every tensor and op behind ``root`` (iterative walk).

    Raises ``GraphTooLargeError`` naming the count when tensors + ops exceed
    ``max_nodes``, before anything is drawn.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw: expected a minigrad Tensor, got {type(root).__name__}")
    tensors = _reachable(root)
    count = len(tensors) + sum(t._ctx is not None for t in tensors)
    if count > max_nodes:
        raise GraphTooLargeError(
            f"draw: the graph has {count} nodes ({len(tensors)} tensors and "
            f"{count - len(tensors)} ops), over the limit max_nodes={max_nodes}; "
            f"draw a smaller part of it or raise max_nodes"
        )
    layout = Layout(root, tensors)
    index = {id(t): i for i, t in enumerate(tensors)}
    consumers: dict[int, set[str]] = {}
    for i, t in enumerate(tensors):
        if t._ctx is not None:
            for pos, x in enumerate(t._ctx.inputs):
                layout.edges.append((f"t{index[id(x)]}", f"o{i}", i, pos))
                consumers.setdefault(id(x), set()).add(t.scope)
            layout.edges.append((f"o{i}", f"t{i}", i, -1))
    for i, t in enumerate(tensors):
        layout.scope_of[f"t{i}"] = _placement(t, consumers.get(id(t), set()))
        if t._ctx is not None:
            layout.scope_of[f"o{i}"] = t.scope
    return layout


def _reachable(root: Tensor) -> list[Tensor]:
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
                stack.extend((x, False) for x in node._ctx.inputs if id(x) not in seen)
    return order


def _placement(t: Tensor, consumer_scopes: set[str]) -> str:
    """The scope a tensor is drawn in: its own, but a leaf shared by several
    scopes moves out to the scopes' common ancestor."""
    if t._ctx is not None or len(consumer_scopes) <= 1:
        return t.scope
    paths = [s.split("/") if s else [] for s in (t.scope, *consumer_scopes)]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)


# -------------------------------------------------------------- DOT text
Attrs = Mapping[str, str]


def attrs(values: Attrs) -> str:
    """DOT attribute list; ``label`` holds escaped HTML, other values are quoted."""
    parts = []
    for key, value in values.items():
        if key == "label":
            parts.append(f"label=<{value}>")
        else:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{quoted}"')
    return "[" + ", ".join(parts) + "]"


def dot_source(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[tuple[str, str, int, int], Attrs],
    graph: Attrs,
    extra: Iterable[str] = (),
) -> str:
    """DOT text: graph attributes, then nodes grouped into nested clusters, then edges."""
    lines = ["digraph minigrad {", f"  graph {attrs(graph)}"]
    lines.append(f'  node [fontname="{FONT}", fontsize="11"]')
    lines.append(f'  edge [fontname="{FONT}", arrowsize="0.7"]')
    by_scope: dict[str, list[str]] = {}
    for key, scope in layout.scope_of.items():
        by_scope.setdefault(scope, []).append(key)
    lines += [f"  {key} {attrs(nodes[key])}" for key in by_scope.pop("", [])]
    lines += _clusters(by_scope, nodes)
    lines += [f"  {a} -> {b} {attrs(edges.get((a, b, i, p), {}))}" for a, b, i, p in layout.edges]
    lines += [f"  {line}" for line in extra]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(by_scope: Mapping[str, list[str]], nodes: Mapping[str, Attrs]) -> list[str]:
    """Nested ``subgraph cluster_N`` blocks, opened and closed with a stack."""
    paths = {tuple(scope.split("/")) for scope in by_scope}
    for path in list(paths):
        paths.update(path[:n] for n in range(1, len(path)))
    lines: list[str] = []
    open_paths: list[tuple[str, ...]] = []
    for n, path in enumerate(sorted(paths)):
        while open_paths and open_paths[-1] != path[: len(open_paths[-1])]:
            open_paths.pop()
            lines.append("  " * (len(open_paths) + 1) + "}")
        pad = "  " * (len(open_paths) + 2)
        lines.append(pad[:-2] + f"subgraph cluster_{n} {{")
        lines.append(pad + f"graph {attrs(_cluster_style(path))}")
        lines += [pad + f"{key} {attrs(nodes[key])}" for key in by_scope.get("/".join(path), [])]
        open_paths.append(path)
    while open_paths:
        open_paths.pop()
        lines.append("  " * (len(open_paths) + 1) + "}")
    return lines


def _cluster_style(path: tuple[str, ...]) -> dict[str, str]:
    return {
        "label": f"<B>{escape(path[-1])}</B>",
        "tooltip": "scope " + "/".join(path),
        "style": "rounded,filled",
        "fillcolor": "#f6f6f6" if len(path) % 2 else "#ececec",
        "color": "#9a9a9a",
        "fontname": FONT,
        "fontsize": "11",
    }


# -------------------------------------------------------------- gradients
@dataclass
class Flow:
    """Known gradients: ``node[key]`` for tensors, ``edge[(i, pos)]`` for the
    gradient op ``o{i}`` sent to its input ``pos`` (``pos = -1``: its output's)."""

    node: dict[str, np.ndarray] = field(default_factory=dict)
    edge: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


def flow_from_steps(layout: Layout, steps: Iterable[BackwardStep]) -> Flow:
    """Every node's gradient, read from the records of ``root.backward_steps()``."""
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    flow = Flow()
    for step in steps:
        i = index[id(step.node)]
        flow.node[f"t{i}"] = step.grad.data
        flow.edge[(i, -1)] = step.grad.data
        for pos, sent in enumerate(step.input_grads):
            if sent is not None:
                flow.edge[(i, pos)] = sent.data
    return flow


def flow_from_tensors(layout: Layout) -> Flow:
    """Gradients stored in ``.grad`` (leaves, and tensors that called ``retain_grad``)."""
    flow = Flow()
    for i, t in enumerate(layout.tensors):
        if t.grad is not None:
            flow.node[f"t{i}"] = t.grad.data
            flow.edge[(i, -1)] = t.grad.data
        if t._ctx is not None:
            for pos, x in enumerate(t._ctx.inputs):
                if x.grad is not None:
                    flow.edge[(i, pos)] = x.grad.data
    return flow


# ---------------------------------------------------------------- nodes
def tensor_style(t: Tensor, is_root: bool) -> dict[str, str]:
    """Box style: parameters (leaves that require grad), constants, intermediates."""
    if t._ctx is None and t.requires_grad:
        style = {"shape": "box", "style": "filled", "fillcolor": PARAM_FILL}
    elif t._ctx is None:
        style = {"shape": "box", "style": "filled,dashed", "fillcolor": CONST_FILL}
        style["fontcolor"] = "#555555"
    else:
        style = {"shape": "box", "style": "rounded,filled", "fillcolor": PLAIN_FILL}
    if is_root:
        style["peripheries"] = "2"
    return style


def tensor_label(
    t: Tensor, values: bool, grad_text: str | None, limit: int, grad_colour: str = ""
) -> str:
    """Name (or kind), shape, data and gradient lines of a tensor node."""
    lines: list[tuple[str, str]] = []
    if t.name:
        lines.append((f"<B>{escape(t.name, limit)}</B>", ""))
    elif t._ctx is None:
        lines.append((f"<I>{'param' if t.requires_grad else 'const'}</I>", ""))
    dtype = "" if t.dtype == np.float64 else f" {t.dtype}"
    if t.ndim or dtype:
        lines.append((escape(f"shape {t.shape}{dtype}" if t.ndim else dtype.strip(), limit), ""))
    if values:
        lines.append((escape("data " + summarize(t.data, limit), limit), ""))
    if grad_text is not None:
        lines.append((escape("grad " + grad_text, limit), grad_colour))
    return _lines(lines or [("scalar", "")])


def op_node(t: Tensor, limit: int) -> dict[str, str]:
    """Ellipse with the op's name and its formula from the docstring."""
    assert t._ctx is not None
    label = f"<B>{escape(t._ctx.name, limit)}</B>"
    if t._ctx.formula:
        label += f'<BR/><FONT POINT-SIZE="9">{escape(t._ctx.formula, limit)}</FONT>'
    return {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "label": label}


def graph_attrs(rankdir: str) -> dict[str, str]:
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    return {"rankdir": rankdir, "bgcolor": "white", "nodesep": "0.25", "ranksep": "0.35"}


# ------------------------------------------------------------------ draw
def draw(
    root: Tensor,
    values: bool = True,
    grads: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    heat: bool = False,
    steps: Iterable[BackwardStep] | None = None,
    label_limit: int = LABEL_LIMIT,
) -> Graph:
    """Draw the graph that computed ``root``.

    ``values``/``grads`` show each tensor's data and gradient (the value of a
    scalar or tiny tensor, else min/max/norm). Gradients come from ``.grad``
    (leaves and ``retain_grad()`` tensors), or for every node from ``steps``:
    pass ``steps=root.backward_steps()`` to run backward here and record them.
    ``heat`` colours tensors and edges by log10 ||grad||, with a legend.
    Graphs over ``max_nodes`` nodes (tensors + ops) are refused.
    """
    graph = graph_attrs(rankdir)
    layout = trace(root, max_nodes)
    flow = flow_from_tensors(layout) if steps is None else flow_from_steps(layout, steps)
    scale = HeatScale.of(norm(g) for g in flow.node.values()) if heat else None
    nodes: dict[str, Mapping[str, str]] = {}
    for i, t in enumerate(layout.tensors):
        grad = flow.node.get(f"t{i}")
        style = tensor_style(t, t is root)
        if scale is not None and t.requires_grad:
            style["fillcolor"] = UNKNOWN_FILL if grad is None else scale.colour(norm(grad))
            style["fontcolor"] = text_colour(style["fillcolor"])
        text = summarize(grad, label_limit) if grads and grad is not None else None
        nodes[f"t{i}"] = {**style, "label": tensor_label(t, values, text, label_limit)}
        if t._ctx is not None:
            nodes[f"o{i}"] = op_node(t, label_limit)
    edges = {}
    if scale is not None:
        edges = {e: scale.edge(flow.edge.get((e[2], e[3]))) for e in layout.edges}
    extra = [f"heat_legend {attrs({'shape': 'plain', 'label': scale.legend()})}"] if scale else []
    return Graph(dot_source(layout, nodes, edges, graph, extra), layout.node_count)
