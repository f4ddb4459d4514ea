"""Function: the base class of every differentiable op.

An op is a subclass with two methods:

- ``forward(*arrays)`` computes the result on numpy arrays;
- ``backward(grad, out, *inputs)`` gets dL/dy, the output y and the op's
  inputs (in the order ``forward`` took them) and returns one gradient per
  input, written with minigrad ops, so the engine can differentiate it again
  when ``create_graph=True``. ``self.needs_input_grad[i]`` tells whether input
  i wants one; None stands for "no gradient".

``Op.apply(*inputs, **params)`` runs ``forward`` and, when grad mode is on and
an input requires grad, records the op on the output tensor. The first line
of the class docstring is the op's formula, shown by the renderer and by
``backward_steps()``.

In a first-order backward pass (no ``create_graph``) nothing needs
recording, so the engine runs the rules of minigrad's own ops on plain
arrays: ``grad``, ``out`` and the inputs arrive as arrays, ``grad * b`` is
numpy's own product, and a minigrad op the rule calls (``MODE.arrays``) takes
arrays and numbers and returns the bare array. The same rule text serves both
passes; the op-table tests check that both give the same numbers. A rule
that needs an input's values as an array (for ``np.sign``, say) reads them
with ``array_of(x)``; a comparison such as ``x > 0`` gives an array either
way. An op defined elsewhere gets Tensors unless its class sets
``rule_on_arrays = True``: on a numpy array, methods such as ``.std()`` or
``.repeat()`` mean something else than on a Tensor.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .errors import AnomalyError, DTypeError, MinigradError, ShapeError
from .mode import MODE
from .tensor import Tensor, to_array


def _describe(values: list[Any]) -> str:
    return ", ".join(f"{np.shape(v)} {np.asarray(v).dtype}" for v in values)


def _named(name: str, arrays: list[Any], err: Exception) -> MinigradError:
    """An error of an op's forward, as minigrad raises it: the op's name, its inputs."""
    if isinstance(err, MinigradError):
        return err if str(err).startswith(name) else type(err)(f"{name}: {err}")
    kind = DTypeError if isinstance(err, TypeError) else ShapeError
    return kind(f"{name}: inputs ({_describe(arrays)}): {err}")


_NUMBERS = (int, float)  # Python numbers (and bool, numpy floats) take the partner's dtype
_SEQUENCES = (list, tuple)  # a tuple of types, not `list | tuple`: that builds an object per call


_CONSTANTS: dict[tuple[Any, ...], np.ndarray] = {}  # (type, value, dtype) -> read-only array
_CONSTANTS_KEPT = 256  # a loop over many distinct numbers starts the table afresh


def _constant(x: float, dtype: np.dtype) -> Tensor:
    """The number ``x`` as a constant tensor of ``dtype``; its read-only array is made once.

    Each use is its own graph node (drawn next to its op), but ``h = h * 1.0``
    in a loop converts 1.0 only once. Zero is converted each time, since
    ``0.0 == -0.0`` would share one key and lose the sign.
    """
    key = (type(x), x, dtype)
    array = _CONSTANTS.get(key)
    if array is None:
        array = np.array(x, dtype=dtype)
        array.flags.writeable = False
        if x != 0:
            if len(_CONSTANTS) >= _CONSTANTS_KEPT:
                _CONSTANTS.clear()
            _CONSTANTS[key] = array
    return Tensor._from_op(array, None)


def _as_tensors(inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Wrap plain numbers/arrays as constant tensors of the tensors' float dtype.

    ``x32 * 2`` stays float32: a Python number takes the dtype of its partner.
    """
    if len(inputs) == 2:  # a tensor and a number, `h * 1.0` or `1 - z`: spelled out, 0.2 µs less
        a, b = inputs
        if isinstance(a, Tensor) and isinstance(b, _NUMBERS) and a.data.dtype.kind == "f":
            return a, _constant(b, a.data.dtype)
        if isinstance(b, Tensor) and isinstance(a, _NUMBERS) and b.data.dtype.kind == "f":
            return _constant(a, b.data.dtype), b
    like = None
    for x in inputs:
        if isinstance(x, Tensor) and x.data.dtype.kind == "f":
            like = x.data.dtype
            break
    wrapped = []
    for x in inputs:  # a plain loop: this runs for every `h * 1.0`
        if isinstance(x, Tensor):
            wrapped.append(x)
        elif like is not None and isinstance(x, _NUMBERS):
            wrapped.append(_constant(x, like))
        else:
            wrapped.append(Tensor._from_op(to_array(x), None))
    return tuple(wrapped)


def _check_backward_signature(cls: type) -> None:
    """Refuse ``backward(self, grad, out)``: the rule gets the op's inputs after ``out``."""
    params = list(inspect.signature(vars(cls)["backward"]).parameters.values())[1:]
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    if len([p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]) < 3:
        names = ", ".join(["self", *(p.name for p in params)])
        raise TypeError(
            f"{cls.__name__}.backward({names}): a backward rule takes (self, grad, out) and "
            f"then the op's inputs, as forward takes them: backward(self, grad, out, x)"
        )


def _check_finite(name: str, inputs: tuple[Tensor, ...], data: np.ndarray) -> None:
    """Anomaly mode: refuse a NaN/inf that an op's forward pass produced."""
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        where = "".join(traceback.format_stack(limit=4)[:-2])
        described = _describe([t.data for t in inputs])
        raise AnomalyError(
            f"{name}: forward produced NaN/inf from inputs ({described}) at\n{where}"
        )


class Function:
    """Base class of ops: ``forward`` on arrays, ``backward`` with minigrad ops."""

    name: ClassVar[str] = "function"
    formula: ClassVar[str] = ""
    rule_on_arrays: ClassVar[bool] = False  # run backward on arrays when create_graph is off
    inputs: tuple[Tensor, ...] = ()
    created_at: str | None = None  # forward-pass location, kept in anomaly mode
    consumed: bool = False  # set by backward unless retain_graph

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.name = cls.__name__.lower()
        doc = (cls.__doc__ or "").strip()
        cls.formula = doc.splitlines()[0] if doc else ""
        if "rule_on_arrays" not in vars(cls):  # minigrad's own ops: checked both ways
            cls.rule_on_arrays = cls.__module__.startswith(f"{__package__}.ops.")
        if "backward" in vars(cls):
            _check_backward_signature(cls)

    # Each op defines these two methods with its own arity:
    #   forward(self, *arrays: np.ndarray) -> np.ndarray
    #   backward(self, grad, out, *inputs) -> one gradient (or None) per input; grad,
    #   out and inputs are Tensors, or arrays when the engine runs the rule on arrays
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[Any, ...]]

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input, whether it requires grad (PyTorch's ``ctx.needs_input_grad``)."""
        inputs = self.inputs
        if len(inputs) == 2:  # spelled out for the binary ops: a list per call costs 0.1 µs
            a, b = inputs
            return a.requires_grad, b.requires_grad
        return tuple([x.requires_grad for x in inputs])

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Tensor:
        """Run the op and record it in the graph when a gradient is needed."""
        if MODE.arrays:  # inside a first-order backward rule: arrays in, an array out
            arrays = []
            for x in inputs:  # plain loops here and below: this runs for every op of a rule
                if isinstance(x, Tensor):
                    x = x.data
                elif isinstance(x, _SEQUENCES):  # numbers stay numbers, as numpy takes them
                    x = to_array(x)
                arrays.append(x)
            try:
                return cls(**params).forward(*arrays)  # type: ignore[return-value]  # an array
            except (ValueError, IndexError, TypeError) as err:
                raise _named(cls.name, arrays, err) from None
        tensors = inputs
        for x in inputs:
            if not isinstance(x, Tensor):
                tensors = _as_tensors(inputs)
                break
        fn = cls(**params) if params else cls()
        try:  # one and two inputs spelled out, as in the engine: a list per op costs 0.1 µs
            if len(tensors) == 2:
                a, b = tensors
                data = fn.forward(a.data, b.data)
            elif len(tensors) == 1:
                data = fn.forward(tensors[0].data)
            else:
                data = fn.forward(*[t.data for t in tensors])
        except (ValueError, IndexError, TypeError) as err:
            raise _named(cls.name, [t.data for t in tensors], err) from None
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
