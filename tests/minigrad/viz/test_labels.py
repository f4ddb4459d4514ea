"""Hostile text in every renderer: cleaned, cut short, and the DOT text stays small."""

from pathlib import Path

import pytest

import minigrad as mg
from minigrad.function import Function
from minigrad.viz import draw, flipbook
from minigrad.viz.labels import TOOLTIP_LIMIT, clean, quote


def scoped(*names: str) -> mg.Tensor:
    """x * 2 made inside the nested scopes ``names``."""
    x = mg.Tensor(1.0, requires_grad=True, name="x")
    scopes = [mg.scope(n) for n in names]
    for s in scopes:
        s.__enter__()
    try:
        y = x * 2.0
    finally:
        for s in reversed(scopes):
            s.__exit__(None, None, None)
    return y


def test_tooltips_are_cleaned_and_cut() -> None:
    text = quote("a\x00\udc80" + "z" * 10_000)
    assert text.startswith('"a\\\\x00\\\\udc80z') and len(text) <= 2 * TOOLTIP_LIMIT
    assert quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert clean("ok\x1b[31m") == "ok\\x1b[31m"


@pytest.mark.parametrize("length", [17_000, 100_000])
def test_a_very_long_scope_name_renders(dot: str, length: int, svg_texts) -> None:  # type: ignore[no-untyped-def]
    graph = draw(scoped("s" * length))
    assert len(graph.source) < 5_000
    assert any(t.startswith("sss") and t.endswith("\u2026") for t in svg_texts(graph.pipe("svg")))


def test_100_nested_long_scopes_keep_the_dot_text_small() -> None:
    graph = draw(scoped(*[f"{n:03d}" + "n" * 10_000 for n in range(100)]))
    assert graph.source.count("subgraph cluster_") == 100
    assert len(graph.source) < 200_000  # bounded per cluster: not the 1 MB of names each


class Strange(Function):
    """y = x"""

    def forward(self, x):  # type: ignore[no-untyped-def]
        return x * 1.0

    def backward(self, grad, out, x):  # type: ignore[no-untyped-def]
        return (grad,)


def test_a_formula_with_a_lone_surrogate_does_not_break_a_flipbook(
    dot: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Strange, "formula", "y = x \udcff \x07 strange")
    y = Strange.apply(mg.Tensor(1.0, requires_grad=True, name="x"))
    page = flipbook(y, tmp_path / "s.html").read_text(encoding="utf-8")
    assert "\\udcff" in page and "\\x07" in page
    assert "\\udcff" in draw(y).source
