"""Building blocks for models: Parameter, Module, Linear, init helpers, clipping.

A ``Module`` finds its parameters by looking at its attributes: every
``Parameter`` (and every sub-``Module``, list or dict of them) it holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from .errors import ShapeError
from .tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that a model learns; always ``requires_grad``."""

    __slots__ = ()

    def __init__(self, data: Any, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=True, name=name, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("Tensor")


class Module:
    """Base class of models: finds parameters, zeroes gradients, calls ``forward``."""

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclass must implement forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) for every parameter, each once, in attribute order."""
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix.rstrip("."), self)]
        while stack:
            name, value = stack.pop(0)
            if isinstance(value, Parameter):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield name, value
            elif isinstance(value, Module):
                stack[:0] = [(_join(name, k), v) for k, v in vars(value).items()]
            elif isinstance(value, list | tuple):
                stack[:0] = [(_join(name, str(i)), v) for i, v in enumerate(value)]
            elif isinstance(value, dict):
                stack[:0] = [(_join(name, str(k)), v) for k, v in value.items()]

    def parameters(self) -> list[Parameter]:
        """All parameters, each once."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        """Total number of learnable numbers."""
        return sum(p.size for p in self.parameters())


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def uniform(
    shape: tuple[int, ...], bound: float, rng: np.random.Generator, dtype: Any = np.float64
) -> np.ndarray:
    """Samples from U(-bound, bound)."""
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def orthogonal(
    n: int, rng: np.random.Generator, gain: float = 1.0, dtype: Any = np.float64
) -> np.ndarray:
    """A random n x n orthogonal matrix times ``gain`` (all singular values = gain).

    QR of a Gaussian matrix, with signs fixed so the result is uniformly distributed.
    """
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (gain * q * np.sign(np.diag(r))).astype(dtype)


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features).

    Initialised U(-1/sqrt(in), 1/sqrt(in)), so activations keep their scale.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        rng = rng or np.random.default_rng()
        bound = 1 / math.sqrt(in_features)
        self.weight = Parameter(uniform((out_features, in_features), bound, rng, dtype), "weight")
        self.bias = Parameter(uniform((out_features,), bound, rng, dtype), "bias") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.weight.shape[1]:
            raise ShapeError(f"Linear: expected input (..., {self.weight.shape[1]}), got {x.shape}")
        y = x @ self.weight.T
        return y + self.bias if self.bias is not None else y


def clip_grad_norm(params: Iterable[Tensor], max_norm: float) -> float:
    """Scale all gradients together so their global L2 norm is at most ``max_norm``.

    norm = sqrt(sum_p ||grad_p||^2); if norm > max_norm every grad is multiplied
    by max_norm / norm (the direction is kept). Returns the norm before clipping.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be positive, got {max_norm}")
    grads = [p.grad for p in params if p.grad is not None]
    norm = math.sqrt(sum(float(np.vdot(g.data, g.data)) for g in grads))
    if norm > max_norm:
        scale = max_norm / (norm + 1e-12)
        for g in grads:
            g.data = g.data * scale
    return norm
