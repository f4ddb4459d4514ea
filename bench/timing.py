"""Side-by-side timing: interleaved repetitions, medians, ratios; machine description."""

from __future__ import annotations

import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def interleaved_medians(
    candidates: dict[str, Callable[[], object]], repeats: int = 21, warmup: int = 2
) -> dict[str, float]:
    """Median seconds of each candidate, run in turn (A, B, C, A, B, C, ...).

    Interleaving spreads any slow phase of the machine over all candidates
    instead of penalising whichever ran during it.
    """
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def peak_memory(fn: Callable[[], object]) -> int:
    """Peak bytes allocated (Python and numpy) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def page_faults(fn: Callable[[], object], repeats: int = 5) -> float | None:
    """Minor page faults per call of ``fn`` (first touches of fresh memory), or None off Unix.

    Each costs a trap into the kernel: a step that returns its memory to the
    OS and takes it back every time pays for it on every page.
    """
    try:
        import resource
    except ImportError:
        return None
    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(repeats):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / repeats


def blas_info() -> str:
    """BLAS library and thread count, via threadpoolctl when installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (threadpoolctl not installed)"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return (
        "; ".join(
            f"BLAS: {p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
            for p in pools
        )
        or "BLAS: none found"
    )


def machine() -> str:
    """One paragraph describing where the numbers were measured."""
    return (
        f"{platform.platform()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}; {blas_info()}"
    )


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} us"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """One target of the benchmark and what this run measured for it."""

    target: str  # e.g. "teaching float64: minigrad / reference <= 1.0"
    value: float
    limit: float
    unit: str = "x"

    @property
    def met(self) -> bool:
        return self.value <= self.limit

    def verdict(self) -> str:
        value = f"{self.value:.2f}{self.unit}"
        return f"{value} met" if self.met else f"{value} NOT met"
