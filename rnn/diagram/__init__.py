"""The three pictures of a recurrent network, drawn from a live model.

``diagram(model, xs, targets, view=..., loss=...)`` returns a ``minigrad.viz.Graph``:

- ``"folded"``: the recurrent unit, x -> h -> y, with U on x -> h, V on h -> y
  and W as a loop on h, each labelled with its shape (an LSTM's cell state c
  has its own loop);
- ``"unrolled"``: the unit once per time step, t = 1 .. T from left to right:
  x_t in the bottom row, h_0 .. h_T above (and an LSTM's c_0 .. c_T, the cell
  state's highway), then y_t = softmax(V h_t + c) and the loss; U, W, V have
  the same label and colour at every step, because they are the same weights;
- ``"bptt"``: the unrolled picture after ``loss.backward()``. Red arrows point
  backwards (L -> y_t -> h_t -> h_{t-1}), each labelled with the norm of the
  gradient it carries; h_t shows ||dL/dh_t||, the norm of the sum of what
  arrives from y_t and from h_{t+1}. Under the steps, W's share of the
  gradient at every step, dL/dW|_t, feeds the sum dL/dW = Σ_t dL/dW|_t.
  Shade and width follow log10 of the norm across the decades present
  (pale = small, with a colour bar), so a vanishing gradient fades out.

``loss="all"`` (the default) is the mean cross-entropy over all positions;
``loss="last"`` is the seed's L^(T), the last step's alone, fed by y_T only:
its gradient is what vanishes going back in time. For T > 8, ``steps`` picks
what is drawn: a slice of the steps, or the first and last few around an
ellipsis; arrows at the cuts carry what crosses them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad.errors import ShapeError
from minigrad.viz import Graph

from .. import bptt
from ..cell import State
from ..model import Recurrent
from ..trace import LOSSES, trace
from .captions import explain, loss_name
from .folded import folded
from .steps import MAX_STEPS, DiagramError, shown_steps
from .style import caption
from .unrolled import Builder

VIEWS = ("folded", "unrolled", "bptt")

__all__ = ["LOSSES", "MAX_STEPS", "VIEWS", "DiagramError", "diagram", "shown_steps"]


def _check(model: Any, view: Any, loss: Any, targets: Any) -> None:
    if not isinstance(model, Recurrent):
        raise TypeError(
            f"rnn.diagram: model must be an rnn.RNN, rnn.LSTM or rnn.GRU, "
            f"got {type(model).__name__}"
        )
    if view not in VIEWS:
        raise DiagramError(f"rnn.diagram: view must be one of {', '.join(VIEWS)}; got {view!r}")
    if loss not in LOSSES:
        raise DiagramError(f"rnn.diagram: loss must be one of {', '.join(LOSSES)}; got {loss!r}")
    if view == "bptt" and targets is None:
        raise DiagramError("rnn.diagram: view='bptt' needs targets (T, B) to compute the loss")


def diagram(
    model: Recurrent,
    xs: Any,
    targets: Any = None,
    view: str = "unrolled",
    h0: State | None = None,
    steps: int | slice | None = None,
    loss: str = "all",
) -> Graph:
    """Draw ``model`` on ``xs`` as the folded unit, the unrolled network or BPTT.

    xs: token ids (T, B) or dense inputs (T, B, input); targets: ids (T, B),
    needed for the loss node and for ``view="bptt"``; h0: the initial state
    (default zeros); steps: which steps to draw (see ``shown_steps``);
    loss: ``"all"``, the mean over every position, or ``"last"``, L^(T).
    """
    if isinstance(xs, mg.Tensor):
        xs = xs.detach()  # the caller's inputs and state get no gradient from a picture
    _check(model, view, loss, targets)
    x, state = model.check_sequence(xs, h0)
    _check_targets(targets, xs)
    h0 = None if h0 is None else bptt.detach(state)
    T = len(x)
    shown = shown_steps(T, steps)
    if view == "folded":
        g, count = folded(model, None if targets is None else _loss_words(T, loss))
        return Graph(g.source, count)
    tr = trace(model, xs, targets, h0, backward=view == "bptt", loss=loss)
    builder = Builder(model, tr, targets, shown, view, loss)
    g = builder.build()
    lines = explain(model, view, T, loss)
    if view == "bptt" and 1 in shown and not np.any(tr.w_share[0]):
        lines.append("∂L/∂W|₁ is 0: at step 1, W multiplies h₀ = 0")
    caption(g, lines)
    return Graph(g.source, builder.count)


def _check_targets(targets: Any, xs: Any) -> None:
    if targets is not None:
        shape = np.shape(targets.data if isinstance(targets, mg.Tensor) else targets)
        batch = np.shape(xs.data if isinstance(xs, mg.Tensor) else xs)[:2]
        if shape != batch:
            raise ShapeError(
                f"rnn.diagram: targets must have the shape (T, B) = {batch} of xs, got {shape}"
            )


def _loss_words(T: int, loss: str) -> str:
    return "cross-entropy" if loss == "all" else f"{loss_name(T, loss)}, cross-entropy"
