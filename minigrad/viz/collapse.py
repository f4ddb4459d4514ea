"""``draw(root, collapse=True)``: each outermost scope drawn as one box.

Like a name-scope view: everything made under ``mg.scope("t=3")`` becomes
one box labelled with the scope, how many ops it holds and the named
tensors it hands on (``h_3``, ``o_3``); edges between boxes carry those
names. Nodes outside every scope (the loss) are drawn as usual; the shared
weights stand in a side column with one edge to the chain, not one edge to
every box. A 100-step unroll becomes a chain of 100 boxes, laid out in a
few seconds (``dot``'s ranking and placement are cut short on big graphs).

With ``heat=True`` a box is coloured by the gradient it hands back,
‖dL/dh_t‖ of the tensors it passes to the next box (the ones it passes to
anything, for the last box), written in the box; an edge between boxes by
the gradient that goes back along it. Both use the colour bar's mapping.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .flow import Flow
from .heat import HeatScale, norm, text_colour
from .labels import escape, lines, natural_key, truncate
from .layout import Edge, Layout, outermost
from .shared import COLUMN, STUB_COLOUR, weight_only

Attrs = Mapping[str, str]
BUNDLE = 4  # boxes; edges from more of them into one node are drawn as one


def collapsed_source(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[Edge, Attrs],
    graph: Attrs,
    extra: Iterable[str],
    limit: int,
    flow: Flow,
    scale: HeatScale | None,
) -> tuple[str, int]:
    """DOT text of the collapsed view, and how many boxes it draws."""
    from .dot import attrs, header  # dot.py imports this module lazily: no cycle at import

    scopes = sorted({outermost(s) for s in layout.scope_of.values() if s}, key=natural_key)
    box = {scope: f"s{n}" for n, scope in enumerate(scopes)}
    boxes = set(box.values())
    top = [k for k, s in layout.scope_of.items() if not s]
    shared = [k for k in top if k in weight_only(layout)]

    def visual(key: str) -> str:
        scope = layout.scope_of[key]
        return box[outermost(scope)] if scope else key

    crossing: dict[tuple[str, str], list[Edge]] = {}
    plain: list[tuple[Edge, Attrs]] = []
    for edge in layout.edges:
        a, b = visual(edge[0]), visual(edge[1])
        if a == b or (a in shared and b in boxes):
            continue  # inside a box, or a weight to a box: the column's one edge says it
        if a == edge[0] and b == edge[1]:
            plain.append((edge, edges.get(edge, {})))
        else:
            crossing.setdefault((a, b), []).append(edge)
    names = {pair: _names(layout, group) for pair, group in crossing.items()}
    count = len(scopes) + len(top)
    out = header({**graph, "compound": "true"}, count + len(crossing) + len(plain))
    if shared:
        out.append(f"  subgraph {COLUMN} {{")
        out.append(f"    graph {attrs(_column_style(scopes))}")
        out += [f"    {k} {attrs(nodes[k])}" for k in shared]
        out += [f"    {a} -> {b} [style=invis]" for a, b in zip(shared, shared[1:], strict=False)]
        out.append("  }")
    out += [f"  {k} {attrs(nodes[k])}" for k in top if k not in shared]
    ops_in = Counter(outermost(s) for k, s in layout.scope_of.items() if s and _is_op(layout, k))
    for scope in scopes:
        key = box[scope]
        ops = ops_in[scope]
        handed = _handed_on(key, crossing, boxes)
        grad = _combined([flow.node.get(e[0]) for e in handed])
        outputs = [n for (a, _), group in names.items() if a == key for n in group]
        label_names = _unique(_names(layout, handed))
        box_style = _box_style(scope, ops, _unique(outputs), limit, grad, label_names, scale)
        out.append(f"  {key} {attrs(box_style)}")
    out += [f"  {e[0]} -> {e[1]} {attrs(a)}" for e, a in plain]
    for (a, b), group in _bundled(crossing, boxes, box[scopes[-1]] if scopes else "").items():
        style: dict[str, str] = {}
        shown = _unique(_names(layout, group))
        if len(shown) > BUNDLE:
            shown = [f"{shown[0]} \u2026 {shown[-1]}, one from each box"]
        if shown:
            style["label"] = escape(truncate(", ".join(shown), limit), limit)
        if a in boxes and b in boxes:
            style["weight"] = "20"  # keep the chain of scopes straight
        if scale is not None:
            back = _combined([flow.edge.get((e[2], e[3])) for e in group])
            style.update(scale.edge(None if back is None else np.array(back)))
        out.append(f"  {a} -> {b} {attrs(style)}")
    if shared and scopes:
        link = {"ltail": COLUMN, "style": "dashed", "color": STUB_COLOUR, "constraint": "false"}
        out.append(f"  {shared[0]} -> {box[scopes[0]]} {attrs({**link, 'weight': '0'})}")
    out += [f"  {line}" for line in extra]
    out.append("}")
    return "\n".join(out) + "\n", count


def _bundled(
    crossing: dict[tuple[str, str], list[Edge]], boxes: set[str], last: str
) -> dict[tuple[str, str], list[Edge]]:
    """The edges from more than ``BUNDLE`` boxes into one node outside them (the stack
    of every step's output) drawn as one edge, from the last box."""
    sources: dict[str, list[str]] = {}
    for a, b in crossing:
        if a in boxes and b not in boxes:
            sources.setdefault(b, []).append(a)
    out: dict[tuple[str, str], list[Edge]] = {}
    for (a, b), group in crossing.items():
        if len(sources.get(b, [])) > BUNDLE:
            out.setdefault((last, b), []).extend(group)
        else:
            out[(a, b)] = group
    return out


def _is_op(layout: Layout, key: str) -> bool:
    """An op's ellipse, or a box that holds an op and its output (see layout.merged)."""
    return key[0] == "o" or (
        f"o{key[1:]}" not in layout.scope_of and layout.tensors[int(key[1:])]._ctx is not None
    )


def _handed_on(
    key: str, crossing: Mapping[tuple[str, str], list[Edge]], boxes: set[str]
) -> list[Edge]:
    """The edges by which box ``key`` hands tensors to the next box (to anything, if none)."""
    to_boxes = [e for (a, b), group in crossing.items() if a == key and b in boxes for e in group]
    return to_boxes or [e for (a, _), group in crossing.items() if a == key for e in group]


def _combined(grads: Sequence[np.ndarray | None]) -> float | None:
    """The norm of several gradients taken as one vector: sqrt(sum ||g_k||^2)."""
    known = [norm(g) for g in grads if g is not None]
    return math.sqrt(sum(n * n for n in known)) if known else None


def _names(layout: Layout, group: Iterable[Edge]) -> list[str]:
    out = []
    for edge in group:
        key = edge[0]
        name = layout.tensors[int(key[1:])].name if key[0] == "t" else ""
        if name:
            out.append(name)
    return out


def _unique(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _column_style(scopes: Sequence[str]) -> dict[str, str]:
    from .dot import FONT

    span = scopes[0] if len(scopes) == 1 else f"{scopes[0]} \u2026 {scopes[-1]}"
    return {
        "label": f"<B>{escape(f'used in {span}')}</B>",
        "style": "rounded,dashed",
        "color": STUB_COLOUR,
        "fontname": FONT,
        "fontsize": "11",
    }


def _box_style(
    scope: str,
    ops: int,
    outputs: list[str],
    limit: int,
    grad: float | None,
    grad_of: list[str],
    scale: HeatScale | None,
) -> dict[str, str]:
    parts = [(f"<B>{escape(scope, limit)}</B>", ""), (f"{ops} ops", "")]
    if outputs:
        parts.append((escape(truncate("  ".join(outputs), limit), limit), ""))
    style = {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#f6f6f6",
        "color": "#9a9a9a",
        "tooltip": f"scope {scope}: {ops} ops",
        "group": "scopes",  # one straight line of boxes
    }
    if scale is not None and grad is not None:
        what = ", ".join(grad_of) or "its outputs"
        parts.append((escape(truncate(f"\u2016dL/d({what})\u2016 {grad:.3g}", limit), limit), ""))
        fill = scale.colour(grad)
        style.update(fillcolor=fill, fontcolor=text_colour(fill))
    return {**style, "label": lines(parts)}
