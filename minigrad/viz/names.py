"""A printable name for every tensor of a drawing, so a formula can say ``tanh(add1)``.

A named tensor keeps its name (cleaned, cut to ``NAME_LIMIT``); the
transpose of a named matrix is ``Uᵀ``; any other tensor is called after
the op that made it and a count (but ``Uᵀ + b`` for the sum of two such
weights) (``add1``, ``tanh2``), or ``param1`` /
``const1`` for a leaf, skipping any name a user gave a tensor of the same
graph, so a made-up name never clashes with a real one. A box drawn for
several copies of one computation has one name.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..tensor import Tensor
from .labels import clean, truncate
from .layout import Layout

NAME_LIMIT = 24  # characters of a name inside a formula or a panel
TRANSPOSED = "\u1d40"  # ᵀ


def display_names(layout: Layout) -> list[str]:
    """The name of each tensor of ``layout`` (index as ``layout.tensors``)."""
    own = {clean(t.name).replace("\n", " ") for t in layout.tensors if t.name}
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    names: list[str] = []
    counts: dict[str, int] = {}
    for i, t in enumerate(layout.tensors):
        fn = t._ctx
        if layout.canonical[i] != i:
            names.append(names[layout.canonical[i]])
        elif t.name:
            names.append(truncate(clean(t.name).replace("\n", " "), NAME_LIMIT))
        elif fn is not None and fn.name == "transpose" and t.ndim == 2 and fn.inputs[0].name:
            names.append(names[index[id(fn.inputs[0])]] + TRANSPOSED)
        elif fn is not None and fn.name == "add" and _named_weights(fn.inputs, names, index):
            names.append(" + ".join(names[index[id(x)]] for x in fn.inputs))
        else:
            kind = fn.name if fn is not None else "param" if t.requires_grad else "const"
            name = ""
            while not name or name in own:
                counts[kind] = counts.get(kind, 0) + 1
                name = f"{kind}{counts[kind]}"
            names.append(name)
    return names


def _named_weights(inputs: Sequence[Tensor], names: list[str], index: dict[int, int]) -> bool:
    """True if every input is a parameter or its transpose, named (U, Uᵀ, b)."""
    return all(
        x.requires_grad
        and (x._ctx is None or x._ctx.name == "transpose")
        and x.ndim <= 2
        and (x.name or names[index[id(x)]].endswith(TRANSPOSED))
        for x in inputs
    )
