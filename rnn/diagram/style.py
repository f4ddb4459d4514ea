"""How the RNN diagrams look: fonts, colours, and text made safe for Graphviz labels.

Every string goes through ``minigrad.viz.labels.clean`` (the one cleaning path
of all the pictures), so a vocabulary with a NUL or an ANSI escape code is
shown as ``\\x00``, ``\\x1b[31m``, never fed to Graphviz.
"""

from __future__ import annotations

import html
from typing import Any

import graphviz
import numpy as np

from minigrad.viz.labels import clean

from ..model import Recurrent

FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = "11"
WEIGHT_COLOURS = {"U": "#0072b2", "W": "#d55e00", "V": "#009e73"}  # Okabe-Ito: blue, orange, green
FILLS = {"x": "#e8f1fa", "h": "#fdf0e1", "c": "#f6ecf7", "y": "#e5f4ee", "L": "#eeeeee"}
CELL = "#7a4f86"  # the cell state's highway in the LSTM
GRAD_TEXT = "#a0141e"  # the numbers of the gradients
FADED = "#b8b8b8"  # the forward edges behind the gradient in the bptt view
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def sub(t: int) -> str:
    return str(t).translate(SUBSCRIPTS)


def sup(text: str) -> str:
    return text.translate(SUPERSCRIPTS)


def num(v: float) -> str:
    """A number in 2 significant digits: 0.042, 1.0, 12, 4.2e-5 (exact ones in the tooltips)."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e3:
        return f"{v:#.2g}".rstrip(".")
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def vector(a: np.ndarray, name: str) -> str:
    """A few numbers for a tiny state, else its norm."""
    if a.size <= 3:
        return "[" + " ".join(f"{v:.2f}" for v in a.reshape(-1)) + "]"
    return f"‖{name}‖ {num(float(np.linalg.norm(a)))}"


def token(model: Recurrent, i: int) -> str:
    if model.vocab is None:
        return str(i)
    char = model.vocab[i]
    return {" ": "␣", "\n": "↵", "\t": "⇥"}.get(char, char)


def escape(text: str) -> str:
    """Text shown literally inside an HTML-like label (controls as ``\\xNN``)."""
    return html.escape(clean(text), quote=True).replace("\\", "&#92;")


def label(*lines: tuple[str, str | None]) -> str:
    """An HTML-like label, one (text, colour) per line; the first line in bold."""
    rows = []
    for i, (text, colour) in enumerate(lines):
        body = f"<B>{escape(text)}</B>" if i == 0 else escape(text)
        rows.append(f'<FONT COLOR="{colour}">{body}</FONT>' if colour else body)
    return "<" + "<BR/>".join(rows) + ">"


def clear_of_arrow(html: str, points: int = 5) -> str:
    """An edge label kept ``points`` to the right of its arrow: an empty cell comes first."""
    cells = f'<TD WIDTH="{points}"></TD><TD>{html[1:-1]}</TD>'
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>{cells}</TR></TABLE>>'


def plain(*lines: tuple[str, str | None]) -> str:
    """Like ``label``, without the bold first line."""
    rows = [f'<FONT COLOR="{c}">{escape(s)}</FONT>' if c else escape(s) for s, c in lines]
    return "<" + "<BR/>".join(rows) + ">"


def digraph(view: str) -> graphviz.Digraph:
    g = graphviz.Digraph(name=f"rnn_{view}")
    g.attr(rankdir="BT", newrank="true", nodesep="0.04", ranksep="0.3", labeljust="l")
    g.attr(fontname=FONT, fontsize=FONT_SIZE, labelloc="b")
    g.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize=FONT_SIZE)
    g.attr("node", margin="0.04,0.03", height="0.3", width="0.3", penwidth="0.8")
    g.attr("edge", fontname=FONT, fontsize=FONT_SIZE, arrowsize="0.6", penwidth="1.1")
    return g


def caption(g: graphviz.Digraph, lines: list[str]) -> None:
    """Lines of explanation under the picture."""
    body = "".join(f'{escape(line)}<BR ALIGN="LEFT"/>' for line in lines)
    g.attr(label=f'<<FONT COLOR="#444444">{body}</FONT>>')


def shape(a: Any) -> str:
    return "×".join(str(n) for n in a.shape)
