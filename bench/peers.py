"""Other autograd libraries on the RNN step, when installed (``pip install -e '.[bench]'``).

Each peer builds a training step on the same parameters and data as minigrad:

- torch eager: the textbook loop in PyTorch primitives, one step of Python per t;
- torch nn.RNN: PyTorch's fused recurrent layer and an ``nn.Linear`` head,
  with U, W, b copied into ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``
  (``bias_hh_l0`` = 0) and V, c into the head;
- HIPS autograd: the same loop over autograd's numpy.

A step returns the gradients of U, W, V, b, c as numpy arrays, so the
benchmark checks them against the hand-derived ones before it times anything.
A peer that is not installed is left out, and its row says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Params = dict[str, np.ndarray]
Step = Callable[[], Params]
NAMES = ("torch eager", "torch nn.RNN", "HIPS autograd")


def steps(params: Params, xs: np.ndarray, ys: np.ndarray) -> dict[str, Step]:
    """name -> step for every peer that is installed."""
    found: dict[str, Step] = {}
    try:
        import torch
    except ImportError:
        pass
    else:
        found["torch eager"] = _torch_eager(torch, params, xs, ys)
        found["torch nn.RNN"] = _torch_fused(torch, params, xs, ys)
    try:
        import autograd
    except ImportError:
        pass
    else:
        found["HIPS autograd"] = _hips(autograd, params, xs, ys)
    return found


def limit_threads(count: int) -> None:
    """Give PyTorch's own thread pool ``count`` threads too (threadpoolctl limits only BLAS)."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(count)


def _torch_eager(torch: Any, params: Params, xs: np.ndarray, ys: np.ndarray) -> Step:
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    x, y = torch.tensor(xs), torch.tensor(ys).reshape(-1)
    batch, hidden = xs.shape[1], params["W"].shape[0]

    def step() -> Params:
        for t in p.values():
            t.grad = None
        h = torch.zeros(batch, hidden, dtype=p["U"].dtype)
        logits = []
        for t in range(len(xs)):
            h = torch.tanh(p["U"].T[x[t]] + h @ p["W"].T + p["b"])
            logits.append(h @ p["V"].T + p["c"])
        torch.nn.functional.cross_entropy(torch.cat(logits), y).backward()
        return {k: t.grad.numpy() for k, t in p.items()}

    return step


def _torch_fused(torch: Any, params: Params, xs: np.ndarray, ys: np.ndarray) -> Step:
    dtype = torch.float64 if params["U"].dtype == np.float64 else torch.float32
    hidden, vocab = params["U"].shape
    layer = torch.nn.RNN(vocab, hidden, nonlinearity="tanh", dtype=dtype)
    head = torch.nn.Linear(hidden, vocab, dtype=dtype)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.tensor(params["U"]))
        layer.weight_hh_l0.copy_(torch.tensor(params["W"]))
        layer.bias_ih_l0.copy_(torch.tensor(params["b"]))
        layer.bias_hh_l0.zero_()
        head.weight.copy_(torch.tensor(params["V"]))
        head.bias.copy_(torch.tensor(params["c"]))
    onehot = torch.nn.functional.one_hot(torch.tensor(xs), vocab).to(dtype)
    y = torch.tensor(ys).reshape(-1)

    def step() -> Params:
        layer.zero_grad()
        head.zero_grad()
        out, _ = layer(onehot)
        torch.nn.functional.cross_entropy(head(out).reshape(-1, vocab), y).backward()
        grads = (layer.weight_ih_l0, layer.weight_hh_l0, head.weight, layer.bias_ih_l0, head.bias)
        return {k: t.grad.numpy() for k, t in zip("UWVbc", grads, strict=True)}

    return step


def _hips(autograd: Any, params: Params, xs: np.ndarray, ys: np.ndarray) -> Step:
    anp = autograd.numpy
    rows = np.arange(xs.shape[1])

    def loss(p: Params) -> Any:
        h = anp.zeros((xs.shape[1], p["W"].shape[0]), dtype=p["W"].dtype)
        total = 0.0
        for t in range(len(xs)):
            h = anp.tanh(p["U"].T[xs[t]] + anp.dot(h, p["W"].T) + p["b"])
            o = anp.dot(h, p["V"].T) + p["c"]
            top = anp.max(o, axis=1, keepdims=True)
            log_sum = anp.log(anp.sum(anp.exp(o - top), axis=1)) + top[:, 0]
            total = total + anp.sum(log_sum - o[rows, ys[t]])
        return total / ys.size

    gradient = autograd.grad(loss)

    def step() -> Params:
        return gradient(params)

    return step
