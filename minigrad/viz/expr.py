"""A safe parser for small expressions like ``tanh(x * w + b)``, for the CLI.

The text is parsed with Python's ``ast`` and every node is checked against a
whitelist: names, numbers, the operators ``+ - * / ** @``, unary ``-``/``+``,
and calls to the minigrad functions in ``FUNCTIONS`` (with an optional
``axis=<int>`` or ``keepdims=<bool>``). Anything else — attribute access,
indexing, lambdas, strings, comparisons, ``__import__(...)`` — is refused
with an ``ExpressionError`` naming the construct. The expression is then
evaluated by walking the checked tree with minigrad ops; nothing is passed
to ``eval`` or ``compile``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from .. import ops
from ..errors import MinigradError
from ..tensor import Tensor

MAX_LENGTH = 1000  # characters
MAX_NODES = 300  # syntax-tree nodes

FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "tanh": ops.tanh, "sigmoid": ops.sigmoid, "relu": ops.relu, "exp": ops.exp,
    "log": ops.log, "sqrt": ops.sqrt, "abs": ops.abs, "sum": ops.sum, "mean": ops.mean,
    "max": ops.max, "min": ops.min, "softmax": ops.softmax, "log_softmax": ops.log_softmax,
    "logsumexp": ops.logsumexp, "maximum": ops.maximum, "minimum": ops.minimum,
    "matmul": ops.matmul, "transpose": ops.transpose, "mse": ops.mse,
}  # fmt: skip

BINARY: dict[type[ast.operator], Callable[[Any, Any], Tensor]] = {
    ast.Add: ops.add, ast.Sub: ops.sub, ast.Mult: ops.mul, ast.Div: ops.div,
    ast.Pow: ops.pow, ast.MatMult: ops.matmul,
}  # fmt: skip

REFUSED = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "indexing (a[...])",
    ast.Lambda: "lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else expressions",
    ast.Starred: "*-unpacking",
    ast.NamedExpr: "assignment (:=)",
    ast.JoinedStr: "f-strings",
    ast.Await: "await",
}


class ExpressionError(MinigradError, ValueError):
    """An expression the safe parser refuses or cannot evaluate."""


class Expression:
    """A checked expression: ``.variables`` in order of first use, ``.evaluate(env)``."""

    def __init__(self, text: str, body: ast.expr, variables: list[str]) -> None:
        self.text = text
        self.body = body
        self.variables = variables

    def evaluate(self, env: Mapping[str, Tensor]) -> Tensor:
        """The value of the expression with each variable bound to ``env[name]``.

        Post-order walk with an explicit stack: operands first, then the node.
        """
        if not self.variables:
            raise ExpressionError(f"expression {self.text!r} uses no variable; nothing to draw")
        missing = [name for name in self.variables if name not in env]
        if missing:
            raise ExpressionError(f"expression {self.text!r}: no value for {', '.join(missing)}")
        results: list[Any] = []
        todo: list[tuple[ast.expr, bool]] = [(self.body, False)]
        while todo:
            node, ready = todo.pop()
            operands = _operands(node)
            if not ready:
                todo.append((node, True))
                todo.extend((child, False) for child in reversed(operands))
                continue
            args = results[len(results) - len(operands) :]
            del results[len(results) - len(operands) :]
            results.append(self._apply(node, args, env))
        value: Tensor = results[0]
        return value

    def _apply(self, node: ast.expr, args: list[Any], env: Mapping[str, Tensor]) -> Any:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)  # checked by _check_node
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            return ops.neg(args[0]) if isinstance(node.op, ast.USub) else args[0]
        if isinstance(node, ast.BinOp):
            return BINARY[type(node.op)](*args)
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        kwargs = {k.arg: _keyword_value(k) for k in node.keywords if k.arg is not None}
        try:
            return FUNCTIONS[node.func.id](*args, **kwargs)
        except TypeError as err:
            if isinstance(err, MinigradError):
                raise
            raise ExpressionError(f"{node.func.id}(...): {err}") from None


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _keyword_value(keyword: ast.keyword) -> int | bool:
    value = keyword.value
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        inner = value.operand
        assert isinstance(inner, ast.Constant) and isinstance(inner.value, int)
        return -inner.value
    assert isinstance(value, ast.Constant) and isinstance(value.value, int)  # bool is an int
    return value.value


def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; raise ``ExpressionError`` for anything not allowed."""
    if not isinstance(text, str):
        raise ExpressionError(f"expected the expression as a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        raise ExpressionError(f"cannot parse {text!r}: {err}") from None
    return Expression(text, tree.body, _check(text, tree.body))


def _check(text: str, body: ast.expr) -> list[str]:
    """Walk the tree (iteratively) and refuse any node outside the whitelist."""
    variables: list[str] = []
    todo: list[ast.expr] = [body]
    count = 0
    while todo:
        node = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} parts; keep it small")
        _check_node(text, node)
        if isinstance(node, ast.Name) and node.id not in variables:
            variables.append(node.id)
        todo.extend(reversed(_operands(node)))
    return variables


def _refuse(text: str, node: ast.AST, what: str) -> ExpressionError:
    snippet = ast.get_source_segment(text.strip(), node) or ""
    where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
    allowed = "names, numbers, + - * / ** @, unary -, and calls to " + ", ".join(sorted(FUNCTIONS))
    return ExpressionError(f"{what} is not allowed{where}: {snippet!r}. Allowed: {allowed}")


def _check_node(text: str, node: ast.expr) -> None:
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _refuse(text, node, f"the constant {node.value!r} (only numbers)")
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise _refuse(text, node, f"the name {node.id!r} (names may not start with '_')")
        if node.id in FUNCTIONS:
            raise _refuse(text, node, f"{node.id!r} without a call (it is a function)")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise _refuse(text, node, f"the operator {type(node.op).__name__}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY:
            raise _refuse(text, node, f"the operator {type(node.op).__name__}")
    elif isinstance(node, ast.Call):
        _check_call(text, node)
    else:
        what = REFUSED.get(type(node), f"the construct {type(node).__name__}")
        raise _refuse(text, node, what)


def _check_call(text: str, node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        raise _refuse(text, node, "calling anything but a named function")
    if node.func.id not in FUNCTIONS:
        raise _refuse(text, node, f"the function {node.func.id!r}")
    for keyword in node.keywords:
        if keyword.arg not in ("axis", "keepdims") or not _literal_ok(keyword):
            raise _refuse(
                text, keyword.value, "keyword arguments other than axis=<int>, keepdims=<bool>"
            )


def _literal_ok(keyword: ast.keyword) -> bool:
    value = keyword.value
    if keyword.arg == "keepdims":
        return isinstance(value, ast.Constant) and type(value.value) is bool
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        value = value.operand
    return isinstance(value, ast.Constant) and type(value.value) is int
