"""The training record: per-step loss and gradient norm, validation losses, samples.

``train`` returns a ``History``; a checkpoint stores it as ``History.to_dict()``
and a resumed run carries it on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def perplexity(loss: float) -> float:
    """exp(loss), the effective number of equally likely next tokens; inf past the float range.

    A diverging run's loss passes log(max float) ~ 709.8, where ``math.exp``
    raises OverflowError; its perplexity is then reported as inf.
    """
    try:
        return math.exp(loss)
    except OverflowError:
        return math.inf


@dataclass
class History:
    """Per-step training record: mean loss and global gradient norm (before clipping)."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    validation: list[tuple[int, float]] = field(default_factory=list)  # (step, loss)
    samples: list[tuple[int, str]] = field(default_factory=list)  # (step, text)

    def append(self, loss: float, grad_norm: float) -> None:
        self.loss.append(loss)
        self.grad_norm.append(grad_norm)

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def perplexity(self) -> list[float]:
        """exp(loss) of every step (``perplexity``): floats, inf where exp overflows."""
        return [perplexity(x) for x in self.loss]

    @property
    def validation_perplexity(self) -> list[tuple[int, float]]:
        """(step, exp(validation loss)) for every evaluation; inf where exp overflows."""
        return [(step, perplexity(loss)) for step, loss in self.validation]

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Moving average of the loss over ``window`` steps (shorter at the start).

        Each window is summed on its own, not as a difference of running sums,
        so a spike of 1e25 cannot cancel the later, smaller losses away.
        """
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"History.smoothed: window must be an int >= 1, got {window!r}")
        loss = np.asarray(self.loss, dtype=np.float64)
        if loss.size == 0:
            return loss
        padded = np.concatenate([np.zeros(window - 1), loss])
        sums = np.lib.stride_tricks.sliding_window_view(padded, window).sum(axis=1)
        return sums / np.minimum(np.arange(1, loss.size + 1), window)

    def to_dict(self) -> dict[str, list[Any]]:
        return {
            "loss": list(self.loss),
            "grad_norm": list(self.grad_norm),
            "validation": [list(pair) for pair in self.validation],
            "samples": [list(pair) for pair in self.samples],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(
            [float(x) for x in d["loss"]],
            [float(x) for x in d["grad_norm"]],
            [(int(step), float(loss)) for step, loss in d.get("validation", [])],
            [(int(step), str(text)) for step, text in d.get("samples", [])],
        )
