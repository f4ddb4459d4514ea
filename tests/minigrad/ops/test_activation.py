"""Activations and the softmax family: stability at extremes, relu's kink, properties."""

import math

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad import Tensor
from minigrad.testing import assert_grad_matches, shapes, tensors


@pytest.mark.parametrize("op", [mg.tanh, mg.sigmoid])
def test_saturated_activations_have_no_nan(op) -> None:
    x = Tensor([-800.0, 0.0, 800.0], requires_grad=True)
    y = op(x)
    low = -1.0 if op is mg.tanh else 0.0
    np.testing.assert_array_equal(y.data, [low, 0.0 if op is mg.tanh else 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0 if op is mg.tanh else 0.25, 0.0])


def test_relu_gradient_is_zero_at_zero() -> None:
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    mg.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


def test_softmax_of_huge_logits_is_finite() -> None:
    x = Tensor([[1000.0, -1000.0, 1000.0]], requires_grad=True)
    y = mg.softmax(x)
    np.testing.assert_array_equal(y.data, [[0.5, 0.0, 0.5]])
    (y * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    # d sum(w * p) / dx = p * (w - sum(w * p)) = [0.5 * (1 - 2), 0, 0.5 * (3 - 2)]
    np.testing.assert_array_equal(x.grad.data, [[-0.5, 0.0, 0.5]])


def test_log_softmax_and_logsumexp_of_huge_logits_are_finite() -> None:
    x = Tensor([1000.0, -1000.0, 1000.0], requires_grad=True)
    lse = mg.logsumexp(x)
    np.testing.assert_allclose(lse.item(), 1000.0 + np.log(2.0), rtol=1e-15)
    log_p = mg.log_softmax(x)
    np.testing.assert_allclose(log_p.data, [-np.log(2.0), -2000.0 - np.log(2.0), -np.log(2.0)])
    (lse + log_p[1]).backward()
    # d lse = softmax = [.5, 0, .5];  d log_p[1] = onehot(1) - softmax
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0, 0.0], atol=1e-12)  # x - y loses ~1e-13


def test_logsumexp_keepdims_and_axes() -> None:
    x = np.log(np.arange(1.0, 7.0).reshape(2, 3))
    y = mg.logsumexp(Tensor(x), axis=(0, -1), keepdims=True)
    assert y.shape == (1, 1)
    np.testing.assert_allclose(y.data, [[np.log(21.0)]], rtol=1e-15)


@given(tensors(shape=shapes(min_dims=1), requires_grad=False))
def test_softmax_is_a_distribution(x: Tensor) -> None:
    p = mg.softmax(x, axis=-1).data
    assert np.all(p > 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(mg.log_softmax(x).data, np.log(p), rtol=1e-12, atol=1e-12)


@given(tensors(shape=(2, 3)))
def test_softmax_gradient_at_large_shifts(x: Tensor) -> None:
    """Shifting logits by +-500 changes neither softmax nor its gradient."""
    shifted = Tensor(x.data + 500.0, requires_grad=True)
    assert_grad_matches(
        lambda z: mg.softmax(z, axis=1) * Tensor(np.arange(6.0).reshape(2, 3)), shifted
    )


@pytest.mark.parametrize(
    "op", [mg.tanh, mg.sigmoid, mg.relu, mg.softmax, mg.log_softmax, mg.logsumexp]
)
def test_float32_stays_float32(op) -> None:
    x = Tensor(np.array([[0.5, -1.0, 2.0]], dtype=np.float32), requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_keeps_relative_precision_for_negative_inputs(dtype) -> None:
    xs = np.array([-5.0, -8.5, -15.0, -30.0, -80.0] + ([-700.0] if dtype == np.float64 else []))
    got = mg.sigmoid(Tensor(xs.astype(dtype))).data
    exact = np.array([1 / (1 + math.exp(-float(np.float64(dtype(x))))) for x in xs])
    np.testing.assert_allclose(got, exact, rtol=4 * np.finfo(dtype).eps)
    assert (got > 0).all()


@pytest.mark.parametrize(("op", "value"), [(mg.softmax, 1.0), (mg.log_softmax, 0.0)])
def test_softmax_family_of_a_0d_tensor(op, value: float) -> None:
    x = Tensor(2.5, requires_grad=True)
    y = op(x)
    assert y.shape == () and y.item() == value
    y.backward()
    assert x.grad.item() == 0.0  # the output does not depend on x


def test_softmax_family_over_a_size_0_axis() -> None:
    x = Tensor(np.zeros((3, 0)), requires_grad=True)
    assert mg.softmax(x, axis=1).shape == (3, 0)
    assert mg.log_softmax(x, axis=1).shape == (3, 0)
    total = mg.logsumexp(x, axis=1)
    assert total.data.tolist() == [-np.inf] * 3  # log of an empty sum
    (mg.softmax(x, axis=1).sum() + mg.log_softmax(x, axis=1).sum()).backward()
    assert x.grad.shape == (3, 0)


# Values PyTorch documents for its activations, written from their formulas.
PHI_1 = 0.8413447460685429  # the standard normal CDF at 1: (1 + erf(1 / sqrt 2)) / 2


@pytest.mark.parametrize(
    "op, x, expected",
    [
        (mg.gelu, [0.0, 1.0, -1.0], [0.0, PHI_1, -(1 - PHI_1)]),
        (lambda x: mg.gelu(x, approximate="tanh"), [1.0], [0.8411919906082768]),
        (mg.silu, [0.0, 1.0], [0.0, 1 / (1 + np.exp(-1.0))]),
        (mg.elu, [-1.0, 2.0], [np.exp(-1.0) - 1, 2.0]),
        (lambda x: mg.elu(x, alpha=0.5), [-1.0], [0.5 * (np.exp(-1.0) - 1)]),
        (mg.leaky_relu, [-2.0, 3.0], [-0.02, 3.0]),
        (lambda x: mg.leaky_relu(x, 0.2), [-2.0], [-0.4]),
        (mg.softplus, [0.0, 30.0, -30.0], [np.log(2.0), 30.0, np.log1p(np.exp(-30.0))]),
        (lambda x: mg.softplus(x, beta=2.0), [1.0], [np.log1p(np.exp(2.0)) / 2]),
        (lambda x: mg.softplus(x, threshold=1.0), [1.5], [1.5]),  # linear past the threshold
        (mg.logsigmoid, [0.0, -1000.0, 1000.0], [-np.log(2.0), -1000.0, 0.0]),
        (mg.hardtanh, [-3.0, 0.5, 3.0], [-1.0, 0.5, 1.0]),
        (mg.relu6, [-1.0, 3.0, 7.0], [0.0, 3.0, 6.0]),
    ],
)
def test_activation_values(op, x, expected) -> None:
    np.testing.assert_allclose(op(Tensor(x)).data, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize(
    "op, x, slope",
    [
        (mg.relu6, [0.0, 6.0, 3.0], [0.0, 0.0, 1.0]),  # 0 at both kinks, as relu'(0) = 0
        (mg.hardtanh, [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]),
        (mg.leaky_relu, [0.0], [0.01]),
        (mg.elu, [0.0], [1.0]),
        (lambda x: mg.elu(x, alpha=0.5), [0.0], [0.5]),  # alpha exp(0) on the left branch
        (mg.gelu, [0.0], [0.5]),
        (mg.silu, [0.0], [0.5]),
        (mg.logsigmoid, [0.0, -1000.0, 1000.0], [0.5, 1.0, 0.0]),
        (mg.softplus, [0.0, 30.0], [0.5, 1.0]),
    ],
)
def test_derivatives_at_kinks_and_extremes(op, x, slope) -> None:
    t = Tensor(x, requires_grad=True)
    op(t).sum().backward()
    np.testing.assert_allclose(t.grad.data, slope, rtol=1e-14)


@pytest.mark.parametrize(
    "op",
    [mg.gelu, mg.silu, mg.elu, mg.leaky_relu, mg.softplus, mg.logsigmoid, mg.hardtanh, mg.relu6],
)
def test_new_activations_keep_float32(op) -> None:
    x = Tensor(np.linspace(-3, 3, 7, dtype=np.float32), requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda x: mg.gelu(x, approximate="fast"), ValueError, "'none' or 'tanh'"),
        (lambda x: mg.softplus(x, beta=0), ValueError, "beta must be nonzero"),
        (lambda x: mg.leaky_relu(x, "a"), TypeError, "negative_slope"),
        (lambda x: mg.hardtanh(x, 1.0, -1.0), ValueError, "must not exceed"),
        (lambda x: mg.elu(x, alpha=float("nan")), ValueError, "finite"),
    ],
)
def test_activation_arguments_are_checked(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call(Tensor([1.0]))
