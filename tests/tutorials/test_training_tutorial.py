"""Tutorial 10 in full mode (no MINIGRAD_FAST), as a learner runs it: it trains its own
char-RNN, resumes it exactly, ends with the shipped LSTM's held-out perplexity and word
share, prints only samples fit to print and writes its files into figures/ only."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from wordfilter import unfit_words

SCRIPT = Path(__file__).resolve().parents[2] / "tutorials" / "10_training_a_character_model.py"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("tutorial9")
    env = {k: v for k, v in os.environ.items() if k != "MINIGRAD_FAST"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=cwd,
        env={**env, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return cwd, done.stdout


def test_prints_the_shipped_models_perplexity_and_word_share(full_run):
    _, out = full_run
    perplexity = re.search(r"held-out characters: (\d+\.\d\d) \(ours: (\d+\.\d)\)", out)
    share = re.search(r"real words at τ = 0.5: (\d+)% \(ours: (\d+)%\)", out)
    assert perplexity and share, out[-2000:]
    assert float(perplexity[1]) <= 4.5 < float(perplexity[2])
    assert int(share[1]) >= 85 > int(share[2])


def test_resumed_equals_uninterrupted(full_run):
    _, out = full_run
    assert "stopped and resumed = in one go: weights True, losses True" in out


def test_every_printed_sample_is_fit_to_print(full_run):
    _, out = full_run
    assert out.count("----- sample at step") >= 2
    assert unfit_words(out) == []


def test_writes_its_files_into_figures_only(full_run):
    cwd, _ = full_run
    written = sorted(str(p.relative_to(cwd)) for p in cwd.rglob("*") if p.is_file())
    assert written and all(name.startswith("figures/") for name in written), written
    assert "figures/char_rnn.npz" in written
