"""``python -m bench [--quick]``: the engine and RNN tables, printed and written to RESULTS.md.

Every figure is measured in this run, each configuration in a fresh process
started with the default environment (no ``MALLOC_*`` variables): as a learner's
``python train.py`` runs, where importing minigrad sets glibc up to keep freed
memory (``minigrad/memory.py``). The RNN tables are repeated with BLAS limited
to one thread (threadpoolctl; small machines move with the thread count), with
glibc left as it comes (``MINIGRAD_KEEP_MEMORY=0``), and, in a process of
their own, beside the other libraries of ``bench/peers.py`` where installed
(one thread for every library, so that their thread pools do not fight over
the cores). The targets table on top gathers every target's measurement in
every configuration.
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

import minigrad
from bench import engine, peers, render, rnn
from bench.timing import Check, blas_info, machine, markdown_table

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


@dataclasses.dataclass(frozen=True)
class Config:
    """One configuration: what it measures, and how its process is set up."""

    label: str
    part: str  # "engine", "render" or "rnn"
    threads: int | None = None  # thread limit for BLAS (and PyTorch); None: as they come
    env: tuple[tuple[str, str], ...] = ()  # set in the configuration's process
    with_peers: bool = False


CONFIGS = [
    Config("default", "engine"),
    Config("default", "render"),
    Config("default", "rnn"),
    Config("1 thread", "rnn", threads=1),
    Config("glibc as it comes", "rnn", env=(("MINIGRAD_KEEP_MEMORY", "0"),)),
    Config("beside peers, 1 thread", "rnn", threads=1, with_peers=True),
]
CHOSEN_BY_GLIBC = ("MALLOC_",)  # environment variables a configuration's process starts without


def summary(checks: dict[str, dict[str, Check]]) -> str:
    """One row per target, one column per configuration: the measured value and its verdict."""
    labels = list(dict.fromkeys(config.label for config in CONFIGS))
    targets = list(dict.fromkeys(t for by_target in checks.values() for t in by_target))
    measured = [checks.get(label, {}) for label in labels]
    rows = [
        [target] + [found[target].verdict() if target in found else "-" for found in measured]
        for target in targets
    ]
    return markdown_table(["target"] + labels, rows)


def measure_config(index: int, quick: bool) -> dict[str, Any]:
    """Run configuration ``index`` in this process: its tables and its checks (JSON-ready)."""
    config = CONFIGS[index]
    kept = "kept" if minigrad.memory.KEPT else "as it comes"
    title = f"# {config.part.upper() if config.part == 'rnn' else config.part.capitalize()}"
    with blas_threads(config.threads):
        title += f", {config.label} ({blas_info()}; freed memory {kept})"
        if config.part == "engine":
            text, checks = engine.run(quick=quick)
        elif config.part == "render":
            text, checks = render.run(quick=quick)
        else:
            if config.threads is not None:
                peers.limit_threads(config.threads)
            text, checks = rnn.run(quick=quick, with_peers=config.with_peers)
    return {"text": f"{title}\n\n{text}", "checks": [dataclasses.astuple(c) for c in checks]}


def config_env(config: Config) -> dict[str, str]:
    """The environment a configuration's process starts with: ours, minus glibc's tuning
    and minigrad's opt-outs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CHOSEN_BY_GLIBC)}
    env.pop(minigrad.memory.OPT_OUT, None)
    env.pop(minigrad.collector.OPT_OUT, None)
    return {**env, **dict(config.env)}


def report(quick: bool) -> str:
    """Every table of the benchmark, measured now, with the targets summarised on top.

    Each configuration runs in a fresh process: glibc adapts its thresholds to
    what a process has freed so far, so measuring one configuration after
    another in one process would let the first decide the page faults of the rest.
    """
    checks: dict[str, dict[str, Check]] = {}
    sections = []
    for index, config in enumerate(CONFIGS):
        label = config.label
        command = [sys.executable, "-m", "bench", "--config", str(index)]
        done = subprocess.run(
            command + (["--quick"] if quick else []),
            capture_output=True,
            text=True,
            check=False,
            env=config_env(config),
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
        "interleaved repetitions in one process." + (QUICK_NOTE if quick else ""),
        CONFIG_NOTE,
        "## Targets",
        summary(checks),
    ]
    return "\n\n".join(head + sections) + "\n"


QUICK_NOTE = (
    " This was a quick run (`python -m bench --quick`): few repetitions and no 1M-node "
    "chain, so single ratios can be off by more than usual."
)
CONFIG_NOTE = (
    "Configurations, each in a fresh process started without `MALLOC_*` variables: "
    "**default** is a plain `python` process (importing minigrad keeps freed memory for "
    "reuse, `minigrad/memory.py`, and makes the garbage collector run less often, "
    "`minigrad/collector.py`) with BLAS's default thread count; **1 thread** limits BLAS "
    "to one thread (threadpoolctl); **glibc as it comes** sets `MINIGRAD_KEEP_MEMORY=0`; "
    "**beside peers** adds PyTorch and HIPS autograd where installed (`pip install -e "
    "'.[bench]'`), every library on one thread. A setting of the process applies to all "
    "contenders in it alike. The engine tables are measured once, in a process of their own."
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
