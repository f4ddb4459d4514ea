"""BPTT made visible: per-step contributions, the dL/dh_t profile, truncation."""

import numpy as np
import pytest

import minigrad as mg
import rnn
from rnn import bptt, reference


def params_of(model):
    return {k: getattr(model, k).data.copy() for k in "UWVbc"}


def toy(seed, vocab=5, T=6, B=3):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (T, B)), rng.integers(0, vocab, (T, B))


@pytest.mark.parametrize("make", [rnn.RNN, rnn.LSTM, rnn.GRU])
def test_contributions_sum_to_the_tied_gradient(make):
    xs, ys = toy(0)
    model = make(5, 4, 5, seed=1)
    parts = bptt.contributions(model, xs, ys)
    assert model.W.grad is None  # the model's own gradients are not touched
    rnn.sequence_loss(model(xs)[0], ys).backward()
    for name, p in model.named_parameters():
        key = name.removeprefix("cell.")
        assert parts[key].shape == (6, *p.shape)
        np.testing.assert_allclose(parts[key].sum(axis=0), p.grad.data, rtol=1e-10, atol=1e-15)


def test_contributions_are_the_per_step_terms_of_the_derivation():
    xs, ys = toy(1)
    model = rnn.RNN(5, 4, 5, seed=2)
    parts = bptt.contributions(model, xs, ys)
    cache = reference.forward(params_of(model), xs, ys)
    n = ys.size
    for t in range(6):  # dV|_t = δo_t^T h_t with δo_t = (p_t - onehot(y_t)) / N
        do = (cache.ps[t] - np.eye(5)[ys[t]]) / n
        np.testing.assert_allclose(parts["V"][t], do.T @ cache.hs[t + 1], rtol=1e-10)
    assert not parts["W"][0].any()  # h_0 = 0, so W's use at step 1 contributes nothing


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_hidden_grad_norms_match_the_reference(activation):
    xs, ys = toy(2, T=12)
    model = rnn.RNN(5, 4, 5, activation, seed=3)
    norms = bptt.hidden_grad_norms(model, xs, ys)
    expected = reference.hidden_grad_norms(params_of(model), xs, ys, activation)
    np.testing.assert_allclose(norms, expected, rtol=1e-10)
    assert all(p.grad is None for p in model.parameters())


def test_truncation_k_equal_T_is_full_bptt():
    xs, ys = toy(5, T=8)
    model = rnn.RNN(5, 4, 5, seed=5)
    loss, _ = bptt.truncated_backward(model, xs, ys, k=8)
    truncated = {k: getattr(model, k).grad.data.copy() for k in "UWVbc"}
    ref_loss, ref = reference.loss_and_grads(params_of(model), xs, ys)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    for k in "UWVbc":
        np.testing.assert_allclose(truncated[k], ref[k], rtol=1e-10, atol=1e-15)


def test_truncated_gradient_is_the_weighted_sum_of_window_gradients():
    xs, ys = toy(6, T=7)
    model = rnn.RNN(5, 4, 5, seed=6)
    bptt.truncated_backward(model, xs, ys, k=3)
    params = params_of(model)
    total = {k: np.zeros_like(v) for k, v in params.items()}
    h = None
    for s in bptt.windows(
        7, 3
    ):  # reference: each window from the carried state, no gradient across
        cache = reference.forward(params, xs[s], ys[s], h)
        grads = reference.backward(params, cache)
        for k in total:
            total[k] += grads[k] * (s.stop - s.start) / 7
        h = cache.hs[-1]
    full = reference.loss_and_grads(params, xs, ys)[1]
    for k in "UWVbc":
        np.testing.assert_allclose(getattr(model, k).grad.data, total[k], rtol=1e-10)
    assert not np.allclose(total["W"], full["W"])  # the cut really drops terms


def test_window_gradient_matches_finite_differences_of_the_truncated_loss():
    xs, ys = toy(7, T=9)
    model = rnn.RNN(5, 3, 5, seed=7)
    carried = model.unroll(xs[:4]).state  # the state entering the window, a constant
    window_x, window_y = xs[4:], ys[4:]
    names = [name for name, _ in model.named_parameters()]

    def window_loss(*tensors):
        clone = bptt.with_params(model, dict(zip(names, tensors, strict=True)))
        return rnn.sequence_loss(clone(window_x, bptt.detach(carried))[0], window_y)

    leaves = [mg.Tensor(p.data, requires_grad=True) for p in model.parameters()]
    assert mg.gradcheck(window_loss, *leaves)
    model.zero_grad()
    bptt.truncated_backward(model, window_x, window_y, k=5, h0=bptt.detach(carried))
    eps = 1e-6
    W = model.W.data
    for i in [(0, 0), (1, 2), (2, 1)]:  # dL_window/dW by central differences, element by element
        saved = W[i]
        with mg.no_grad():
            W[i] = saved + eps
            up = window_loss(*model.parameters()).item()
            W[i] = saved - eps
            down = window_loss(*model.parameters()).item()
        W[i] = saved
        assert model.W.grad.data[i] == pytest.approx((up - down) / (2 * eps), abs=1e-8)


def test_windows_cover_the_sequence():
    assert bptt.windows(7, 3) == [slice(0, 3), slice(3, 6), slice(6, 7)]
    with pytest.raises(ValueError, match="k must be >= 1"):
        bptt.windows(5, 0)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_last_step_profile_is_the_chain_of_jacobians(activation):
    xs, ys = toy(8, T=10)
    model = rnn.RNN(5, 4, 5, activation, seed=8)
    norms = bptt.hidden_grad_norms(model, xs, ys, only_last=True)
    cache = reference.forward(params_of(model), xs, ys, activation=activation)
    batch = ys.shape[1]
    do = (cache.ps[-1] - np.eye(5)[ys[-1]]) / batch  # loss = mean over the last step's B items
    dh = do @ model.V.data  # δh_T
    expected = [np.linalg.norm(dh)]
    for t in range(9, 0, -1):  # δh_{t-1} = W^T (δh_t ⊙ g1'(a_t))
        h = cache.hs[t + 1]
        g1_prime = 1 - h * h if activation == "tanh" else (h > 0)
        dh = (dh * g1_prime) @ model.W.data
        expected.append(np.linalg.norm(dh))
    np.testing.assert_allclose(norms, expected[::-1], rtol=1e-10)
