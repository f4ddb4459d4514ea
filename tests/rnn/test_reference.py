"""The autograd RNN against the hand-derived BPTT of rnn/reference.py.

The reference is itself checked against central differences, so the two
sides of the comparison are independent.
"""

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import reference
from rnn.bptt import with_params


def params_of(model: rnn.RNN) -> dict[str, np.ndarray]:
    return {k: getattr(model, k).data.copy() for k in "UWVbc"}


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def data(rng, vocab, T, B, dense):
    xs = rng.standard_normal((T, B, vocab)) if dense else rng.integers(0, vocab, (T, B))
    return xs, rng.integers(0, vocab, (T, B))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize(
    ("vocab", "hidden", "T", "B", "dense"),
    [(5, 3, 1, 1, False), (7, 4, 6, 3, False), (11, 16, 25, 4, False), (6, 5, 9, 2, True)],
)
def test_autograd_matches_hand_derived_bptt(activation, vocab, hidden, T, B, dense):
    rng = np.random.default_rng(T * 100 + hidden)
    model = rnn.RNN(vocab, hidden, vocab, activation, seed=T)
    model.b.data[:] = rng.standard_normal(hidden) * 0.1  # nonzero biases exercise db, dc
    model.c.data[:] = rng.standard_normal(vocab) * 0.1
    xs, ys = data(rng, vocab, T, B, dense)
    logits, _ = model(xs)
    loss = rnn.sequence_loss(logits, ys)
    loss.backward()
    ref_loss, ref = reference.loss_and_grads(params_of(model), xs, ys, activation=activation)
    assert loss.item() == pytest.approx(ref_loss, rel=1e-12)
    for k in "UWVbc":
        assert rel_err(getattr(model, k).grad.data, ref[k]) < 1e-10, k


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_reference_matches_finite_differences(activation):
    rng = np.random.default_rng(0)
    model = rnn.RNN(4, 3, 4, activation, seed=1)
    params = params_of(model)
    params["b"] += 0.3  # keep relu pre-activations away from the kink at 0
    xs, ys = data(rng, 4, 5, 2, False)
    _, grads = reference.loss_and_grads(params, xs, ys, activation=activation)
    eps = 1e-6
    for k, p in params.items():
        for i in np.ndindex(p.shape):
            saved = p[i]
            p[i] = saved + eps
            up = reference.forward(params, xs, ys, activation=activation).loss
            p[i] = saved - eps
            down = reference.forward(params, xs, ys, activation=activation).loss
            p[i] = saved
            assert grads[k][i] == pytest.approx((up - down) / (2 * eps), abs=1e-8), (k, i)


def test_gradcheck_of_unrolled_loss():
    rng = np.random.default_rng(3)
    model = rnn.RNN(4, 3, 4, seed=2)
    xs, ys = data(rng, 4, 5, 2, False)
    names = [name for name, _ in model.named_parameters()]

    def loss_fn(*tensors):
        clone = with_params(model, dict(zip(names, tensors, strict=True)))
        return rnn.sequence_loss(clone(xs)[0], ys)

    leaves = [mg.Tensor(p.data, requires_grad=True) for p in model.parameters()]
    assert mg.gradcheck(loss_fn, *leaves)


def test_float32_close_to_float64_reference():
    rng = np.random.default_rng(4)
    model = rnn.RNN(9, 8, 9, seed=3, dtype=np.float32)
    xs, ys = data(rng, 9, 7, 3, False)
    rnn.sequence_loss(model(xs)[0], ys).backward()
    params = {k: v.astype(np.float64) for k, v in params_of(model).items()}
    _, ref = reference.loss_and_grads(params, xs, ys)
    for k in "UWVbc":
        grad = getattr(model, k).grad
        assert grad.dtype == np.float32
        assert rel_err(grad.data.astype(np.float64), ref[k]) < 1e-4, k
