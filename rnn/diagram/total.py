"""The seed's one equation in the bptt view: dL/dW = sum_t dL/dW|_t, drawn as a sum.

Under every step sits W's share of the gradient at that step, dL/dW|_t (the
steps not drawn are summed into one share per run); arrows from all of them
meet in the node Σ, which shows ||sum_t dL/dW|_t|| -- the norm of W.grad, not
the sum of the shares' norms -- and, for a hidden size up to 3, the matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..trace import Trace
from .shade import Scale
from .style import WEIGHT_COLOURS, label, num, sub

SHARE_FILL = "#fbe6d6"
MATRIX_LIMIT = 3  # hidden sizes up to this show the matrix dL/dW itself


def matrix_lines(m: np.ndarray) -> list[str]:
    """One line per row: [0.012 -0.034 0.1]."""
    return ["[" + "  ".join(num(float(v)) for v in row) + "]" for row in m]


def _norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(a))


def _title(steps: range) -> str:
    return f"∂L/∂W|{sub(steps.start)}" if len(steps) == 1 else f"steps {steps[0]}–{steps[-1]}"


def _shares(
    tr: Trace, shown: list[int | None], runs: dict[str, range]
) -> list[tuple[str, str, np.ndarray]]:
    """(node name, title, dL/dW summed over the steps it stands for), in time order."""
    pieces = [("before", runs["before"])] if "before" in runs else []
    pieces += [("gap", runs["gap"]) if t is None else (str(t), range(t, t + 1)) for t in shown]
    pieces += [("after", runs["after"])] if "after" in runs else []
    return [
        (f"w{name}", _title(steps), np.sum([tr.w_share[t - 1] for t in steps], axis=0))
        for name, steps in pieces
    ]


def add_total(
    g: Any, tr: Trace, shown: list[int | None], runs: dict[str, range], scale: Scale
) -> int:
    """Draw the shares, the Σ node and the colour bar under the picture; return the node count."""
    colour = WEIGHT_COLOURS["W"]
    shares = _shares(tr, shown, runs)
    with g.subgraph(name="shares") as row:
        row.attr(rank="same")
        for name, title, share in shares:
            text = label((title, None), (f"‖·‖ {num(_norm(share))}", colour))
            row.node(
                name,
                text,
                fillcolor=SHARE_FILL,
                color=colour,
                tooltip=f"||{title}|| = {_norm(share):.6g}",
            )
        for (a, _, _), (b, _, _) in zip(shares[:-1], shares[1:], strict=True):
            row.edge(a, b, style="invis")
    for name, _, _ in shares:
        column = name[1:]
        if column.isdigit() or column == "gap":
            g.edge(name, f"x{column}", style="invis", weight="8")
    total = np.sum(tr.w_share, axis=0)
    lines: list[tuple[str, str | None]] = [(f"‖·‖ {num(_norm(total))}", colour)]
    if total.shape[1] <= MATRIX_LIMIT:
        lines += [(line, None) for line in matrix_lines(total)]
    with g.subgraph(name="total") as row:
        row.attr(rank="same")
        row.node(
            "Wsum",
            label(("∂L/∂W = Σₜ ∂L/∂W|ₜ", None), *lines),
            fillcolor=SHARE_FILL,
            color=colour,
            tooltip=f"||dL/dW|| = {_norm(total):.6g}",
        )
        row.node("bar", scale.bar(), shape="plaintext", style="")
        row.edge("Wsum", "bar", style="invis")
    for name, _, _ in shares:
        g.edge("Wsum", name, dir="back", color=colour, penwidth="1.2", arrowsize="0.5")
    return len(shares) + 2
