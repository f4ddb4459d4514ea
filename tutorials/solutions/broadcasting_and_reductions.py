"""Tutorial 3's exercise: mean_backward.

The mean over the reduced axes averages n = (product of their sizes)
elements, so each element's gradient is the mean's gradient divided by n.
Without keepdims the reduced axes are missing from grad: put them back with
size 1, then broadcast up to the input's shape.
"""

import numpy as np


def mean_backward(grad, shape, axis, keepdims):
    ndim = len(shape)
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    if not keepdims:
        grad = np.expand_dims(grad, axes)
    count = int(np.prod([shape[a] for a in axes]))
    return np.broadcast_to(grad / count, shape).copy()
