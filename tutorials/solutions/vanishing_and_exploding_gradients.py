"""Tutorial 8's exercise: gradient_profile.

The derivative of tanh at a is 1 - tanh(a)² = 1 - h²; ReLU's is 1 where
h > 0 and 0 elsewhere. Start from δh_T and walk back: each step multiplies
elementwise by g1' and then by W (row form: δa W, the transpose of Wᵀ δa).
"""

import numpy as np


def gradient_profile(W, hs, dh_last, activation):
    derivative = 1 - hs**2 if activation == "tanh" else (hs > 0).astype(float)
    dh = dh_last
    norms = [np.linalg.norm(dh)]
    for t in range(len(hs) - 1, 0, -1):  # from δh_T back to δh_1
        dh = (dh * derivative[t]) @ W
        norms.append(np.linalg.norm(dh))
    return np.array(norms[::-1])
