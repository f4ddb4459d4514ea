"""minigrad: a small reverse-mode autograd engine on numpy, built to be read.

Start with ``Tensor`` (tensor.py), follow an op to ``ops/``, and read
``engine.py`` for backward. Everything public is re-exported here.
"""

from .tensor import Tensor  # noqa: I001  (the Tensor class must load first)
from .engine import BackwardStep, SparseGrad, toposort
from .errors import AnomalyError, DTypeError, GraphError, MinigradError, ShapeError
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from .ops import (
    abs, add, astype, broadcast_to, clip, concat, cross_entropy, div, exp, getitem, log,
    log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum, mse, mul, neg, pow,
    relu, reshape, sigmoid, softmax, sqrt, stack, sub, sum, tanh, transpose, where,
)

__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "BackwardStep", "DTypeError", "Function", "GradcheckError", "GraphError",
    "MinigradError", "ShapeError", "SparseGrad", "Tensor", "abs", "add", "astype",
    "broadcast_to", "clip", "concat", "cross_entropy", "detect_anomaly", "div",
    "enable_grad", "exp", "getitem", "gradcheck", "gradgradcheck", "is_grad_enabled", "load",
    "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum",
    "mse", "mul", "neg", "no_grad", "numerical_grad", "pow", "relu", "reshape", "save",
    "scope", "sigmoid", "softmax", "sqrt", "stack", "sub", "sum", "tanh", "toposort",
    "transpose", "where",
]
