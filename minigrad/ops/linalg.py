"""Matrix multiplication: 1-D, 2-D and batched, with numpy's matmul rules; addmm."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from ..function import Function
from ..tensor import Tensor


def _swap_last(t: Tensor) -> Tensor:
    """Transpose the last two axes (the matrix transpose of a batch)."""
    axes = list(range(t.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return t.transpose(axes)


class Matmul(Function):
    """Y = A @ B;  dA = G @ B^T, dB = A^T @ G"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: needs at least 1-D inputs, got {a.shape} @ {b.shape}")
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ShapeError(
                f"matmul: inner dimensions differ: {a.shape} @ {b.shape} "
                f"({a.shape[-1]} != {inner_b}); expected (..., n, k) @ (..., k, m)"
            )
        return a @ b

    def backward(
        self, grad: Tensor, out: Tensor, a: Tensor, b: Tensor
    ) -> tuple[Tensor | None, Tensor | None]:
        if a.ndim == 2 and b.ndim == 2:  # the common case, written out
            needs_a, needs_b = self.needs_input_grad
            return grad @ b.T if needs_a else None, a.T @ grad if needs_b else None
        if a.ndim == 1 and b.ndim == 1:  # dot product: y = sum_k a_k b_k
            return grad * b, grad * a
        # Lift 1-D operands to matrices, use the matrix rule, drop the axis again.
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        g2 = grad.reshape(*grad.shape[:-1], 1, grad.shape[-1]) if a.ndim == 1 else grad
        g2 = g2.reshape(*g2.shape, 1) if b.ndim == 1 else g2
        grad_a = g2 @ _swap_last(b2)
        grad_b = _swap_last(a2) @ g2
        if a.ndim == 1:
            grad_a = grad_a.reshape(*grad_a.shape[:-2], grad_a.shape[-1])
        if b.ndim == 1:
            grad_b = grad_b.reshape(*grad_b.shape[:-1])
        return grad_a, grad_b


class Addmm(Function):
    """Y = C + A @ B;  dC = G, dA = G @ B^T, dB = A^T @ G

    Fused for memory and speed: one result array where ``c + a @ b`` makes two
    (the matrix product is written into, then C is added in place). A and B
    are 2-D; C broadcasts to the product's shape.
    """

    def forward(self, c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
            raise ShapeError(f"addmm: expected A (n, k) and B (k, m), got {a.shape} and {b.shape}")
        out = a @ b
        if c.shape != out.shape and np.broadcast_shapes(c.shape, out.shape) != out.shape:
            raise ShapeError(f"addmm: C of shape {c.shape} does not broadcast to {out.shape}")
        if c.dtype != out.dtype and np.result_type(out, c) != out.dtype:
            return out + c
        out += c
        return out

    def backward(
        self, grad: Tensor, out: Tensor, c: Tensor, a: Tensor, b: Tensor
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        _, needs_a, needs_b = self.needs_input_grad
        return grad, grad @ b.T if needs_a else None, a.T @ grad if needs_b else None


def addmm(c: Any, a: Any, b: Any) -> Tensor:
    """``c + a @ b`` in one op (2-D a and b; c broadcasts), as in a linear layer."""
    return Addmm.apply(c, a, b)


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product ``a @ b`` (batched over leading axes, numpy rules)."""
    return Matmul.apply(a, b)
