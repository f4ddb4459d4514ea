"""Creation functions: new leaf tensors from a shape (PyTorch's names and arguments).

``zeros``, ``ones``, ``full``, ``arange``, ``eye``, ``rand``, ``randn``, the
``*_like`` versions that take the shape (and dtype) of another tensor, and
``one_hot`` (class indices to rows of 0s and 1s). A shape
is given either way, ``zeros(2, 3)`` or ``zeros((2, 3))``. Floats are float64
unless ``dtype`` says otherwise; ``requires_grad=True`` makes a leaf that
backward fills. The random ones draw from ``numpy.random.default_rng(seed)``,
or from the ``generator`` given (a ``numpy.random.Generator``), so a seed
gives the same numbers on every run. These tensors are leaves: no op made
them, so there is no rule to differentiate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import FLOAT_DTYPES, Tensor, array_of
from .shape import _shape_args


def _size(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    shape = _shape_args(op, size)
    if any(n < 0 for n in shape):
        raise ShapeError(f"{op}: sizes must be non-negative, got {shape}")
    return shape


def _dtype(op: str, dtype: Any, default: Any = np.float64) -> np.dtype:
    """float32/float64, an integer dtype or bool; None gives ``default``."""
    try:
        target = np.dtype(default if dtype is None else dtype)
    except TypeError as err:
        raise DTypeError(f"{op}: {dtype!r} is not a dtype: {err}") from None
    if target.kind not in "biuf" or (target.kind == "f" and target not in FLOAT_DTYPES):
        raise DTypeError(
            f"{op}: dtype {target} is not supported; expected float32, float64, "
            "an integer dtype or bool"
        )
    return target


def _leaf(op: str, data: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and data.dtype not in FLOAT_DTYPES:
        raise DTypeError(
            f"{op}: requires_grad=True needs a float32/float64 tensor, got dtype {data.dtype}"
        )
    return Tensor(data, requires_grad=requires_grad)


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    target = _dtype(op, dtype)
    if target not in FLOAT_DTYPES:
        raise DTypeError(f"{op}: draws floats; dtype must be float32 or float64, got {target}")
    return target


def _rng(op: str, seed: int | None, generator: np.random.Generator | None) -> np.random.Generator:
    """The generator to draw from: the one given, or a new one from ``seed``."""
    if generator is not None:
        if seed is not None:
            raise ValueError(f"{op}: give seed or generator, not both")
        if not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"{op}: generator must be a numpy.random.Generator, got {type(generator).__name__}"
            )
        return generator
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise TypeError(f"{op}: seed must be an integer or None, got {seed!r}")
    return np.random.default_rng(seed)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _leaf("zeros", np.zeros(_size("zeros", size), _dtype("zeros", dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _leaf("ones", np.ones(_size("ones", size), _dtype("ones", dtype)), requires_grad)


def _fill_dtype(fill_value: Any) -> Any:
    """PyTorch's dtype for a fill value: bool, int64, or the default float (float64 here)."""
    if isinstance(fill_value, bool | np.bool_):
        return np.bool_
    if isinstance(fill_value, int | np.integer):
        return np.int64
    if isinstance(fill_value, float | np.floating):
        return np.float64
    raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (an int fills int64, as in PyTorch)."""
    shape = _size("full", (size,) if isinstance(size, int | np.integer) else tuple(size))
    target = _dtype("full", dtype, _fill_dtype(fill_value))
    return _leaf("full", np.full(shape, fill_value, target), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``; ``arange(n)`` is 0..n-1.

    All-integer arguments give int64, any float gives float64, as in PyTorch.
    """
    if end is None:
        start, end = 0, start
    bounds = (start, end, step)
    for name, value in zip(("start", "end", "step"), bounds, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value}")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange: from {start} to {end} by {step} goes the wrong way; "
            "the step's sign must match end - start"
        )
    integral = all(isinstance(v, int | np.integer) for v in bounds)
    target = _dtype("arange", dtype, np.int64 if integral else np.float64)
    return _leaf("arange", np.arange(start, end, step).astype(target), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    rows, cols = _size("eye", (n, n if m is None else m))
    return _leaf("eye", np.eye(rows, cols, dtype=_dtype("eye", dtype)), requires_grad)


def _draw(
    op: str,
    method: Callable[..., np.ndarray],
    size: tuple[Any, ...],
    seed: int | None,
    generator: np.random.Generator | None,
    dtype: Any,
    requires_grad: bool,
) -> Tensor:
    """rand and randn: a leaf of ``size`` drawn by a Generator ``method`` in a float dtype."""
    shape, target = _size(op, size), _float_dtype(op, dtype)
    return _leaf(op, method(_rng(op, seed, generator), shape, dtype=target), requires_grad)


def rand(
    *size: Any,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3, seed=0)``."""
    return _draw("rand", np.random.Generator.random, size, seed, generator, dtype, requires_grad)


def randn(
    *size: Any,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples (mean 0, variance 1): ``randn(2, 3, seed=0)``."""
    normal = np.random.Generator.standard_normal
    return _draw("randn", normal, size, seed, generator, dtype, requires_grad)


def _like(op: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def zeros_like(x: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of x's shape and (by default) dtype."""
    x = _like("zeros_like", x)
    return zeros(x.shape, dtype=x.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(x: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of x's shape and (by default) dtype."""
    x = _like("ones_like", x)
    return ones(x.shape, dtype=x.dtype if dtype is None else dtype, requires_grad=requires_grad)


def full_like(x: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in x's shape and (by default) dtype."""
    x = _like("full_like", x)
    target = x.dtype if dtype is None else dtype
    return full(x.shape, fill_value, dtype=target, requires_grad=requires_grad)


def rand_like(
    x: Tensor,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1) of x's shape and (by default) dtype (x must be float)."""
    x = _like("rand_like", x)
    target = x.dtype if dtype is None else dtype
    return rand(x.shape, seed=seed, generator=generator, dtype=target, requires_grad=requires_grad)


def randn_like(
    x: Tensor,
    seed: int | None = None,
    generator: np.random.Generator | None = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples of x's shape and (by default) dtype (x must be float)."""
    x = _like("randn_like", x)
    target = x.dtype if dtype is None else dtype
    return randn(x.shape, seed=seed, generator=generator, dtype=target, requires_grad=requires_grad)


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """int64 rows with a 1 at each label: shape (..., num_classes) from labels of shape (...).

    ``num_classes=-1`` (PyTorch's default) takes the largest label + 1. The
    result has no gradient (a label is not a continuous quantity).
    """
    data = np.asarray(array_of(labels))
    if data.dtype.kind not in "iu":
        raise DTypeError(f"one_hot: labels must be integers, got dtype {data.dtype}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if data.size == 0:
            raise ShapeError("one_hot: cannot infer num_classes from empty labels; pass it")
        num_classes = int(data.max()) + 1
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}) for num_classes={num_classes}, "
            f"got values in [{data.min()}, {data.max()}]"
        )
    return Tensor((data[..., None] == np.arange(num_classes)).astype(np.int64))
