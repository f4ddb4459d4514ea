"""The models and the data that tutorials 8 and 9 measure gradients on.

``make_model(activation, rho)`` is a vanilla ``rnn.RNN`` whose recurrent
matrix W is a random orthogonal matrix scaled by ρ, so that its spectral norm
and its spectral radius are both ρ: ‖W‖₂ = ρ(W) = ρ (tutorial 8 says why).
``xs`` and ``targets`` are one batch of random sequences, T steps of BATCH
characters from a vocabulary of VOCAB, with a random target at every step.
"""

from __future__ import annotations

import numpy as np

import rnn

VOCAB, HIDDEN, T, BATCH = 8, 32, 40, 4


def make_model(activation: str, rho: float) -> rnn.RNN:
    """The RNN (seed 1) with g1 = ``activation`` ("tanh" or "relu") and W scaled by ``rho``."""
    model = rnn.RNN(VOCAB, HIDDEN, VOCAB, activation=activation, seed=1)
    model.W.data *= rho
    return model


_rng = np.random.default_rng(0)
xs = _rng.integers(0, VOCAB, size=(T, BATCH))
targets = _rng.integers(0, VOCAB, size=(T, BATCH))
