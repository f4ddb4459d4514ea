"""Tutorial 7's exercise: BPTT by hand, in numpy.

The forward pass keeps every h_t and y_t. The backward pass walks t from T
down to 1 with δa_{t+1} from the previous iteration (zero at the start):
δo_t = (y_t - onehot(target_t)) / N, δh_t = Vᵀ δo_t + Wᵀ δa_{t+1},
δa_t = δh_t ⊙ (1 - h_t²), and each parameter adds its step's term.
"""

import numpy as np


def bptt(params, xs, targets):
    U, W, V, b, c = (params[name] for name in ("U", "W", "V", "b", "c"))
    T, B = xs.shape
    n = T * B
    rows = np.arange(B)
    inputs = np.eye(U.shape[1])[xs]  # (T, B, input): one-hot rows
    hs = [np.zeros((B, W.shape[0]))]  # h_0 = 0
    probs = []
    loss = 0.0
    for t in range(T):
        h = np.tanh(inputs[t] @ U.T + hs[-1] @ W.T + b)
        o = h @ V.T + c
        p = np.exp(o - o.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss -= np.log(p[rows, targets[t]]).sum() / n
        hs.append(h)
        probs.append(p)

    grads = {name: np.zeros_like(value) for name, value in params.items()}
    da_next = np.zeros((B, W.shape[0]))
    for t in reversed(range(T)):
        do = probs[t].copy()
        do[rows, targets[t]] -= 1
        do /= n
        dh = do @ V + da_next @ W
        da = dh * (1 - hs[t + 1] ** 2)
        grads["V"] += do.T @ hs[t + 1]
        grads["c"] += do.sum(axis=0)
        grads["W"] += da.T @ hs[t]
        grads["U"] += da.T @ inputs[t]
        grads["b"] += da.sum(axis=0)
        da_next = da
    return loss, grads
