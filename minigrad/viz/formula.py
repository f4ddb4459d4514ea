"""An op's rule written with the names of its own operands: ``tanh(add1)``, not ``tanh(x)``.

Each op's docstring gives its rule with placeholder letters: ``x`` for the
one input, ``a``/``b`` or ``A``/``B`` for two, ``C``/``A``/``B`` for addmm,
``y``/``Y`` for the output and ``g``/``G`` for the gradient that arrives,
dL/dy. ``written`` puts the names of the tensors the op actually used in
their place, so a formula never names some other tensor of the graph:

    y = tanh(x);  dy/dx = 1 - y**2   ->   h = tanh(add1);  dh/d(add1) = 1 - h**2

Only a placeholder standing alone is replaced: inside ``f(...)``, after
``/``, with an element index (``x_i`` -> ``add1_i``), but never a letter of
a word, so prose stays prose ("stacked on a new axis"). The inputs of
``stack`` and ``concat`` (``[x_1, x_2, ...]``) become the list of names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# The placeholder letters of an op with this many inputs (tried in turn).
PLACEHOLDERS: dict[int, tuple[frozenset[str], ...]] = {
    1: (frozenset("x"), frozenset("z")),
    2: (frozenset("ab"), frozenset("AB")),
    3: (frozenset("ABC"), frozenset("abc")),
}
OUTPUTS, GRADIENTS = ("y", "Y", "L"), ("g", "G")
ALONE = r"(?<![\w.\\]){}(?![\w(])"  # a placeholder, not part of a word or a call
PLACEHOLDER = re.compile(r"(?<![\w.\\])([A-Za-z])(?:_[ijn]\b|(?![\w(]))")  # x or x_i
# One pass over the text, so a name put in is never read again: a derivative dy/dx,
# a gradient dx = ..., an element x_i, the list [x_1, x_2, ...], a letter alone.
TOKEN = re.compile(
    r"(?<![\w.\\])(?:"
    r"d(?P<top>[A-Za-z])(?P<tidx>_[ijn])?/d(?P<bottom>[A-Za-z])(?P<bidx>_[ijn])?(?![\w(])"
    r"|d(?P<grad>[A-Za-z])(?=\s*=)"
    r"|(?P<listed>\[x_1, x_2, \.\.\.\])"
    r"|(?P<item>[A-Za-z])_(?P<index>[ijn])\b"
    r"|(?P<alone>[A-Za-z])(?![\w(])"
    r")"
)


def operand_letters(formula: str, count: int) -> list[str]:
    """The placeholders of an op's ``count`` inputs in its forward rule, in input order
    (the order they first appear: ``Y = C + A @ B`` -> C, A, B); [] if they do not fit."""
    _, _, rhs = formula.split(";")[0].partition("=")
    for letters in PLACEHOLDERS.get(count, ()):
        found = [m[1] for m in re.finditer(PLACEHOLDER, rhs) if m[1] in letters]
        ordered = list(dict.fromkeys(found))
        if len(ordered) == count:
            return ordered
    return []


def written(formula: str, out: str, inputs: Sequence[str]) -> str:
    """``formula`` with the output's name ``out`` and the operands' names ``inputs``
    in place of its placeholders; derivatives ``dy/dx`` become ``d(out)/d(name)``."""
    letters = operand_letters(formula, len(inputs))
    names = dict(zip(letters, inputs, strict=True)) if letters else {}
    head = re.sub(r"_[ijn]$", "", formula.split("=")[0].strip())  # y_i: the output too
    if head in OUTPUTS:
        names[head] = out
        names.update((g, f"dL/{d(out)}") for g in GRADIENTS if g not in names)

    def replace(m: re.Match[str]) -> str:
        if m["top"]:
            top, bottom = names.get(m["top"]), names.get(m["bottom"])
            if not (top and bottom):
                return m[0]
            return f"{d(top + (m['tidx'] or ''))}/{d(bottom + (m['bidx'] or ''))}"
        if m["grad"]:
            name = names.get(m["grad"])
            return f"dL/{d(name)}" if name and m["grad"] not in GRADIENTS else m[0]
        if m["listed"]:
            return "[" + ", ".join(inputs) + "]"
        if m["item"]:
            name = names.get(m["item"])
            return f"{name}_{m['index']}" if name and m["item"] not in GRADIENTS else m[0]
        name = names.get(m["alone"])
        if name is None:
            return m[0]
        inside = (
            m.string[m.start() - 1 : m.start()] == "(" and m.string[m.end() : m.end() + 1] == ")"
        )
        if " " not in name or inside or m["alone"] in (head, *GRADIENTS):
            return name
        return f"({name})"  # (U x_t + b)[index]

    return TOKEN.sub(replace, formula)


def d(name: str) -> str:
    """``dname``, or ``d(name)`` for a name longer than one letter."""
    return f"d{name}" if len(name) == 1 else f"d({name})"


def right_side(formula: str, out: str, inputs: Sequence[str]) -> str:
    """The forward rule's right-hand side with the operands' names: ``tanh(add1)``."""
    forward = written(formula.split(";")[0], out, inputs)
    _, eq, rhs = forward.partition("=")
    return rhs.strip() if eq else forward.strip()
