"""Losses, PyTorch's: cross_entropy, nll_loss, binary_cross_entropy (with logits), mse.

Notation of the cross-entropies: logits o_n (row n of an (N, C) input),
probabilities y_n = softmax(o_n), target class target_n. Each loss takes
``reduction``: "mean" (the default) averages the per-row losses, "sum" adds
them, "none" returns them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..function import Function
from ..tensor import Tensor, array_of
from .activation import sigmoid, softmax
from .elementwise import log

REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str, count: int) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(losses.sum() / count, dtype=losses.dtype)
    return losses.sum() if reduction == "sum" else losses


def _spread(grad: Tensor, reduction: str, count: int, shape: tuple[int, ...]) -> Tensor:
    """The gradient of each row's loss: grad itself ("none"), or grad / count ("mean")."""
    if reduction == "none":
        return grad.reshape(shape)
    return grad / count if reduction == "mean" else grad


class CrossEntropy(Function):
    """L_n = -log y_n[target_n], y_n = softmax(o_n);  dL/do_n = y_n - onehot(target_n)

    In general L_n = -sum_c q_nc log y_nc for a target distribution q_n, and
    dL/do_n = y_n sum_c q_nc - q_n: q_n is onehot(target_n), smoothed to
    (1 - e) onehot(target_n) + e / C by ``label_smoothing`` e, or the class
    probabilities given as targets; a row whose target is ``ignore_index``
    has q_n = 0 and counts for nothing in the mean. Fused with log_softmax
    for stability: logits of +-1000 stay finite.
    """

    def __init__(
        self,
        targets: np.ndarray,
        keep: np.ndarray | None,
        smoothing: float,
        reduction: str,
        count: int,
    ) -> None:
        self.targets, self.keep, self.smoothing = targets, keep, smoothing
        self.reduction, self.count = reduction, count

    def forward(self, logits: np.ndarray) -> np.ndarray:
        # log y_nc = (o_nc - m_n) - log sum_c exp(o_nc - m_n), m_n = max_c o_nc: one (N, C)
        # temporary, exponentiated in place, instead of the whole log-softmax table.
        shifted = np.subtract(logits, logits.max(axis=1, keepdims=True))
        if self.targets.ndim == 2:  # class probabilities
            q = self.distribution(logits.shape, logits.dtype)
            picked, mass = (q * shifted).sum(axis=1), q.sum(axis=1)
        else:
            picked = shifted[np.arange(len(logits)), self.targets]
            if self.smoothing:
                e = self.smoothing
                picked = (1 - e) * picked + e * shifted.mean(axis=1)
            mass = 1.0 if self.keep is None else self.keep
        losses = np.log(np.exp(shifted, out=shifted).sum(axis=1)) * mass - picked
        if self.keep is not None:
            losses = np.where(self.keep, losses, 0).astype(logits.dtype)
        return _reduce(losses, self.reduction, self.count)

    def distribution(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """q: the target distribution of each row (zero for ignored rows)."""
        if self.targets.ndim == 2:
            q = self.targets.astype(dtype)
        else:
            q = np.zeros(shape, dtype=dtype)
            q[np.arange(shape[0]), self.targets] = 1
        if self.smoothing:
            q = (1 - self.smoothing) * q + self.smoothing / shape[1]
        return q if self.keep is None else q * self.keep[:, None]

    def backward(self, grad: Tensor, out: Tensor, logits: Tensor) -> tuple[Tensor]:
        grad = _spread(grad, self.reduction, self.count, (-1, 1))
        y = softmax(logits, axis=1)
        if self.targets.ndim == 1 and not self.smoothing and self.keep is None:
            onehot = np.zeros(logits.shape, dtype=bool)  # a byte per entry; subtracts as 0 or 1
            onehot[np.arange(logits.shape[0]), self.targets] = True
            return ((y - onehot) * grad,)
        q = self.distribution(logits.shape, logits.dtype)
        return ((y * q.sum(axis=1, keepdims=True) - q) * grad,)


class NllLoss(Function):
    """L_n = -x_n[target_n] (x_n: log-probabilities);  dL/dx_n = -onehot(target_n)"""

    def __init__(self, targets: np.ndarray, keep: np.ndarray, reduction: str, count: int) -> None:
        self.targets, self.keep, self.reduction, self.count = targets, keep, reduction, count

    def forward(self, x: np.ndarray) -> np.ndarray:
        losses = np.where(self.keep, -x[np.arange(len(x)), self.targets], 0).astype(x.dtype)
        return _reduce(losses, self.reduction, self.count)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        picked = np.zeros(x.shape, dtype=bool)
        picked[np.arange(x.shape[0]), self.targets] = self.keep
        return (-_spread(grad, self.reduction, self.count, (-1, 1)) * picked,)


_LOG_FLOOR = -100.0  # PyTorch's clamp of log p, so p = 0 gives a loss of 100, not inf


class BinaryCrossEntropy(Function):
    """L = -(t log p + (1 - t) log(1 - p));  dL/dp = (p - t) / (p (1 - p)), dL/dt = log((1-p)/p)

    As in PyTorch, each log is clamped at -100 (so p = 0 or 1 gives finite
    losses) and p (1 - p) at 1e-12 in the derivative.
    """

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def forward(self, p: np.ndarray, t: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_q = np.maximum(np.log1p(-p), _LOG_FLOOR)
        return _reduce(-(t * log_p + (1 - t) * log_q), self.reduction, p.size)

    def backward(
        self, grad: Tensor, out: Tensor, p: Tensor, t: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        needs_p, needs_t = self.needs_input_grad
        grad = _spread(grad, self.reduction, p.size, p.shape)
        grad_p = grad * (p - t) / (p * (1 - p)).clip(1e-12, None) if needs_p else None
        grad_t = None
        if needs_t:
            grad_t = grad * (log(1 - p).clip(_LOG_FLOOR, None) - log(p).clip(_LOG_FLOOR, None))
        return grad_p, grad_t


class BinaryCrossEntropyWithLogits(Function):
    """L = -(t log s + (1 - t) log(1 - s)), s = sigmoid(x);  dL/dx = s - t, dL/dt = -x

    Computed as max(x, 0) - x t + log(1 + exp(-|x|)), which never overflows
    and never takes the log of 0 (one op instead of sigmoid then log).
    """

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return _reduce(losses, self.reduction, x.size)

    def backward(
        self, grad: Tensor, out: Tensor, x: Tensor, t: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        needs_x, needs_t = self.needs_input_grad
        grad = _spread(grad, self.reduction, x.size, x.shape)
        return grad * (sigmoid(x) - t) if needs_x else None, -grad * x if needs_t else None


class MSE(Function):
    """L = mean((a - b)**2);  dL/da = 2 (a - b) / n, dL/db = -dL/da

    n = 1 for ``reduction="sum"``; ``"none"`` gives each (a - b)**2.
    """

    def __init__(self, reduction: str) -> None:
        self.reduction = reduction

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _reduce((a - b) ** 2, self.reduction, a.size)

    def backward(self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        grad_a = _spread(grad, self.reduction, a.size, a.shape) * 2 * (a - b)
        return grad_a, -grad_a


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_rows(op: str, shape: tuple[int, ...]) -> None:
    if len(shape) != 2 or 0 in shape:
        raise ShapeError(f"{op}: expected an input of shape (N, C) with N, C >= 1, got {shape}")


def _class_targets(op: str, targets: np.ndarray, shape: tuple[int, ...], ignore_index: int) -> Any:
    """Check integer targets; return them (ignored ones set to 0) and the mask of kept rows."""
    if targets.dtype.kind not in "iu":
        raise DTypeError(f"{op}: targets must be integers, got dtype {targets.dtype}")
    if targets.shape != shape[:1]:
        raise ShapeError(
            f"{op}: targets shape {targets.shape} does not match input {shape}; "
            f"expected ({shape[0]},)"
        )
    keep = targets != ignore_index
    kept = targets[keep]
    if kept.size and (kept.min() < 0 or kept.max() >= shape[1]):
        raise ValueError(
            f"{op}: targets must lie in [0, {shape[1]}) (or be ignore_index={ignore_index}), "
            f"got values in [{kept.min()}, {kept.max()}]"
        )
    return np.where(keep, targets, 0), keep


def _count(op: str, keep: np.ndarray, reduction: str) -> int:
    count = int(keep.sum())
    if count == 0 and reduction == "mean":
        raise ShapeError(
            f"{op}: every target is ignore_index, so the mean averages no losses, which is "
            "undefined; use reduction='sum' or 'none' for such a batch"
        )
    return count


def cross_entropy(
    logits: Any,
    targets: Any,
    reduction: str = "mean",
    *,
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C) against class indices (N,) or class probabilities (N, C).

    ``ignore_index``: rows whose target is this index add no loss and are left
    out of the mean (integer targets only). ``label_smoothing`` e in [0, 1]
    mixes each target with the uniform distribution: (1 - e) target + e / C.
    """
    targets = np.asarray(array_of(targets))
    shape = np.shape(array_of(logits))
    _check_reduction("cross_entropy", reduction)
    _check_rows("cross_entropy", shape)
    if isinstance(label_smoothing, bool) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if targets.ndim == 2:
        if targets.shape != shape or targets.dtype.kind != "f":
            raise ShapeError(
                f"cross_entropy: class-probability targets must be floats of the input's shape "
                f"{shape}, got {targets.dtype} {targets.shape} (class indices: integers of shape "
                f"({shape[0]},))"
            )
        keep, count = None, shape[0]
    else:
        targets, mask = _class_targets("cross_entropy", targets, shape, ignore_index)
        count = _count("cross_entropy", mask, reduction)
        keep = None if mask.all() else mask
    return CrossEntropy.apply(
        logits,
        targets=targets,
        keep=keep,
        smoothing=float(label_smoothing),
        reduction=reduction,
        count=count,
    )


def nll_loss(
    log_probs: Any, targets: Any, reduction: str = "mean", *, ignore_index: int = -100
) -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) (e.g. log_softmax) at targets (N,).

    ``cross_entropy(o, t)`` is ``nll_loss(log_softmax(o, axis=1), t)`` in one fused op.
    """
    shape = np.shape(array_of(log_probs))
    _check_reduction("nll_loss", reduction)
    _check_rows("nll_loss", shape)
    targets, keep = _class_targets("nll_loss", np.asarray(array_of(targets)), shape, ignore_index)
    count = _count("nll_loss", keep, reduction)
    return NllLoss.apply(log_probs, targets=targets, keep=keep, reduction=reduction, count=count)


def _check_pair(op: str, a: Any, b: Any, what: str) -> None:
    a_shape, b_shape = np.shape(array_of(a)), np.shape(array_of(b))
    if a_shape != b_shape:
        raise ShapeError(
            f"{op}: {what} shape {a_shape} != target shape {b_shape}; "
            "they must match exactly (broadcasting here hides bugs)"
        )
    if 0 in a_shape:
        raise ShapeError(
            f"{op}: {what} and target of shape {a_shape} are empty; "
            "the mean of no losses is undefined"
        )


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities in [0, 1] against targets of the same shape.

    Prefer ``binary_cross_entropy_with_logits`` on the logits: it is exact
    where sigmoid rounds to 0 or 1.
    """
    _check_reduction("binary_cross_entropy", reduction)
    _check_pair("binary_cross_entropy", probs, targets, "input")
    p = np.asarray(array_of(probs))
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], "
            f"got values in [{p.min()}, {p.max()}]"
        )
    return BinaryCrossEntropy.apply(probs, targets, reduction=reduction)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(logits) against targets, computed stably from the logits."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    _check_pair("binary_cross_entropy_with_logits", logits, targets, "input")
    return BinaryCrossEntropyWithLogits.apply(logits, targets, reduction=reduction)


def mse(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error; ``pred`` and ``target`` must have the same shape.

    Empty inputs are refused, as ``mean`` refuses to average no elements.
    """
    _check_reduction("mse", reduction)
    _check_pair("mse", pred, target, "pred")
    return MSE.apply(pred, target, reduction=reduction)


mse_loss = mse  # PyTorch's name
