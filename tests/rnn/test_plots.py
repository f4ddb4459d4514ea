"""The training figures: returned as matplotlib Figures, saved when a path is given."""

import numpy as np
import pytest

plt = pytest.importorskip("matplotlib.pyplot", reason="plots need the plot extra")
from matplotlib.figure import Figure  # noqa: E402

from rnn import plots  # noqa: E402


def test_loss_curve_draws_both_curves_and_the_baselines(tmp_path):
    loss = [4.0, 3.0, 2.5, 2.0]
    fig = plots.loss_curve(
        loss, tmp_path / "loss.png", 50, np.array([4.0, 3.5, 3.2, 2.9]), [(0, 4.1), (4, 2.6)], 3.0
    )
    assert isinstance(fig, Figure) and plt.get_fignums() == []  # closed in pyplot, not lost
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["training loss per step"].get_ydata(), loss)
    validation = lines["validation (held-out text)"]
    assert list(validation.get_xdata()) == [0, 4] and list(validation.get_ydata()) == [4.1, 2.6]
    assert lines["unigram = 3.00 (character frequencies)"].get_ydata()[0] == 3.0
    assert any(label.startswith("ln(vocab) = 3.91") for label in lines)
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_path_saves_nothing_and_the_figure_can_be_saved_later(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = plots.grad_norm_profile({"tanh": np.array([1.0, 0.1, 0.0])})
    assert list(tmp_path.iterdir()) == []
    fig.savefig(tmp_path / "p.svg")
    assert "<svg" in (tmp_path / "p.svg").read_text()
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and [t.get_text() for t in ax.get_legend().get_texts()] == [
        "tanh"
    ]
