"""``python -m minigrad.viz.figures OUTDIR``: the figures the README shows.

Writes ``OUTDIR/expression.svg``: y = tanh(x * w + b) for x = 0.5, w = -1.5,
b = 2, with every node's value and gradient (``make figures`` regenerates the
committed copy in docs/figures/).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..ops import tanh
from ..tensor import Tensor
from .dot import draw


def expression_figure(outdir: Path) -> Path:
    """Draw tanh(x * w + b) after backward, gradients on every node."""
    x = Tensor(0.5, requires_grad=True, name="x")
    w = Tensor(-1.5, requires_grad=True, name="w")
    b = Tensor(2.0, requires_grad=True, name="b")
    y = tanh(x * w + b)
    y.name = "y"
    graph = draw(y, steps=y.backward_steps())
    return graph.save(outdir / "expression.svg")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m minigrad.viz.figures OUTDIR", file=sys.stderr)
        return 2
    outdir = Path(args[0])
    outdir.mkdir(parents=True, exist_ok=True)
    print(f"wrote {expression_figure(outdir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
