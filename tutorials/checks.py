"""The report of an exercise check: every comparison runs, then one ✓/✗ table.

A check adds one row per quantity, from the output back to the inputs, and
calls ``done()``. Each row says ✓ or ✗ and the relative error

    rel(got, expected) = ‖got - expected‖ / (‖got‖ + ‖expected‖)

which is 0 for equal arrays, about 1e-16 for float64 rounding and 1 for
unrelated numbers. ``done()`` prints the table and "exercise check passed",
or raises an AssertionError whose message is the table, followed by what the
first wrong row expected and got.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

TOLERANCE = 1e-7  # float64 work agrees far better; a wrong formula is off by far more
NUMERIC_TOLERANCE = 1e-5  # central differences carry their own error (tutorial 4)


def rel_error(got: Any, expected: Any) -> float:
    """‖got - expected‖ / (‖got‖ + ‖expected‖), and 0 when both are zero."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    with np.errstate(all="ignore"):
        scale = np.linalg.norm(got) + np.linalg.norm(expected)
        error = float(np.linalg.norm(got - expected) / scale) if scale > 0 else 0.0
    return error if np.isfinite(error) else float("inf")


def central_differences(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """df/darray by (f(a + eps) - f(a - eps)) / 2eps, one entry at a time (f reads ``array``)."""
    grad = np.zeros_like(array, dtype=float)
    for index in np.ndindex(array.shape):
        kept = array[index]
        array[index] = kept + eps
        up = f()
        array[index] = kept - eps
        down = f()
        array[index] = kept
        grad[index] = (up - down) / (2 * eps)
    return grad


@dataclass
class Row:
    name: str
    ok: bool
    errors: str  # the relative error(s), or "" for a row without a number
    note: str = ""  # what was expected and what came, for a wrong row (lines)


def _number(value: Any) -> str:
    array = np.asarray(value)
    return f"{float(array):.6g}" if array.size == 1 else f"an array of shape {array.shape}"


def _first_difference(got: np.ndarray, expected: np.ndarray) -> str:
    """Where two same-shape arrays differ most, as 'at [i, j]: expected x, got y'."""
    if got.size == 1:
        return f"expected {float(expected):.6g}, got {float(got):.6g}"
    index = np.unravel_index(int(np.argmax(np.abs(got - expected))), got.shape)
    where = ", ".join(str(int(i)) for i in index)
    return f"largest difference at [{where}]: expected {expected[index]:.6g}, got {got[index]:.6g}"


class Report:
    """The rows of one exercise check; ``done()`` prints them or fails with them."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[Row] = []
        self.has_numeric = False

    def compare(
        self,
        name: str,
        got: Any,
        expected: Any,
        numeric: Any = None,
        tol: float = TOLERANCE,
    ) -> bool:
        """A row: ``got`` against ``expected`` (and against central differences ``numeric``)."""
        got_array = np.asarray(got, dtype=float)
        expected_array = np.asarray(expected, dtype=float)
        if got_array.shape != expected_array.shape:
            note = f"expected shape {expected_array.shape}, got shape {got_array.shape}"
            self.rows.append(Row(name, False, "", note))
            return False
        error = rel_error(got_array, expected_array)
        ok = error <= tol
        errors = f"{error:10.1e}"
        if numeric is not None:
            self.has_numeric = True
            numeric_error = rel_error(got_array, numeric)
            ok = ok and numeric_error <= NUMERIC_TOLERANCE
            errors += f"   {numeric_error:10.1e}"
        note = "" if ok else _first_difference(got_array, expected_array)
        self.rows.append(Row(name, ok, errors, note))
        return ok

    def sequence(
        self, name: str, got: Sequence[Any], expected: Sequence[Any], steps: Sequence[Any]
    ) -> bool:
        """One row for a sequence (losses, norms over t): it names the first step that is wrong."""
        if len(got) != len(expected):
            self.rows.append(
                Row(name, False, "", f"expected {len(expected)} values, got {len(got)}")
            )
            return False
        errors = [rel_error(g, e) for g, e in zip(got, expected, strict=True)]
        wrong = [i for i, error in enumerate(errors) if not error <= TOLERANCE]
        if not wrong:
            self.rows.append(Row(name, True, f"{max(errors, default=0.0):10.1e}"))
            return True
        i = wrong[0]
        note = (
            f"first wrong at {steps[i]}: expected {_number(expected[i])}, got {_number(got[i])}"
            f" ({len(wrong)} of {len(got)} wrong)"
        )
        self.rows.append(Row(name, False, f"{errors[i]:10.1e}", note))
        return False

    def condition(self, name: str, ok: bool, expected: Any, got: Any) -> bool:
        """A row without a number: a count, a shape, a property."""
        self.rows.append(Row(name, bool(ok), "", "" if ok else f"expected {expected}, got {got}"))
        return bool(ok)

    def raised(self, name: str, err: Exception) -> None:
        """A row for a comparison whose answer raised instead of returning."""
        self.rows.append(
            Row(name, False, "", f"expected an array, got {type(err).__name__}: {err}")
        )

    def runs(self, name: str, test: Callable[[], Any]) -> bool:
        """A row for a check that raises AssertionError (gradcheck, Hypothesis) when it fails."""
        try:
            test()
        except AssertionError as err:
            lines = str(err).strip().splitlines()
            self.rows.append(Row(name, False, "", "\n".join(lines[:4])))
            return False
        self.rows.append(Row(name, True, ""))
        return True

    def table(self) -> str:
        width = max(len(row.name) for row in self.rows)
        head = "rel. error" if any(row.errors for row in self.rows) else ""
        head += "   vs central differences" if self.has_numeric else ""
        lines = [self.title, f"     {'':{width}}  {head}"]
        for row in self.rows:
            mark = "✓" if row.ok else "✗"
            line = f"  {mark}  {row.name:{width}}  {row.errors:{len(head)}}"
            first, *more = row.note.splitlines() or [""]
            lines.append(f"{line}  {first}".rstrip())
            lines += [f"        {text}" for text in more]  # a long note, such as gradcheck's table
        return "\n".join(lines)

    def done(self, hint: str = "") -> None:
        """Print the table and "exercise check passed", or raise it as an AssertionError."""
        wrong = [row for row in self.rows if not row.ok]
        if wrong:
            summary = f"{len(wrong)} of {len(self.rows)} wrong; first: {wrong[0].name}"
            raise AssertionError("\n".join(filter(None, [self.table(), summary, hint])))
        print(self.table())
        print("exercise check passed")
