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
        """(dotted name, parameter) for every parameter, each once, in attribute order.

        Each module, list, tuple and dict is looked into once, so references
        that form a cycle (``child.parent = parent``) end the walk.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix.rstrip("."), self)]
        while stack:
            name, value = stack.pop(0)
            if id(value) in seen:
                continue
            if isinstance(value, Parameter):
                seen.add(id(value))
                yield name, value
                continue
            if isinstance(value, Module | list | tuple | dict):
                seen.add(id(value))
            if isinstance(value, Module):
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
    Both sizes must be at least 1 (a layer without inputs has no scale to keep).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        for label, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
                raise ValueError(f"Linear: {label} must be an int >= 1, got {n!r}")
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
    When the sum of squares overflows, the norm is computed as m * ||grad / m||
    with m the largest |grad| element, so finite gradients are never zeroed;
    gradients holding inf or NaN are left as they are (the norm says so).
    Each clipped parameter gets a new ``.grad`` tensor: a gradient shared with
    another tensor is never changed in place.
    """
    if not max_norm > 0:
        raise ValueError(f"clip_grad_norm: max_norm must be positive, got {max_norm}")
    params = [p for p in params if p.grad is not None]
    grads = [p.grad.data for p in params]  # type: ignore[union-attr]
    with np.errstate(over="ignore"):
        norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = max_norm / (norm + 1e-12)
    top = max(float(np.max(np.abs(g))) for g in grads) if norm == math.inf else math.inf
    if math.isfinite(top):  # finite grads whose squares overflowed: norm = m * ||grad / m||
        rel = math.sqrt(sum(float(np.sum(np.square(g / top, dtype=np.float64))) for g in grads))
        norm, scale = top * rel, max_norm / top / rel
    if norm > max_norm and scale > 0:  # scale is 0 for an infinite gradient: left as it is
        for p, g in zip(params, grads, strict=True):
            p.grad = Tensor(g * np.asarray(scale, dtype=g.dtype))
    return norm
