"""``draw(root, collapse=True)``: each outermost scope drawn as one box.

Like a name-scope view: everything made under ``mg.scope("t=3")`` becomes
one box labelled with the scope, how many ops it holds and the named
tensors it hands on (``h_3``, ``o_3``); edges between boxes carry those
names. Nodes outside every scope (shared weights, the loss) are drawn as
usual. A 100-step unroll becomes a chain of 100 boxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .labels import escape, lines, natural_key, truncate
from .layout import Edge, Layout, outermost

Attrs = Mapping[str, str]


def collapsed_source(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[Edge, Attrs],
    graph: Attrs,
    extra: Iterable[str],
    limit: int,
) -> tuple[str, int]:
    """DOT text of the collapsed view, and how many boxes it draws."""
    from .dot import FONT, attrs  # dot.py imports this module lazily: no cycle at import

    scopes = sorted({outermost(s) for s in layout.scope_of.values() if s}, key=natural_key)
    box = {scope: f"s{n}" for n, scope in enumerate(scopes)}

    def visual(key: str) -> str:
        scope = layout.scope_of[key]
        return box[outermost(scope)] if scope else key

    crossing: dict[tuple[str, str], list[str]] = {}
    plain: list[tuple[Edge, Attrs]] = []
    outputs: dict[str, list[str]] = {b: [] for b in box.values()}
    for edge in layout.edges:
        a, b = visual(edge[0]), visual(edge[1])
        if a == b:
            continue
        if a == edge[0] and b == edge[1]:
            plain.append((edge, edges.get(edge, {})))
            continue
        names = crossing.setdefault((a, b), [])
        name = _name(layout, edge[0])
        if a in outputs and name and name not in names:
            names.append(name)
            if name not in outputs[a]:
                outputs[a].append(name)
    root_key = layout.key(len(layout.tensors) - 1)
    if visual(root_key) in outputs:
        name = _name(layout, root_key)
        if name and name not in outputs[visual(root_key)]:
            outputs[visual(root_key)].append(name)
    out = ["digraph minigrad {", f"  graph {attrs(graph)}"]
    out.append(f'  node [fontname="{FONT}", fontsize="11"]')
    out.append(f'  edge [fontname="{FONT}", fontsize="9", arrowsize="0.7"]')
    out += [f"  {k} {attrs(nodes[k])}" for k, s in layout.scope_of.items() if not s]
    for scope in scopes:
        ops = sum(1 for k, s in layout.scope_of.items() if k[0] == "o" and outermost(s) == scope)
        out.append(f"  {box[scope]} {attrs(_box_style(scope, ops, outputs[box[scope]], limit))}")
    out += [f"  {e[0]} -> {e[1]} {attrs(a)}" for e, a in plain]
    boxes = set(box.values())
    for (a, b), names in crossing.items():
        label = {"label": escape(truncate(", ".join(names), limit), limit)} if names else {}
        if a in boxes and b in boxes:
            label["weight"] = "20"  # keep the chain of scopes straight
        out.append(f"  {a} -> {b} {attrs(label)}")
    out += [f"  {line}" for line in extra]
    out.append("}")
    count = len(scopes) + sum(1 for s in layout.scope_of.values() if not s)
    return "\n".join(out) + "\n", count


def _name(layout: Layout, key: str) -> str:
    if not key.startswith("t"):
        return ""
    return layout.tensors[int(key[1:])].name or ""


def _box_style(scope: str, ops: int, outputs: list[str], limit: int) -> dict[str, str]:
    parts = [(f"<B>{escape(scope, limit)}</B>", ""), (f"{ops} ops", "#555555")]
    if outputs:
        parts.append((escape(truncate("  ".join(outputs), limit), limit), ""))
    return {
        "shape": "box",
        "style": "rounded,filled",
        "fillcolor": "#f6f6f6",
        "color": "#9a9a9a",
        "tooltip": f"scope {scope}: {ops} ops",
        "group": "scopes",  # one straight line of boxes
        "label": lines(parts),
    }
