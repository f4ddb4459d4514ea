"""All ops, one family per module. Each op is a ``Function`` class plus a function."""

from .activation import log_softmax, logsumexp, relu, sigmoid, softmax, tanh
from .elementwise import (
    abs,
    add,
    clip,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sqrt,
    sub,
    where,
)
from .linalg import addmm, matmul
from .loss import cross_entropy, mse
from .reduce import max, mean, min, sum
from .shape import astype, broadcast_to, concat, getitem, reshape, scatter_add, stack, transpose

__all__ = [
    "abs",
    "add",
    "addmm",
    "astype",
    "broadcast_to",
    "clip",
    "concat",
    "cross_entropy",
    "div",
    "exp",
    "getitem",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mse",
    "mul",
    "neg",
    "pow",
    "relu",
    "reshape",
    "scatter_add",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "sub",
    "sum",
    "tanh",
    "transpose",
    "where",
]
