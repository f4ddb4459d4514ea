"""Tutorial 9's exercise: clip_by_global_norm.

The global norm is the square root of the sum of every array's squared
entries. The scale is max_norm / norm, but never above 1: a gradient that is
already short enough stays as it is.
"""

import numpy as np


def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads], norm
