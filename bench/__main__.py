"""``python -m bench [--quick]``: the engine and RNN tables, printed and written to RESULTS.md.

Every figure is measured in this run. BLAS threads move results on small
machines, so the tables are produced with the default thread count and
limited to one thread (threadpoolctl); the allocator moves them too (fresh
pages cost a page fault each), so the last section repeats the tables with
glibc keeping freed memory for reuse (``keep_freed_memory``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench import engine, rnn
from bench.timing import keep_freed_memory, machine

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


def report(quick: bool) -> str:
    sections = [
        "# Benchmark results",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on: {machine()}.",
        "Regenerate with `make bench`. Ratios are minigrad / baseline, medians of "
        "interleaved repetitions in one process.",
    ]
    for label, limit in (("default BLAS threads", None), ("BLAS limited to 1 thread", 1)):
        with blas_threads(limit):
            sections.append(f"# With {label}, default allocator")
            sections.append(engine.run(quick=quick))
            sections.append(rnn.run(quick=quick))
    if keep_freed_memory():
        with blas_threads(1):
            sections.append("# With BLAS limited to 1 thread, glibc keeping freed memory")
            sections.append(engine.run(quick=quick))
            sections.append(rnn.run(quick=quick))
    return "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone"
    )
    args = parser.parse_args(argv)
    text = report(args.quick)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
