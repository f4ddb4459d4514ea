"""The vanilla RNN and its backpropagation through time, derived by hand in numpy.

This is the independent check of the autograd RNN (tests compare gradients to
1e-10) and the baseline of the benchmark. Rows are batch items, so with
x_t (B, input), h_t (B, hidden):

    a_t = x_t U^T + h_{t-1} W^T + b          pre-activation
    h_t = g1(a_t)                            g1 = tanh or relu
    o_t = h_t V^T + c                        logits
    p_t = softmax(o_t)
    L   = -(1/N) sum_{t,b} log p_t[b, y_tb]   N = T * B

Backward, from t = T down to 1 (δ means dL/d of that quantity):

    δo_t     = (p_t - onehot(y_t)) / N       softmax + cross-entropy
    δh_t     = δo_t V + δa_{t+1} W           through the output, and through h_t's use at t+1
    δa_t     = δh_t ⊙ g1'(a_t)               tanh' = 1 - h_t², relu' = [h_t > 0]
    dV += δo_t^T h_t,   dc += sum_b δo_t
    dW += δa_t^T h_{t-1},  dU += δa_t^T x_t,  db += sum_b δa_t

The shared weights get one term per time step, summed: that sum is BPTT.
Token ids stand for one-hot x_t, so x_t U^T is a row lookup of U^T and
δa_t^T x_t adds δa_t's rows into U's columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Params = dict[str, np.ndarray]  # U, W, V, b, c


@dataclass
class Cache:
    """What the forward pass keeps for the backward pass."""

    xs: np.ndarray  # (T, B) token ids or (T, B, input)
    targets: np.ndarray  # (T, B)
    hs: list[np.ndarray]  # h_0 ... h_T, each (B, hidden)
    ps: list[np.ndarray]  # p_1 ... p_T, each (B, output)
    loss: float
    activation: str


def _input_term(U: np.ndarray, x_t: np.ndarray) -> np.ndarray:
    """x_t U^T: a row lookup of U^T for token ids, a matmul for dense inputs."""
    return U.T[x_t] if x_t.dtype.kind in "iu" else x_t @ U.T


def forward(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    activation: str = "tanh",
) -> Cache:
    """Run the RNN over T steps and return the loss with what backward needs."""
    U, W, V, b, c = (params[k] for k in "UWVbc")
    batch = xs.shape[1]
    hs = [np.zeros((batch, W.shape[0]), dtype=W.dtype) if h0 is None else h0]
    ps = []
    loss = 0.0
    for t in range(len(xs)):
        a = _input_term(U, xs[t]) + hs[-1] @ W.T + b  # a_t = U x_t + W h_{t-1} + b
        hs.append(np.tanh(a) if activation == "tanh" else np.maximum(a, 0))  # h_t = g1(a_t)
        o = hs[-1] @ V.T + c  # o_t = V h_t + c
        o = o - o.max(axis=1, keepdims=True)  # shift: softmax is unchanged, exp cannot overflow
        log_p = o - np.log(np.exp(o).sum(axis=1, keepdims=True))  # log p_t, stable
        loss -= log_p[np.arange(batch), targets[t]].sum()  # -log p_t[y_t]
        ps.append(np.exp(log_p))
    return Cache(xs, targets, hs, ps, loss / targets.size, activation)


def backward(params: Params, cache: Cache, dh_norms: np.ndarray | None = None) -> Params:
    """dL/d(U, W, V, b, c) by backpropagation through time.

    If ``dh_norms`` (T,) is given, ||δh_t|| is written into it: the
    vanishing/exploding-gradient profile.
    """
    W, V = params["W"], params["V"]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    hs, n = cache.hs, cache.targets.size
    batch = cache.xs.shape[1]
    da_next = np.zeros_like(hs[0])  # δa_{T+1} = 0: nothing after the last step
    for t in reversed(range(len(cache.ps))):
        h, h_prev = hs[t + 1], hs[t]  # h_t and h_{t-1} (hs[0] is h_0)
        do = cache.ps[t].copy()
        do[np.arange(batch), cache.targets[t]] -= 1
        do /= n  # δo_t = (p_t - onehot(y_t)) / N
        grads["V"] += do.T @ h  # dV += δo_t^T h_t
        grads["c"] += do.sum(axis=0)  # dc += sum_b δo_t
        dh = do @ V + da_next @ W  # δh_t = V^T δo_t + W^T δa_{t+1}
        if dh_norms is not None:
            dh_norms[t] = np.linalg.norm(dh)
        g1_prime = 1 - h * h if cache.activation == "tanh" else (h > 0).astype(h.dtype)
        da = dh * g1_prime  # δa_t = δh_t ⊙ g1'(a_t)
        grads["W"] += da.T @ h_prev  # dW += δa_t^T h_{t-1}
        grads["b"] += da.sum(axis=0)  # db += sum_b δa_t
        x_t = cache.xs[t]
        if x_t.dtype.kind in "iu":
            np.add.at(grads["U"].T, x_t, da)  # dU += δa_t^T onehot(x_t): column x_tb += δa_tb
        else:
            grads["U"] += da.T @ x_t  # dU += δa_t^T x_t
        da_next = da
    return grads


def loss_and_grads(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    h0: np.ndarray | None = None,
    activation: str = "tanh",
) -> tuple[float, Params]:
    """One training step's numbers: the loss and its gradient for every parameter."""
    cache = forward(params, xs, targets, h0, activation)
    return cache.loss, backward(params, cache)


def hidden_grad_norms(
    params: Params, xs: np.ndarray, targets: np.ndarray, activation: str = "tanh"
) -> np.ndarray:
    """||dL/dh_t|| for t = 1..T (the total derivative: through o_t and through h_{t+1})."""
    norms = np.zeros(len(xs))
    backward(params, forward(params, xs, targets, None, activation), norms)
    return norms
