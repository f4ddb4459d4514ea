"""Heat colours: a gradient's magnitude as a colour, on a log scale.

A vanishing gradient spans many orders of magnitude, so colours follow
log10 ||g||: ``HeatScale.of(norms)`` spans the whole decades present in a
graph. One rule for every picture of the project: pale = small, so a
vanishing gradient fades. The palette runs from pale yellow (smallest)
through teal to dark indigo (largest) along a straight line in lightness:
it is drawn in the OKLab colour space with lightness falling linearly, so
equal steps in log10 ||g|| look like equal steps, the order survives
grey-scale printing, and yellow-to-blue stays distinct for red-green colour
blindness (the idea behind viridis and cividis). Edges take the very colour
of the bar at their gradient, and grow thicker with it. A gradient of
exactly 0 is grey, one the backward pass never reached is white with a
dotted border: neither is a palette colour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

ZERO_FILL = "#cfcfcf"  # a gradient of exactly 0: neutral grey, no palette colour is grey
UNKNOWN_FILL = "#ffffff"  # no gradient reached (or was recorded for) the node
NEUTRAL_OP_FILL = "#ffffff"  # ops while heat is on: only tensors carry colour
BAR_CELLS_PER_DECADE = 4


def norm(grad: np.ndarray) -> float:
    """The Euclidean norm ||g|| of a gradient."""
    data = grad.astype(np.float64)
    return float(np.sqrt(np.sum(data * data)))


def _oklab_to_srgb(lightness: float, a: float, b: float) -> tuple[float, float, float]:
    """OKLab -> gamma-encoded sRGB in [0, 1] (Ottosson's matrices)."""
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    linear = (
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    )
    encoded = [12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055 for c in linear]
    return tuple(min(max(c, 0.0), 1.0) for c in encoded)  # type: ignore[return-value]


def heat_colour(u: float) -> str:
    """The palette colour at ``u`` in [0, 1]: lightness 0.92 -> 0.30, hue yellow -> indigo."""
    pale = 1.0 - min(max(u, 0.0), 1.0)  # 1 at the smallest gradient
    hue = math.radians(285 - 185 * pale)
    chroma = 0.08 + 0.05 * pale
    rgb = _oklab_to_srgb(0.30 + 0.62 * pale, chroma * math.cos(hue), chroma * math.sin(hue))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * 255) for c in rgb))


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    r, g, b = (int(fill[k : k + 2], 16) for k in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 120 else "#ffffff"


def decade(exponent: int) -> str:
    """10**exponent written short: 1e-06, 0.001, 0.01, 0.1, 1, 10, 100, 1e+03."""
    return f"{10.0**exponent:g}"


@dataclass
class HeatScale:
    """log10 ||g|| mapped linearly from the whole decade ``lo`` (palest) to ``hi`` (darkest)."""

    lo: int
    hi: int

    @classmethod
    def of(cls, norms: Iterable[float]) -> HeatScale:
        logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
        if not logs:
            return cls(0, 1)
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        return cls(lo, hi if hi > lo else lo + 1)

    def position(self, grad_norm: float) -> float:
        """Where ``grad_norm`` sits on the scale, 0 (``10**lo``) to 1 (``10**hi``)."""
        if not math.isfinite(grad_norm):
            return 1.0
        return (math.log10(grad_norm) - self.lo) / (self.hi - self.lo)

    def colour(self, grad_norm: float) -> str:
        return ZERO_FILL if grad_norm == 0 else heat_colour(self.position(grad_norm))

    def node_style(self, grad: np.ndarray | None) -> dict[str, str]:
        """Fill, font colour and border of a tensor box with gradient ``grad``."""
        if grad is None:
            return {"fillcolor": UNKNOWN_FILL, "style": "filled,dotted", "fontcolor": "#555555"}
        fill = self.colour(norm(grad))
        style = "filled,diagonals" if fill == ZERO_FILL else "filled"
        return {"fillcolor": fill, "style": style, "fontcolor": text_colour(fill)}

    def legend(self) -> str:
        """An HTML-like table: a colour bar labelled at whole decades, largest on top,
        then the swatches for a zero gradient and for no gradient."""
        span = self.hi - self.lo
        every = max(1, math.ceil(span / 8))  # at most about 8 labels
        rows = [
            '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>‖grad‖</B><BR ALIGN="LEFT"/>log scale</TD></TR>'
        ]
        cells = span * BAR_CELLS_PER_DECADE
        for k in range(cells, -1, -1):
            u = k / cells
            exponent, at_decade = divmod(k, BAR_CELLS_PER_DECADE)
            label = ""
            if at_decade == 0 and (exponent % every == 0 or k in (0, cells)):
                label = decade(self.lo + exponent)
            swatch = f'<TD BGCOLOR="{heat_colour(u)}" WIDTH="22" HEIGHT="6"></TD>'
            font = f'<FONT POINT-SIZE="11">{label}</FONT>' if label else ""
            text = f'<TD ALIGN="LEFT" HEIGHT="6">{font}</TD>'
            rows.append(f"<TR>{swatch}{text}</TR>")
        rows.append(f'<TR><TD BGCOLOR="{ZERO_FILL}" HEIGHT="14"></TD><TD ALIGN="LEFT">0</TD></TR>')
        rows.append(
            f'<TR><TD BGCOLOR="{UNKNOWN_FILL}" BORDER="1" STYLE="dotted" HEIGHT="14"></TD>'
            '<TD ALIGN="LEFT">not reached</TD></TR>'
        )
        table = '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
        return table + "".join(rows) + "</TABLE>"

    def edge(self, grad: np.ndarray | None) -> dict[str, str]:
        """An edge in the bar's colour at ``‖grad‖``, 1 to 3 points wide as it grows."""
        if grad is None:
            return {"color": "#bbbbbb", "style": "dotted"}
        g = norm(grad)
        u = 0.0 if g == 0 else min(max(self.position(g), 0.0), 1.0)
        colour = ZERO_FILL if g == 0 else heat_colour(u)
        return {"color": colour, "penwidth": f"{1 + 2 * u:.2f}"}
