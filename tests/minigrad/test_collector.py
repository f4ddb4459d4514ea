"""Importing minigrad makes the cyclic collector run less often; MINIGRAD_COLLECT_LESS=0 opts out.

The settings are checked in a fresh interpreter each, since the change is
made once per process. The premise, that a graph and its backward pass make
no reference cycle, is checked in this process with the collector paused.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator

import numpy as np
import pytest

import minigrad as mg
from minigrad import collector

PROBE = """
import gc, json, weakref
defaults = gc.get_threshold()
{before}
import minigrad

class Cycle:
    pass

gc.collect()
cycle = Cycle()
cycle.me = cycle  # garbage only the cyclic collector can free
alive = weakref.ref(cycle)
del cycle
kept = [[] for _ in range({new_objects})]  # new container objects that stay alive
print(json.dumps({{"defaults": defaults, "threshold": gc.get_threshold(),
                  "raised": minigrad.collector.RAISED, "cycle_collected": alive() is None}}))
"""


def probe(new_objects: int = 0, before: str = "", **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MINIGRAD_")}
    code = PROBE.format(before=before, new_objects=new_objects)
    command = [sys.executable, "-c", code]
    done = subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


needs_python_defaults = pytest.mark.skipif(
    tuple(probe()["defaults"]) != collector.PYTHON_DEFAULTS,
    reason="this Python's collector has other defaults, which minigrad leaves alone",
)


@needs_python_defaults
def test_import_raises_the_first_threshold_of_python_defaults() -> None:
    found = probe()
    assert found["raised"] is True
    assert tuple(found["threshold"]) == (collector.YOUNG_THRESHOLD, 10, 10)


@needs_python_defaults
def test_a_cycle_is_still_collected_only_later() -> None:
    assert probe(new_objects=5_000)["cycle_collected"] is False  # Python's 700 would have run
    assert probe(new_objects=2 * collector.YOUNG_THRESHOLD)["cycle_collected"] is True


@needs_python_defaults
def test_opt_out_leaves_python_defaults() -> None:
    found = probe(new_objects=5_000, MINIGRAD_COLLECT_LESS="0")
    assert found["raised"] is False
    assert tuple(found["threshold"]) == collector.PYTHON_DEFAULTS
    assert found["cycle_collected"] is True


def test_thresholds_the_program_chose_are_kept() -> None:
    found = probe(before="gc.set_threshold(1000, 5, 5)")
    assert found["raised"] is False
    assert tuple(found["threshold"]) == (1000, 5, 5)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ops_of(root: mg.Tensor) -> list[weakref.ref]:
    return [weakref.ref(t._ctx) for t in mg.toposort(root) if t._ctx is not None]


@pytest.mark.usefixtures("collector_paused")
def test_a_graph_and_its_backward_are_freed_by_reference_counting_alone() -> None:
    x = mg.Tensor(np.ones((3, 4)), requires_grad=True)
    w = mg.Tensor(np.full((4, 2), 0.5), requires_grad=True)
    h = x
    for _ in range(50):
        h = (h * 1.0 + 0.5).tanh()
    loss = (h @ w).sum()
    ops = _ops_of(loss)
    assert len(ops) == 50 * 3 + 2
    loss.backward()
    del h, loss
    assert [op for op in ops if op() is not None] == []  # freed without the collector
    assert x.grad is not None and w.grad is not None


@pytest.mark.usefixtures("collector_paused")
def test_create_graph_makes_the_cycle_the_docstring_names() -> None:
    x = mg.Tensor(np.ones(3), requires_grad=True)
    y = (x * x).sum()
    y.backward(create_graph=True)  # x.grad = 2x, a graph that refers back to x
    ops = _ops_of(x.grad)
    del y
    assert ops and all(op() is not None for op in ops)  # kept alive by the cycle x -> x.grad -> x
    x.grad = None
    assert all(op() is None for op in ops)
