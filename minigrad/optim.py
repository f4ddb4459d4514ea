"""Optimizers: turn the gradients in ``p.grad`` into updates of ``p.data``.

The training loop every optimizer expects::

    opt = optim.Adam(model.parameters(), lr=1e-3)
    for batch in data:
        opt.zero_grad()          # forget last step's gradients
        loss = ...               # forward pass
        loss.backward()          # fills p.grad
        opt.step()               # p.data <- p.data - update(p.grad)

``step()`` works on the numpy arrays directly and in place, so nothing is
recorded in any graph and float32 parameters stay float32. Parameters whose
``grad`` is None (unused in this step) are skipped, their state untouched.

``state_dict()`` is a flat ``dict[str, np.ndarray]``: the hyperparameters as
arrays (``"lr"``, ...), ``"step"`` (how many updates each parameter has had)
and one buffer per parameter named ``"<buffer>.<index>"`` (e.g.
``"exp_avg.0"``). ``load_state_dict`` restores all of it, so training resumes
exactly where it stopped; ``minigrad.io.save(model, path,
extras={"optimizer": opt.state_dict()})`` keeps it in the checkpoint.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from .tensor import FLOAT_DTYPES, Tensor


class Optimizer(abc.ABC):
    """Holds the parameters, their per-parameter state and the update rule.

    A subclass sets its hyperparameters as attributes, then calls
    ``super().__init__``, which validates them and allocates the buffers.
    """

    hyperparams: ClassVar[tuple[str, ...]] = ("lr",)
    buffers: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Iterable[Tensor], lr: float) -> None:
        self.params: list[Tensor] = _check_params(params, type(self).__name__)
        self.lr = lr
        self._validate()
        self.steps = np.zeros(len(self.params), dtype=np.int64)
        self.state: dict[str, list[np.ndarray]] = {
            name: [np.zeros_like(p.data) for p in self.params] for name in self.buffers
        }

    @abc.abstractmethod
    def _validate(self) -> None:
        """Raise ValueError naming the hyperparameter when one is out of range."""

    @abc.abstractmethod
    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        """Update parameter ``i`` in place; ``self.steps[i]`` already counts this step."""

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set ``p.grad`` to None)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            if p.grad.shape != p.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i} has shape {p.shape} "
                    f"but its grad has shape {p.grad.shape}"
                )
            self.steps[i] += 1
            self._update(i, p.data, p.grad.data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of everything needed to resume: hyperparameters, steps, buffers."""
        out: dict[str, np.ndarray] = {
            name: np.asarray(getattr(self, name), dtype=np.float64) for name in self.hyperparams
        }
        out["step"] = self.steps.copy()
        for name, arrays in self.state.items():
            out.update({f"{name}.{i}": a.copy() for i, a in enumerate(arrays)})
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict()`` returned; checks names, shapes and dtypes first."""
        owner = f"{type(self).__name__}.load_state_dict"
        arrays = {k: np.asarray(v) for k, v in state.items()}
        _check_like(owner, self.state_dict(), arrays)
        if (arrays["step"] < 0).any():
            raise ValueError(f"{owner}: step counts must be >= 0, got {arrays['step']}")
        self._set_hyperparams(owner, arrays)
        self.steps[...] = arrays["step"]
        for name, buffers in self.state.items():
            for i, buffer in enumerate(buffers):
                np.copyto(buffer, arrays[f"{name}.{i}"])

    def _set_hyperparams(self, owner: str, arrays: dict[str, np.ndarray]) -> None:
        old = {name: getattr(self, name) for name in self.hyperparams}
        for name in self.hyperparams:
            value = arrays[name]
            setattr(self, name, value.item() if value.ndim == 0 else tuple(value.tolist()))
        try:
            self._validate()
        except ValueError as err:
            for name, value in old.items():
                setattr(self, name, value)
            raise ValueError(f"{owner}: invalid hyperparameter in state: {err}") from None


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay.

    g = grad + weight_decay * p
    buf = momentum * buf + g            (buf starts at 0)
    p = p - lr * buf                    (p - lr * g without momentum)
    """

    hyperparams = ("lr", "momentum", "weight_decay")
    buffers = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        self.momentum = momentum
        self.weight_decay = weight_decay
        super().__init__(params, lr)

    def _validate(self) -> None:
        _positive("SGD", "lr", self.lr)
        _unit_interval("SGD", "momentum", self.momentum)
        _non_negative("SGD", "weight_decay", self.weight_decay)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        g = grad + self.weight_decay * param if self.weight_decay else grad
        if self.momentum > 0:
            buf = self.state["momentum_buffer"][i]
            buf *= self.momentum
            buf += g
            g = buf
        param -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad: a per-coordinate step size that shrinks with the gradients seen.

    sum_sq = sum_sq + grad**2
    p = p - lr * grad / (sqrt(sum_sq) + eps)
    """

    hyperparams = ("lr", "eps")
    buffers = ("sum_sq",)

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, eps: float = 1e-10) -> None:
        self.eps = eps
        super().__init__(params, lr)

    def _validate(self) -> None:
        _positive("Adagrad", "lr", self.lr)
        _positive("Adagrad", "eps", self.eps)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        sum_sq = self.state["sum_sq"][i]
        sum_sq += grad * grad
        param -= self.lr * grad / (np.sqrt(sum_sq) + self.eps)


class Adam(Optimizer):
    """Adam: momentum on the gradient, scaled by a running RMS, both bias-corrected.

    g = grad + weight_decay * p          (L2 penalty, as in the original Adam)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (t = this parameter's step)
    p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparams = ("lr", "betas", "eps", "weight_decay")
    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        super().__init__(params, lr)

    def _validate(self) -> None:
        _positive("Adam", "lr", self.lr)
        if not isinstance(self.betas, tuple | list) or len(self.betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {self.betas!r}")
        _unit_interval("Adam", "beta1", self.betas[0])
        _unit_interval("Adam", "beta2", self.betas[1])
        _positive("Adam", "eps", self.eps)
        _non_negative("Adam", "weight_decay", self.weight_decay)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray) -> None:
        beta1, beta2 = self.betas
        t = int(self.steps[i])
        g = grad + self.weight_decay * param if self.weight_decay else grad
        m, v = self.state["exp_avg"][i], self.state["exp_avg_sq"][i]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _check_params(params: Iterable[Tensor], owner: str) -> list[Tensor]:
    """The parameters as a list: float tensors that require grad, each once."""
    if isinstance(params, Tensor) or not isinstance(params, Iterable):
        raise TypeError(
            f"{owner}: expected an iterable of Parameters (e.g. model.parameters()), "
            f"got {type(params).__name__}"
        )
    out = list(params)
    if not out:
        raise ValueError(f"{owner}: got an empty parameter list")
    seen: set[int] = set()
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: parameter {i} is a {type(p).__name__}, not a Tensor")
        if not p.requires_grad or p.dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"{owner}: parameter {i} (shape {p.shape}, dtype {p.dtype}) must be a "
                f"float32/float64 tensor with requires_grad=True"
            )
        if id(p) in seen:
            raise ValueError(f"{owner}: parameter {i} appears more than once")
        seen.add(id(p))
    return out


def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be finite, got {value}")
    return float(value)


def _positive(owner: str, name: str, value: Any) -> None:
    if not _number(owner, name, value) > 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value}")


def _non_negative(owner: str, name: str, value: Any) -> None:
    if not _number(owner, name, value) >= 0:
        raise ValueError(f"{owner}: {name} must be >= 0, got {value}")


def _unit_interval(owner: str, name: str, value: Any) -> None:
    if not 0 <= _number(owner, name, value) < 1:
        raise ValueError(f"{owner}: {name} must satisfy 0 <= {name} < 1, got {value}")


def _check_like(owner: str, expected: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> None:
    """Refuse a state whose names, shapes or dtypes differ from this optimizer's."""
    missing = sorted(expected.keys() - got.keys())
    extra = sorted(got.keys() - expected.keys())
    if missing or extra:
        raise ValueError(
            f"{owner}: state does not fit this optimizer: missing {missing}, unexpected {extra}"
        )
    for name, want in expected.items():
        have = got[name]
        if have.shape != want.shape or have.dtype != want.dtype:
            raise ValueError(
                f"{owner}: {name!r} expected shape {want.shape} dtype {want.dtype}, "
                f"got shape {have.shape} dtype {have.dtype}"
            )
