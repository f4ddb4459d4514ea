"""``python -m bench [--quick]``: the engine and RNN tables, printed and written to RESULTS.md.

Every figure is measured in this run. BLAS threads move results on small
machines, so the tables are produced with the default thread count and
limited to one thread (threadpoolctl); the allocator moves them too (fresh
pages cost a page fault each), so the RNN tables are repeated with glibc
keeping freed memory for reuse (``keep_freed_memory``). Each configuration
runs in its own process; the targets table on top gathers every target's
measurement in every configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import engine, rnn
from bench.timing import Check, blas_info, keep_freed_memory, machine, markdown_table

RESULTS = Path(__file__).with_name("RESULTS.md")


@contextlib.contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Limit BLAS to ``limit`` threads inside the block (None: leave as is)."""
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield


Config = tuple[str, str, int | None, bool]  # label, part, BLAS thread limit, keep freed memory

CONFIGS: list[Config] = [
    ("default threads", "engine", None, False),
    ("default threads", "rnn", None, False),
    ("1 thread", "rnn", 1, False),
    ("default threads, memory kept", "rnn", None, True),
    ("1 thread, memory kept", "rnn", 1, True),
]
PARTS = {"engine": engine.run, "rnn": rnn.run}


def summary(checks: dict[str, dict[str, Check]]) -> str:
    """One row per target, one column per configuration: the measured value and its verdict."""
    labels = list(dict.fromkeys(label for label, *_ in CONFIGS))
    targets = list(dict.fromkeys(t for by_target in checks.values() for t in by_target))
    measured = [checks.get(label, {}) for label in labels]
    rows = [
        [target] + [found[target].verdict() if target in found else "-" for found in measured]
        for target in targets
    ]
    return markdown_table(["target"] + labels, rows)


def measure_config(index: int, quick: bool) -> dict[str, Any]:
    """Run configuration ``index`` in this process: its tables and its checks (JSON-ready)."""
    label, part, limit, keep = CONFIGS[index]
    title = f"# {part.upper() if part == 'rnn' else part.capitalize()}, {label}"
    if keep and not keep_freed_memory():
        return {
            "text": f"{title}: skipped (not glibc; the allocator cannot be tuned)",
            "checks": [],
        }
    with blas_threads(limit):
        title += f" ({blas_info()})"
        text, checks = PARTS[part](quick=quick)
    return {"text": f"{title}\n\n{text}", "checks": [dataclasses.astuple(c) for c in checks]}


def report(quick: bool) -> str:
    """Every table of the benchmark, measured now, with the targets summarised on top.

    Each configuration runs in a fresh process: glibc adapts its thresholds to
    what a process has freed so far, so measuring one configuration after
    another in one process would let the first decide the page faults of the rest.
    """
    checks: dict[str, dict[str, Check]] = {}
    sections = []
    for index, (label, *_) in enumerate(CONFIGS):
        command = [sys.executable, "-m", "bench", "--config", str(index)]
        done = subprocess.run(
            command + (["--quick"] if quick else []), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"bench: configuration '{label}' failed:\n{done.stderr}")
        result = json.loads(done.stdout)
        sections.append(result["text"])
        found = (Check(*fields) for fields in result["checks"])
        checks.setdefault(label, {}).update({c.target: c for c in found})
    head = [
        "# Benchmark results",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on: {machine()}.",
        "Regenerate with `make bench`. Ratios are minigrad / baseline, medians of "
        "interleaved repetitions in one process.",
        CONFIG_NOTE,
        "## Targets",
        summary(checks),
    ]
    return "\n\n".join(head + sections) + "\n"


CONFIG_NOTE = (
    "Configurations, each in a fresh process: BLAS with its default thread count and "
    "limited to one thread (threadpoolctl); glibc's allocator as it comes, then told to "
    "keep freed memory for reuse instead of returning it to the OS after every step "
    "(`mallopt`, the same as `MALLOC_TRIM_THRESHOLD_` and `MALLOC_MMAP_THRESHOLD_` in the "
    "environment). Every configuration applies to all contenders alike. The engine "
    "tables depend little on these settings and are measured once, in a process of their own."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone"
    )
    parser.add_argument(
        "--config",
        type=int,
        choices=range(len(CONFIGS)),
        help="measure one configuration in this process and print it as JSON",
    )
    args = parser.parse_args(argv)
    if args.config is not None:
        print(json.dumps(measure_config(args.config, args.quick)))
        return 0
    text = report(args.quick)
    print(text)
    if not args.no_write:
        write_atomically(RESULTS, text)
        print(f"wrote {RESULTS}")
    return 0


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file next to ``path``, then rename it over ``path``."""
    partial = path.with_suffix(".tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())
