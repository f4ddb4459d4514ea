"""The validation loss: the mean cross-entropy over a whole text, checked by hand in numpy."""

import pytest

import rnn
from rnn import reference
from rnn.data import CharDataset
from rnn.evaluation import evaluate


def test_evaluate_matches_the_hand_derived_forward():
    data = CharDataset.from_text("the cat sat on the mat. " * 10)
    model = rnn.RNN(data.vocab.size, 16, data.vocab.size, seed=0)
    streams, length = 4, (len(data.ids) - 1) // 4
    inputs = data.ids[: streams * length].reshape(streams, length).T
    targets = data.ids[1 : streams * length + 1].reshape(streams, length).T
    params = {k: getattr(model, k).data for k in "UWVbc"}
    expected, _ = reference.loss_and_grads(params, inputs, targets)
    assert evaluate(model, data, streams=4, chunk=7) == pytest.approx(expected, rel=1e-12)
    assert evaluate(model, data, streams=4, chunk=10_000) == pytest.approx(expected, rel=1e-12)
    assert all(p.grad is None for p in model.parameters())  # no_grad: nothing accumulated
    with pytest.raises(ValueError, match="at least 2 characters"):
        evaluate(model, CharDataset.from_text("a", data.vocab))
    with pytest.raises(TypeError, match="expected a CharDataset, got list"):
        evaluate(model, [1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"streams": 0}, ValueError, "streams must be >= 1, got 0"),
        ({"streams": -1}, ValueError, "streams must be >= 1, got -1"),
        ({"streams": 2.5}, TypeError, "streams must be an int, got 2.5"),
        ({"streams": True}, TypeError, "streams must be an int, got True"),
        ({"chunk": 0}, ValueError, "chunk must be >= 1, got 0"),
        ({"chunk": -5}, ValueError, "chunk must be >= 1, got -5"),  # once a silent loss of 0.0
        ({"chunk": "8"}, TypeError, "chunk must be an int, got '8'"),
    ],
)
def test_bad_streams_and_chunks_are_refused_by_name(kwargs, error, message):
    data = CharDataset.from_text("the cat sat on the mat. " * 4)
    model = rnn.RNN(data.vocab.size, 4, data.vocab.size, seed=0)
    with pytest.raises(error, match=message):
        evaluate(model, data, **kwargs)


def test_word_share_counts_letter_only_tokens_of_three_or_more_found_in_the_text() -> None:
    from rnn.evaluation import word_share

    text = "The value of an object; an int(x) is immutable."
    # words: "The", "int" occur, "valeu", "immutible" do not; "of", "an" are too short,
    # "object;" and "x.y" are not letters only
    assert word_share(["The valeu of an object;", "int immutible x.y"], text) == 2 / 4
    assert word_share(["the"], text) == 0.0  # case counts: only "The" occurs
    with pytest.raises(ValueError, match="no word of 3\\+ letters"):
        word_share(["a b; 12 object;"], text)
