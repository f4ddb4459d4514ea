"""Text that goes into a picture: safe, short, and in Graphviz's HTML-like syntax.

Every string a user controls (tensor names, scope names, an op's formula)
passes ``clean`` first, so a lone surrogate or a control character is shown,
not fed to Graphviz or the browser. ``escape`` makes clean text an HTML-like
label and ``quote`` a quoted DOT attribute (tooltips, ids); both cut it
short, so the DOT text stays small whatever the names (a 100,000-character
scope name costs at most ``TOOLTIP_LIMIT`` characters per cluster).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, cast

import numpy as np

LABEL_LIMIT = 60  # characters of one label line before the ellipsis
TOOLTIP_LIMIT = 300  # characters of a tooltip before the ellipsis
ELLIPSIS = "\u2026"


def clean(text: object) -> str:
    """``text`` as a printable str: lone surrogates as ``\\udcxx``, controls as ``\\xNN``.

    Newlines stay (labels break lines there); a tab becomes a space.
    """
    text = text if isinstance(text, str) else str(text)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(_printable(c) for c in text)


def _printable(char: str) -> str:
    if char == "\n":
        return char
    if char == "\t":
        return " "
    return f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char


def truncate(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    """``text`` cut at the last word boundary before ``limit``, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip(" ,;") + " " + ELLIPSIS


def escape(text: object, limit: int = LABEL_LIMIT) -> str:
    """``text`` for an HTML-like DOT label, so that Graphviz shows it literally.

    Long text ends in an ellipsis; control characters show as ``\\xNN``;
    backslashes are doubled (Graphviz expands ``\\N``-style escapes even in
    HTML labels); ``& < > " '`` become entities; a newline becomes a line break.
    """
    text = truncate(clean(text), limit)
    text = html.escape(text.replace("\\", "\\\\"), quote=True)
    return text.replace("\n", '<BR ALIGN="CENTER"/>')


def quote(text: object, limit: int = TOOLTIP_LIMIT) -> str:
    """``text`` as a double-quoted DOT string (for attributes other than labels), cut
    to ``limit`` characters."""
    text = truncate(clean(text).replace("\n", " "), limit)
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def number(value: float) -> str:
    """A number with 4 significant digits."""
    return f"{value:.4g}"


def summarize(array: np.ndarray, limit: int = LABEL_LIMIT) -> str:
    """A compact view of an array: the values when tiny, else min, max and norm."""
    if array.size == 0:
        return f"empty {array.shape}"
    if array.ndim == 0:
        return number(array.item())
    if array.size <= 4:
        text = np.array2string(array, separator=", ", formatter=cast(Any, {"all": number}))
        if len(text) <= limit:
            return text.replace("\n", "")
    data = array.astype(np.float64)
    norm = float(np.sqrt(np.sum(data * data)))
    return f"min {number(data.min())}  max {number(data.max())}  norm {number(norm)}"


def lines(parts: Iterable[tuple[str, str]]) -> str:
    """HTML label from (escaped text, font colour or "") lines."""
    out = [f'<FONT COLOR="{colour}">{text}</FONT>' if colour else text for text, colour in parts]
    return '<BR ALIGN="CENTER"/>'.join(out)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders numbers by value: ``t=2`` before ``t=10``."""
    parts = re.split(r"(\d+)", text)
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts if p)


def operand_letters(formula: str, count: int) -> list[str]:
    """The letters an op's formula calls its inputs (``y = a * b`` -> a, b), if it names
    exactly ``count`` of them; else no letters."""
    forward = formula.split(";")[0]
    _, _, rhs = forward.partition("=")
    letters: list[str] = []
    for letter in re.findall(r"(?<![\w.])([a-cA-Cx])(?![\w(])", rhs):
        if letter not in letters:
            letters.append(letter)
    return letters if len(letters) == count else []
