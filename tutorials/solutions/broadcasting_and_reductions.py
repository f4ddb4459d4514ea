"""Tutorial 3's exercise: sum_to_shape.

First sum away the leading axes that the input does not have; what is left
has as many axes as `shape`. Then sum, with `keepdims=True`, over each axis
where the input has size 1 but the gradient does not.
"""

import numpy as np


def sum_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    added = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(added)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)
