"""RNN/LSTM/GRU models: the fast unroll, the textbook unroll, step, sample, errors."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad.errors import DTypeError, ShapeError
from rnn.cell import GRUCell, LSTMCell, RNNCell


def grads_of(model):
    return {name: p.grad.data.copy() for name, p in model.named_parameters()}


def run(model, xs, ys, per_step):
    model.zero_grad()
    logits, hs = model(xs, per_step=per_step)
    rnn.sequence_loss(logits, ys).backward()
    return logits.data, hs.data, grads_of(model)


@pytest.mark.parametrize("make", [rnn.RNN, rnn.LSTM, rnn.GRU])
@pytest.mark.parametrize("dense", [False, True])
def test_fast_and_per_step_unrolls_agree(make, dense):
    rng = np.random.default_rng(0)
    model = make(6, 5, 6, seed=1)
    xs = rng.standard_normal((7, 3, 6)) if dense else rng.integers(0, 6, (7, 3))
    ys = rng.integers(0, 6, (7, 3))
    fast, slow = run(model, xs, ys, False), run(model, xs, ys, True)
    np.testing.assert_allclose(fast[0], slow[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-12, atol=1e-14)
    for name in fast[2]:
        np.testing.assert_allclose(fast[2][name], slow[2][name], rtol=1e-10, atol=1e-15)


def test_shapes_names_and_scopes():
    model = rnn.RNN(10, 4, 7, seed=0)
    assert model.U.shape == (4, 10) and model.W.shape == (4, 4) and model.V.shape == (7, 4)
    assert model.b.shape == (4,) and model.c.shape == (7,)
    out = model.unroll(np.zeros((3, 2), dtype=int))
    assert out.logits.shape == (3, 2, 7) and out.hs.shape == (3, 2, 4)
    assert [h.scope for h in out.steps] == ["t=1", "t=2", "t=3"]


def test_step_matches_unroll():
    rng = np.random.default_rng(1)
    model = rnn.GRU(5, 4, 5, seed=2)
    xs = rng.integers(0, 5, (4, 2))
    logits, hs = model(xs)
    state = None
    for t in range(4):
        state, y = model.step(xs[t], state)
        np.testing.assert_allclose(y.data, logits.data[t], rtol=1e-12)
        np.testing.assert_allclose(state.data, hs.data[t], rtol=1e-12)


def test_carried_state_continues_the_sequence():
    rng = np.random.default_rng(2)
    model = rnn.LSTM(5, 3, 5, seed=3)
    xs = rng.integers(0, 5, (6, 2))
    whole = model(xs)[0].data
    first = model.unroll(xs[:2])
    second = model(xs[2:], first.state)[0].data
    np.testing.assert_allclose(np.concatenate([first.logits.data, second]), whole, rtol=1e-12)


def test_float32_throughout():
    model = rnn.RNN(5, 4, 5, seed=0, dtype=np.float32)
    logits, hs = model(np.random.default_rng(0).standard_normal((3, 2, 5)))
    assert logits.dtype == np.float32 and hs.dtype == np.float32
    rnn.sequence_loss(logits, np.zeros((3, 2), dtype=int)).backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_seed_makes_init_reproducible():
    a, b = rnn.RNN(5, 4, 5, seed=7), rnn.RNN(5, 4, 5, seed=7)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a.W.data, rnn.RNN(5, 4, 5, seed=8).W.data)


def test_config_rebuilds_the_same_architecture():
    model = rnn.RNN(5, 4, 5, "relu", seed=0, dtype=np.float32, vocab=list("abcde"))
    again = rnn.build(model.config())
    assert type(again) is rnn.RNN and again.config() == model.config()
    assert rnn.build(rnn.LSTM(3, 2, 3).config()).config()["class"] == "LSTM"


@pytest.mark.parametrize(
    ("xs", "error", "message"),
    [
        (np.zeros((0, 2), dtype=int), ShapeError, r"T >= 1"),
        (np.zeros((3, 2, 4)), ShapeError, r"\(\.\.\., 5\)"),
        (np.array([[0, 5]]), ValueError, r"token ids must lie in \[0, 5\)"),
        (np.array([[-1, 2]]), ValueError, r"token ids must lie in \[0, 5\)"),
        (np.array([["a"]]), DTypeError, r"token ids \(int\) or floats"),
        (np.zeros(3, dtype=int), ShapeError, r"\(T, B\)"),
    ],
)
def test_bad_inputs_are_refused(xs, error, message):
    with pytest.raises(error, match=message):
        rnn.RNN(5, 3, 5)(xs)


def zeros(shape, dtype=np.float64):
    return mg.Tensor(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    ("make", "state", "error", "message"),
    [
        (rnn.RNN, zeros((2, 4)), ShapeError, r"RNN: initial state h must have shape \(2, 3\)"),
        (rnn.GRU, zeros((3, 3)), ShapeError, r"GRU: initial state h must have shape \(2, 3\)"),
        (rnn.RNN, zeros((2, 3), np.float32), DTypeError, r"h must .* dtype float64.*float32"),
        (rnn.LSTM, (zeros((2, 3)), zeros((2, 4))), ShapeError, r"c must have shape \(2, 3\)"),
        (rnn.LSTM, (zeros((2, 3)), zeros((2, 3), np.float32)), DTypeError, r"c must .*float64"),
        (rnn.LSTM, (zeros((1, 3)), zeros((2, 3))), ShapeError, r"h must have shape \(2, 3\)"),
        (rnn.LSTM, zeros((2, 3)), TypeError, r"LSTM: initial state must be a pair \(h, c\)"),
        (
            rnn.RNN,
            (zeros((2, 3)), zeros((2, 3))),
            TypeError,
            r"RNN: initial state must be a Tensor h",
        ),
        (rnn.RNN, np.zeros((2, 3)), TypeError, r"must be a Tensor h, got ndarray"),
    ],
)
def test_bad_initial_state(make, state, error, message):
    model = make(5, 3, 5)
    with pytest.raises(error, match=message):
        model(np.zeros((4, 2), dtype=int), state)


def test_a_good_initial_state_is_taken_as_a_tuple_or_a_list():
    rng = np.random.default_rng(6)
    model = rnn.LSTM(5, 3, 5, seed=0, dtype=np.float32)
    h, c = (mg.Tensor(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(2))
    xs = np.zeros((4, 2), dtype=int)
    logits = model(xs, (h, c))[0].data
    np.testing.assert_array_equal(model(xs, [h, c])[0].data, logits)
    assert not np.allclose(model(xs)[0].data, logits)  # the state was used, not replaced by zeros


def test_bad_targets():
    model = rnn.RNN(5, 3, 5)
    logits, _ = model(np.zeros((2, 2), dtype=int))
    with pytest.raises(ShapeError, match="targets"):
        rnn.sequence_loss(logits, np.zeros((2, 3), dtype=int))


def test_sequence_loss_is_mean_cross_entropy():
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((3, 2, 4)) * 50  # large logits stay finite
    ys = rng.integers(0, 4, (3, 2))
    z = logits - logits.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    expected = -np.take_along_axis(log_p, ys[..., None], axis=-1).mean()
    assert rnn.sequence_loss(mg.Tensor(logits), ys).item() == pytest.approx(expected, rel=1e-12)


def test_sample_is_seeded_and_decodes_strings():
    model = rnn.RNN(3, 4, 3, seed=0, vocab=["a", "b", "c"])
    text = model.sample("ab", 20, seed=1)
    assert isinstance(text, str) and len(text) == 20 and set(text) <= set("abc")
    assert model.sample("ab", 20, seed=1) == text
    ids = model.sample([0, 1], 5, seed=1)
    assert len(ids) == 5 and all(0 <= i < 3 for i in ids)


def test_sample_at_low_temperature_is_greedy():
    model = rnn.RNN(4, 6, 4, seed=3)
    drawn = model.sample([2], 6, temperature=1e-4, seed=0)
    ids = [2]
    for _ in range(6):  # greedy decoding by hand: argmax of the logits after the whole history
        logits, _ = model(np.asarray(ids).reshape(-1, 1))
        ids.append(int(np.argmax(logits.data[-1, 0])))
    assert drawn == ids[1:]


@pytest.mark.parametrize("temperature", [0.0, -1.0])
def test_sample_refuses_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        rnn.RNN(3, 2, 3).sample([0], 4, temperature=temperature)


def test_sample_refuses_unknown_characters_and_empty_prefix():
    model = rnn.RNN(2, 2, 2, vocab=["a", "b"])
    with pytest.raises(ValueError, match=r"outside the vocabulary: \['z'\]"):
        model.sample("az", 3)
    with pytest.raises(ValueError, match="at least one token"):
        model.sample([], 3)


def test_sample_leaves_no_graph():
    model = rnn.RNN(3, 2, 3, seed=0)
    model.sample([0], 3)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.slow
def test_ten_thousand_step_unroll_trains_one_step():
    model = rnn.RNN(8, 8, 8, seed=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, 8, (10_000, 2)), rng.integers(0, 8, (10_000, 2))
    before = model.W.data.copy()
    rnn.sequence_loss(model(xs)[0], ys).backward()
    assert np.isfinite(model.W.grad.data).all() and np.abs(model.W.grad.data).max() > 0
    model.W.data -= 0.1 * model.W.grad.data
    assert not np.array_equal(model.W.data, before)


@pytest.mark.parametrize(
    ("make", "cell_type"), [(rnn.RNN, RNNCell), (rnn.LSTM, LSTMCell), (rnn.GRU, GRUCell)]
)
def test_one_generator_draws_the_cell_then_the_head(make, cell_type):
    model = make(5, 4, 6, seed=3, dtype=np.float32)
    gen = np.random.default_rng(3)
    cell = cell_type(5, 4, rng=gen, dtype=np.float32)
    bound = 1 / np.sqrt(4)
    v = gen.uniform(-bound, bound, (6, 4)).astype(np.float32)
    for name in ("U", "W", "b"):
        np.testing.assert_array_equal(getattr(model, name).data, getattr(cell, name).data)
    np.testing.assert_array_equal(model.V.data, v)
    assert model.dtype == np.float32 and model.config()["class"] == make.__name__
