"""Sampling text from a trained model: feed a prefix, then draw one token at a time.

p(next = k) = softmax(o / temperature)_k, with o = V h_t + c the logits. A low
temperature sharpens the distribution (towards argmax), a high one flattens it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad as mg

if TYPE_CHECKING:
    from .model import Recurrent


def _encode(model: Recurrent, prefix: str | list[int]) -> list[int]:
    if isinstance(prefix, str):
        if model.vocab is None:
            raise ValueError(
                "sample: a string prefix needs a model with a vocab; pass token ids instead"
            )
        index = {token: i for i, token in enumerate(model.vocab)}
        unknown = sorted({ch for ch in prefix if ch not in index})
        if unknown:
            raise ValueError(f"sample: prefix has characters outside the vocabulary: {unknown}")
        return [index[ch] for ch in prefix]
    return [int(i) for i in prefix]


def probabilities(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature), shifted by the maximum so nothing overflows.

    The shift comes before the division: at a tiny temperature (1e-320) the
    quotients themselves overflow, to -inf below the maximum, where exp gives 0.
    """
    shifted = logits.astype(np.float64) - logits.max()
    with np.errstate(over="ignore", divide="ignore"):
        e = np.exp(shifted / temperature)
    return e / e.sum()


@mg.no_grad()
def sample(
    model: Recurrent, prefix: str | list[int], n: int, temperature: float, rng: np.random.Generator
) -> Any:
    """``n`` new tokens after ``prefix`` (a string if the prefix was a string)."""
    if not temperature > 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature}")
    if n < 0:
        raise ValueError(f"sample: n must be >= 0, got {n}")
    if model.cell.input_size != model.output_size:
        raise ValueError(
            f"sample: feeding outputs back needs input_size == output_size, got "
            f"{model.cell.input_size} and {model.output_size}"
        )
    ids = _encode(model, prefix)
    if not ids:
        raise ValueError("sample: the prefix must hold at least one token")
    out = model.unroll(np.asarray(ids).reshape(-1, 1))
    state, logits = out.state, out.logits.data[-1, 0]
    drawn: list[int] = []
    for _ in range(n):
        drawn.append(int(rng.choice(len(logits), p=probabilities(logits, temperature))))
        state, step_logits = model.step(np.asarray(drawn[-1:]), state)
        logits = step_logits.data[0]
    if isinstance(prefix, str):
        assert model.vocab is not None
        return "".join(model.vocab[i] for i in drawn)
    return drawn
