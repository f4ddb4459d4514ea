"""How well a trained model predicts text it reads, and whether what it writes is words.

``evaluate(model, held_out)`` is the validation loss that ``train`` records;
exp of it is the perplexity, the number of characters the model hesitates
between on average. ``rnn.data.unigram_perplexity`` is the baseline.
``word_share(samples, text)`` counts how many of the words a model wrote are
real: they occur in ``text``, the text it learned from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

import minigrad as mg

from .data import CharDataset
from .model import Recurrent, sequence_loss


@mg.no_grad()
def evaluate(model: Recurrent, data: CharDataset, streams: int = 32, chunk: int = 256) -> float:
    """Mean cross-entropy (nats per character) of ``model`` over all of ``data``.

    The text is cut into ``streams`` contiguous pieces read side by side, each
    from a zero state carried across chunks of ``chunk`` steps (memory stays
    O(streams * chunk)), so every character but at most ``streams - 1`` at the
    end is predicted once: loss = -(1/N) sum_i log p(x_{i+1} | x_1 .. x_i).
    """
    if not isinstance(data, CharDataset):
        raise TypeError(f"evaluate: expected a CharDataset, got {type(data).__name__}")
    for name, value in (("streams", streams), ("chunk", chunk)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"evaluate: {name} must be an int, got {value!r}")
        if value < 1:
            raise ValueError(f"evaluate: {name} must be >= 1, got {value}")
    n = len(data.ids) - 1
    if n < 1:
        raise ValueError("evaluate: the text needs at least 2 characters (an input and a target)")
    streams = min(streams, n)
    length = n // streams
    inputs = data.ids[: streams * length].reshape(streams, length).T
    targets = data.ids[1 : streams * length + 1].reshape(streams, length).T
    state, total = None, 0.0
    for start in range(0, length, chunk):
        out = model.unroll(inputs[start : start + chunk], state)
        ys = targets[start : start + chunk]
        total += sequence_loss(out.logits, ys).item() * ys.size
        state = out.state
    return total / (streams * length)


WORD = re.compile(r"[A-Za-z]+")


def word_share(samples: Iterable[str], text: str, min_length: int = 3) -> float:
    """The share of the words in ``samples`` that occur in ``text``: real words, not invented ones.

    The words of a sample are its tokens (split at white space) made only of
    the letters A-Z, a-z, at least ``min_length`` of them (shorter ones are
    often real by chance; tokens with digits or punctuation are left out). A
    word occurs in ``text`` if it is one of its runs of letters; case counts.
    """
    known = set(WORD.findall(text))
    words = [w for sample in samples for w in sample.split() if WORD.fullmatch(w)]
    words = [w for w in words if len(w) >= min_length]
    if not words:
        raise ValueError(f"word_share: the samples hold no word of {min_length}+ letters")
    return sum(w in known for w in words) / len(words)
