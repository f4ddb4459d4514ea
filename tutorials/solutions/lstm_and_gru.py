"""Tutorial 10's exercise: gru_step.

Compute the input part x @ Uᵀ + b and the recurrent part h_{t-1} @ Wᵀ once
for all three blocks, then slice out each block's columns, as in the LSTM
step above. Only the candidate's recurrent block is multiplied by r.
"""


def gru_step(x, h_prev, U, W, b, n):
    a = x @ U.T + b
    m = h_prev @ W.T
    r = (a[:, :n] + m[:, :n]).sigmoid()
    z = (a[:, n : 2 * n] + m[:, n : 2 * n]).sigmoid()
    candidate = (a[:, 2 * n :] + r * m[:, 2 * n :]).tanh()
    return (1 - z) * candidate + z * h_prev
