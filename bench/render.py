"""Rendering a long unroll: ``draw(loss, collapse=True)`` of a T = 100 RNN, through ``dot``.

The baseline is what ``dot`` needs anyway for a picture of that size: a bare
chain of 100 labelled boxes, rendered in the same run. Collapse adds the
trace of the graph, the labels and heat colours, the side column and edges
between steps; before ``dot``'s ranking was bounded and the edges to the
shared weights bundled, it had not finished after minutes.
"""

from __future__ import annotations

import numpy as np

import minigrad as mg
import rnn
from bench.timing import Check, interleaved_medians, markdown_table
from minigrad.viz import draw
from minigrad.viz.render import render

T = 100
TARGET_RATIO = 30.0  # collapse (draw + dot) / dot of the bare chain


def unrolled_loss() -> mg.Tensor:
    model = rnn.RNN(3, 2, 3, seed=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))
    return rnn.sequence_loss(model(xs, per_step=True)[0], ys)


def bare_chain() -> str:
    """DOT text of T boxes labelled like the collapsed ones, each feeding the next."""
    boxes = [f'  s{t} [shape=box, label="t={t + 1}\\n5 ops\\nh_{t + 1}"]' for t in range(T)]
    edges = [f"  s{t} -> s{t + 1}" for t in range(T - 1)]
    return "digraph chain {\n" + "\n".join(boxes + edges) + "\n}\n"


def run(quick: bool = False) -> tuple[str, list[Check]]:
    """The rendering section of the benchmark report (markdown) and its check."""
    loss = unrolled_loss()
    steps = list(loss.backward_steps())
    chain = bare_chain()
    medians = interleaved_medians(
        {
            "collapse": lambda: draw(loss, collapse=True, heat=True, steps=steps).pipe("svg"),
            "chain": lambda: render(chain, "svg"),
        },
        repeats=3 if quick else 9,
        warmup=1,
    )
    ratio = medians["collapse"] / medians["chain"]
    rows = [
        [f"draw(collapse=True, heat=True) of T={T}, to SVG", f"{medians['collapse']:.2f} s"],
        [f"dot of a bare chain of {T} boxes", f"{medians['chain']:.2f} s"],
        ["ratio", f"{ratio:.1f}x"],
    ]
    text = "## Rendering: a collapsed 100-step unroll\n\n" + markdown_table(["", "median"], rows)
    target = f"collapse of T={T} to SVG <= {TARGET_RATIO:g}x dot of a bare chain"
    return text, [Check(target, ratio, TARGET_RATIO)]
