"""The three pictures of a recurrent network, drawn from a live model.

``diagram(model, xs, targets, view=...)`` returns a ``minigrad.viz.Graph``:

- ``"folded"``: the recurrent unit, x -> h -> y, with U on x -> h, V on h -> y
  and W as a loop on h, each labelled with its shape;
- ``"unrolled"``: the unit once per time step, t = 1 .. T from left to right:
  x_t in the bottom row, h_0 .. h_T above, then y_t = softmax(V h_t + c) and
  the loss L; U, W, V have the same label and colour at every step, because
  they are the same weights;
- ``"bptt"``: the unrolled picture after ``loss.backward()``. Red arrows point
  backwards (L -> y_t -> h_t -> h_{t-1}), each labelled with the norm of the
  gradient it carries; h_t shows ||dL/dh_t||, the sum of what arrives from
  y_t and from h_{t+1}; the W arrows add ||dL/dW|_t||, W's share of the
  gradient at step t (``rnn.bptt.contributions``). Shade and width follow
  log10 of the norm, so a vanishing gradient fades out to the left.

The numbers come from rnn/trace.py: one per-step unroll of the model and the
engine's ``backward_steps`` walk, which records what every node sends to
each state. For T > 8, ``steps`` picks what is drawn: a slice of the steps, or the
first and last few around an ellipsis.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import graphviz
import numpy as np

import minigrad as mg
from minigrad.errors import ShapeError
from minigrad.viz import Graph

from . import bptt
from .cell import GRUCell, LSTMCell, RNNCell, State
from .model import Recurrent
from .trace import Trace, trace

VIEWS = ("folded", "unrolled", "bptt")
MAX_STEPS = 8  # drawn in full by default; longer sequences show the ends around an ellipsis
FONT = "Helvetica,Arial,sans-serif"
WEIGHT_COLOURS = {"U": "#0072b2", "W": "#d55e00", "V": "#009e73"}  # Okabe-Ito: blue, orange, green
FILLS = {"x": "#e8f1fa", "h": "#fdf0e1", "y": "#e5f4ee", "L": "#eeeeee"}
GRAD_TEXT = "#a0141e"  # the numbers of the gradients
FADED = "#b8b8b8"  # the forward edges behind the gradient in the bptt view
DARKEST, PALEST = (178, 24, 43), (244, 182, 182)  # red at the largest gradient, at DECADES below
DECADES = 4
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class DiagramError(ValueError):
    """``rnn.diagram`` was given a view, model or input it cannot draw."""


# ------------------------------------------------------------- which steps
def shown_steps(T: int, steps: int | slice | None) -> list[int | None]:
    """The time steps to draw (1-based, in order); None is the ellipsis.

    None: all of them up to MAX_STEPS, else the first 3 and the last 3;
    an int k: all if k >= T, else the first ceil(k/2) and the last floor(k/2);
    a slice of range(T): those steps.
    """
    if steps is None:
        steps = T if T <= MAX_STEPS else MAX_STEPS - 2
    if isinstance(steps, slice):
        picked = range(T)[steps]
        if len(picked) == 0 or picked.step != 1:
            raise DiagramError(
                f"rnn.diagram: steps={steps!r} must pick consecutive steps out of T={T}, "
                f"e.g. slice(0, {min(T, MAX_STEPS)})"
            )
        return [i + 1 for i in picked]
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(
            f"rnn.diagram: steps must be None, an int or a slice, got {type(steps).__name__}"
        )
    if steps >= T:
        return list(range(1, T + 1))
    if steps < 2:
        raise DiagramError(f"rnn.diagram: steps={steps} must be >= 2 (the first and last step)")
    first, last = (steps + 1) // 2, steps // 2
    return [*range(1, first + 1), None, *range(T - last + 1, T + 1)]


# ------------------------------------------------------------- text
def _sub(t: int) -> str:
    return str(t).translate(SUBSCRIPTS)


def _num(v: float) -> str:
    """A norm in 2 significant digits: 0.042, 1.0, 12, 4.2e-5 (exact ones in the tooltips)."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e3:
        return f"{v:#.2g}".rstrip(".")
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _vector(a: np.ndarray, name: str) -> str:
    """A few numbers for a tiny state, else its norm."""
    if a.size <= 3:
        return "[" + " ".join(f"{v:.2f}" for v in a.reshape(-1)) + "]"
    return f"‖{name}‖ {_num(float(np.linalg.norm(a)))}"


def _token(model: Recurrent, i: int) -> str:
    if model.vocab is None:
        return str(i)
    char = model.vocab[i]
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(char, char)


def _html(text: str) -> str:
    """Text shown literally inside an HTML-like label."""
    return html.escape(text, quote=True).replace("\\", "&#92;")


def _label(*lines: tuple[str, str | None]) -> str:
    """An HTML-like label, one (text, colour) per line; the first line in bold."""
    rows = []
    for i, (text, colour) in enumerate(lines):
        body = f"<B>{_html(text)}</B>" if i == 0 else _html(text)
        rows.append(f'<FONT COLOR="{colour}">{body}</FONT>' if colour else body)
    return "<" + "<BR/>".join(rows) + ">"


# ------------------------------------------------------------- colour
def _shade(v: float, top: float) -> tuple[str, str]:
    """Colour and pen width of an arrow carrying a gradient of norm ``v`` (``top``: the largest)."""
    if v <= 0 or top <= 0:
        return FADED, "0.8"
    f = min(max(math.log10(top / v), 0.0), DECADES) / DECADES
    rgb = (round(a + (b - a) * f) for a, b in zip(DARKEST, PALEST, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), f"{3.2 - 2.4 * f:.2f}"


def _graph(view: str) -> graphviz.Digraph:
    g = graphviz.Digraph(name=f"rnn_{view}")
    g.attr(rankdir="BT", newrank="true", nodesep="0.1", ranksep="0.3", labeljust="l")
    g.attr(fontname=FONT, fontsize="11", labelloc="b")
    g.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="11")
    g.attr("node", margin="0.04,0.03", height="0.3", penwidth="0.8")
    g.attr("edge", fontname=FONT, fontsize="11", arrowsize="0.6", penwidth="1.1")
    return g


def _caption(g: graphviz.Digraph, lines: list[str]) -> None:
    """Lines of explanation under the picture."""
    body = "".join(f'{_html(line)}<BR ALIGN="LEFT"/>' for line in lines)
    g.attr(label=f'<<FONT COLOR="#444444">{body}</FONT>>')


def _kind(model: Recurrent) -> str:
    if isinstance(model.cell, LSTMCell):
        return "LSTM"
    if isinstance(model.cell, RNNCell):
        return model.cell.activation
    return "GRU" if isinstance(model.cell, GRUCell) else type(model.cell).__name__


def _formula(model: Recurrent) -> list[str]:
    """The cell's equations in one or two lines."""
    kind = _kind(model)
    head = "yₜ = softmax(V hₜ + c)"
    if kind == "LSTM":
        return [
            "gates i, f, g, o from U xₜ + W hₜ₋₁ + b (U, W, b stack the four)",
            f"cₜ = f ⊙ cₜ₋₁ + i ⊙ g,   hₜ = o ⊙ tanh(cₜ),   {head}",
        ]
    if kind == "GRU":
        return [
            "gates r, z and candidate n from U xₜ + b and W hₜ₋₁ (U, W, b stack the three)",
            f"hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁,   {head}",
        ]
    return [f"hₜ = {kind}(U xₜ + W hₜ₋₁ + b),   {head}"]


# ------------------------------------------------------------- folded
def _shape(a: mg.Tensor) -> str:
    return "×".join(str(n) for n in a.shape)


def folded(model: Recurrent, with_loss: bool) -> tuple[graphviz.Digraph, int]:
    """The recurrent unit: x -> h -> y, W a loop on h; every weight with its shape."""
    g = _graph("folded")
    cell = model.cell
    lstm = isinstance(cell, LSTMCell)
    x_what = "one-hot" if model.vocab is not None else "input"
    g.node("x", _label(("x", None), (f"{x_what}, {cell.input_size}", None)), fillcolor=FILLS["x"])
    state = f"{_kind(model)}, {cell.hidden_size}" + (" each" if lstm else "")
    g.node("h", _label(("h, c" if lstm else "h", None), (state, None)), fillcolor=FILLS["h"])
    g.node("y", _label(("y", None), (f"softmax, {model.output_size}", None)), fillcolor=FILLS["y"])
    for tail, head, name in (("x", "h", "U"), ("h:n", "h:s", "W"), ("h", "y", "V")):  # W: round h
        weight = getattr(model, name)
        colour = WEIGHT_COLOURS[name]
        text = f" {name} ({_shape(weight)}) "
        g.edge(tail, head, label=_label((text, colour)), color=colour, penwidth="1.6")
    count = 3
    if with_loss:
        g.node("L", _label(("L", None), ("cross-entropy", None)), fillcolor=FILLS["L"])
        g.edge("y", "L", color=FADED)
        count += 1
    _caption(g, ["W: hₜ₋₁ → hₜ, the loop that carries the memory", *_formula(model)])
    return g, count


# ------------------------------------------------------------- unrolled and bptt
def _x_text(model: Recurrent, x_t: Any) -> str:
    if isinstance(x_t, np.ndarray):  # token ids (B,)
        tokens = [_token(model, int(i)) for i in x_t[:3]]
        return " ".join(tokens) + (" …" if len(x_t) > 3 else "")
    return _vector(x_t.data, "x")


def _y_text(model: Recurrent, probs: np.ndarray, targets: np.ndarray | None) -> str:
    """p(target) for one sequence, its mean for a batch; the top probability without targets."""
    if targets is None:
        return f"max p {probs.max(axis=-1).mean():.2f}"
    p = probs[np.arange(len(targets)), targets]
    if len(targets) == 1:
        return f"p({_token(model, int(targets[0]))}) {p[0]:.2f}"
    return f"mean p {p.mean():.2f}"


def _state_lines(model: Recurrent, tr: Trace, t: int, grads: bool) -> list[tuple[str, str | None]]:
    """The value lines of h_t (and c_t): a few numbers or norms; with ``grads`` the gradients."""
    names = ("h", "c")[: len(tr.states[t])]
    if grads:
        pairs = zip(names, tr.state_grad[t], strict=True)
        if len(names) == 1:
            return [(_num(tr.state_grad[t][0]), GRAD_TEXT)]
        return [(f"{n} {_num(v)}", GRAD_TEXT) for n, v in pairs]
    return [(_vector(a, n), None) for n, a in zip(names, tr.states[t], strict=True)]


class _Builder:
    """Rows of nodes, time left to right, and the edges between them."""

    def __init__(
        self, model: Recurrent, tr: Trace, targets: Any, shown: list[int | None], view: str
    ):
        self.model, self.tr, self.shown, self.grads = model, tr, shown, view == "bptt"
        self.targets = None if targets is None else np.asarray(targets)
        self.g = _graph(view)
        self.count = 0
        values = [*tr.logit_grad, *tr.via_output, *tr.via_next] if self.grads else []
        self.top = max(values, default=0.0)

    def node(
        self, row: graphviz.Digraph, name: str, label: str, fill: str, tooltip: str = ""
    ) -> None:
        row.node(name, label, fillcolor=fill, **({"tooltip": tooltip} if tooltip else {}))
        self.count += 1

    def gap(self, row: graphviz.Digraph, name: str, visible: bool) -> None:
        hidden = len(self._gap_size())
        text = f"⋯ {hidden} steps ⋯" if visible else ""
        style = "" if visible else "invis"
        row.node(name, text, shape="plaintext", style=style, fillcolor="none", width="0.3")
        self.count += visible

    def _gap_size(self) -> range:
        i = self.shown.index(None)
        before, after = self.shown[i - 1], self.shown[i + 1]
        assert before is not None and after is not None
        return range(before + 1, after)

    def build(self) -> graphviz.Digraph:
        first = self.shown[0]
        assert first is not None
        self._row("inputs", "x", self.shown, self._x_label)
        self._row("states", "h", [first - 1, *self.shown], self._h_label)
        self._row("outputs", "y", self.shown, self._y_label)
        if self.tr.loss is not None:
            self.node(self.g, "L", _label(("L", None), (f"{self.tr.loss:.3f}", None)), FILLS["L"])
        self._edges(first)
        return self.g

    def _row(
        self, name: str, kind: str, times: list[int | None], label: Callable[[int], str]
    ) -> None:
        """One row of nodes (x, h or y) at the same height, t increasing to the right."""
        with self.g.subgraph(name=name) as row:
            row.attr(rank="same")
            names = [f"{kind}{'gap' if t is None else t}" for t in times]
            for t, node in zip(times, names, strict=True):
                if t is None:
                    self.gap(row, node, visible=kind == "h")
                else:
                    self.node(row, node, label(t), FILLS[kind], self._tooltip(kind, t))
            if kind != "h":  # the h row is kept in order by its W edges
                self._order(row, names)

    def _tooltip(self, kind: str, t: int) -> str:
        """The exact ||dL/dh_t|| (and ||dL/dc_t||) of a state in bptt."""
        if kind != "h" or not self.grads:
            return ""
        parts = zip(("h", "c"), self.tr.state_grad[t], strict=False)
        return "; ".join(f"||dL/d{n}_{t}|| = {v:.6g}" for n, v in parts)

    def _x_label(self, t: int) -> str:
        return _label((f"x{_sub(t)}", None), (_x_text(self.model, self.tr.inputs[t - 1]), None))

    def _h_label(self, t: int) -> str:
        lstm = len(self.tr.states[t]) > 1
        name = f"h{_sub(t)}" + (f", c{_sub(t)}" if lstm else "")
        return _label((name, None), *_state_lines(self.model, self.tr, t, self.grads))

    def _y_label(self, t: int) -> str:
        target = None if self.targets is None else self.targets[t - 1]
        text = _y_text(self.model, self.tr.probs[t - 1], target)
        return _label((f"y{_sub(t)}", None), (text, None))

    def _order(self, row: graphviz.Digraph, names: list[str]) -> None:
        """Invisible edges that keep a row in time order."""
        for a, b in zip(names[:-1], names[1:], strict=True):
            row.edge(a, b, style="invis")

    def _edges(self, first: int) -> None:
        previous = f"h{first - 1}"
        for t in self.shown:
            if t is None:
                self._chain(previous, "hgap", self._gap_size().start)
                previous = "hgap"
                continue
            self._chain(previous, f"h{t}", t)
            previous = f"h{t}"
            self._forward(f"x{t}", f"h{t}", "U")
            if not self.grads:
                self._forward(f"h{t}", f"y{t}", "V")
                if self.tr.loss is not None:
                    self.g.edge(f"y{t}", "L", color=FADED)
                continue
            self._back(f"h{t}", f"y{t}", self.tr.via_output[t - 1], f"dL/dh_{t} through y_{t}")
            self._back(f"y{t}", "L", self.tr.logit_grad[t - 1], f"dL/do_{t}, o_{t} = V h_{t} + c")

    def _chain(self, tail: str, head: str, t: int) -> None:
        """The W edge of step t, h_t-1 -> h_t (into or out of the ellipsis); in bptt, back."""
        if not self.grads:
            self._forward(tail, head, "W")
            return
        state = f"(h_{t - 1}, c_{t - 1})" if len(self.tr.states[t]) > 1 else f"h_{t - 1}"
        share = self.tr.w_share[t - 1]
        self._back(
            tail,
            head,
            self.tr.via_next[t - 1],
            f"dL/d{state} through step {t}",
            (f"W {_num(share)}", WEIGHT_COLOURS["W"]),
            f"; ||dL/dW|_{t}|| = {share:.6g}",
        )

    def _forward(self, tail: str, head: str, name: str) -> None:
        """A forward edge through a shared weight (faded behind the gradient in bptt)."""
        colour = FADED if self.grads else WEIGHT_COLOURS[name]
        text = f" {name} " if name == "W" else name  # room for the arrow between two states
        label = _label((text, colour))
        self.g.edge(tail, head, label=label, color=colour, weight=_pull(tail, head))

    def _back(
        self,
        tail: str,
        head: str,
        grad: float,
        what: str,
        extra: tuple[str, str] | None = None,
        more: str = "",
    ) -> None:
        """The edge tail -> head as a red arrow head -> tail carrying a gradient of norm ``grad``.

        The label shows ``grad`` (and ``extra``); the tooltip the full ``||what|| = ...``.
        """
        colour, width = _shade(grad, self.top)
        lines = [(_num(grad), GRAD_TEXT)] + ([extra] if extra else [])
        label = "<" + "<BR/>".join(f'<FONT COLOR="{c}">{_html(s)}</FONT>' for s, c in lines) + ">"
        tooltip = f"||{what}|| = {grad:.6g}{more}"
        attrs = {"color": colour, "penwidth": width, "dir": "back", "tooltip": tooltip}
        self.g.edge(tail, head, label=label, weight=_pull(tail, head), **attrs)


def _pull(tail: str, head: str) -> str:
    """Edge weight: x_t -> h_t -> y_t straight up (one column per step) pull hardest."""
    return "8" if tail[0] != head[0] and head != "L" else "1"


# ------------------------------------------------------------- the entry point
def diagram(
    model: Recurrent,
    xs: Any,
    targets: Any = None,
    view: str = "unrolled",
    h0: State | None = None,
    steps: int | slice | None = None,
) -> Graph:
    """Draw ``model`` on ``xs`` as the folded unit, the unrolled network or BPTT.

    xs: token ids (T, B) or dense inputs (T, B, input); targets: ids (T, B),
    needed for the loss node and for ``view="bptt"``; h0: the initial state
    (default zeros); steps: which steps to draw (see ``shown_steps``).
    """
    if not isinstance(model, Recurrent):
        raise TypeError(
            f"rnn.diagram: model must be an rnn.RNN, rnn.LSTM or rnn.GRU, "
            f"got {type(model).__name__}"
        )
    if view not in VIEWS:
        raise DiagramError(f"rnn.diagram: view must be one of {', '.join(VIEWS)}; got {view!r}")
    if view == "bptt" and targets is None:
        raise DiagramError("rnn.diagram: view='bptt' needs targets (T, B) to compute the loss")
    if isinstance(xs, mg.Tensor):
        xs = xs.detach()  # the caller's inputs and state get no gradient from a picture
    x, state = model.check_sequence(xs, h0)
    h0 = None if h0 is None else bptt.detach(state)
    T = len(x)
    if targets is not None:
        shape = np.shape(targets.data if isinstance(targets, mg.Tensor) else targets)
        batch = np.shape(xs.data if isinstance(xs, mg.Tensor) else xs)[:2]
        if shape != batch:
            raise ShapeError(
                f"rnn.diagram: targets must have the shape (T, B) = {batch} of xs, got {shape}"
            )
    if view == "folded":
        g, count = folded(model, targets is not None)
        return Graph(g.source, count)
    tr = trace(model, xs, targets, h0, backward=view == "bptt")
    if view == "bptt":
        tr.w_share = [
            float(np.linalg.norm(w)) for w in bptt.contributions(model, xs, targets, h0)["W"]
        ]
    builder = _Builder(model, tr, targets, shown_steps(T, steps), view)
    g = builder.build()
    _caption(g, _explain(model, view))
    return Graph(g.source, builder.count)


def _explain(model: Recurrent, view: str) -> list[str]:
    if view == "unrolled":
        return ["the same U, W, V at every step (shared weights)", *_formula(model)]
    lstm = isinstance(model.cell, LSTMCell)
    return [
        "red: the gradient flowing back from L; every number is a norm ‖·‖",
        f"shade and width: log₁₀ of the norm (palest: {DECADES} decades below the largest)",
        "at hₜ: ‖∂L/∂hₜ‖, the sum of what comes back from yₜ and from hₜ₊₁",
        *(["at cₜ: ‖∂L/∂cₜ‖; an arrow between two states carries both parts, h and c"] * lstm),
        "W: ‖∂L/∂W|ₜ‖, the part of ∂L/∂W that step t contributes",
    ]
