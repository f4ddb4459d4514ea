"""Scalar benchmark: micrograd's two-moons training step, op by op, beside a closure engine.

micrograd's demo trains an MLP 2-16-16-1 on 100 points of two moons with an
SVM (max-margin) loss plus L2, by SGD, every number a scalar node. Here the
same program runs twice: on minigrad, every scalar a 0-d ``Tensor``, and on
``Value``, an engine written the way micrograd writes it (floats inside, one
closure per op that adds its local derivative into its inputs). Both start
from the same weights and see the same data, and the losses must agree at
every step, or the benchmark stops.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import minigrad as mg
from bench.timing import Check, fmt_ms, markdown_table

SCALAR_TARGET = 1.0  # minigrad's step / the closure engine's step
SIZES = (2, 16, 16, 1)
POINTS = 100
ALPHA = 1e-4  # L2 weight


class Value:
    """A float and its gradient; each op leaves a closure that runs its chain rule."""

    def __init__(self, data: float, children: tuple[Value, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = children

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k: float) -> Value:
        out = Value(self.data**k, (self,))

        def _backward() -> None:
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other: Any) -> Value:
        return self + other

    def __rmul__(self, other: Any) -> Value:
        return self * other

    def backward(self) -> None:
        """Order the graph (an explicit stack: no recursion limit), then run every closure."""
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._prev)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def moons(n: int = POINTS, noise: float = 0.1, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with Gaussian noise; labels -1 and +1."""
    rng = np.random.default_rng(seed)
    upper = n // 2
    angle = np.r_[np.linspace(0, math.pi, upper), np.linspace(0, math.pi, n - upper)]
    x = np.r_[np.cos(angle[:upper]), 1 - np.cos(angle[upper:])]
    y = np.r_[np.sin(angle[:upper]), 0.5 - np.sin(angle[upper:])]
    points = np.c_[x, y] + noise * rng.standard_normal((n, 2))
    labels = np.r_[-np.ones(upper), np.ones(n - upper)]
    return points, labels


def initial_weights(seed: int = 1337) -> list[list[list[float]]]:
    """Per layer, per neuron: its input weights then its bias, uniform in [-1, 1]."""
    rng = random.Random(seed)
    return [
        [[rng.uniform(-1, 1) for _ in range(fan_in + 1)] for _ in range(fan_out)]
        for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=True)
    ]


def forward(layers: list[list[list[Any]]], point: list[Any]) -> Any:
    """The MLP: ReLU after every layer but the last, each neuron b + sum_i w_i x_i."""
    h = point
    for depth, layer in enumerate(layers):
        last = depth == len(layers) - 1
        outputs = []
        for *w, b in layer:
            act = b
            for wi, xi in zip(w, h, strict=True):
                act = act + wi * xi
            outputs.append(act if last else act.relu())
        h = outputs
    return h[0]


def loss(layers: list[list[list[Any]]], points: list[list[Any]], labels: Iterable[float]) -> Any:
    """Mean of relu(1 - y * score) over the points, plus ALPHA * sum of squared weights."""
    total = None
    for point, label in zip(points, labels, strict=True):
        margin = (1 + -label * forward(layers, point)).relu()
        total = margin if total is None else total + margin
    reg = None
    for p in parameters(layers):
        reg = p * p if reg is None else reg + p * p
    return total * (1.0 / len(points)) + reg * ALPHA


def parameters(layers: list[list[list[Any]]]) -> list[Any]:
    return [p for layer in layers for neuron in layer for p in neuron]


class Trainer:
    """One engine's copy of the MLP and data; ``step()`` is one SGD step of the demo.

    ``scalar(value, learn)`` makes a number of the engine, ``grad(p)`` reads a
    parameter's gradient, and ``cleared`` is what a gradient holds before backward.
    """

    def __init__(
        self, scalar: Callable[[float, bool], Any], grad: Callable[[Any], float], cleared: Any
    ) -> None:
        points, labels = moons()
        self.points = [[scalar(float(v), False) for v in row] for row in points]
        self.labels = [float(v) for v in labels]
        self.layers = [
            [[scalar(w, True) for w in neuron] for neuron in layer] for layer in initial_weights()
        ]
        self.grad, self.cleared = grad, cleared
        self.losses: list[float] = []

    def step(self) -> None:
        params = parameters(self.layers)
        for p in params:
            p.grad = self.cleared
        total = loss(self.layers, self.points, self.labels)
        total.backward()
        lr = 1.0 - 0.9 * len(self.losses) / 100
        for p in params:
            p.data -= lr * self.grad(p)
        self.losses.append(float(total.data))


def minigrad_trainer() -> Trainer:
    return Trainer(lambda v, learn: mg.Tensor(v, requires_grad=learn), lambda p: p.grad.data, None)


def value_trainer() -> Trainer:
    return Trainer(lambda v, learn: Value(v), lambda p: p.grad, 0.0)


def run(quick: bool = False) -> tuple[str, list[Check]]:
    """The scalar section of the report and its check; the two engines' losses must match."""
    mine, closures = minigrad_trainer(), value_trainer()
    t = block_medians({"minigrad": mine.step, "closures": closures.step}, 3 if quick else 12)
    if mine.losses != closures.losses:
        raise SystemExit(f"bench: the two engines' losses differ: {mine.losses} {closures.losses}")
    ratio = t["minigrad"] / t["closures"]
    nodes = count_nodes(mine)
    rows = [
        [
            f"MLP {'-'.join(map(str, SIZES))}, {POINTS} points; median of {len(mine.losses)} steps",
            f"{nodes:,}",
            fmt_ms(t["minigrad"]),
            fmt_ms(t["closures"]),
            f"{ratio:.2f}x",
        ]
    ]
    header = ["SGD step, losses equal at every step", "nodes", "minigrad", "closures", "ratio"]
    check = Check(
        f"two-moons scalar step, minigrad / closure engine <= {SCALAR_TARGET}x",
        ratio,
        SCALAR_TARGET,
    )
    text = "## Engine: micrograd's two-moons step, scalar by scalar\n\n" + markdown_table(
        header, rows
    )
    return text, [check]


def block_medians(candidates: dict[str, Callable[[], None]], steps: int) -> dict[str, float]:
    """Median seconds per call, each candidate's calls in blocks of 3, blocks taken in turn.

    Consecutive steps let each engine pay for its own garbage: the closure
    engine's graphs are reference cycles (each closure holds the node that
    holds it), which only the cyclic collector frees, during whatever runs
    next. Between blocks the collector runs untimed, so no engine pays for
    another's leftovers.
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for fn in candidates.values():  # warm up
        fn()
    while len(times[next(iter(times))]) < steps:
        for name, fn in candidates.items():
            gc.collect()
            for _ in range(3):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def count_nodes(trainer: Trainer) -> int:
    """Ops recorded by one forward pass of the loss (leaves not counted)."""
    from minigrad.engine import toposort

    root = loss(trainer.layers, trainer.points, trainer.labels)
    return sum(1 for node in toposort(root) if node._ctx is not None)
