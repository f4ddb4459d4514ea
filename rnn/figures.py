"""The three RNN pictures of the README, and the helper that writes any model's.

``python -m rnn.figures OUTDIR`` (``make figures``) writes ``rnn_folded.svg``,
``rnn_unrolled.svg`` and ``rnn_bptt.svg``: an untrained RNN with 4 tokens and a
hidden state of 3 reads "hell" and is asked for "ello" (the next letter at
every step). ``python -m rnn demo`` draws its trained char-RNN the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np

from .diagram import VIEWS, diagram
from .model import RNN, Recurrent


def write_diagrams(model: Recurrent, xs: Any, targets: Any, outdir: Path) -> list[Path]:
    """``outdir/rnn_<view>.svg`` for the folded, unrolled and bptt views."""
    return [
        diagram(model, xs, targets, view=view).save(outdir / f"rnn_{view}.svg") for view in VIEWS
    ]


def hello() -> tuple[RNN, np.ndarray, np.ndarray]:
    """The README's model and data: read "hell", predict "ello"."""
    vocab = list("ehlo")
    model = RNN(4, 3, 4, seed=0, vocab=vocab)
    xs = np.array([[vocab.index(ch)] for ch in "hell"])
    targets = np.array([[vocab.index(ch)] for ch in "ello"])
    return model, xs, targets


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m rnn.figures OUTDIR", file=sys.stderr)
        return 2
    outdir = Path(args[0])
    outdir.mkdir(parents=True, exist_ok=True)
    for path in write_diagrams(*hello(), outdir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
