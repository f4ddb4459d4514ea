"""Where things land in the rendered picture: time order, operand order, shared weights."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad.viz import GraphTooLargeError, draw
from minigrad.viz.labels import ELLIPSIS, natural_key, shorten

from .helpers import BOLD, cluster_paths, nodes, title
from .svgpos import node_texts, text_position


def unrolled(T: int) -> mg.Tensor:
    """The loss of a tiny RNN unrolled T steps, the textbook loop (one scope per step)."""
    model = rnn.RNN(3, 2, 3, seed=0)
    rng = np.random.default_rng(T)
    xs, ys = rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))
    return rnn.sequence_loss(model(xs, per_step=True)[0], ys)


def along_flow(point: tuple[float, float], rankdir: str) -> float:
    """The coordinate that grows along the flow: x for LR, y (downwards) for TB."""
    return point[0] if rankdir == "LR" else point[1]


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("T", [1, 3, 4, 8, 12, 20])
def test_hidden_states_in_time_order_along_the_flow(dot: str, T: int, rankdir: str) -> None:
    svg = draw(unrolled(T), rankdir=rankdir, values=False, grads=False).pipe("svg")
    where = [along_flow(text_position(svg, f"h_{t}"), rankdir) for t in range(1, T + 1)]
    assert where == sorted(where) and len(set(where)) == T


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("T", [1, 3, 4, 8, 12, 20])
def test_collapsed_steps_in_time_order(dot: str, T: int, rankdir: str) -> None:
    graph = draw(unrolled(T), rankdir=rankdir, collapse=True)
    svg = graph.pipe("svg")
    where = [along_flow(text_position(svg, f"t={t}"), rankdir) for t in range(1, T + 1)]
    assert where == sorted(where) and len(set(where)) == T
    assert graph.node_count <= T + 20  # a box per step; weights, their transposes, the loss


def test_scopes_in_natural_order() -> None:
    assert sorted(["t=10", "t=2", "t=1", "t=19"], key=natural_key) == [
        "t=1", "t=2", "t=10", "t=19",
    ]  # fmt: skip
    src = draw(unrolled(12), values=False, grads=False).source
    order = [title(line) for line in src.splitlines() if "graph [label=<<B>t=" in line]
    assert order == [f"t={t}" for t in range(1, 13)]


def first_and_second(expr: str, rankdir: str) -> tuple[tuple[float, float], tuple[float, float]]:
    a = mg.Tensor(np.ones((2, 2)), requires_grad=True, name="P")
    b = mg.Tensor(np.ones((2, 2)), requires_grad=True, name="Q")
    y = {"*": lambda: a * b, "-": lambda: a - b, "@": lambda: a @ b}[expr]()
    svg = draw(y, rankdir=rankdir, values=False).pipe("svg")
    return text_position(svg, "P"), text_position(svg, "Q")


@pytest.mark.parametrize("expr", ["*", "-", "@"])
def test_first_operand_is_drawn_first(dot: str, expr: str) -> None:
    (_, y1), (_, y2) = first_and_second(expr, "LR")
    assert y1 < y2  # LR: the first input above the second
    (x1, _), (x2, _) = first_and_second(expr, "TB")
    assert x1 < x2  # TB: the first input left of the second


def test_an_op_names_its_own_operands_in_order() -> None:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    w = mg.Tensor(-1.5, requires_grad=True, name="w")
    src = draw(w * x - x / w).source  # w * x: w is the first operand, x the second
    ops = {title(a): a for k, a in nodes(src).items() if k.startswith("o")}
    assert ">w * x<" in ops["mul"] and ">x / w<" in ops["div"] and ">mul1 - div1<" in ops["sub"]
    assert "headlabel" not in src  # no letters on the edges to fall on other labels


def test_shared_transposes_are_drawn_once_in_the_side_column() -> None:
    src = draw(unrolled(4)).source
    keys, paths = nodes(src), cluster_paths(src)
    transposes = [k for k, a in keys.items() if "<B>transpose</B>" in a]
    assert len(transposes) == 3  # U.T, W.T and V.T, not one per step
    assert all(paths[k] == ("used in t=1 … t=4",) for k in transposes)
    named = [b for a in keys.values() for b in BOLD.findall(a)]
    for t in range(1, 5):
        assert f"h_{t}" in named and f"o_{t}" in named


def test_formulas_cut_at_a_word_boundary_or_moved_to_the_tooltip() -> None:
    text = "y = [x_1, x_2, ...] stacked on a new axis"
    short = shorten(text, 30)
    assert short.endswith(ELLIPSIS) and len(short) <= 31
    assert text.startswith(short[:-2]) and text[len(short) - 2] == " "  # a whole word ended
    y = mg.stack([mg.Tensor(1.0, requires_grad=True, name="o_1")])
    src = draw(y, formulas="tooltip").source
    ops = [a for k, a in nodes(src).items() if k.startswith("o")]
    assert all("POINT-SIZE" not in a for a in ops)
    assert any('tooltip="stack: stack1 = [o_1] stacked on a new axis' in a for a in ops)
    with pytest.raises(ValueError, match="formulas"):
        draw(unrolled(1), formulas="everywhere")


def test_refusal_names_collapse_and_collapse_draws_a_long_unroll() -> None:
    loss = unrolled(200)
    with pytest.raises(GraphTooLargeError, match=r"collapse=True"):
        draw(loss)
    assert draw(loss, collapse=True).node_count <= 220  # 200 boxes, not 2000+ nodes


def test_collapsed_boxes_name_what_they_hand_on(dot: str) -> None:
    texts = [t for lines in node_texts(draw(unrolled(3), collapse=True).pipe("svg")).values()
             for t, _, _ in lines]  # fmt: skip
    assert "t=2" in texts and any("h_2" in t.split() for t in texts)
