"""Draw a minigrad graph with Graphviz: DOT text, clusters, heat colours.

``draw(root)`` returns a ``Graph``. Each tensor is a box — parameters blue,
constants grey and dashed, intermediates white, named ones with their name
on top — and each op an ellipse with its formula; data flows along the
edges, inputs -> op -> output, the first input drawn first (edges labelled
``a``, ``b`` as in the formula). Tensors made under ``minigrad.scope("...")``
sit in clusters (nested scopes nest) in natural order (``t=2`` before
``t=10``); a scope that feeds the next one is drawn entirely before it, so
time steps follow each other along the flow. Shared weights, and
computations repeated on them alone (``W.T``), are drawn once outside.
``collapse=True`` draws each outermost scope as one box (collapse.py);
``heat=True`` colours tensors by log10 ||grad|| (heat.py).

``Graph.source`` is the DOT text and needs no binary; ``Graph.save`` and the
Jupyter display render it with Graphviz (render.py). The step-through in
flipbook.py reuses the same boxes and layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ..engine import BackwardStep
from ..tensor import Tensor
from .flow import Flow, flow_from_steps, flow_from_tensors
from .heat import NEUTRAL_OP_FILL, HeatScale, norm
from .labels import LABEL_LIMIT, escape, lines, operand_letters, quote, shorten, summarize
from .layout import DEFAULT_MAX_NODES, GraphTooLargeError, Layout, scope_paths, trace
from .render import Graph

__all__ = ["GraphTooLargeError", "draw", "escape", "summarize"]

RANKDIRS = ("LR", "RL", "TB", "BT")
FORMULAS = ("short", "full", "tooltip")
BIG_GRAPH = 150  # nodes; above this Graphviz's x placement is cut short (see dot_source)

PARAM_FILL, CONST_FILL, OP_FILL, PLAIN_FILL = "#cfe3f7", "#eeeeee", "#fff4c2", "#ffffff"
FONT = "Helvetica,Arial,sans-serif"

Attrs = Mapping[str, str]


# -------------------------------------------------------------- DOT text
def attrs(values: Attrs) -> str:
    """DOT attribute list; ``label`` holds escaped HTML, other values are quoted."""
    parts = [
        f"label=<{value}>" if key == "label" else f"{key}={quote(value)}"
        for key, value in values.items()
    ]
    return "[" + ", ".join(parts) + "]"


def dot_source(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[tuple[str, str, int, int], Attrs],
    graph: Attrs,
    extra: Iterable[str] = (),
) -> str:
    """DOT text: graph attributes, nodes grouped into nested clusters, edges, and the
    invisible edges that keep consecutive scopes one after the other."""
    if layout.node_count > BIG_GRAPH:
        graph = {**graph, "nslimit": "0.2"}  # x placement: near-optimal, not minutes long
    out = ["digraph minigrad {", f"  graph {attrs(graph)}"]
    out.append(f'  node [fontname="{FONT}", fontsize="11"]')
    out.append(f'  edge [fontname="{FONT}", fontsize="9", arrowsize="0.7"]')
    by_scope: dict[str, list[str]] = {}
    for key, scope in layout.scope_of.items():
        by_scope.setdefault(scope, []).append(key)
    out += [f"  {key} {attrs(nodes[key])}" for key in by_scope.pop("", [])]
    out += _clusters(by_scope, nodes)
    out += [f"  {a} -> {b} {attrs(edges.get((a, b, i, p), {}))}" for a, b, i, p in layout.edges]
    out += [f"  {a} -> {b} [style=invis]" for a, b in sequence_edges(layout.scope_of, layout.edges)]
    out += [f"  {line}" for line in extra]
    out.append("}")
    return "\n".join(out) + "\n"


def _clusters(by_scope: Mapping[str, list[str]], nodes: Mapping[str, Attrs]) -> list[str]:
    """Nested ``subgraph cluster_N`` blocks, opened and closed with a stack."""
    out: list[str] = []
    open_paths: list[tuple[str, ...]] = []
    for n, path in enumerate(scope_paths(set(by_scope))):
        while open_paths and open_paths[-1] != path[: len(open_paths[-1])]:
            open_paths.pop()
            out.append("  " * (len(open_paths) + 1) + "}")
        pad = "  " * (len(open_paths) + 2)
        out.append(pad[:-2] + f"subgraph cluster_{n} {{")
        out.append(pad + f"graph {attrs(cluster_style(path))}")
        out += [pad + f"{key} {attrs(nodes[key])}" for key in by_scope.get("/".join(path), [])]
        open_paths.append(path)
    while open_paths:
        open_paths.pop()
        out.append("  " * (len(open_paths) + 1) + "}")
    return out


def cluster_style(path: tuple[str, ...]) -> dict[str, str]:
    return {
        "label": f"<B>{escape(path[-1])}</B>",
        "tooltip": "scope " + "/".join(path),
        "style": "rounded,filled",
        "fillcolor": "#f6f6f6" if len(path) % 2 else "#ececec",
        "color": "#9a9a9a",
        "fontname": FONT,
        "fontsize": "11",
    }


def sequence_edges(
    scope_of: Mapping[str, str], edges: Iterable[tuple[str, str, int, int]]
) -> list[tuple[str, str]]:
    """Invisible edges from the last nodes of a scope to the first nodes of the next
    sibling scope it feeds, so that time step t is drawn wholly before step t + 1."""
    paths = {key: tuple(scope.split("/")) if scope else () for key, scope in scope_of.items()}
    pairs = [(a, b) for a, b, _, _ in edges]
    siblings: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for path in scope_paths(set(scope_of.values())):
        siblings.setdefault(path[:-1], []).append(path)
    out: list[tuple[str, str]] = []
    for children in siblings.values():
        for first, then in zip(children, children[1:], strict=False):
            a_keys = {k for k, p in paths.items() if p[: len(first)] == first}
            b_keys = {k for k, p in paths.items() if p[: len(then)] == then}
            if not any(a in a_keys and b in b_keys for a, b in pairs):
                continue  # parallel scopes: no order to show
            lasts = a_keys - {a for a, b in pairs if a in a_keys and b in a_keys}
            firsts = b_keys - {b for a, b in pairs if a in b_keys and b in b_keys}
            out += [(a, b) for a in sorted(lasts) for b in sorted(firsts)]
    return out


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
    t: Tensor,
    values: bool,
    grad_text: str | None,
    limit: int,
    grad_colour: str = "",
    nickname: str = "",
) -> str:
    """Name (or kind, or ``nickname`` in italics), shape, data and gradient lines."""
    parts: list[tuple[str, str]] = []
    if t.name:
        parts.append((f"<B>{escape(t.name, limit)}</B>", ""))
    elif nickname:
        parts.append((f"<I>{escape(nickname, limit)}</I>", ""))
    elif t._ctx is None:
        parts.append((f"<I>{'param' if t.requires_grad else 'const'}</I>", ""))
    dtype = "" if t.dtype == np.float64 else f" {t.dtype}"
    if t.ndim or dtype:
        parts.append((escape(f"shape {t.shape}{dtype}" if t.ndim else dtype.strip(), limit), ""))
    if values:
        parts.append((escape("data " + summarize(t.data, limit), limit), ""))
    if grad_text is not None:
        parts.append((escape("grad " + grad_text, limit), grad_colour))
    return lines(parts or [("scalar", "")])


def op_node(t: Tensor, limit: int, formulas: str = "short") -> dict[str, str]:
    """Ellipse with the op's name and its formula from the docstring; the whole
    formula is always in the tooltip."""
    assert t._ctx is not None
    formula = t._ctx.formula
    label = f"<B>{escape(t._ctx.name, limit)}</B>"
    if formula and formulas != "tooltip":
        shown = [formula.split(";")[0].strip()] if formulas == "short" else formula.split(";")
        for line in shown:
            text = escape(shorten(line.strip(), limit), limit + 2)
            label += f'<BR/><FONT POINT-SIZE="9">{text}</FONT>'
    style = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "label": label}
    style["tooltip"] = f"{t._ctx.name}: {formula}" if formula else t._ctx.name
    if len(t._ctx.inputs) > 1:
        style["ordering"] = "in"  # the first input is drawn first
    return style


def operand_labels(layout: Layout) -> dict[tuple[str, str, int, int], dict[str, str]]:
    """``a``, ``b`` (the formula's letters) on the input edges of ops with several inputs."""
    out = {}
    for edge in layout.edges:
        fn = layout.tensors[edge[2]]._ctx
        if edge[3] >= 0 and fn is not None and len(fn.inputs) > 1:
            letters = operand_letters(fn.formula, len(fn.inputs))
            if letters:
                out[edge] = {
                    "headlabel": letters[edge[3]],
                    "labelfontcolor": "#555555",
                    "labelfontsize": "10",
                    "labeldistance": "1.8",
                }
    return out


def graph_attrs(rankdir: str) -> dict[str, str]:
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    return {
        "newrank": "true",
        "rankdir": rankdir,
        "bgcolor": "white",
        "nodesep": "0.25",
        "ranksep": "0.3",
    }


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
    collapse: bool = False,
    formulas: str = "short",
) -> Graph:
    """Draw the graph that computed ``root``.

    ``values``/``grads`` show each tensor's data and gradient (the value of a
    scalar or tiny tensor, else min/max/norm). Gradients come from ``.grad``
    (leaves and ``retain_grad()`` tensors), or for every node from ``steps``:
    pass ``steps=root.backward_steps()`` to run backward here and record them.
    ``heat`` colours tensors and edges by log10 ||grad||, with a colour bar.
    ``collapse`` draws each outermost scope as one box. ``formulas`` puts the
    op's forward rule in its label ("short"), the whole rule ("full"), or
    only in the tooltip ("tooltip"). Graphs over ``max_nodes`` boxes are refused.
    """
    graph = graph_attrs(rankdir)
    if formulas not in FORMULAS:
        raise ValueError(f"draw: formulas must be one of {FORMULAS}, got {formulas!r}")
    layout = trace(root, max_nodes, collapse)
    flow = flow_from_tensors(layout) if steps is None else flow_from_steps(layout, steps)
    scale = HeatScale.of(norm(g) for g in flow.node.values()) if heat else None
    nodes = _nodes(layout, flow, scale, values, grads, label_limit, formulas)
    edges: dict[tuple[str, str, int, int], dict[str, str]] = operand_labels(layout)
    if scale is not None:
        for e in layout.edges:
            edges[e] = {**edges.get(e, {}), **scale.edge(flow.edge.get((e[2], e[3])))}
    extra = [f"heat_legend {attrs({'shape': 'plain', 'label': scale.legend()})}"] if scale else []
    if collapse:
        from .collapse import collapsed_source

        return Graph(*collapsed_source(layout, nodes, edges, graph, extra, label_limit))
    return Graph(dot_source(layout, nodes, edges, graph, extra), layout.node_count)


def _nodes(
    layout: Layout,
    flow: Flow,
    scale: HeatScale | None,
    values: bool,
    grads: bool,
    limit: int,
    formulas: str,
) -> dict[str, Mapping[str, str]]:
    """The attributes of every box and ellipse."""
    nodes: dict[str, Mapping[str, str]] = {}
    for i, t in enumerate(layout.tensors):
        if layout.canonical[i] != i:
            continue
        grad = flow.node.get(f"t{i}")
        style = tensor_style(t, t is layout.root)
        if scale is not None and t.requires_grad:
            style.update(scale.node_style(grad))
        text = summarize(grad, limit) if grads and grad is not None else None
        nodes[f"t{i}"] = {**style, "label": tensor_label(t, values, text, limit)}
        if t._ctx is not None:
            op = op_node(t, limit, formulas)
            if scale is not None:
                op.update(fillcolor=NEUTRAL_OP_FILL, color="#888888", fontcolor="#444444")
            nodes[f"o{i}"] = op
    return nodes
