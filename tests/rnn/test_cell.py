"""Recurrent cells: each step against the formula written out in numpy."""

import numpy as np
import pytest

import minigrad as mg
from rnn.cell import GRUCell, LSTMCell, RNNCell


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def tensors(rng, *shapes):
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_rnn_cell_step_is_the_textbook_formula(activation):
    rng = np.random.default_rng(0)
    cell = RNNCell(3, 4, activation, rng=rng)
    cell.b.data[:] = rng.standard_normal(4)
    x, h = tensors(rng, (2, 3), (2, 4))
    out = cell.step(mg.Tensor(x), mg.Tensor(h))
    U, W, b = cell.U.data, cell.W.data, cell.b.data
    a = (U @ x.T + W @ h.T).T + b  # column-vector textbook form, transposed to rows
    np.testing.assert_allclose(out.data, np.tanh(a) if activation == "tanh" else np.maximum(a, 0))


def test_lstm_cell_step():
    rng = np.random.default_rng(1)
    cell = LSTMCell(3, 2, rng=rng)
    x, h, c = tensors(rng, (4, 3), (4, 2), (4, 2))
    h1, c1 = cell.step(mg.Tensor(x), (mg.Tensor(h), mg.Tensor(c)))
    z = x @ cell.U.data.T + h @ cell.W.data.T + cell.b.data
    i, f, g, o = sigmoid(z[:, :2]), sigmoid(z[:, 2:4]), np.tanh(z[:, 4:6]), sigmoid(z[:, 6:])
    np.testing.assert_allclose(c1.data, f * c + i * g)
    np.testing.assert_allclose(h1.data, o * np.tanh(f * c + i * g))
    np.testing.assert_array_equal(cell.b.data[2:4], 1.0)  # forget-gate bias starts at 1


def test_gru_cell_step():
    rng = np.random.default_rng(2)
    cell = GRUCell(3, 2, rng=rng)
    cell.b.data[:] = rng.standard_normal(6)
    x, h = tensors(rng, (4, 3), (4, 2))
    h1 = cell.step(mg.Tensor(x), mg.Tensor(h))
    a = x @ cell.U.data.T + cell.b.data
    m = h @ cell.W.data.T
    r, z = sigmoid(a[:, :2] + m[:, :2]), sigmoid(a[:, 2:4] + m[:, 2:4])
    n = np.tanh(a[:, 4:] + r * m[:, 4:])
    np.testing.assert_allclose(h1.data, (1 - z) * n + z * h)


@pytest.mark.parametrize("make", [RNNCell, LSTMCell, GRUCell])
def test_two_steps_pass_gradcheck(make):
    rng = np.random.default_rng(3)
    cell = make(3, 2, rng=rng)
    x1, x2 = tensors(rng, (2, 3), (2, 3))
    state0 = cell.zero_state(2)

    def two_steps(U, W, b):
        cell.U, cell.W, cell.b = U, W, b
        state = cell.step(mg.Tensor(x2), cell.step(mg.Tensor(x1), state0))
        return cell.hidden(state)

    leaves = [mg.Tensor(p.data.copy(), requires_grad=True) for p in (cell.U, cell.W, cell.b)]
    assert mg.gradcheck(two_steps, *leaves)


def test_token_ids_equal_one_hot_inputs_and_repeats_accumulate():
    rng = np.random.default_rng(4)
    cell = RNNCell(5, 3, rng=rng)
    ids = np.array([[1, 1, 4], [1, 0, 1]])  # token 1 appears four times
    onehot = np.eye(5)[ids]
    sparse = cell.project(ids)
    sparse.sum().backward()
    grad_ids = cell.U.grad.data.copy()
    cell.zero_grad()
    dense = cell.project(mg.Tensor(onehot))
    dense.sum().backward()
    np.testing.assert_allclose(sparse.data, dense.data)
    np.testing.assert_allclose(grad_ids, cell.U.grad.data)
    np.testing.assert_allclose(grad_ids[:, 1], 4.0)  # d(sum)/dU[:, 1] counts the repeats


def test_init_w_orthogonal_u_bounded():
    cell = RNNCell(16, 8, rng=np.random.default_rng(5))
    np.testing.assert_allclose(cell.W.data @ cell.W.data.T, np.eye(8), atol=1e-12)
    assert np.abs(cell.U.data).max() <= 1 / np.sqrt(16)
    assert not cell.b.data.any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, 4, "sigmoid"), "activation must be one of"),
        ((0, 4), "input_size"),
        ((3, -1), "hidden_size"),
    ],
)
def test_bad_construction(args, message):
    with pytest.raises(ValueError, match=message):
        RNNCell(*args)


def test_dense_input_of_another_dtype_keeps_its_gradient():
    rng = np.random.default_rng(6)
    cell = RNNCell(3, 4, rng=rng, dtype=np.float32)
    x0, h, w = tensors(rng, (2, 3), (2, 4), (2, 4))
    x = mg.Tensor(x0, requires_grad=True)  # float64 into a float32 cell
    (cell.step(x, mg.Tensor(h.astype(np.float32))) * w.astype(np.float32)).sum().backward()
    U, W, b = (p.data.astype(np.float64) for p in (cell.U, cell.W, cell.b))

    def loss(x):
        return float((np.tanh(x @ U.T + h @ W.T + b) * w).sum())

    eps, numeric = 1e-6, np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        step = np.zeros_like(x0)
        step[i] = eps
        numeric[i] = (loss(x0 + step) - loss(x0 - step)) / (2 * eps)
    assert x.grad is not None and x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, numeric, rtol=1e-4, atol=1e-5)  # float32 forward
