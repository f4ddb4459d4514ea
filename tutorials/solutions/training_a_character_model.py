"""Tutorial 10's exercise: greedy.

`model.step` takes a batch of token ids, here a batch of one, and returns
the new state and the logits (B, vocabulary). After the prefix, the last
logits predict the first new character; each chosen character is fed back
to predict the next.
"""

import numpy as np

import minigrad as mg


def greedy(model, vocab, prefix, n):
    chosen = []
    with mg.no_grad():
        state = None
        for token in vocab.encode(prefix):
            state, logits = model.step(np.array([token]), state)
        for _ in range(n):
            chosen.append(int(logits.data[0].argmax()))
            state, logits = model.step(np.array(chosen[-1:]), state)
    return vocab.decode(np.array(chosen))
