"""Figures of training: the loss curves and the ||dL/dh_t|| profile (matplotlib).

Each function returns the matplotlib ``Figure``, so a notebook cell that ends
with the call shows it inline; ``path`` also saves it (PNG, SVG, ... by its
suffix). The figure is closed in pyplot right away: it is shown once, where it
is returned, and never pops up a window in a script.

matplotlib is an optional dependency (``pip install -e '.[plot]'``), imported
here only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plots need matplotlib: pip install -e '.[plot]' (in the minigrad checkout)"
        ) from None
    return plt


def _finish(fig: Figure, path: str | Path | None) -> Figure:
    """Lay out, save if asked, and hand the figure over (closed in pyplot)."""
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return fig


def loss_curve(
    loss: Sequence[float],
    path: str | Path | None = None,
    vocab_size: int | None = None,
    smoothed: np.ndarray | None = None,
    validation: Sequence[tuple[int, float]] = (),
    unigram: float | None = None,
) -> Figure:
    """Training loss per step (and its moving average), the validation loss at its steps.

    ``validation``: (step, loss) pairs, as in ``History.validation``. Reference
    lines: ln(vocab_size), the uniform guess, and ``unigram``, the loss of
    the character-frequency guess (ln of ``data.unigram_perplexity``).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(np.arange(1, len(loss) + 1), loss, lw=0.8, alpha=0.4, label="training loss per step")
    if smoothed is not None:
        ax.plot(np.arange(1, len(smoothed) + 1), smoothed, lw=2, label="training, moving average")
    if validation:
        steps, values = zip(*validation, strict=True)
        ax.plot(steps, values, "o-", lw=2, ms=4, c="C3", label="validation (held-out text)")
    if vocab_size:
        chance = math.log(vocab_size)
        ax.axhline(chance, ls="--", c="grey", label=f"ln(vocab) = {chance:.2f} (uniform guess)")
    if unigram is not None:
        ax.axhline(unigram, ls=":", c="k", label=f"unigram = {unigram:.2f} (character frequencies)")
    ax.set(
        xlabel="training step",
        ylabel="cross-entropy (nats per character)",
        title="char-RNN loss",
    )
    ax.legend()
    return _finish(fig, path)


def grad_norm_profile(profiles: Mapping[str, np.ndarray], path: str | Path | None = None) -> Figure:
    """||dL_T/dh_t|| against t for each labelled run, on a log scale."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, norms in profiles.items():
        ax.semilogy(
            np.arange(1, len(norms) + 1), np.maximum(norms, 1e-300), marker=".", label=label
        )
    ax.set(
        xlabel="time step t",
        ylabel="||dL_T / dh_t||",
        title="How much of the last step's loss reaches h_t",
    )
    ax.legend()
    return _finish(fig, path)
