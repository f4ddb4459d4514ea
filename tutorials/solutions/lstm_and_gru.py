"""Tutorial 11's exercises: lstm_step_backward and gru_step.

lstm_step_backward: recompute the forward, then go back link by link. The
cell's gradient has two parts (dc from the next step, and dh through
h_t = o ⊙ tanh(c_t)); each gate's gradient is that of its product; each
block of δa_t multiplies by its squashing's derivative; the matrix products
are those of tutorial 7 in row form.

gru_step: compute the input part x @ Uᵀ + b and the recurrent part
h_{t-1} @ Wᵀ once for all three blocks, then slice out each block's columns,
as in the LSTM step. Only the candidate's recurrent block is multiplied by r.
"""

import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_backward(x, h_prev, c_prev, U, W, b, dh, dc):
    H = h_prev.shape[1]
    a = x @ U.T + h_prev @ W.T + b
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)

    dc = dc + dh * o * (1 - tanh_c**2)
    di, df, dg, do = dc * g, dc * c_prev, dc * i, dh * tanh_c
    da = np.concatenate(
        [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=1
    )
    return {
        "x": da @ U,
        "h_prev": da @ W,
        "c_prev": dc * f,
        "U": da.T @ x,
        "W": da.T @ h_prev,
        "b": da.sum(axis=0),
    }


def gru_step(x, h_prev, U, W, b, H):
    a = x @ U.T + b
    m = h_prev @ W.T
    r = (a[:, :H] + m[:, :H]).sigmoid()
    z = (a[:, H : 2 * H] + m[:, H : 2 * H]).sigmoid()
    candidate = (a[:, 2 * H :] + r * m[:, 2 * H :]).tanh()
    return (1 - z) * candidate + z * h_prev
