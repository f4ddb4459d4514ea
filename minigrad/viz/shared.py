"""The side column of shared weights in a drawing of an unrolled graph.

Every step of an RNN uses the same U, W, V (and the same ``W.T``): drawn as
they are, edges fan out from each weight to every step and loop across the
picture. Instead the weights, and the computations on them alone, stand in
one column at the side, each in order below the last; inside a step, a
dashed copy with the weight's name feeds the ops that use it; and one
labelled edge says that the column feeds every step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .labels import escape, lines, natural_key
from .layout import Edge, Layout

Attrs = Mapping[str, str]
COLUMN = "cluster_shared"
STUB_COLOUR = "#6f8faf"


@dataclass
class Column:
    """The keys drawn in the side column, in order, and the stub drawn for each
    (column key, scope) pair that uses one: ``stubs[(key, scope)] = stub key``."""

    keys: list[str]
    names: dict[str, str]
    stubs: dict[tuple[str, str], str] = field(default_factory=dict)
    legend: Attrs | None = None  # the heat colour bar, drawn below the weights


def shared_column(layout: Layout, names: Sequence[str]) -> Column | None:
    """The column for ``layout`` (``names`` as names.display_names), or None when no
    shared weight feeds a scope."""
    weights = weight_only(layout)
    keys = [k for k in _ordered(layout.scope_of) if k in weights and not layout.scope_of[k]]
    column = Column(keys, {k: names[int(k[1:])] for k in keys if k[0] == "t"})
    members = set(keys)
    for a, b, _, _ in layout.edges:
        scope = layout.scope_of[b]
        if a in members and b not in members and (a, scope) not in column.stubs:
            column.stubs[(a, scope)] = f"r{len(column.stubs)}"
    return column if any(scope for _, scope in column.stubs) else None


def weight_only(layout: Layout) -> set[str]:
    """Keys of leaves that require grad and of computations on them alone."""
    out: set[str] = set()
    inputs: dict[str, list[str]] = {}
    for a, b, _, _ in layout.edges:
        inputs.setdefault(b, []).append(a)
    for key in _ordered(layout.scope_of):
        i = int(key[1:])
        t = layout.tensors[i]
        if key[0] == "t" and t._ctx is None:
            if t.requires_grad:
                out.add(key)
        elif key[0] == "t" and f"o{i}" in layout.scope_of:
            if f"o{i}" in out:
                out.add(key)
        elif all(x in out for x in inputs.get(key, [])):  # an op, or a box holding one
            out.add(key)
    return out


def _ordered(scope_of: Mapping[str, str]) -> list[str]:
    """Keys in the order tensors were made: an op before the tensor it makes."""
    return sorted(scope_of, key=lambda k: (int(k[1:]), k[0] == "t"))


def column_lines(
    layout: Layout,
    nodes: Mapping[str, Attrs],
    edges: Mapping[Edge, Attrs],
    by_scope: dict[str, list[str]],
    column: Column,
) -> tuple[list[str], dict[str, Attrs], list[tuple[str, str, Attrs]], list[str]]:
    """The column cluster's DOT lines; the nodes with the stubs added (each stub's key
    also put into ``by_scope``); the edges to draw; the one edge that links the column
    to the steps."""
    from .dot import FONT, attrs

    members = set(column.keys)
    by_scope[""] = [k for k in by_scope.get("", []) if k not in members]
    scopes = sorted({s.split("/")[0] for _, s in column.stubs if s}, key=natural_key)
    span = scopes[0] if len(scopes) == 1 else f"{scopes[0]} \u2026 {scopes[-1]}"
    style = {
        "label": f"<B>{escape(f'used in {span}')}</B>",
        "style": "rounded,dashed",
        "color": STUB_COLOUR,
        "fontname": FONT,
        "fontsize": "11",
        "tooltip": "drawn once; each step uses a dashed copy",
    }
    out = [f"  subgraph {COLUMN} {{", f"    graph {attrs(style)}"]
    out += [f"    {k} {attrs(nodes[k])}" for k in column.keys]
    order = column.keys + (["heat_legend"] if column.legend else [])
    if column.legend:
        out.append(f"    heat_legend {attrs(column.legend)}")
    out += [f"    {a} -> {b} [style=invis]" for a, b in zip(order, order[1:], strict=False)]
    out.append("  }")
    all_nodes: dict[str, Attrs] = dict(nodes)
    for (key, scope), stub in column.stubs.items():
        by_scope.setdefault(scope, []).append(stub)
        all_nodes[stub] = _stub_style(column.names.get(key, key))
    drawn: list[tuple[str, str, Attrs]] = []
    for a, b, i, p in layout.edges:
        source = a if b in members else column.stubs.get((a, layout.scope_of[b]), a)
        drawn.append((source, b, edges.get((a, b, i, p), {})))
    in_scopes = [item for item in column.stubs.items() if item[0][1]]
    first = min(in_scopes, key=lambda item: natural_key(item[0][1]))
    link = {
        "ltail": COLUMN,
        "style": "dashed",
        "color": STUB_COLOUR,
        "constraint": "false",
        "weight": "0",
        "tooltip": f"the column's tensors are used in {span}: dashed copies in each step",
    }
    return out, all_nodes, drawn, [f"  {column.keys[0]} -> {first[1]} {attrs(link)}"]


def _stub_style(name: str) -> dict[str, str]:
    return {
        "shape": "box",
        "style": "rounded,dashed",
        "color": STUB_COLOUR,
        "fontcolor": "#2f4f6f",
        "tooltip": f"{name}: shared, drawn once in the column at the side",
        "label": lines([(f"<I>{escape(name)}</I>", "")]),
    }
