"""Collect less often: Python's cyclic garbage collector set up for graphs of small objects.

Every op recorded in a graph leaves a few small Python objects that live as
long as the graph: the output Tensor, its Function and the Function's tuple
of inputs (for ``h * 1.0``, also the constant's Tensor). A forward graph has
no reference cycle in it: a Tensor refers to the op that made it and the op
to its inputs, never back. So reference counting frees a graph as soon as
nothing refers to it, and the cyclic collector never finds anything to free
in one. It looks all the same: with Python's default thresholds it runs
after every 700 new objects, and each time their number has grown by a
quarter it walks every one of them. Building a chain of 100,000 ops spends
about half its time there (the chain table of ``bench/RESULTS.md`` times it
with minigrad's setting, with Python's and with the collector paused).

So when minigrad is imported, and the collector still has Python's default
thresholds ``(700, 10, 10)``, the first is raised to ``YOUNG_THRESHOLD``: a
collection runs after 50,000 new objects instead of 700. Cycles are still
collected, a little later: those the rest of the program makes, and the one
``backward(create_graph=True)`` makes when a leaf's ``.grad`` is a graph
that refers back to the leaf. It is ``gc.set_threshold``, so it applies to
the whole process.

- ``MINIGRAD_COLLECT_LESS=0`` in the environment, before the import: leave the collector alone.
- Thresholds other than Python's defaults (set by the program, or a Python
  whose defaults differ): minigrad changes nothing.
"""

from __future__ import annotations

import gc
import os

OPT_OUT = "MINIGRAD_COLLECT_LESS"
PYTHON_DEFAULTS = (700, 10, 10)
YOUNG_THRESHOLD = 50_000  # new objects between two collections of the youngest generation


def collect_less_often() -> bool:
    """Raise the collector's first threshold; True if it was raised.

    Called once when minigrad is imported; returns False, changing nothing,
    when opted out or when the thresholds are not Python's defaults.
    """
    if os.environ.get(OPT_OUT, "1").strip() == "0":
        return False
    if gc.get_threshold() != PYTHON_DEFAULTS:
        return False
    gc.set_threshold(YOUNG_THRESHOLD, *PYTHON_DEFAULTS[1:])
    return True


RAISED = collect_less_often()  # whether this process collects less often (see above)
