"""Draw a minigrad graph with Graphviz: DOT text, clusters, heat colours.

``draw(root)`` returns a ``Graph``. Each tensor is a box — parameters blue,
constants grey and dashed, intermediates white, each with its name on top
(its own, or one made up like ``add1``: names.py) — and each op an ellipse
with its rule written with its operands' names (``tanh(add1)``,
formula.py); data flows along the edges, inputs -> op -> output, the first
input drawn first. Tensors made under ``minigrad.scope("...")`` sit in
clusters (nested scopes nest) in natural order (``t=2`` before ``t=10``); a
scope that feeds the next one is drawn entirely before it, so time steps
follow each other along the flow.

A graph with scopes (an unrolled RNN) is drawn to fit a page: top to bottom,
values too long for a box moved to its tooltip, and the shared weights and
the computations repeated on them alone (``W.T``) drawn once, in a column at
the side, each step using a dashed copy (shared.py). ``collapse=True`` draws
each outermost scope as one box (collapse.py); ``heat=True`` colours
tensors by log10 ‖grad‖ (heat.py).

``Graph.source`` is the DOT text and needs no binary; ``Graph.save`` and the
Jupyter display render it with Graphviz (render.py). The step-through in
flipbook.py reuses the same boxes and layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..engine import BackwardStep
from ..tensor import Tensor
from .flow import Flow, flow_from_steps, flow_from_tensors
from .formula import right_side, written
from .heat import NEUTRAL_OP_FILL, HeatScale, norm
from .labels import LABEL_LIMIT, escape, lines, quote, shorten, summarize
from .layout import DEFAULT_MAX_NODES, GraphTooLargeError, Layout, merged, scope_paths, trace
from .names import display_names
from .render import Graph
from .shared import Column, column_lines, shared_column

__all__ = ["GraphTooLargeError", "draw", "escape", "summarize"]

RANKDIRS = ("LR", "RL", "TB", "BT")
FORMULAS = ("short", "full", "tooltip")
BIG_GRAPH = 150  # nodes; above this Graphviz's x placement is cut short (see dot_source)
FIT_LIMIT = 18  # characters of a value or formula line in a graph drawn to fit a page
FIT_DATA = 12  # characters of data shown in such a graph (a scalar); longer: the tooltip

PARAM_FILL, CONST_FILL, OP_FILL, PLAIN_FILL = "#cfe3f7", "#eeeeee", "#fff4c2", "#ffffff"
FONT = "Helvetica,Arial,sans-serif"
NORM_GRAD = "\u2016grad\u2016"  # ‖grad‖
SMALL = "11"  # points: formulas, edge labels, the colour bar (11 px at 800 px)

Attrs = Mapping[str, str]
EdgeKey = tuple[str, str, int, int]


# -------------------------------------------------------------- DOT text
def attrs(values: Attrs) -> str:
    """DOT attribute list; ``label`` holds escaped HTML, other values are quoted."""
    parts = [
        f"label=<{value}>" if key == "label" else f"{key}={quote(value)}"
        for key, value in values.items()
    ]
    return "[" + ", ".join(parts) + "]"


def header(graph: Attrs, size: int) -> list[str]:
    """The first lines of the DOT text: graph, node and edge defaults; ``size`` is the
    number of nodes (or nodes and edges) that decides whether the graph is big."""
    if size > BIG_GRAPH:  # ranking and x placement: near-optimal, not minutes long
        graph = {**graph, "nslimit": "0.2", "nslimit1": "0.2"}
    return [
        "digraph minigrad {",
        f"  graph {attrs(graph)}",
        f'  node [fontname="{FONT}", fontsize="11"]',
        f'  edge [fontname="{FONT}", fontsize="{SMALL}", arrowsize="0.7"]',
    ]


def dot_source(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[EdgeKey, Attrs],
    graph: Attrs,
    extra: Iterable[str] = (),
    column: Column | None = None,
) -> str:
    """DOT text: graph attributes, nodes grouped into nested clusters, edges, and the
    invisible edges that keep consecutive scopes one after the other. ``column`` (from
    shared.py) moves shared nodes to a side column with a dashed copy in each step."""
    by_scope: dict[str, list[str]] = {}
    for key, scope in layout.scope_of.items():
        by_scope.setdefault(scope, []).append(key)
    scope_of: dict[str, str] = dict(layout.scope_of)
    if column is None:
        out = header(graph, layout.node_count)
        drawn = [(a, b, edges.get((a, b, i, p), {})) for a, b, i, p in layout.edges]
        link: list[str] = []
    else:
        out = header({**graph, "compound": "true"}, layout.node_count)
        lines_, nodes, drawn, link = column_lines(layout, nodes, edges, by_scope, column)
        out += lines_
        scope_of.update((stub, scope) for (_, scope), stub in column.stubs.items())
    out += [f"  {key} {attrs(nodes[key])}" for key in by_scope.pop("", [])]
    out += _clusters(by_scope, nodes)
    out += [f"  {a} -> {b} {attrs(style)}" for a, b, style in drawn] + link
    flow = [(a, b, 0, 0) for a, b, _ in drawn]  # the stubs too: a step starts with them
    out += [f"  {a} -> {b} [style=invis, weight=8]" for a, b in sequence_edges(scope_of, flow)]
    out += [f"  {line}" for line in extra]
    out.append("}")
    return "\n".join(out) + "\n"


def _clusters(by_scope: Mapping[str, list[str]], nodes: Mapping[str, Attrs]) -> list[str]:
    """Nested ``subgraph cluster_N`` blocks, opened and closed with a stack."""
    out: list[str] = []
    open_paths: list[tuple[str, ...]] = []
    for n, path in enumerate(scope_paths({s for s in by_scope if s})):
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
        "tooltip": "scope " + "/".join(part[:LABEL_LIMIT] for part in path),
        "style": "rounded,filled",
        "fillcolor": "#f6f6f6" if len(path) % 2 else "#ececec",
        "color": "#9a9a9a",
        "fontname": FONT,
        "fontsize": "11",
    }


def sequence_edges(scope_of: Mapping[str, str], edges: Iterable[EdgeKey]) -> list[tuple[str, str]]:
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
    fit: bool = False,
) -> str:
    """Name (or ``nickname`` in italics), shape, data and gradient lines; with ``fit``
    the shape follows the name on its line: ``h_1 (1, 2)``."""
    parts: list[tuple[str, str]] = []
    if t.name:
        parts.append((f"<B>{escape(t.name, limit)}</B>", ""))
    elif nickname:
        parts.append((f"<I>{escape(nickname, limit)}</I>", ""))
    elif t._ctx is None:
        parts.append((f"<I>{'param' if t.requires_grad else 'const'}</I>", ""))
    dtype = "" if t.dtype == np.float64 else f" {t.dtype}"
    if fit and parts and t.ndim:
        parts[0] = (parts[0][0] + "&#160;" + escape(f"{t.shape}{dtype}", limit), "")
    elif t.ndim or dtype:
        parts.append((escape(f"shape {t.shape}{dtype}" if t.ndim else dtype.strip(), limit), ""))
    if values:
        parts.append((escape("data " + summarize(t.data, limit), limit), ""))
    if grad_text is not None:
        prefix = "" if grad_text.startswith(NORM_GRAD) else "grad "
        parts.append((escape(prefix + grad_text, limit), grad_colour))
    return lines(parts or [("scalar", "")])


def op_node(
    t: Tensor,
    limit: int,
    names: Sequence[str],
    index: Mapping[int, int],
    formulas: str = "short",
    fit: bool = False,
) -> dict[str, str]:
    """Ellipse with the op's name and its rule in its operands' names (``names[i]`` is
    the name of tensor ``i``, ``index`` maps ``id(tensor)`` to ``i``); the whole rule
    is always in the tooltip; with ``fit``, a rule longer than ``limit`` only there."""
    fn = t._ctx
    assert fn is not None
    me, inputs = names[index[id(t)]], [names[index[id(x)]] for x in fn.inputs]
    rule = written(fn.formula, me, inputs) if fn.formula else ""
    label = f"<B>{escape(fn.name, limit)}</B>"
    if rule and formulas != "tooltip":
        shown = [right_side(fn.formula, me, inputs)] if formulas == "short" else rule.split(";")
        if fit:
            shown = [line for line in shown if len(line.strip()) <= limit]  # or the tooltip
        for line in shown:
            text = escape(shorten(line.strip(), limit), limit + 2)
            label += f'<BR/><FONT POINT-SIZE="{SMALL}">{text}</FONT>'
    style = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "label": label}
    style["tooltip"] = f"{fn.name}: {rule}" if rule else fn.name
    if len(fn.inputs) > 1:
        style["ordering"] = "in"  # the first input is drawn first
    return style


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
    rankdir: str | None = None,
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
    ``heat`` colours tensors and edges by log10 ‖grad‖, with a colour bar.
    ``collapse`` draws each outermost scope as one box. ``formulas`` puts the
    op's forward rule in its label ("short"), the whole rule ("full"), or
    only in the tooltip ("tooltip"). ``rankdir`` is the direction of the
    flow: by default "LR", but "TB" for a graph with scopes, which is also
    drawn to fit a page (values too long for a box in its tooltip, shared
    weights in a side column). Graphs over ``max_nodes`` boxes are refused.
    """
    if formulas not in FORMULAS:
        raise ValueError(f"draw: formulas must be one of {FORMULAS}, got {formulas!r}")
    if rankdir is not None:
        graph_attrs(rankdir)  # refuse a bad direction before any work
    layout = trace(root, max_nodes, collapse)
    fit = any(layout.scope_of.values())
    graph = graph_attrs(rankdir or ("TB" if fit else "LR"))
    if fit:
        graph.update(nodesep="0.08", ranksep="0.22")
    flow = flow_from_tensors(layout) if steps is None else flow_from_steps(layout, steps)
    scale = HeatScale.of(norm(g) for g in flow.node.values()) if heat else None
    nodes = _nodes(layout, flow, scale, values, grads, label_limit, formulas, fit)
    drawn = merged(layout) if fit else layout
    edges: dict[EdgeKey, dict[str, str]] = {}
    if scale is not None:
        edges = {e: scale.edge(flow.edge.get((e[2], e[3]))) for e in drawn.edges}
    legend = {"shape": "plain", "label": scale.legend()} if scale else None
    extra = [f"heat_legend {attrs(legend)}"] if legend else []
    if collapse:
        from .collapse import collapsed_source

        source, count = collapsed_source(
            drawn, nodes, edges, graph, extra, label_limit, flow, scale
        )
        return Graph(source, count)
    column = shared_column(drawn, display_names(layout)) if fit else None
    if column is not None and legend is not None:
        column.legend, extra = legend, []  # below the weights, not beside the steps
    return Graph(dot_source(drawn, nodes, edges, graph, extra, column), layout.node_count)


def _nodes(
    layout: Layout,
    flow: Flow,
    scale: HeatScale | None,
    values: bool,
    grads: bool,
    limit: int,
    formulas: str,
    fit: bool,
) -> dict[str, Mapping[str, str]]:
    """The attributes of every box and ellipse; with ``fit``, lines longer than
    ``FIT_LIMIT`` are cut, and whole in the tooltip."""
    names = display_names(layout)
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    shown = min(limit, FIT_LIMIT) if fit else limit
    nodes: dict[str, Mapping[str, str]] = {}
    for i, t in enumerate(layout.tensors):
        if layout.canonical[i] != i:
            continue
        grad = flow.node.get(f"t{i}")
        style = tensor_style(t, t is layout.root)
        if scale is not None and t.requires_grad:
            style.update(scale.node_style(grad))
        text = summarize(grad, limit) if grads and grad is not None else None
        if fit:
            style["tooltip"] = _value_tooltip(names[i], t, values, text, limit)
            text = None if text is None else compact(grad, text)
        data = values and (not fit or len(summarize(t.data, limit)) <= FIT_DATA)
        label = tensor_label(t, data, text, limit, nickname=names[i], fit=fit)
        nodes[f"t{i}"] = {**style, "label": label}
        if t._ctx is None:
            continue
        op = op_node(t, shown, names, index, formulas, fit)
        if scale is not None:
            op.update(fillcolor=NEUTRAL_OP_FILL, color="#888888", fontcolor="#444444")
        if fit:  # the op and the tensor it makes, one box
            nodes[f"t{i}"] = merged_box(nodes[f"t{i}"], op)
        else:
            nodes[f"o{i}"] = op
    return nodes


def merged_box(tensor: Mapping[str, str], op: Mapping[str, str]) -> dict[str, str]:
    """One box: the op (its name and rule, on the op colour) above the tensor it makes."""
    cell = '<TD BGCOLOR="{}" ALIGN="CENTER">{}</TD>'
    op_text = f'<FONT COLOR="{op.get("fontcolor", "#000000")}">{op["label"]}</FONT>'
    rows = [
        cell.format(op["fillcolor"], op_text),
        cell.format(tensor["fillcolor"], tensor["label"]),
    ]
    table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
    label = table + "".join(f"<TR>{row}</TR>" for row in rows) + "</TABLE>"
    tooltip = f"{op['tooltip']}  |  {tensor.get('tooltip', '')}"
    return {**tensor, "label": label, "tooltip": tooltip, "margin": "0.04"}


def compact(grad: np.ndarray | None, text: str) -> str:
    """A gradient short enough for a box: its value, or its norm."""
    if grad is None or len(text) <= FIT_DATA:
        return text
    return f"{NORM_GRAD} {norm(grad):.3g}"


def _value_tooltip(name: str, t: Tensor, values: bool, grad: str | None, limit: int) -> str:
    parts = [f"{name}: shape {t.shape}"]
    if values:
        parts.append("data " + summarize(t.data, limit))
    if grad is not None:
        parts.append("grad " + grad)
    return "; ".join(parts)
