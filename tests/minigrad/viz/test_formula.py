"""An op's rule in its operands' names: no formula names a tensor it does not use."""

import re

import numpy as np

import minigrad as mg
import rnn
from minigrad.viz import draw, flipbook
from minigrad.viz.formula import operand_letters, written

NAMES = {"x", "w", "b", "y"}


def neuron() -> mg.Tensor:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    w = mg.Tensor(-1.5, requires_grad=True, name="w")
    b = mg.Tensor(2.0, requires_grad=True, name="b")
    y = mg.tanh(x * w + b)
    y.name = "y"
    return y


def words(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w.])[A-Za-z_]\w*", text))


def test_no_formula_in_a_drawing_names_a_tensor_it_does_not_use() -> None:
    src = draw(neuron()).source
    uses = {"mul": {"x", "w"}, "add": {"b"}, "tanh": {"y"}}  # named operands and outputs
    for line in src.splitlines():
        op = re.search(r"label=<<B>(\w+)</B>", line)
        if op and op[1] in uses and "ellipse" in line:
            named = words(line.split("label=")[1]) & NAMES
            assert named <= uses[op[1]], (op[1], named)
    assert "tanh(x)" not in src and "tanh(add1)" in src


def test_no_rule_in_a_flipbook_names_a_tensor_it_does_not_use() -> None:
    page = flipbook(neuron()).html
    rules = re.findall(r"op <b>(\w+)</b>: <code>([^<]*)</code>", page)
    uses = {"mul": {"x", "w"}, "add": {"b"}, "tanh": {"y"}}
    assert {op for op, _ in rules} == set(uses)
    for op, text in rules:
        assert words(text) & NAMES <= uses[op], (op, text)


def test_substitution_reaches_calls_and_divisions_but_never_prose() -> None:
    assert written("y = log(x);  dy/dx = 1/x", "L", ["p"]) == "L = log(p);  dL/dp = 1/p"
    assert written("y = tanh(x);  dy/dx = 1 - y**2", "h", ["z"]) == "h = tanh(z);  dh/dz = 1 - h**2"
    stacked = written("y = [x_1, x_2, ...] stacked on a new axis", "o", ["o_1"])
    assert stacked == "o = [o_1] stacked on a new axis"  # "a" is a word here, not an operand
    assert operand_letters("y = x with axes permuted", 1) == ["x"]
    assert written("y = x with axes permuted", "Wt", ["W"]) == "Wt = W with axes permuted"
    assert written("Y = C + A @ B", "z", ["c", "h", "Wt"]) == "z = c + h @ Wt"


def test_the_demos_flipbook_writes_no_name_into_prose() -> None:
    model = rnn.RNN(3, 2, 3, seed=0)
    xs = np.array([[0]])
    loss = rnn.sequence_loss(model(xs, per_step=True)[0], np.array([[1]]))
    page = flipbook(loss).html
    assert "stacked on a new axis" in page and "on o_1 new" not in page


def test_a_name_of_several_words_is_bracketed_where_it_is_an_operand() -> None:
    rule = written("y = x[index];  dx = zeros with g added at [index]", "U x_t + b", ["Uᵀ + b"])
    assert rule.startswith("U x_t + b = (Uᵀ + b)[index];  dL/d(Uᵀ + b) = zeros with")
    assert rule.endswith(" dL/d(U x_t + b) added at [index]")
    assert written("y = tanh(x)", "h", ["U x + b"]) == "h = tanh(U x + b)"  # no double brackets
