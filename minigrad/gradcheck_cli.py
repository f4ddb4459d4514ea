"""``python -m minigrad gradcheck``: every op in ``minigrad.op_table.OPS``, checked.

For each op, Hypothesis draws ``--examples`` valid inputs (deterministic for a
given ``--seed``); each is run through ``gradcheck`` (first order) and, where
the row asks for it, ``gradgradcheck`` (second order). The table shows the
largest disagreement between backward and central differences along random
directions, and a ✓/✗ per order. The exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable

from . import op_table
from .gradcheck import gradcheck, gradgradcheck, numerical_grad
from .op_table import OpCase, OpSpec

DEFAULT_EXAMPLES = 20
DESCRIPTION = (
    "Check every op's first and second derivatives against central differences on "
    "Hypothesis-drawn inputs; exit status 1 if any check fails."
)


@dataclass
class OpReport:
    """What the checks found for one op; ``second_ok`` is None when not checked."""

    name: str
    cases: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    first_ok: bool = True
    second_ok: bool | None = True
    failure: str = ""

    @property
    def passed(self) -> bool:
        return self.first_ok and self.second_ok is not False

    def fail(self, order: int, message: str) -> None:
        if order == 1:
            self.first_ok = False
        else:
            self.second_ok = False
        self.failure = self.failure or message


def measure_errors(spec: OpSpec, case: OpCase, seed: int) -> tuple[float, float]:
    """Largest abs and rel error of d sum(w * y) / dx_i along a random direction per input.

    rel err = |analytic - numeric| / max(|numeric|, 1e-8).
    """
    rng = np.random.default_rng(seed)
    fn, leaves = spec.bind(case), spec.leaves(case)
    y = fn(*leaves)
    weights = rng.standard_normal(y.shape)
    y.backward(weights)
    worst_abs = worst_rel = 0.0
    for i, x in enumerate(leaves):
        direction = rng.standard_normal(x.shape)
        analytic = 0.0 if x.grad is None else float(np.sum(x.grad.data * direction))
        numeric = numerical_grad(fn, leaves, i, direction, weights, spec.eps)
        err = abs(analytic - numeric)
        worst_abs, worst_rel = max(worst_abs, err), max(worst_rel, err / max(abs(numeric), 1e-8))
    return worst_abs, worst_rel


def check_case(spec: OpSpec, case: OpCase, report: OpReport, seed: int) -> None:
    """Run both orders of checks on one drawn case and fold the outcome into ``report``."""
    report.cases += 1
    fn = spec.bind(case)
    checks = [(1, gradcheck)] + ([(2, gradgradcheck)] if spec.second_order else [])
    for order, check in checks:
        try:
            check(fn, *spec.leaves(case), eps=spec.eps, seed=seed)
        except Exception as err:  # a crashing op is a failed check, reported in the table
            report.fail(order, f"{type(err).__name__}: {err}\n  on {case}")
    try:
        abs_err, rel_err = measure_errors(spec, case, seed)
    except Exception as err:
        report.fail(1, f"{type(err).__name__}: {err}\n  on {case}")
        return
    report.max_abs, report.max_rel = max(report.max_abs, abs_err), max(report.max_rel, rel_err)


def check_op(spec: OpSpec, examples: int, seed: int) -> OpReport:
    """Draw ``examples`` cases of ``spec`` with Hypothesis (seeded) and check each."""
    report = OpReport(spec.name, second_ok=True if spec.second_order else None)

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(spec.strategy())
    def run_all(case: OpCase) -> None:
        check_case(spec, case, report, seed)

    try:
        run_all()
    except Unsatisfiable:
        report.fail(1, "Hypothesis found no inputs inside the op's domain")
    return report


def _mark(ok: bool | None) -> str:
    return "-" if ok is None else "✓" if ok else "✗"


def format_table(reports: list[OpReport]) -> str:
    """The results as a fixed-width table, followed by the first failure of each failing op."""
    lines = [f"{'op':<20}{'cases':>6}{'max abs err':>13}{'max rel err':>13}{'1st':>5}{'2nd':>5}"]
    for r in reports:
        lines.append(
            f"{r.name:<20}{r.cases:>6}{r.max_abs:>13.2e}{r.max_rel:>13.2e}"
            f"{_mark(r.first_ok):>5}{_mark(r.second_ok):>5}"
        )
    failed = [r for r in reports if not r.passed]
    lines.append("(errors: first derivative vs central differences, along random directions)")
    lines.append("")
    lines.append(
        f"{len(failed)} of {len(reports)} ops failed"
        if failed
        else f"all {len(reports)} ops passed ({sum(r.cases for r in reports)} cases)"
    )
    lines.extend(f"\n{r.name}: {r.failure}" for r in failed)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Check the chosen ops, print the table; 0 if all passed, else 1."""
    names = args.op or [spec.name for spec in op_table.OPS]
    by_name = {spec.name: spec for spec in op_table.OPS}
    reports = [check_op(by_name[name], args.examples, args.seed) for name in names]
    print(format_table(reports))
    return 0 if all(r.passed for r in reports) else 1


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _seed(text: str) -> int:
    """A seed numpy and Hypothesis both accept: an integer >= 0."""
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--op",
        action="append",
        metavar="NAME",
        choices=[spec.name for spec in op_table.OPS],
        help="check only this op (repeatable); names are the rows of minigrad.op_table.OPS",
    )
    parser.add_argument(
        "--examples",
        type=_positive_int,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=f"Hypothesis examples per op (default {DEFAULT_EXAMPLES})",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, metavar="S", help="random seed (default 0)"
    )
    parser.set_defaults(run=run)


def add_parser(subparsers: Any) -> None:
    """Register the ``gradcheck`` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "gradcheck",
        help="check every op's gradients against finite differences",
        description=DESCRIPTION,
    )
    _add_arguments(parser)


def main(argv: list[str] | None = None) -> int:
    """Run the ``gradcheck`` subcommand on its own arguments (no subcommand name)."""
    parser = argparse.ArgumentParser(prog="python -m minigrad gradcheck", description=DESCRIPTION)
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
