"""The folded view: the recurrent unit x -> h -> y with W as a loop on h (and c's own loop)."""

from __future__ import annotations

import graphviz

from ..cell import LSTMCell
from ..model import Recurrent
from .captions import formula, kind
from .style import CELL, FADED, FILLS, WEIGHT_COLOURS, caption, clear_of_arrow, digraph, label
from .style import shape as shape_of


def folded(model: Recurrent, loss_name: str | None) -> tuple[graphviz.Digraph, int]:
    """The recurrent unit: x -> h -> y, W a loop on h; every weight with its shape.

    An LSTM's cell state c is a node of its own with its own loop, f ⊙ c_{t-1}.
    ``loss_name``: the text of the loss node (None: no loss node).
    """
    g = digraph("folded")
    cell = model.cell
    x_what = "one-hot" if model.vocab is not None else "input"
    g.node("x", label(("x", None), (f"{x_what}, {cell.input_size}", None)), fillcolor=FILLS["x"])
    hidden = label(("h", None), (f"{kind(model)}, {cell.hidden_size}", None))
    g.node("h", hidden, fillcolor=FILLS["h"])
    g.node("y", label(("y", None), (f"softmax, {model.output_size}", None)), fillcolor=FILLS["y"])
    lstm = isinstance(cell, LSTMCell)
    first = "c" if lstm else "h"  # an LSTM's input enters the gates that write c
    for tail, head, name in (("x", first, "U"), ("h:n", "h:s", "W"), ("h", "y", "V")):  # W: round h
        colour = WEIGHT_COLOURS[name]
        text = f" {name} ({shape_of(getattr(model, name))}) "
        g.edge(
            tail, head, label=clear_of_arrow(label((text, colour))), color=colour, penwidth="1.6"
        )
    count = 3
    lines = ["W: hₜ₋₁ → hₜ, the loop that carries the memory"]
    if lstm:
        state = label(("c", None), (f"cell state, {cell.hidden_size}", None))
        g.node("c", state, fillcolor=FILLS["c"])
        g.edge("c:e", "c:w", label=label((" f ⊙ ", CELL)), color=CELL, penwidth="1.6")
        g.edge("c", "h", label=label((" o ⊙ tanh ", CELL)), color=CELL)
        count += 1
        lines.append("c: cₜ₋₁ → cₜ, the cell state's own loop: f ⊙ cₜ₋₁ plus new content i ⊙ g")
    if loss_name is not None:
        g.node("L", label(("L", None), (loss_name, None)), fillcolor=FILLS["L"])
        g.edge("y", "L", color=FADED)
        count += 1
    caption(g, [*lines, *formula(model)])
    return g, count
