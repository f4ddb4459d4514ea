"""The safe expression parser: what it evaluates, and everything it refuses."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.viz import ExpressionError, parse_expression


def leaves(**values: object) -> dict[str, mg.Tensor]:
    return {k: mg.Tensor(v, requires_grad=True, name=k) for k, v in values.items()}


def test_variables_in_order_of_first_use() -> None:
    assert parse_expression("tanh(x * w + b) + x").variables == ["x", "w", "b"]


def sigmoid_mix(x: float, w: float, b: float) -> float:
    return float(np.exp(w) / (1 + np.exp(-x)) + np.log(b) * np.sqrt(b))


@pytest.mark.parametrize(
    ("text", "reference"),
    [
        ("tanh(x * w + b)", lambda x, w, b: np.tanh(x * w + b)),
        ("-x ** 2 / w - +b", lambda x, w, b: -(x**2) / w - b),
        ("sigmoid(x) * exp(w) + log(b) * sqrt(b)", sigmoid_mix),
        ("maximum(x, w) - minimum(x, b) + abs(w) + relu(w)",
         lambda x, w, b: max(x, w) - min(x, b) + abs(w)),
    ],
)  # fmt: skip
def test_scalar_expressions_match_numpy(text: str, reference) -> None:  # type: ignore[no-untyped-def]
    env = leaves(x=0.7, w=-1.3, b=2.1)
    got = parse_expression(text).evaluate(env)
    assert got.item() == pytest.approx(reference(0.7, -1.3, 2.1))


def test_tensor_expression_with_keywords() -> None:
    W = np.arange(6.0).reshape(2, 3) / 10
    x = np.array([1.0, -2.0, 0.5])
    env = leaves(W=W, x=x)
    got = parse_expression("sum(softmax(W @ x, axis=-1) * 3, axis=0, keepdims=True)").evaluate(env)
    z = W @ x
    expected = (np.exp(z) / np.exp(z).sum()).sum(axis=0, keepdims=True) * 3
    np.testing.assert_allclose(got.data, expected)


def test_gradient_of_a_parsed_expression_matches_finite_differences() -> None:
    f = parse_expression("tanh(x * w + b) + x ** 2 / w")
    point = {"x": 0.3, "w": 1.7, "b": -0.4}
    env = leaves(**point)
    f.evaluate(env).backward()

    def value(p: dict[str, float]) -> float:
        return float(np.tanh(p["x"] * p["w"] + p["b"]) + p["x"] ** 2 / p["w"])

    for name in point:
        hi, lo = dict(point), dict(point)
        hi[name] += 1e-6
        lo[name] -= 1e-6
        numeric = (value(hi) - value(lo)) / 2e-6
        grad = env[name].grad
        assert grad is not None and grad.item() == pytest.approx(numeric, rel=1e-6)


REFUSED = {
    "__import__('os')": "the function '__import__'",
    "__import__('os').system('true')": "calling anything but a named function",
    "x.__class__": "attribute access",
    "x.data": "attribute access",
    "x[0]": "indexing",
    "(lambda: x)()": "calling anything but a named function",
    "lambda: x": "lambda",
    "'a' + x": "only numbers",
    "x if w else b": "if/else",
    "x < w": "comparisons",
    "x and w": "and/or",
    "open('f')": "the function 'open'",
    "eval('1')": "the function 'eval'",
    "tanh": "without a call",
    "_x + 1": "may not start with '_'",
    "[x, w]": "List",
    "{x}": "Set",
    "x(1)": "the function 'x'",
    "sum(x, axis=w)": "keyword arguments",
    "sum(x, key=1)": "keyword arguments",
    "sum(*x)": "*-unpacking",
    "sum(x, **w)": "keyword arguments",
    "f'{x}'": "f-strings",
    "x // w": "FloorDiv",
    "x % w": "Mod",
    "~x": "Invert",
    "True + x": "only numbers",
    "1j * x": "only numbers",
    "(y := x)": "assignment",
    "[i for i in x]": "ListComp",
}


@pytest.mark.parametrize(("text", "reason"), REFUSED.items())
def test_refused_constructs(text: str, reason: str) -> None:
    with pytest.raises(ExpressionError, match="not allowed") as info:
        parse_expression(text)
    assert reason in str(info.value)


def test_refusal_happens_before_anything_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    with pytest.raises(ExpressionError):
        parse_expression(f"x + __import__('os').system('touch {marker}')")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x +", "cannot parse"),
        ("x = 1", "cannot parse"),
        ("x\0", "cannot parse"),
        ("x" + " + x" * 400, "limit"),
        ("-" * 900 + "x", "parts"),
    ],
)
def test_bad_text(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text)


def test_evaluation_errors() -> None:
    with pytest.raises(ExpressionError, match="no value for w"):
        parse_expression("x * w").evaluate(leaves(x=1.0))
    with pytest.raises(ExpressionError, match="uses no variable"):
        parse_expression("2 * 3").evaluate({})
    with pytest.raises(ExpressionError, match="tanh"):
        parse_expression("tanh(x, x)").evaluate(leaves(x=1.0))
