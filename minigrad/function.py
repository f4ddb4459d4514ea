"""Function: the base class of every differentiable op.

An op is a subclass with two methods:

- ``forward(*arrays)`` computes the result on numpy arrays;
- ``backward(grad, out)`` returns one gradient per input, written with Tensor
  ops (so the engine can differentiate it again when ``create_graph=True``).

``Op.apply(*inputs, **params)`` runs ``forward`` and, when grad mode is on and
an input requires grad, records the op on the output tensor. Inside a
first-order backward pass (no ``create_graph``) nothing is recorded, so the
engine runs each rule on plain arrays: ``apply`` then takes Tensors, arrays
and numbers and returns the bare array, and the same rule text serves both
passes. The first line of
the class docstring is the op's formula, shown by the renderer and by
``backward_steps()``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .errors import AnomalyError, DTypeError, MinigradError, ShapeError
from .mode import MODE
from .tensor import Tensor, to_array


def _describe(tensors: tuple[Tensor, ...]) -> str:
    return ", ".join(f"{t.shape} {t.dtype}" for t in tensors)


_NUMBERS = (int, float)  # Python numbers (and bool, numpy floats) take the partner's dtype


def _as_tensors(inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Wrap plain numbers/arrays as constant tensors of the tensors' float dtype.

    ``x32 * 2`` stays float32: a Python number takes the dtype of its partner.
    """
    like = None
    for x in inputs:
        if isinstance(x, Tensor) and x.data.dtype.kind == "f":
            like = x.data.dtype
            break
    wrapped = []
    for x in inputs:  # a plain loop: this runs for every `h * 1.0`
        if isinstance(x, Tensor):
            wrapped.append(x)
        else:
            number = like is not None and isinstance(x, _NUMBERS)
            wrapped.append(Tensor._from_op(np.array(x, like) if number else to_array(x), None))
    return tuple(wrapped)


def _check_finite(name: str, inputs: tuple[Tensor, ...], data: np.ndarray) -> None:
    """Anomaly mode: refuse a NaN/inf that an op's forward pass produced."""
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        where = "".join(traceback.format_stack(limit=4)[:-2])
        raise AnomalyError(
            f"{name}: forward produced NaN/inf from inputs ({_describe(inputs)}) at\n{where}"
        )


class Function:
    """Base class of ops: ``forward`` on arrays, ``backward`` with Tensor ops."""

    name: ClassVar[str] = "function"
    formula: ClassVar[str] = ""
    inputs: tuple[Tensor, ...] = ()
    created_at: str | None = None  # forward-pass location, kept in anomaly mode
    consumed: bool = False  # set by backward unless retain_graph

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__.lower()
        doc = (cls.__doc__ or "").strip()
        cls.formula = doc.splitlines()[0] if doc else ""

    # Each op defines these two methods with its own arity:
    #   forward(self, *arrays: np.ndarray) -> np.ndarray
    #   backward(self, grad: Tensor, out: Tensor) -> one gradient (or None) per input
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[Any, ...]]

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op and record it in the graph when a gradient is needed."""
        if MODE.arrays:  # inside a first-order backward rule: arrays in, an array out
            arrays = []
            for x in inputs:  # plain loops here and below: this runs for every op of a rule
                arrays.append(x.data if isinstance(x, Tensor) else x)
            return cls(**params).forward(*arrays)  # type: ignore[return-value]  # an array here
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = _as_tensors(inputs)
                break
        fn = cls(**params)
        arrays = []
        for t in tensors:
            arrays.append(t.data)
        try:
            data = fn.forward(*arrays)
        except MinigradError as err:
            if str(err).startswith(cls.name):
                raise
            raise type(err)(f"{cls.name}: {err}") from None
        except (ValueError, IndexError) as err:
            raise ShapeError(f"{cls.name}: inputs ({_describe(tensors)}): {err}") from None
        except TypeError as err:
            raise DTypeError(f"{cls.name}: inputs ({_describe(tensors)}): {err}") from None
        if MODE.anomaly:
            _check_finite(cls.name, tensors, data)
        if MODE.grad_enabled:
            for t in tensors:
                if t.requires_grad:
                    fn.inputs = tensors
                    if MODE.anomaly:
                        fn.created_at = "".join(traceback.format_stack(limit=8)[:-1])
                    return Tensor._from_op(data, fn)
        return Tensor._from_op(data, None)
