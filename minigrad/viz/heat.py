"""Heat colours: a gradient's magnitude as a colour, on a log scale.

A vanishing gradient spans many orders of magnitude, so colours follow
log10 ||g||: ``HeatScale.of(norms)`` spans the decades present in a graph,
from dark blue (smallest) through pale yellow to dark red (largest).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


def norm(grad: np.ndarray) -> float:
    """The Euclidean norm ||g|| of a gradient."""
    data = grad.astype(np.float64)
    return float(np.sqrt(np.sum(data * data)))


# Cold (vanishing) to hot (large): dark blue, sky, pale yellow, orange, dark red.
HEAT_STOPS = ((44, 62, 145), (127, 178, 217), (245, 239, 184), (240, 138, 75), (163, 22, 44))
ZERO_FILL = "#d9d9d9"  # a gradient of exactly 0
UNKNOWN_FILL = "#ffffff"  # no gradient recorded for the node


def heat_colour(u: float) -> str:
    """The palette colour at ``u`` in [0, 1], interpolated linearly between stops."""
    u = min(max(u, 0.0), 1.0) * (len(HEAT_STOPS) - 1)
    k = min(int(u), len(HEAT_STOPS) - 2)
    a, b = HEAT_STOPS[k], HEAT_STOPS[k + 1]
    rgb = (round(x + (u - k) * (y - x)) for x, y in zip(a, b, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    r, g, b = (int(fill[k : k + 2], 16) for k in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


@dataclass
class HeatScale:
    """log10 ||g|| mapped linearly from ``lo`` (coldest) to ``hi`` (hottest)."""

    lo: float
    hi: float

    @classmethod
    def of(cls, norms: Iterable[float]) -> HeatScale:
        logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
        if not logs:
            return cls(0.0, 1.0)
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        return cls(lo, hi if hi > lo else lo + 1)

    def colour(self, grad_norm: float) -> str:
        if grad_norm == 0:
            return ZERO_FILL
        if not math.isfinite(grad_norm):
            return heat_colour(1.0)
        return heat_colour((math.log10(grad_norm) - self.lo) / (self.hi - self.lo))

    def legend(self) -> str:
        """An HTML-like table: five swatches evenly spaced in log10 ||g||, hottest first."""
        rows = ['<TR><TD COLSPAN="2"><B>||grad|| (log scale)</B></TD></TR>']
        for k in range(5):
            u = 1 - k / 4
            value = 10 ** (self.lo + u * (self.hi - self.lo))
            swatch = f'<TD BGCOLOR="{heat_colour(u)}" WIDTH="24"> </TD>'
            rows.append(f"<TR>{swatch}<TD>{value:.2g}</TD></TR>")
        rows.append(f'<TR><TD BGCOLOR="{ZERO_FILL}"> </TD><TD>0</TD></TR>')
        rows.append(f'<TR><TD BGCOLOR="{UNKNOWN_FILL}"> </TD><TD>not known</TD></TR>')
        return '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">' + "".join(rows) + "</TABLE>"

    def edge(self, grad: np.ndarray | None) -> dict[str, str]:
        if grad is None:
            return {"color": "#bbbbbb"}
        g = norm(grad)
        u = 0.0 if g == 0 else (math.log10(g) - self.lo) / (self.hi - self.lo)
        return {"color": self.colour(g), "penwidth": f"{1 + 2 * min(max(u, 0.0), 1.0):.2f}"}
