"""What the shape-op tests share: a small matrix and the gradient an op sends back to it."""

import numpy as np

from minigrad import Tensor

X = np.arange(12.0).reshape(3, 4)


def grad_at(fn, x: np.ndarray, upstream: np.ndarray | None = None) -> np.ndarray:
    """The gradient at x of fn(x), for the upstream gradient given (ones by default)."""
    t = Tensor(x, requires_grad=True)
    y = fn(t)
    y.backward(np.ones(y.shape) if upstream is None else upstream)
    return t.grad.data
