"""Figures of training: the loss curve and the ||dL/dh_t|| profile (matplotlib, Agg).

matplotlib is an optional dependency (``pip install -e '.[plot]'``); it is
imported here only, with the file-writing Agg backend, so no display is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "plots need matplotlib: pip install -e '.[plot]' (in the minigrad checkout)"
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def loss_curve(
    loss: list[float],
    path: str | Path,
    vocab_size: int | None = None,
    smoothed: np.ndarray | None = None,
) -> Path:
    """Loss per step (and its moving average), with ln(vocab) as the chance level."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(np.arange(1, len(loss) + 1), loss, lw=0.8, alpha=0.5, label="loss per step")
    if smoothed is not None:
        ax.plot(np.arange(1, len(smoothed) + 1), smoothed, lw=2, label="moving average")
    if vocab_size:
        chance = math.log(vocab_size)
        ax.axhline(chance, ls="--", c="grey", label=f"ln(vocab) = {chance:.2f} (uniform guess)")
    ax.set(
        xlabel="training step",
        ylabel="cross-entropy (nats per character)",
        title="char-RNN training loss",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def grad_norm_profile(profiles: Mapping[str, np.ndarray], path: str | Path) -> Path:
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
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
