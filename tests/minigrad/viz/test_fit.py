"""Op-level graphs with scopes fit an 800 px column: size and smallest text, read from the SVG.

Shown 800 px wide, a figure W pt wide draws text of s pt at s * 800 / W px; the
bounds are at most 1100 pt wide, 3500 pt tall and no text under 11 px.
"""

import re
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad.viz import draw
from rnn.__main__ import main as rnn_main

from .svgpos import svg_size_pt

MAX_WIDTH_PT, MAX_HEIGHT_PT, MIN_TEXT_PX, COLUMN_PX = 1100, 3500, 11, 800


def smallest_text_px(svg: bytes) -> float:
    """The smallest font size in the SVG, in px once the figure is shown 800 px wide."""
    width, _ = svg_size_pt(svg)
    sizes = [float(s) for s in re.findall(rb'font-size="([\d.]+)"', svg)]
    return min(sizes) * COLUMN_PX / width


def assert_fits(svg: bytes) -> None:
    width, height = svg_size_pt(svg)
    assert width <= MAX_WIDTH_PT and height <= MAX_HEIGHT_PT, (width, height)
    assert smallest_text_px(svg) >= MIN_TEXT_PX, (width, smallest_text_px(svg))


def loss_of(kind: str, T: int, per_step: bool, seed: int = 0) -> mg.Tensor:
    """The loss of a tiny model (3 tokens, hidden 2), as ``rnn graph`` builds it."""
    model = {"rnn": rnn.RNN, "lstm": rnn.LSTM, "gru": rnn.GRU}[kind](3, 2, 3, seed=seed)
    rng = np.random.default_rng(seed)
    xs, ys = rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))
    loss = rnn.sequence_loss(model(xs, per_step=per_step)[0], ys)
    loss.name = "L"
    return loss


@pytest.mark.parametrize("heat", [False, True], ids=["plain", "heat"])
@pytest.mark.parametrize("per_step", [True, False], ids=["per_step", "fast"])
@pytest.mark.parametrize(("kind", "T"), [("rnn", 4), ("lstm", 3), ("gru", 3)])
def test_default_op_views_fit(dot: str, kind: str, T: int, per_step: bool, heat: bool) -> None:
    loss = loss_of(kind, T, per_step)
    assert_fits(draw(loss, heat=heat, steps=loss.backward_steps()).pipe("svg"))


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--heat"],
        ["--fast-path"],
        ["-T", "3", "--model", "lstm"],
        ["-T", "3", "--model", "gru"],
    ],
    ids=lambda a: " ".join(a) or "no arguments",
)
def test_rnn_graph_command_fits(dot: str, tmp_path: Path, monkeypatch, args) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    assert rnn_main(["graph", *args]) == 0
    assert_fits((tmp_path / "out" / "unrolled.svg").read_bytes())


def test_a_graph_without_scopes_keeps_its_layout(dot: str) -> None:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    graph = draw(mg.tanh(x * 2.0))
    assert 'rankdir="LR"' in graph.source and "cluster_shared" not in graph.source


def unrolled(T: int, last_only: bool = False) -> mg.Tensor:
    model = rnn.RNN(3, 2, 3, seed=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))
    logits = model(xs, per_step=True)[0]
    if last_only:
        return mg.cross_entropy(logits[-1], ys[-1])
    return rnn.sequence_loss(logits, ys)


def test_collapse_draws_a_100_step_unroll_in_seconds(dot: str) -> None:
    loss = unrolled(100)
    start = time.perf_counter()
    svg = draw(loss, collapse=True, steps=loss.backward_steps()).pipe("svg")
    assert time.perf_counter() - start < 60  # generous on a busy machine; 1-2 s alone
    texts = re.findall(rb">t=(\d+)<", svg)
    assert [int(t) for t in texts] == list(range(1, 101))


def fills_of_steps(source: str, T: int) -> list[str]:
    fills = []
    for t in range(1, T + 1):
        line = next(s for s in source.splitlines() if f"<B>t={t}</B>" in s)
        match = re.search(r'fillcolor="(#[0-9a-f]{6})"', line)
        assert match, line
        fills.append(match[1])
    return fills


def test_collapse_with_heat_colours_each_step_by_the_gradient_it_hands_back() -> None:
    T = 12
    loss = unrolled(T, last_only=True)  # the loss at the last step: the gradient fades back
    model_steps = list(loss.backward_steps())
    hidden = {s.node.name: float(np.linalg.norm(s.grad.data)) for s in model_steps if s.node.name}
    src = draw(loss, collapse=True, heat=True, steps=model_steps).source
    fills = fills_of_steps(src, T)
    assert len(set(fills)) == T  # a distinct colour per step
    from .test_dot import lightness

    levels = [lightness(f) for f in fills]
    norms = [hidden[f"h_{t}"] for t in range(1, T)]
    assert norms == sorted(norms)  # the test's own reading: dL/dh_t shrinks going back
    assert levels[: T - 1] == sorted(levels[: T - 1], reverse=True)  # so earlier steps: paler
    for t in range(1, T):
        assert f"\u2016dL/d(h_{t})\u2016 {hidden[f'h_{t}']:.3g}>" in src  # the number it shows


def test_the_demos_op_level_figure_fits(dot: str) -> None:
    from rnn.demo import tiny_unrolled

    loss = tiny_unrolled(4, 0)  # what the demo draws as out/unrolled_T4.svg
    assert_fits(
        draw(loss, values=True, grads=True, heat=True, steps=loss.backward_steps()).pipe("svg")
    )
