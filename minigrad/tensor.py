"""Tensor: a numpy array that remembers the op that made it.

A tensor holds ``data`` (a numpy array), and when it was computed by an op
while grad mode was on, ``_ctx``: the ``Function`` that made it, which knows
its inputs. Following ``_ctx`` backwards from a result walks the whole
computation graph; ``backward()`` (in ``engine.py``) does exactly that.

Every method here is a one-line call into ``minigrad.ops``, so ``t.tanh()``
leads straight to the rule in ``ops/activation.py``; the operators (``+``,
``*``, ``@``, ...) call their op's class itself, ``Mul.apply``, one call fewer
on the path every ``a * b`` takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DTypeError, GraphError, ShapeError
from .mode import MODE

if TYPE_CHECKING:
    from .engine import BackwardStep
    from .function import Function

ArrayLike = Any  # numbers, nested lists, numpy arrays or Tensors
Axis = int | tuple[int, ...] | None

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NUMPY_VALUES = (np.ndarray, np.generic)  # a tuple of types, built once (not `A | B` per call)


def array_of(x: Any) -> Any:
    """The array behind ``x``: a Tensor's data, anything else as it is.

    A backward rule gets its inputs as Tensors or as plain arrays (see
    ``function.py``), and an op may be given a mask, labels or indices either
    way; this reads the values of each without recording an op.
    """
    return x.data if isinstance(x, Tensor) else x


def to_array(data: ArrayLike, dtype: Any = None) -> np.ndarray:
    """Turn ``data`` into a numpy array with minigrad's dtype rules.

    Python numbers and lists become float64; numpy float32/float64 and integer
    arrays keep their dtype; other floats become float64; strings, objects and
    ragged lists are refused.
    """
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as err:
        raise ShapeError(
            f"Tensor: could not build an array from {type(data).__name__} "
            f"(ragged nested lists or non-numeric items?): {err}"
        ) from None
    kind = array.dtype.kind
    if kind in "OUSVMm":
        raise DTypeError(
            f"Tensor: expected numbers, got an array of dtype {array.dtype} "
            f"(shape {array.shape}); minigrad works on float32/float64 and integers"
        )
    if dtype is None and not isinstance(data, _NUMPY_VALUES):
        if kind in "biuf":  # Python numbers and lists: float64 by default
            array = array.astype(np.float64)
    if kind == "f" and array.dtype not in FLOAT_DTYPES:
        array = array.astype(np.float64)
    if kind == "c":
        raise DTypeError(f"Tensor: complex dtype {array.dtype} is not supported")
    return array


class Tensor:
    """An n-d array with an optional gradient and a link to the op that made it.

    ``Tensor(data, requires_grad=False, name=None, dtype=None)``; data is
    float64 by default (float32 is kept when given).
    """

    __slots__ = ("data", "requires_grad", "grad", "name", "scope", "_ctx", "_retains_grad")
    __array_ufunc__ = None  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(
        self,
        data: ArrayLike,
        requires_grad: bool = False,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Tensor: name must be a str or None, got {type(name).__name__}")
        array = to_array(data, dtype)
        if requires_grad and array.dtype not in FLOAT_DTYPES:
            raise DTypeError(
                f"Tensor: requires_grad=True needs a float32/float64 tensor, "
                f"got dtype {array.dtype} (shape {array.shape})"
            )
        self.data: np.ndarray = array
        self.requires_grad: bool = bool(requires_grad)
        self.grad: Tensor | None = None
        self.name: str | None = name
        self.scope: str = MODE.scope_name
        self._ctx: Function | None = None
        self._retains_grad: bool = False

    @classmethod
    def _from_op(cls, data: np.ndarray, ctx: Function | None) -> Tensor:
        """Fast constructor used by ``Function.apply`` (data already valid)."""
        out = object.__new__(cls)
        out.data = data if type(data) is np.ndarray else np.asarray(data)  # 0-d results are scalars
        out.requires_grad = ctx is not None
        out.grad = None
        out.name = None
        out.scope = MODE.scope_name
        out._ctx = ctx
        out._retains_grad = False
        return out

    # ----------------------------------------------------------------- views
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op (inputs and parameters)."""
        return self._ctx is None

    @property
    def op(self) -> str | None:
        """Name of the op that made this tensor, or None for a leaf."""
        return None if self._ctx is None else self._ctx.name

    @property
    def formula(self) -> str | None:
        """The rule of the op that made this tensor (its forward and derivative), or None."""
        return None if self._ctx is None else self._ctx.formula

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        """The tensors the op that made this one read (empty for a leaf)."""
        return () if self._ctx is None else self._ctx.inputs

    def numpy(self) -> np.ndarray:
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The single value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: expected a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def __bool__(self) -> bool:
        """The truth of a one-element tensor; larger ones are ambiguous, as in numpy."""
        if self.data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use (t > 0).any() or .all() on the comparison"
            )
        return bool(self.data.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        body = body.replace("\n", "\n" + " " * 7)
        extras = []
        if self.dtype != np.float64:
            extras.append(f"dtype={self.dtype}")
        if self.name:
            extras.append(f"name={self.name!r}")
        if self._ctx is not None:
            extras.append(f"op={self._ctx.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # ------------------------------------------------------------- autograd
    def backward(
        self,
        grad: ArrayLike | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``grad`` is needed unless self is a scalar (one element).
        """
        for _ in walk_backward(self, grad, retain_graph, create_graph):
            pass

    def backward_steps(
        self,
        grad: ArrayLike | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> Iterator[BackwardStep]:
        """The backward walk, one record per node (see ``engine.BackwardStep``)."""
        return backward_steps(self, grad, retain_graph, create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    def detach(self) -> Tensor:
        """The same data as a new leaf with no history (shares memory)."""
        out = Tensor._from_op(self.data, None)
        out.name = self.name
        return out

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` for this non-leaf tensor during backward."""
        if not self.requires_grad:
            raise GraphError(
                "retain_grad: the tensor does not require grad, so it gets no gradient"
            )
        self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Turn gradient tracking of a leaf on or off, in place."""
        if requires_grad and self.dtype not in FLOAT_DTYPES:
            raise DTypeError(f"requires_grad_: needs a float tensor, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def astype(self, dtype: Any) -> Tensor:
        """A copy converted to ``dtype`` (differentiable between float dtypes)."""
        return ops.astype(self, dtype)

    # ------------------------------------------------------------ operators
    def __add__(self, other: ArrayLike) -> Tensor:
        return Add.apply(self, other)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return Add.apply(other, self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return Sub.apply(self, other)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return Sub.apply(other, self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return Mul.apply(self, other)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return Mul.apply(other, self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return Div.apply(self, other)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return Div.apply(other, self)

    def __pow__(self, other: ArrayLike) -> Tensor:
        return Pow.apply(self, other)

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return Pow.apply(other, self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return Matmul.apply(self, other)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return Matmul.apply(other, self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    # Comparisons give plain boolean arrays: they have no gradient.
    def __lt__(self, other: ArrayLike) -> np.ndarray:
        return self.data < to_array(other)

    def __le__(self, other: ArrayLike) -> np.ndarray:
        return self.data <= to_array(other)

    def __gt__(self, other: ArrayLike) -> np.ndarray:
        return self.data > to_array(other)

    def __ge__(self, other: ArrayLike) -> np.ndarray:
        return self.data >= to_array(other)

    def __eq__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self.data == to_array(other)

    def __ne__(self, other: object) -> np.ndarray:  # type: ignore[override]
        return self.data != to_array(other)

    __hash__ = object.__hash__  # tensors are graph nodes: identity, not value

    # ---------------------------------------------------------- math methods
    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def clip(self, low: float | None, high: float | None) -> Tensor:
        return ops.clip(self, low, high)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return ops.softmax(self, axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis, keepdims)

    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis, keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis, keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis, keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis, keepdims)

    def reshape(self, *shape: int | Sequence[int]) -> Tensor:
        return ops.reshape(self, *shape)

    def transpose(self, *axes: int | Sequence[int]) -> Tensor:
        return ops.transpose(self, *axes)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        return ops.broadcast_to(self, shape)

    # PyTorch's further Tensor methods, each a call into ops (see their docstrings there)
    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def erf(self) -> Tensor:
        return ops.erf(self)

    def log2(self) -> Tensor:
        return ops.log2(self)

    def exp2(self) -> Tensor:
        return ops.exp2(self)

    def rsqrt(self) -> Tensor:
        return ops.rsqrt(self)

    def prod(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.prod(self, axis, keepdims)

    def var(self, axis: Axis = None, *, correction: int = 1, keepdims: bool = False) -> Tensor:
        return ops.var(self, axis, correction=correction, keepdims=keepdims)

    def std(self, axis: Axis = None, *, correction: int = 1, keepdims: bool = False) -> Tensor:
        return ops.std(self, axis, correction=correction, keepdims=keepdims)

    def cumsum(self, axis: int) -> Tensor:
        return ops.cumsum(self, axis)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return ops.argmax(self, axis, keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return ops.argmin(self, axis, keepdims)

    def any(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.any(self, axis, keepdims)

    def all(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        return ops.all(self, axis, keepdims)

    def squeeze(self, axis: Axis = None) -> Tensor:
        return ops.squeeze(self, axis)

    def unsqueeze(self, axis: int) -> Tensor:
        return ops.unsqueeze(self, axis)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return ops.flatten(self, start_dim, end_dim)

    def split(
        self, split_size_or_sections: int | Sequence[int], axis: int = 0
    ) -> tuple[Tensor, ...]:
        return ops.split(self, split_size_or_sections, axis)

    def chunk(self, chunks: int, axis: int = 0) -> tuple[Tensor, ...]:
        return ops.chunk(self, chunks, axis)

    def repeat(self, *repeats: int | Sequence[int]) -> Tensor:
        return ops.repeat(self, *repeats)

    def tril(self, diagonal: int = 0) -> Tensor:
        return ops.tril(self, diagonal)

    def triu(self, diagonal: int = 0) -> Tensor:
        return ops.triu(self, diagonal)

    def masked_fill(self, mask: ArrayLike, value: float) -> Tensor:
        return ops.masked_fill(self, mask, value)

    def gather(self, axis: int, index: ArrayLike) -> Tensor:
        return ops.gather(self, axis, index)

    def topk(self, k: int, axis: int = -1, largest: bool = True, sorted: bool = True) -> Any:
        return ops.topk(self, k, axis, largest, sorted)


# The ops and the engine need the Tensor class defined first.
from . import ops  # noqa: E402
from .engine import backward_steps, walk_backward  # noqa: E402
from .ops.elementwise import Add, Div, Mul, Neg, Pow, Sub  # noqa: E402
from .ops.linalg import Matmul  # noqa: E402
