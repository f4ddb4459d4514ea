"""Tutorial 4's exercise: log_cosh.

The derivative is sinh x / cosh x = tanh x, and `backward` writes it with
the minigrad op `tanh`, so the second derivative comes for free again. The
forward uses the overflow-free form from the hint (`np.log1p(u)` is
log(1 + u), accurate for small u).
"""

import numpy as np

import minigrad as mg


class LogCosh(mg.Function):
    """y = log(cosh(x));  dy/dx = tanh(x)"""

    def forward(self, x):
        a = np.abs(x)
        return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)

    def backward(self, grad, out, x):
        return (grad * x.tanh(),)


def log_cosh(x):
    return LogCosh.apply(x)
