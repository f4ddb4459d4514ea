"""The README figure: tanh(x * w + b) with values and gradients."""

import math
from pathlib import Path

from minigrad.viz import figures

COMMITTED = Path(__file__).parents[3] / "docs" / "figures" / "expression.svg"


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


def test_usage_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert figures.main([]) == 2
    assert "usage" in capsys.readouterr().err
