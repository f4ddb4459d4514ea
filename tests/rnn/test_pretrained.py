"""The LSTM that ships in rnn/models: small, loadable, and as good as its documentation says.

Its held-out perplexity is computed here with ``rnn.evaluate`` on what
``CharDataset.split(0.1)`` holds out, and must be the number that
rnn/pretrained.py and the README state; its samples at temperature 0.5 must
be real words and fit to print.
"""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from wordfilter import unfit_words

import rnn
from rnn.__main__ import main as rnn_main
from rnn.data import CharDataset, Vocab, load_text
from rnn.evaluation import word_share
from rnn.pretrained import PYDOC_LSTM, corpus_sha256, main

README = Path(__file__).resolve().parents[2] / "README.md"
STATED = re.compile(r"held-out perplexity (?:is )?(\d+\.\d\d)")


@pytest.fixture(scope="module")
def shipped():
    model, checkpoint = rnn.load_model(PYDOC_LSTM)
    text = load_text("pydoc")
    assert checkpoint.metadata["corpus_sha256"] == corpus_sha256(text), (
        f"this Python's pydoc text is not the one the model was trained on (Python "
        f"{checkpoint.metadata['python']}); retrain it with make speaker"
    )
    train_part, held_out = CharDataset.from_text(text, Vocab.from_list(model.vocab)).split(0.1)
    return model, checkpoint, train_part, held_out


def test_the_shipped_file_is_a_small_float32_lstm_without_optimizer_state(shipped):
    model, checkpoint, _, _ = shipped
    assert isinstance(model, rnn.LSTM) and model.dtype == np.float32
    assert checkpoint.extras == {}
    assert PYDOC_LSTM.stat().st_size < 3e6


def test_held_out_perplexity_is_the_stated_one_and_at_most_4_5(shipped):
    model, _, _, held_out = shipped
    perplexity = math.exp(rnn.evaluate(model, held_out))
    assert perplexity <= 4.5
    stated = STATED.findall(rnn.pretrained.__doc__ or "") + STATED.findall(README.read_text())
    assert stated and set(stated) == {f"{perplexity:.2f}"}, (stated, perplexity)


def test_samples_at_temperature_half_are_real_words_fit_to_print(shipped):
    model, _, train_part, _ = shipped
    samples = [model.sample("The ", 400, temperature=0.5, seed=seed) for seed in range(10, 15)]
    assert word_share(samples, train_part.text) >= 0.85
    assert unfit_words(" ".join(samples)) == []


def test_ship_writes_the_model_without_optimizer_state(tmp_path, capsys):
    model = rnn.LSTM(5, 4, 5, seed=0, vocab=list("abcde"))
    data = CharDataset.from_text("abcde" * 40, Vocab.from_list(model.vocab))
    rnn.train(model, data, steps=3, bptt=4, batch_size=2, checkpoint=tmp_path / "run.npz")
    main([str(tmp_path / "run.npz"), "--out", str(tmp_path / "ship.npz"), "--text", "zen"])
    assert "wrote" in capsys.readouterr().out
    loaded, checkpoint = rnn.load_model(tmp_path / "ship.npz")
    assert checkpoint.extras == {} and checkpoint.metadata["step"] == 3
    assert checkpoint.metadata["corpus_sha256"] == corpus_sha256(load_text("zen"))
    for p, q in zip(model.parameters(), loaded.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)


def test_the_readme_sample_is_what_the_sample_command_prints(shipped, capsys):
    found = re.search(
        r"`python -m rnn sample (--checkpoint rnn/models/pydoc_lstm\.npz [^`]*)` prints\n\n"
        r"```text\n(.*?)```",
        README.read_text(),
        flags=re.S,
    )
    assert found, "the README shows no sample of the shipped model"
    args = found[1].split()
    args[args.index("--checkpoint") + 1] = str(PYDOC_LSTM)
    assert rnn_main(["sample", *args]) == 0
    assert capsys.readouterr().out.rstrip() == found[2].rstrip()
