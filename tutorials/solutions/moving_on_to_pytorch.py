"""Tutorial 12's exercise: fold a GRU's two biases into one (gru_bias).

The r and z blocks add up; the candidate block keeps bias_ih's part, and
bias_hh's candidate block must be zero.
"""

import numpy as np


def gru_bias(bias_ih, bias_hh, H):
    if np.any(bias_hh[2 * H :] != 0):
        raise ValueError("b_hn is not zero: minigrad's GRU has no bias inside r * (W_hn h)")
    return np.concatenate([bias_ih[: 2 * H] + bias_hh[: 2 * H], bias_ih[2 * H :]])
