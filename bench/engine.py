"""Engine benchmark: per-op overhead against raw numpy, and deep chains.

Per op, minigrad runs a program of 16 applications of the op and one
backward; numpy runs the same forward and the same backward written by hand;
the ratio is minigrad / numpy, medians of interleaved repetitions. Chains time
``h = h * 1.0`` repeated n times, forward and backward, for n from 1k to 1M:
time per node should stay flat (no quadratic cost); the same chain on the
closure engine of ``bench/scalar.py`` is timed beside it. Every node is a few
Python objects that stay alive, and Python's cyclic garbage collector walks
all of them each time their number has grown by a quarter, which is where
much of the forward goes; so the forward is timed three ways: with the
collector as importing minigrad sets it (``minigrad/collector.py``), at
Python's default thresholds, and paused.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator

import numpy as np

import minigrad as mg
from bench import scalar
from bench.timing import Check, fmt_us, interleaved_medians, markdown_table
from minigrad import collector

SIZES = [(1,), (32, 128), (256, 256)]
CHAIN_TARGET_S = 0.5  # forward + backward of a 100k-node chain
OP_TARGET_RATIO = 2.0  # elementwise ops at (32, 128)
ELEMENTWISE = ("add", "mul", "tanh")
FLAT_TARGET = 2.0  # time per node, largest chain / 1k chain (quadratic cost would be ~1000)


CHAIN_OPS = 16  # ops per measured program, so one backward call is amortised


def _op_cases(shape: tuple[int, ...], rng: np.random.Generator) -> dict[str, tuple]:
    """name -> (minigrad, numpy) closures: CHAIN_OPS applications of the op, then backward.

    numpy runs the same forward and the backward written by hand, keeping the
    intermediates that backward needs, as a hand-written training step would.
    """
    a = rng.standard_normal(shape)
    c = 1 + 0.01 * rng.standard_normal(shape)  # keeps repeated products finite
    g = rng.standard_normal(shape)
    q = np.linalg.qr(rng.standard_normal((shape[-1], shape[-1])))[0]
    x = mg.Tensor(a, requires_grad=True)
    y = mg.Tensor(c, requires_grad=True)
    w = mg.Tensor(q, requires_grad=True)

    def program(step: Callable[[mg.Tensor], mg.Tensor]) -> Callable[[], None]:
        def run() -> None:
            x.grad = y.grad = w.grad = None
            h = x
            for _ in range(CHAIN_OPS):
                h = step(h)
            h.backward(g)

        return run

    def np_add() -> None:
        h = a
        for _ in range(CHAIN_OPS):
            h = h + c
        dc = np.zeros_like(c)
        for _ in range(CHAIN_OPS):
            dc += g  # dL/dh passes through unchanged
        _ = g.copy(), dc

    def np_mul() -> None:
        hs = [a]
        for _ in range(CHAIN_OPS):
            hs.append(hs[-1] * c)
        dh, dc = g, np.zeros_like(c)
        for h in reversed(hs[:-1]):
            dc += dh * h
            dh = dh * c

    def np_tanh() -> None:
        hs = [a]
        for _ in range(CHAIN_OPS):
            hs.append(np.tanh(hs[-1]))
        dh = g
        for out in reversed(hs[1:]):
            dh = dh * (1 - out * out)

    def np_matmul() -> None:
        hs = [a]
        for _ in range(CHAIN_OPS):
            hs.append(hs[-1] @ q)
        dh, dq = g, np.zeros_like(q)
        for h in reversed(hs[:-1]):
            dq += h.T @ dh
            dh = dh @ q.T

    return {
        "add": (program(lambda h: h + y), np_add),
        "mul": (program(lambda h: h * y), np_mul),
        "tanh": (program(lambda h: h.tanh()), np_tanh),
        "matmul": (program(lambda h: h @ w), np_matmul),
    }


def op_table(repeats: int) -> tuple[str, float]:
    """Markdown table of per-op ratios; returns it and the worst elementwise ratio at (32, 128)."""
    rng = np.random.default_rng(0)
    rows, worst = [], 0.0
    for shape in SIZES:
        for name, (mine, ref) in _op_cases(shape, rng).items():
            t = interleaved_medians({"minigrad": mine, "numpy": ref}, repeats=repeats)
            ratio = t["minigrad"] / t["numpy"]
            if shape == (32, 128) and name in ELEMENTWISE:
                worst = max(worst, ratio)
            rows.append(
                [name, str(shape), fmt_us(t["minigrad"]), fmt_us(t["numpy"]), f"{ratio:.2f}x"]
            )
    header = ["op (x16, fwd+bwd)", "shape", "minigrad", "numpy", "ratio"]
    return markdown_table(header, rows), worst


COLLECTORS = ("as imported", "python", "paused")  # the collector during a chain's forward


@contextlib.contextmanager
def _collector(mode: str) -> Iterator[None]:
    """The collector as importing minigrad left it, at Python's default thresholds, or paused."""
    if mode not in COLLECTORS:
        raise ValueError(f"chain: mode must be one of {COLLECTORS}, got {mode!r}")
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    if mode == "python":
        gc.set_threshold(*collector.PYTHON_DEFAULTS)
    elif mode == "paused":
        gc.disable()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if enabled:
            gc.enable()


def chain(n: int, mode: str = "as imported", engine: str = "minigrad") -> tuple[float, float]:
    """Seconds for forward and backward of ``h = h * 1.0`` repeated n times.

    ``mode`` is the collector during the forward (``COLLECTORS``);
    ``engine="closures"`` runs the chain on ``bench.scalar.Value``.
    """
    x = mg.Tensor(1.0, requires_grad=True) if engine == "minigrad" else scalar.Value(1.0)
    with _collector(mode):
        start = time.perf_counter()
        h = x
        for _ in range(n):
            h = h * 1.0
        middle = time.perf_counter()
    h.backward()
    return middle - start, time.perf_counter() - middle


def chain_table(lengths: list[int]) -> tuple[str, list[Check]]:
    """Markdown table of chain timings and the 100k-node and flatness checks."""
    rows, per_node = [], {}
    total_100k = float("nan")
    for n in lengths:
        tries = 3 if n <= 100_000 else 1
        fwd, bwd = min(chain(n) for _ in range(tries))
        fwd_python = min(chain(n, "python")[0] for _ in range(tries))
        fwd_paused = min(chain(n, "paused")[0] for _ in range(tries))
        closures = min(sum(chain(n, engine="closures")) for _ in range(tries))
        per_node[n] = (fwd + bwd) / n
        if n == 100_000:
            total_100k = fwd + bwd
        row = [f"{n:,}", f"{fwd:.3f} s", f"{fwd_python:.3f} s", f"{fwd_paused:.3f} s"]
        rows.append(row + [f"{bwd:.3f} s", fmt_us(per_node[n]), f"{closures:.3f} s"])
    largest = max(lengths)
    checks = [
        Check(
            f"100k-node chain, forward + backward < {CHAIN_TARGET_S} s",
            total_100k,
            CHAIN_TARGET_S,
            " s",
        ),
        Check(
            f"chain time per node, {largest:,} / 1,000 nodes <= {FLAT_TARGET}",
            per_node[largest] / per_node[1_000],
            FLAT_TARGET,
        ),
    ]
    header = ["nodes", "forward", "forward, Python's GC thresholds", "forward, GC paused"]
    header += ["backward", "per node (fwd + bwd)", "closure engine (fwd + bwd)"]
    return markdown_table(header, rows), checks


def run(quick: bool = False) -> tuple[str, list[Check]]:
    """The engine section of the benchmark report (markdown) and its checks."""
    ops, worst = op_table(repeats=15 if quick else 101)
    lengths = [1_000, 10_000, 100_000] + ([] if quick else [1_000_000])
    chains, checks = chain_table(lengths)
    moons, moons_checks = scalar.run(quick)
    checks = moons_checks + checks
    checks.insert(
        0,
        Check(
            f"elementwise ops at (32, 128), worst of {', '.join(ELEMENTWISE)} "
            f"<= {OP_TARGET_RATIO}x numpy",
            worst,
            OP_TARGET_RATIO,
        ),
    )
    text = "\n\n".join(
        [
            "## Engine: per-op forward + backward, minigrad vs numpy",
            ops,
            "## Engine: chains `h = h * 1.0` (forward + backward)",
            chains,
            moons,
        ]
    )
    return text, checks
