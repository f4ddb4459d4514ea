"""python -m rnn.figures: the README's three RNN pictures, and the committed copies."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rnn import figures
from rnn.diagram import VIEWS

COMMITTED = Path(__file__).parents[2] / "docs" / "figures"
SVG = "{http://www.w3.org/2000/svg}"


def texts(path):
    return [t.text for t in ET.parse(path).getroot().iter(f"{SVG}text") if t.text]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    assert figures.main([str(out)]) == 0
    return out


@pytest.mark.parametrize("view", VIEWS)
def test_committed_figure_is_current_and_fits_an_800px_column(fresh, view):
    """Same text as a fresh ``make figures`` (layout may differ by Graphviz version)."""
    committed = COMMITTED / f"rnn_{view}.svg"
    assert texts(committed) == texts(fresh / f"rnn_{view}.svg")
    width = ET.parse(committed).getroot().get("width")
    assert float(width.removesuffix("pt")) <= 1100


def test_the_hello_example_reads_hell_and_predicts_ello(fresh):
    shown = texts(fresh / "rnn_unrolled.svg")
    assert [shown[shown.index(f"x{s}") + 1] for s in "₁₂₃₄"] == list("hell")
    assert [shown[shown.index(f"y{s}") + 1][2] for s in "₁₂₃₄"] == list("ello")


def test_usage_error(capsys):
    assert figures.main([]) == 2
    assert "usage" in capsys.readouterr().err
