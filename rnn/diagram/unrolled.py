"""The unrolled and bptt views: one column per time step, rows x, h (c), y and the loss.

In bptt every arrow points backwards and carries the norm of the gradient
that flows along it (numbers from rnn/trace.py). Where steps are left out (a
slice, or the ellipsis of a long sequence), stub arrows at the cut carry what
crosses it, so every state's number follows from the arrows drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import graphviz
import numpy as np

from ..model import Recurrent
from ..trace import Trace
from .captions import loss_name
from .shade import Scale
from .steps import hidden_runs
from .style import (
    CELL,
    FADED,
    FILLS,
    GRAD_TEXT,
    WEIGHT_COLOURS,
    clear_of_arrow,
    digraph,
    label,
    num,
    plain,
    sub,
    token,
    vector,
)
from .total import add_total

STUB_TEXT = "#555555"
INVISIBLE = {"style": "invis", "weight": "0"}


def x_text(model: Recurrent, x_t: Any) -> str:
    if isinstance(x_t, np.ndarray):  # token ids (B,)
        tokens = [token(model, int(i)) for i in x_t[:3]]
        return " ".join(tokens) + (" …" if len(x_t) > 3 else "")
    return vector(x_t.data, "x")


def y_text(model: Recurrent, probs: np.ndarray, targets: np.ndarray | None) -> str:
    """p(target) for one sequence, its mean for a batch; the top probability without targets."""
    if targets is None:
        return f"max p {probs.max(axis=-1).mean():.2f}"
    p = probs[np.arange(len(targets)), targets]
    if len(targets) == 1:
        return f"p({token(model, int(targets[0]))}) {p[0]:.2f}"
    return f"mean p {p.mean():.2f}"


def pull(tail: str, head: str) -> str:
    """Edge weight: x_t -> (c_t ->) h_t -> y_t straight up (one column per step) pull hardest."""
    return "8" if tail[0] != head[0] and head != "L" else "1"


class Builder:
    """Rows of nodes, time left to right, and the edges between them."""

    def __init__(
        self,
        model: Recurrent,
        tr: Trace,
        targets: Any,
        shown: list[int | None],
        view: str,
        loss: str,
    ):
        self.model, self.tr, self.shown, self.grads = model, tr, shown, view == "bptt"
        self.targets = None if targets is None else np.asarray(targets)
        self.T = len(tr.probs)
        self.parts = ("h", "c")[: len(tr.states[0])]
        self.last_only = loss == "last"
        self.loss_name = loss_name(self.T, loss)
        self.runs = hidden_runs(shown, self.T)
        drawn = [t for t in shown if t is not None]
        self.first, self.last = drawn[0], drawn[-1]
        self.g = digraph(view)
        self.count = 0
        self.scale = Scale(self._red_values()) if self.grads else Scale([])

    # ---------------------------------------------------------- what is red
    def _feeds_loss(self, t: int) -> bool:
        return not self.last_only or t == self.T

    def _red_values(self) -> list[float]:
        """Every norm an arrow of the bptt view carries (the scale spans these)."""
        tr, drawn = self.tr, [t for t in self.shown if t is not None]
        values = [
            v
            for t in drawn
            if self._feeds_loss(t)
            for v in (tr.logit_grad[t - 1], tr.via_output[t - 1])
        ]
        values += [v for t in self._chain_steps() for v in tr.via_next[t - 1]]
        if len(self.parts) > 1:
            values += [tr.via_hidden[t - 1] for t in drawn]
        if "before" in self.runs:
            before = self.first - 1
            values += [tr.via_hidden[before - 1]] if len(self.parts) > 1 else []
            values += [tr.via_output[before - 1]] if self._feeds_loss(before) else []
        return values

    def _chain_steps(self) -> list[int]:
        """The steps whose arrows back from state t to state t-1 are drawn."""
        steps = [t for t in self.shown if t is not None]
        if "gap" in self.runs:
            steps.append(self.runs["gap"].start)
        if "before" in self.runs:
            steps.append(self.first - 1)
        if "after" in self.runs:
            steps.append(self.last + 1)
        return steps

    # ---------------------------------------------------------- nodes
    def node(self, row: Any, name: str, text: str, fill: str, tooltip: str = "") -> None:
        row.node(name, text, fillcolor=fill, **({"tooltip": tooltip} if tooltip else {}))
        self.count += 1

    def stub(self, row: Any, name: str, text: str) -> None:
        """A plain word at a cut: where an arrow comes from or goes to."""
        row.node(name, plain((text, STUB_TEXT)), shape="plaintext", style="", margin="0.02")
        self.count += 1

    def build(self) -> graphviz.Digraph:
        self._row("inputs", "x", self.shown, self._x_label)
        for part in self.parts:
            self._row(
                f"states_{part}", part, [self.first - 1, *self.shown], self._state_label(part)
            )
        self._row("outputs", "y", self.shown, self._y_label)
        if self.tr.loss is not None:
            text = label((self.loss_name, None), (f"{self.tr.loss:.3f}", None))
            self.node(self.g, "L", text, FILLS["L"])
        self._edges()
        self._cuts()
        if self.grads:
            self.count += add_total(self.g, self.tr, self.shown, self.runs, self.scale)
        return self.g

    def _row(
        self, name: str, kind: str, times: list[int | None], text: Callable[[int], str]
    ) -> None:
        """One row of nodes (x, h, c or y) at the same height, t increasing to the right."""
        with self.g.subgraph(name=name) as row:
            row.attr(rank="same")
            names = [f"{kind}{'gap' if t is None else t}" for t in times]
            for t, node in zip(times, names, strict=True):
                if t is None:
                    self._gap(row, node, kind)
                else:
                    self.node(row, node, text(t), FILLS[kind], self._tooltip(kind, t))
            self._stubs(row, kind)
            if kind in "xy":  # a state row is kept in order by its own edges
                for a, b in zip(names[:-1], names[1:], strict=True):
                    row.edge(a, b, style="invis")

    def _gap(self, row: Any, name: str, kind: str) -> None:
        hidden = len(self.runs["gap"])
        steps = f"{hidden} step" + "s" * (hidden > 1)
        text = {"h": f"⋯ {steps} ⋯", "c": "⋯"}.get(kind, "")
        row.node(name, text, shape="plaintext", style="" if text else "invis", width="0.3")
        self.count += bool(text)

    def _stubs(self, row: Any, kind: str) -> None:
        """The words at a slice's ends: where the arrows across the cut come from or go to."""
        before, after = self.first - 1, self.last + 1
        if kind in self.parts and "before" in self.runs:
            word = "to" if self.grads else "from"
            self.stub(row, f"{kind}before", f"{word} {kind}{sub(before - 1)}")
        if kind in self.parts and "after" in self.runs:
            word = "from" if self.grads else "to"
            self.stub(row, f"{kind}after", f"{word} {kind}{sub(after)}")
        if kind == "y" and self.grads and "before" in self.runs and self._feeds_loss(before):
            self.stub(row, "ybefore", f"from y{sub(before)}")

    def _tooltip(self, kind: str, t: int) -> str:
        """The exact ||dL/dh_t|| (or ||dL/dc_t||) of a state in bptt."""
        if kind not in self.parts or not self.grads:
            return ""
        return f"||dL/d{kind}_{t}|| = {self.tr.state_grad[t][self.parts.index(kind)]:.6g}"

    def _x_label(self, t: int) -> str:
        return label((f"x{sub(t)}", None), (x_text(self.model, self.tr.inputs[t - 1]), None))

    def _state_label(self, kind: str) -> Callable[[int], str]:
        k = self.parts.index(kind)

        def text(t: int) -> str:
            name = f"{kind}{sub(t)}"
            if self.grads:
                return label((name, None), (num(self.tr.state_grad[t][k]), GRAD_TEXT))
            return label((name, None), (vector(self.tr.states[t][k], kind), None))

        return text

    def _y_label(self, t: int) -> str:
        target = None if self.targets is None else self.targets[t - 1]
        text = y_text(self.model, self.tr.probs[t - 1], target)
        return label((f"y{sub(t)}", None), (text, None))

    # ---------------------------------------------------------- edges
    def _edges(self) -> None:
        previous = str(self.first - 1)
        for t in self.shown:
            if t is None:
                start = self.runs["gap"].start
                self._chain(previous, "gap", start, f"from {{}}{sub(start)}")
                previous = "gap"
                continue
            self._chain(previous, str(t), t, f"to {{}}{sub(t - 1)}" if previous == "gap" else "")
            previous = str(t)
            self._forward(f"x{t}", f"{self.parts[-1]}{t}", "U")  # an LSTM's gates feed c_t
            self._column(t)
        if len(self.parts) > 1 and "before" in self.runs:
            self._cell_output(self.first - 1)
        elif len(self.parts) > 1:  # c_0 stands under h_0, as every c_t under h_t
            self.g.edge(f"c{self.first - 1}", f"h{self.first - 1}", style="invis", weight="8")

    def _column(self, t: int) -> None:
        """Step t's own edges: h_t -> y_t -> L and, for an LSTM, c_t -> h_t."""
        if len(self.parts) > 1:
            self._cell_output(t)
        if not self.grads or not self._feeds_loss(t):
            self._forward(f"h{t}", f"y{t}", "V")
            if self.tr.loss is not None:  # the loss stays on top, fed or not by y_t
                self.g.edge(
                    f"y{t}", "L", **({"color": FADED} if self._feeds_loss(t) else INVISIBLE)
                )
            return
        what = f"dL/dh_{t} through y_{t}"
        self._back(f"h{t}", f"y{t}", self.tr.via_output[t - 1], what, upward=True)
        what = f"dL/do_{t}, o_{t} = V h_{t} + c"
        self._back(f"y{t}", "L", self.tr.logit_grad[t - 1], what, upward=True)

    def _cell_output(self, t: int) -> None:
        """h_t = o ⊙ tanh(c_t): forward c_t -> h_t; in bptt, the part of dL/dh_t sent to c_t."""
        if not self.grads:
            self.g.edge(f"c{t}", f"h{t}", color=CELL, weight="8")
            return
        what = f"dL/dc_{t} through h_{t} = o ⊙ tanh(c_{t})"
        self._back(f"c{t}", f"h{t}", self.tr.via_hidden[t - 1], what, upward=True)

    def _chain(self, tail: str, head: str, t: int, where: str) -> None:
        """The edges of step t from state t-1 to state t, one per part (into or out of the gap)."""
        for k, part in enumerate(self.parts):
            a, b = f"{part}{tail}", f"{part}{head}"
            if not self.grads:
                self._forward(a, b, "W" if part == "h" else "c")
                continue
            extra = [("W", WEIGHT_COLOURS["W"]) if part == "h" else ("f ⊙", CELL)]
            extra += [(where.format(part), STUB_TEXT)] if where else []
            via = "through W" if part == "h" else "through f"
            what = f"dL/d{part}_{t - 1} {via} at step {t}"
            self._back(a, b, self.tr.via_next[t - 1][k], what, extra)

    def _cuts(self) -> None:
        """The arrows across a slice's ends, to and from the stub words."""
        before, after = self.first - 1, self.last + 1
        for k, part in enumerate(self.parts):
            if "before" in self.runs:
                if self.grads:
                    what = f"dL/d{part}_{before - 1} from step {before}"
                    self._back(
                        f"{part}before", f"{part}{before}", self.tr.via_next[before - 1][k], what
                    )
                else:
                    self._forward(f"{part}before", f"{part}{before}", "W" if part == "h" else "c")
            if "after" in self.runs:
                if self.grads:
                    what = f"dL/d{part}_{after - 1} from step {after}"
                    self._back(
                        f"{part}{after - 1}", f"{part}after", self.tr.via_next[after - 1][k], what
                    )
                else:
                    self._forward(f"{part}{after - 1}", f"{part}after", "W" if part == "h" else "c")
        if self.grads and "before" in self.runs and self._feeds_loss(before):
            what = f"dL/dh_{before} through y_{before}"
            self._back(f"h{before}", "ybefore", self.tr.via_output[before - 1], what)

    def _forward(self, tail: str, head: str, name: str) -> None:
        """A forward edge through a shared weight (faded behind the gradient in bptt)."""
        if name == "c":
            colour = FADED if self.grads else CELL
            text = label((" f ⊙ ", colour))
        else:
            colour = FADED if self.grads else WEIGHT_COLOURS[name]
            text = label((f" {name} " if name == "W" else name, colour))  # room between states
            text = text if name == "W" else clear_of_arrow(text)  # U and V point up
        self.g.edge(tail, head, label=text, color=colour, weight=pull(tail, head))

    def _back(
        self,
        tail: str,
        head: str,
        grad: float,
        what: str,
        extra: list[tuple[str, str]] | None = None,
        upward: bool = False,
    ) -> None:
        """The edge tail -> head as a red arrow head -> tail carrying a gradient of norm ``grad``.

        The label shows ``grad`` (and the ``extra`` lines), beside the arrow if it points
        ``upward``; the tooltip the exact ``||what||``.
        """
        lines = [(num(grad), GRAD_TEXT), *(extra or [])]
        attrs = {
            "color": self.scale.colour(grad),
            "penwidth": self.scale.width(grad),
            "dir": "back",
            "tooltip": f"||{what}|| = {grad:.6g}",
        }
        text = clear_of_arrow(plain(*lines)) if upward else plain(*lines)
        self.g.edge(tail, head, label=text, weight=pull(tail, head), **attrs)
