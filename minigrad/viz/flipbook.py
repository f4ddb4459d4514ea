"""Backward, one step at a time: a self-contained HTML page to step through.

``flipbook(root, "backprop.html")`` runs ``root.backward_steps()`` and draws
the graph once. Each step restyles that one picture: the node being
processed is orange (its SVG group has the class ``current``), nodes already
done are green, and the edges its gradient runs along turn red, arrows
pointing backwards, labelled with the gradient they carry. Beside the
picture, the chain rule of the step with the actual names and numbers
(chain.py) and the sum at nodes that several ops feed. The page is one SVG
plus a small table per step, so its size grows with nodes + steps.

Without a path, ``flipbook(root)`` returns a ``Flipbook``: Jupyter and VS
Code show it inline (the same page, in an ``<iframe srcdoc>``), and
``.save("backprop.html")`` writes it. A page is saved under the rules of
pictures (minigrad.safe_file): the name must end in ``.html``, and an
existing file is replaced only if it is a flipbook page, or with
``overwrite=True``.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from ..engine import BackwardStep, toposort
from ..safe_file import Owner, check_target, write_atomically
from ..tensor import Tensor
from .chain import chain_lines, contributions, d, num, rule, sum_line, value
from .dot import dot_source, graph_attrs, op_node, tensor_label, tensor_style
from .flow import flow_from_steps
from .labels import LABEL_LIMIT, clean, escape, natural_key, summarize
from .layout import GraphTooLargeError, Layout, outermost, trace
from .names import display_names
from .page import GENERATOR, page
from .render import render

DEFAULT_MAX_STEPS = 100
DEFAULT_MAX_NODES = 400
NAME_LIMIT = 24  # characters of a name in the panel text
SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"


class Flipbook:
    """A step-through page: shown inline in Jupyter / VS Code, ``.save(path)`` writes it."""

    def __init__(self, html_text: str, steps: int) -> None:
        self.html = html_text
        self.steps = steps

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the page to ``path`` (``.html``) atomically; an existing file is replaced
        only if it is a flipbook page, or with ``overwrite=True``."""
        path = Path(path)
        if path.suffix.lower() != ".html":
            raise ValueError(f"flipbook: the page is HTML; name it *.html, got {str(path)!r}")
        data = self.html.encode("utf-8")
        write_atomically(check_target(path, PAGE, overwrite), lambda f: f.write(data))
        return path

    def _repr_html_(self) -> str:
        """The page in an iframe (its script and style stay inside it)."""
        source = html.escape(self.html, quote=True)
        return (
            f'<iframe srcdoc="{source}" sandbox="allow-scripts" title="backward, step by step" '
            'style="width: 100%; height: 640px; border: 1px solid #ddd"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<minigrad.viz.Flipbook: {self.steps} steps; .save('backprop.html') writes it>"


def is_flipbook_page(path: Path) -> bool:
    """True for a page ``flipbook`` wrote: its head names the generator."""
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return False
    return GENERATOR.encode("ascii") in head


PAGE = Owner("flipbook", "a flipbook page", wrote=is_flipbook_page)


@overload
def flipbook(
    root: Tensor,
    path: None = None,
    max_steps: int = ...,
    max_nodes: int = ...,
    values: bool = ...,
    rankdir: str = ...,
    label_limit: int = ...,
    overwrite: bool = ...,
) -> Flipbook: ...
@overload
def flipbook(
    root: Tensor,
    path: str | Path,
    max_steps: int = ...,
    max_nodes: int = ...,
    values: bool = ...,
    rankdir: str = ...,
    label_limit: int = ...,
    overwrite: bool = ...,
) -> Path: ...
def flipbook(
    root: Tensor,
    path: str | Path | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_nodes: int = DEFAULT_MAX_NODES,
    values: bool = True,
    rankdir: str = "TB",
    label_limit: int = LABEL_LIMIT,
    overwrite: bool = False,
) -> Flipbook | Path:
    """Run backward from ``root`` and build the step-through page: written to ``path``
    (returned), or returned as a ``Flipbook`` to show inline when no path is given.

    Like ``root.backward()``, this accumulates into the leaves' ``.grad``.
    A backward pass of more than ``max_steps`` steps (nodes that need a
    gradient) or a graph of more than ``max_nodes`` nodes is refused first,
    and so is a ``path`` the page may not replace (see ``Flipbook.save``).
    """
    graph = graph_attrs(rankdir)
    if path is not None:
        if Path(path).suffix.lower() != ".html":
            raise ValueError(f"flipbook: the page is HTML; name it *.html, got {str(path)!r}")
        check_target(Path(path), PAGE, overwrite)  # refused before backward runs
    count = len(toposort(root))
    if count > max_steps:
        raise GraphTooLargeError(
            f"flipbook: backward would take {count} steps, over the limit max_steps={max_steps} "
            f"(one frame per step); step through a smaller graph, or use draw() for this one"
        )
    layout = trace(root, max_nodes)
    steps = list(root.backward_steps())
    names = display_names(layout)
    svg = picture(layout, steps, graph, values, label_limit, names)
    frames = [frame(layout, steps, k) for k in range(len(steps))]
    arrived = contributions(steps)
    panels = [panel(k, steps, layout, names, arrived) for k in range(len(steps))]
    title = f"backward from {names[len(layout.tensors) - 1]}"
    book = Flipbook(page(title, svg, frames, panels, leaf_list(layout, steps, names)), len(steps))
    return book if path is None else book.save(path, overwrite)


# ---------------------------------------------------------------- picture
def picture(
    layout: Layout,
    steps: Sequence[BackwardStep],
    graph: Mapping[str, str],
    values: bool,
    limit: int,
    names: Sequence[str],
) -> str:
    """The one SVG: every gradient in place (hidden until reached), ids for the script."""
    flow = flow_from_steps(layout, steps)
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    nodes: dict[str, Mapping[str, str]] = {}
    for i, t in enumerate(layout.tensors):
        if layout.canonical[i] != i:
            continue
        grad = flow.node.get(f"t{i}")
        text = summarize(grad, limit) if grad is not None else None
        label = tensor_label(t, values, text, limit, nickname=names[i])
        nodes[f"t{i}"] = {**tensor_style(t, t is layout.root), "label": label, "id": f"t{i}"}
        if t._ctx is not None:
            nodes[f"o{i}"] = {**op_node(t, limit, names, index), "id": f"o{i}"}
    edges: dict[tuple[str, str, int, int], dict[str, str]] = {}
    for n, edge in enumerate(layout.edges):
        style = {"id": f"e{n}", "dir": "both", "arrowtail": "normal"}
        grad = flow.edge.get((edge[2], edge[3]))
        if grad is not None:
            style["label"] = escape(edge_value(grad), limit)
        edges[edge] = style
    svg = render(dot_source(layout, nodes, edges, graph), "svg").decode("utf-8")
    return mark(svg)


def edge_value(grad: np.ndarray) -> str:
    """A gradient on an edge: the number, or the norm of a tensor."""
    return value(grad) if grad.size == 1 else f"‖·‖ {num(float(np.linalg.norm(grad)))}"


def mark(svg: str) -> str:
    """Classes the page's style needs: gradient lines, edge labels, the two arrowheads."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    for g in root.iter(f"{{{SVG_NS}}}g"):
        kind = (g.get("class") or "").split()
        if "node" in kind:
            for text in g.iter(f"{{{SVG_NS}}}text"):
                if "".join(text.itertext()).startswith("grad "):
                    text.set("class", "grad")
        elif "edge" in kind:
            _mark_edge(g)
    return ET.tostring(root, encoding="unicode")


def _mark_edge(g: ET.Element) -> None:
    path = next(g.iter(f"{{{SVG_NS}}}path"), None)
    end = _last_point(path.get("d", "")) if path is not None else None
    for polygon in g.iter(f"{{{SVG_NS}}}polygon"):
        x, y = (float(v) for v in polygon.get("points", "0,0").split()[0].split(","))
        near_end = end is not None and abs(x - end[0]) + abs(y - end[1]) < 12
        polygon.set("class", "head" if near_end else "tail")
    for text in g.iter(f"{{{SVG_NS}}}text"):
        text.set("class", "glabel")


def _last_point(d: str) -> tuple[float, float]:
    x, y = d.replace("M", " ").replace("C", " ").split()[-1].split(",")
    return float(x), float(y)


def frame(layout: Layout, steps: Sequence[BackwardStep], k: int) -> dict[str, object]:
    """What step ``k`` highlights: the current boxes and the edges the gradient takes."""
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    step = steps[k]
    j = layout.canonical[index[id(step.node)]]
    keys = [f"t{j}"] + ([f"o{j}"] if step.op is not None else [])
    edges = [
        f"e{n}"
        for n, (_, _, i, pos) in enumerate(layout.edges)
        if i == j
        and (pos < 0 or (pos < len(step.input_grads) and step.input_grads[pos] is not None))
        and step.op is not None
    ]
    return {"current": keys, "edges": edges}


# ------------------------------------------------------------------ panels
def panel(
    k: int,
    steps: Sequence[BackwardStep],
    layout: Layout,
    names: Sequence[str],
    sent: Mapping[int, list[tuple[int, np.ndarray]]],
) -> str:
    """The chain rule of step ``k`` with its numbers; ``sent`` as ``contributions``."""
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    step = steps[k]
    me = names[index[id(step.node)]]
    parts = [f"<h2>Step {k + 1}: {e(me)}</h2>"]
    arrived = [(j, g) for j, g in sent.get(id(step.node), []) if j < k]
    if step.op is None or len(arrived) > 1:
        tags = [outermost(steps[j].node.scope) for j, _ in arrived]
        if len(set(tags)) > 1:  # a shared weight: each part tagged with its step, in order
            order = sorted(range(len(arrived)), key=lambda n: natural_key(tags[n]))
            arrived, tags = [arrived[n] for n in order], [tags[n] for n in order]
        else:
            tags = []
        received = [g for _, g in arrived] or [step.grad.data]
        line = sum_line(me, received, step.grad.data, step.op is None, [clean(t) for t in tags])
        what = "Several ops used it: it receives the sum." if len(arrived) > 1 else ""
        parts.append(f"<p>{what}</p><p class=chain><code>{e(line)}</code></p>")
    if step.op is None:
        parts.append(f"<p>A leaf: the sum is stored in <code>{e(me)}.grad</code>.</p>")
    else:
        inputs = [names[index[id(x)]] for x in step.inputs]
        incoming = "1 (the start: dL/dL)" if k == 0 else value(step.grad.data)
        parts.append(f"<p>op <b>{e(step.op)}</b>: <code>{e(rule(step, me, inputs))}</code></p>")
        parts.append(f"<p>arrived: <code>dL/{e(d(me))} = {e(incoming)}</code></p>")
        lines = chain_lines(step, me, inputs)
        parts.append("".join(f"<p class=chain><code>{e(x)}</code></p>" for x in lines))
    hidden = "" if k == 0 else " hidden"
    return f'<section class="panel" data-step="{k}"{hidden}>{"".join(parts)}</section>'


def e(text: str) -> str:
    """Text of the page's panels: cleaned (an op's formula may hold anything), escaped."""
    return html.escape(clean(text))


def leaf_list(layout: Layout, steps: Sequence[BackwardStep], names: Sequence[str]) -> str:
    """Every leaf with its gradient, each shown from the step that stores it."""
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    items = []
    for k, step in enumerate(steps):
        if step.op is None:
            name = e(names[index[id(step.node)]])
            grad = e(value(step.grad.data))
            items.append(f'<li data-from="{k}"><b>{name}</b>: {grad}</li>')
    return "".join(items)
