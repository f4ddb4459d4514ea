"""Which time steps a diagram draws: all of them, a slice, or both ends around an ellipsis."""

from __future__ import annotations

import numpy as np

MAX_STEPS = 8  # drawn in full by default; longer sequences show the ends around an ellipsis


class DiagramError(ValueError):
    """``rnn.diagram`` was given a view, model or input it cannot draw."""


def shown_steps(T: int, steps: int | slice | None) -> list[int | None]:
    """The time steps to draw (1-based, in order); None is the ellipsis.

    None: all of them up to MAX_STEPS, else the first 3 and the last 3;
    an int k: all if k >= T, else the first ceil(k/2) and the last floor(k/2);
    a slice of range(T): those steps.
    """
    if steps is None:
        steps = T if T <= MAX_STEPS else MAX_STEPS - 2
    if isinstance(steps, slice):
        picked = range(T)[steps]
        if len(picked) == 0 or picked.step != 1:
            raise DiagramError(
                f"rnn.diagram: steps={steps!r} must pick consecutive steps out of T={T}, "
                f"e.g. slice(0, {min(T, MAX_STEPS)})"
            )
        return [i + 1 for i in picked]
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise TypeError(
            f"rnn.diagram: steps must be None, an int or a slice, got {type(steps).__name__}"
        )
    if steps >= T:
        return list(range(1, T + 1))
    if steps < 2:
        raise DiagramError(f"rnn.diagram: steps={steps} must be >= 2 (the first and last step)")
    first, last = (steps + 1) // 2, steps // 2
    return [*range(1, first + 1), None, *range(T - last + 1, T + 1)]


def hidden_runs(shown: list[int | None], T: int) -> dict[str, range]:
    """The steps not drawn: ``before`` the first shown, in the ``gap``, ``after`` the last."""
    drawn = [t for t in shown if t is not None]
    runs = {"before": range(1, drawn[0]), "after": range(drawn[-1] + 1, T + 1)}
    if None in shown:
        i = shown.index(None)
        before, after = shown[i - 1], shown[i + 1]
        assert before is not None and after is not None
        runs["gap"] = range(before + 1, after)
    return {name: steps for name, steps in runs.items() if len(steps)}
