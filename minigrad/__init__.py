"""minigrad: a small reverse-mode autograd engine on numpy, built to be read.

Start with ``Tensor`` (tensor.py), follow an op to ``ops/``, and read
``engine.py`` for backward. Everything public is re-exported here.
"""

from .tensor import Tensor  # noqa: I001  (the Tensor class must load first)
from .engine import BackwardStep, SparseGrad, toposort
from .errors import AnomalyError, DTypeError, GraphError, MinigradError, ShapeError
from .function import Function
from .gradcheck import GradcheckError, gradcheck, gradgradcheck, numerical_grad
from .io import Checkpoint, CheckpointError, load, save
from . import nn, optim  # noqa: I001
from .mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope
from . import collector, memory  # noqa: F401  (collect less often, keep freed memory; see each)
from . import ops
from .ops import *  # noqa: F403  (every op; the list is ops.__all__)

__version__ = "0.1.0"

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "nn",
    "optim",
    "AnomalyError",
    "BackwardStep",
    "DTypeError",
    "Function",
    "GradcheckError",
    "GraphError",
    "MinigradError",
    "ShapeError",
    "SparseGrad",
    "Tensor",
    "detect_anomaly",
    "enable_grad",
    "gradcheck",
    "gradgradcheck",
    "is_grad_enabled",
    "load",
    "no_grad",
    "numerical_grad",
    "save",
    "scope",
    "toposort",
]
__all__ += ops.__all__
