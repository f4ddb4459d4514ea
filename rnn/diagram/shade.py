"""The bptt view's one colour rule: pale = small, on a log scale spanning the norms present.

An arrow carrying a gradient of norm v gets the shade at
f = log10(top / v) / D between the darkest red (f = 0, the largest norm
``top``) and the palest (f = 1, D decades below), where D is the number of
whole decades the drawn norms span (at least one). Its pen width falls with
f the same way. ``bar`` draws the mapping itself, its ends labelled.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .style import FADED, escape, num

DARKEST, PALEST = (178, 24, 43), (244, 182, 182)  # red at the largest norm, at D decades below
WIDEST, THINNEST = 3.2, 0.8
CELLS = 12  # of the colour bar, from pale to dark


class Scale:
    """The log scale of one picture's gradient norms (zeros are drawn grey, off the scale)."""

    def __init__(self, values: Iterable[float]):
        present = [v for v in values if v > 0 and math.isfinite(v)]
        self.top = max(present, default=0.0)
        low = min(present, default=0.0)
        span = math.log10(self.top / low) if present else 0.0
        self.decades = max(1, math.ceil(span - 1e-9))

    def fraction(self, v: float) -> float:
        """0 at the largest norm, 1 at ``decades`` below it."""
        return min(max(math.log10(self.top / v), 0.0), self.decades) / self.decades

    def colour(self, v: float) -> str:
        if v <= 0 or self.top <= 0:
            return FADED
        f = self.fraction(v)
        rgb = (round(a + (b - a) * f) for a, b in zip(DARKEST, PALEST, strict=True))
        return "#{:02x}{:02x}{:02x}".format(*rgb)

    def width(self, v: float) -> str:
        if v <= 0 or self.top <= 0:
            return f"{THINNEST:.2f}"
        return f"{WIDEST - (WIDEST - THINNEST) * self.fraction(v):.2f}"

    def cells(self) -> list[float]:
        """The norms of the bar's cells, smallest first, evenly spaced on the log scale."""
        return [self.top * 10.0 ** (-self.decades * (1 - i / (CELLS - 1))) for i in range(CELLS)]

    def bar(self) -> str:
        """An HTML-like label: the title, a row of shaded cells, the two ends' norms beneath."""
        cells = "".join(
            f'<TD BGCOLOR="{self.colour(v)}" WIDTH="16" HEIGHT="10"></TD>' for v in self.cells()
        )
        half = CELLS // 2
        low, high = escape(num(self.top * 10.0**-self.decades)), escape(num(self.top))
        span = f"{self.decades} decade" + "s" * (self.decades > 1)
        title = escape("‖gradient‖: pale = small") + "<BR/>" + escape(f"log scale over {span}")
        return (
            '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f'<TR><TD COLSPAN="{CELLS}">{title}</TD></TR><TR>{cells}</TR>'
            f'<TR><TD COLSPAN="{half}" ALIGN="LEFT">{low}</TD>'
            f'<TD COLSPAN="{CELLS - half}" ALIGN="RIGHT">{high}</TD></TR></TABLE>>'
        )
