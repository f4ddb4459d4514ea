"""Losses: cross-entropy from logits, mean squared error."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..function import Function
from ..tensor import Tensor
from .activation import softmax

REDUCTIONS = ("mean", "sum", "none")


class CrossEntropy(Function):
    """L_n = -log softmax(z_n)[t_n];  dL/dz_n = softmax(z_n) - onehot(t_n)

    Fused with log_softmax for stability: logits of +-1000 stay finite.
    """

    def __init__(self, targets: np.ndarray, reduction: str) -> None:
        self.targets, self.reduction = targets, reduction

    def forward(self, logits: np.ndarray) -> np.ndarray:
        # L_n = log sum_c exp(z_nc - m_n) - (z_nt - m_n), m_n = max_c z_nc: one (N, C)
        # temporary, exponentiated in place, instead of the whole log-softmax table.
        top = logits.max(axis=1, keepdims=True)
        shifted = np.subtract(logits, top)
        picked = shifted[np.arange(len(logits)), self.targets]
        losses = np.log(np.exp(shifted, out=shifted).sum(axis=1)) - picked
        if self.reduction == "mean":
            return losses.mean()
        return losses.sum() if self.reduction == "sum" else losses

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor]:
        (logits,) = self.inputs
        onehot = np.zeros(logits.shape, dtype=bool)  # a byte per entry; subtracts as 0 or 1
        onehot[np.arange(logits.shape[0]), self.targets] = True
        if self.reduction == "none":
            grad = grad.reshape(-1, 1)
        elif self.reduction == "mean":
            grad = grad / logits.shape[0]
        return ((softmax(logits, axis=1) - onehot) * grad,)


class MSE(Function):
    """L = mean((a - b)**2);  dL/da = 2 (a - b) / n, dL/db = -dL/da"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.mean((a - b) ** 2)

    def backward(self, grad: Tensor, out: Tensor) -> tuple[Tensor, Tensor]:
        a, b = self.inputs
        grad_a = grad * (2 / a.size) * (a - b)
        return grad_a, -grad_a


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits (N, C) against integer class targets (N,)."""
    targets = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    logits_shape = np.shape(logits.data if isinstance(logits, Tensor) else logits)
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if len(logits_shape) != 2 or 0 in logits_shape:
        raise ShapeError(
            f"cross_entropy: expected logits of shape (N, C) with N, C >= 1, got {logits_shape}"
        )
    if targets.dtype.kind not in "iu":
        raise DTypeError(f"cross_entropy: targets must be integers, got dtype {targets.dtype}")
    if targets.shape != logits_shape[:1]:
        raise ShapeError(
            f"cross_entropy: targets shape {targets.shape} does not match logits "
            f"{logits_shape}; expected ({logits_shape[0]},)"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= logits_shape[1]):
        raise ValueError(
            f"cross_entropy: targets must lie in [0, {logits_shape[1]}), "
            f"got values in [{targets.min()}, {targets.max()}]"
        )
    return CrossEntropy.apply(logits, targets=targets, reduction=reduction)


def mse(pred: Any, target: Any) -> Tensor:
    """Mean squared error; ``pred`` and ``target`` must have the same shape.

    Empty inputs are refused, as ``mean`` refuses to average no elements.
    """
    pred_shape, target_shape = np.shape(_data(pred)), np.shape(_data(target))
    if pred_shape != target_shape:
        raise ShapeError(
            f"mse: pred shape {pred_shape} != target shape {target_shape}; "
            "they must match exactly (broadcasting here hides bugs)"
        )
    if 0 in pred_shape:
        raise ShapeError(
            f"mse: pred and target of shape {pred_shape} are empty; "
            "the mean of no squared errors is undefined"
        )
    return MSE.apply(pred, target)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x
