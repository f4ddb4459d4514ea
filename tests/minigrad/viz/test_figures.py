"""The committed figures: current, and legible in an 800 px column."""

import math
from pathlib import Path

import pytest

from minigrad.viz import figures

from .svgpos import svg_size_pt

ROOT = Path(__file__).parents[3]
COMMITTED = ROOT / "docs" / "figures" / "expression.svg"
# Shown 800 px wide, a figure W pt wide scales 11-pt text (14.7 px) to 14.7 * 800 / (W * 4/3)
# px; at W = 1100 pt that is 8 px, the smallest size still read without zooming.
MAX_WIDTH_PT = 1100
FIGURES = sorted((ROOT / "docs" / "figures").glob("*.svg")) + sorted(
    (ROOT / "tutorials" / "figures").glob("*.svg")
)


def test_expression_figure(dot: str, tmp_path: Path, svg_texts) -> None:  # type: ignore[no-untyped-def]
    assert figures.main([str(tmp_path / "out")]) == 0
    texts = svg_texts((tmp_path / "out" / "expression.svg").read_bytes())
    t = math.tanh(0.5 * -1.5 + 2.0)
    local = 1 - t * t
    for name in ("x", "w", "b", "y", "tanh", "mul", "add"):
        assert name in texts
    for grad in (local * -1.5, local * 0.5, local, 1.0):
        assert f"grad {grad:.4g}" in texts
    assert f"data {t:.4g}" in texts


def test_committed_figure_is_current(svg_texts) -> None:  # type: ignore[no-untyped-def]
    texts = svg_texts(COMMITTED.read_bytes())
    assert "tanh" in texts and f"data {math.tanh(1.25):.4g}" in texts


@pytest.mark.parametrize("figure", FIGURES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_committed_figure_is_legible_at_800_px(figure: Path) -> None:
    width, _ = svg_size_pt(figure.read_bytes())
    assert width <= MAX_WIDTH_PT, f"{figure.name} is {width:.0f} pt wide"


def test_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert figures.main([]) == 2
    assert "usage" in capsys.readouterr().err
