"""python -m rnn.figures: the README's three RNN pictures, and the committed copies."""

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import rnn
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


def test_a_terminal_log_with_control_characters_gets_all_three_pictures(tmp_path):
    """A NUL and an ANSI colour code in the corpus are drawn as text, not fed to Graphviz."""
    text = "\x1b[31m\x00ok\x1b[0m\n"
    vocab = sorted(set(text))
    model = rnn.RNN(len(vocab), 8, len(vocab), seed=0, vocab=vocab)
    ids = np.array([[vocab.index(ch)] for ch in text[:9]])  # the first 8 steps, as the demo
    paths = figures.write_diagrams(model, ids[:-1], ids[1:], tmp_path)
    assert [p.name for p in paths] == [f"rnn_{view}.svg" for view in VIEWS]
    shown = texts(tmp_path / "rnn_unrolled.svg")
    assert {"\\x1b", "[", "\\x00"} <= set(shown)  # the inputs x_t, shown literally
