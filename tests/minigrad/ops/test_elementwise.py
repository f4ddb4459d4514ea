"""Elementwise ops: documented values at kinks and poles, reflected operators, dtypes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor


def grad_of(fn, *values, dtype=np.float64):
    """Gradients of sum(fn(*xs)) with respect to each x."""
    xs = [Tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return [x.grad.data for x in xs]


def test_sqrt_gradient_at_zero_is_inf() -> None:
    with np.errstate(divide="ignore"):
        (g,) = grad_of(mg.sqrt, [0.0, 4.0])
    np.testing.assert_array_equal(g, [np.inf, 0.25])


def test_log_of_negative_is_nan() -> None:
    with np.errstate(invalid="ignore"):
        y = mg.log(Tensor([-1.0, np.e]))
    assert np.isnan(y.data[0]) and y.data[1] == 1.0


def test_detect_anomaly_catches_log_of_negative() -> None:
    x = Tensor([-1.0, 2.0], requires_grad=True)
    with np.errstate(invalid="ignore"), mg.detect_anomaly():
        with pytest.raises(mg.AnomalyError, match="log"):
            mg.log(x)


def test_abs_gradient_is_sign_and_zero_at_zero() -> None:
    (g,) = grad_of(mg.abs, [-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize("op", [mg.maximum, mg.minimum])
def test_maximum_minimum_ties_split_evenly(op) -> None:
    ga, gb = grad_of(op, [1.0, 2.0, 5.0], [1.0, 3.0, 4.0])
    winner_a = [0.5, 0.0, 1.0] if op is mg.maximum else [0.5, 1.0, 0.0]
    np.testing.assert_array_equal(ga, winner_a)
    np.testing.assert_array_equal(gb, 1 - np.asarray(winner_a))


def test_where_routes_the_gradient_by_the_condition() -> None:
    cond = np.array([True, False, True])
    ga, gb = grad_of(lambda a, b: mg.where(cond, a, b), [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(ga, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(gb, [0.0, 1.0, 0.0])


def test_where_refuses_a_non_boolean_condition() -> None:
    with pytest.raises(TypeError, match="where"):
        mg.where(np.array([1, 0]), Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))


def test_clip_passes_the_gradient_inside_and_on_the_bounds() -> None:
    (g,) = grad_of(lambda x: x.clip(-1.0, 1.0), [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_refuses_low_above_high() -> None:
    with pytest.raises(ValueError, match=r"clip.*low"):
        mg.clip(Tensor([1.0]), 2.0, 1.0)


def test_reflected_operators() -> None:
    x = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    np.testing.assert_array_equal((2 - x).data, [1.0, 0.0, -2.0])
    np.testing.assert_array_equal((2 / x).data, [2.0, 1.0, 0.5])
    np.testing.assert_array_equal((2**x).data, [2.0, 4.0, 16.0])
    ((2 - x) + (2 / x) + 2**x).sum().backward()
    expected = -1.0 - 2.0 / np.array([1.0, 4.0, 16.0]) + np.log(2.0) * np.array([2.0, 4.0, 16.0])
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-15)


def test_constant_exponent_gives_finite_gradient_for_negative_base() -> None:
    """dy/db = y log(a) is only formed when the exponent needs a gradient."""
    for exponent in (2, Tensor(2.0)):
        (g,) = grad_of(lambda x, p=exponent: x**p, [-3.0, 0.0, 1.5])
        np.testing.assert_array_equal(g, [-6.0, 0.0, 3.0])


def test_tensor_exponent_gradient() -> None:
    ga, gb = grad_of(mg.pow, [2.0, 4.0], [3.0, 0.5])
    np.testing.assert_allclose(ga, [12.0, 0.25], rtol=1e-15)
    np.testing.assert_allclose(gb, [8.0 * np.log(2.0), 2.0 * np.log(4.0)], rtol=1e-15)


def test_exponent_gradient_at_zero_base_is_pytorchs() -> None:
    """dy/db = y log(a) at a = 0: 0 for b >= 0 (0 * log 0), -inf for b < 0 (inf * log 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ga, gb = grad_of(mg.pow, [0.0, 0.0, 0.0, 2.0], [-1.0, 0.0, 2.0, -1.0])
    np.testing.assert_array_equal(gb, [-np.inf, 0.0, 0.0, 0.5 * np.log(2.0)])
    np.testing.assert_array_equal(ga, [-np.inf, 0.0, 0.0, -0.25])


@pytest.mark.parametrize("x", [1e-300, 0.0, 1.0, -2.0])
def test_second_derivative_of_zeroth_power_is_zero(x: float) -> None:
    """d/dx x**0 = 0 everywhere, so its derivative is 0 too (not 0 * inf at a tiny x)."""
    t = Tensor(x, requires_grad=True)
    (t**0).backward(create_graph=True)
    first = t.grad
    t.grad = None
    first.backward()
    assert first.item() == 0.0 and t.grad is not None and t.grad.item() == 0.0


def test_broadcast_gradients_are_summed_back() -> None:
    ga, gb = grad_of(mg.mul, np.ones((2, 3)), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ga, np.tile([1.0, 2.0, 3.0], (2, 1)))
    np.testing.assert_array_equal(gb, [2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 2,
        lambda x: 2 * x,
        lambda x: x + 1,
        lambda x: x / 3.0,
        lambda x: 1.0 - x,
        lambda x: x**2,
        lambda x: 2**x,
        mg.exp,
        mg.sqrt,
        mg.log,
        mg.abs,
        lambda x: mg.maximum(x, x * 0.5),
        lambda x: x.clip(0.5, 1.0),
    ],
)
def test_float32_stays_float32(fn) -> None:
    x = Tensor(np.array([0.5, 1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def test_mixing_float32_and_float64_tensors_gives_float64_and_keeps_grad_dtypes() -> None:
    a = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])


def test_exponent_gradient_at_base_zero_is_zero_not_nan() -> None:
    """d(a**b)/db = a**b log a -> 0 as a -> 0+ (b > 0); the rule takes that limit."""
    a = Tensor([0.0, 2.0], requires_grad=True)
    b = Tensor([2.0, 3.0], requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad.data, [0.0, 8.0 * np.log(2.0)], rtol=1e-15)
    np.testing.assert_allclose(a.grad.data, [0.0, 12.0], rtol=1e-15)


def test_gradient_of_x_to_the_0_at_0_is_0() -> None:
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**0).sum().backward()
    assert x.grad.data.tolist() == [0.0, 0.0]


def test_second_derivative_of_x_to_the_1_at_0_is_0() -> None:
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**1).sum().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first.sum().backward()
    assert first.data.tolist() == [1.0, 1.0]
    assert x.grad.data.tolist() == [0.0, 0.0]


def test_pow_of_float32_base_and_float64_exponent_differentiates_in_float64() -> None:
    a = Tensor(np.array([1.3, 0.4], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array([0.7, 2.5]), requires_grad=True)
    (a**b).sum().backward()
    base = a.data.astype(np.float64)
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(b.grad.data, base**b.data * np.log(base), rtol=1e-14)


@pytest.mark.parametrize(
    ("low", "high", "error"),
    [(float("nan"), 1.0, ValueError), (0.0, float("nan"), ValueError), ("0", 1.0, TypeError)],
)
def test_clip_refuses_bounds_that_are_not_numbers(low, high, error) -> None:
    with pytest.raises(error, match="clip:"):
        Tensor([1.0, 2.0]).clip(low, high)


@pytest.mark.parametrize(
    "op, x, expected, slope",
    [
        (mg.sin, [0.0, np.pi / 2], [0.0, 1.0], [1.0, np.cos(np.pi / 2)]),
        (mg.cos, [0.0, np.pi / 2], [1.0, np.cos(np.pi / 2)], [0.0, -1.0]),
        # erf(1) and erf(0.5) from tables; d erf/dx = 2 exp(-x**2) / sqrt(pi)
        (
            mg.erf,
            [0.0, 1.0, -0.5],
            [0.0, 0.8427007929497149, -0.5204998778130465],
            [
                2 / np.sqrt(np.pi),
                2 * np.exp(-1.0) / np.sqrt(np.pi),
                2 * np.exp(-0.25) / np.sqrt(np.pi),
            ],
        ),
        (mg.log2, [1.0, 8.0], [0.0, 3.0], [1 / np.log(2.0), 1 / (8 * np.log(2.0))]),
        (mg.exp2, [0.0, 3.0], [1.0, 8.0], [np.log(2.0), 8 * np.log(2.0)]),
        (mg.rsqrt, [4.0, 0.25], [0.5, 2.0], [-1 / 16, -4.0]),
    ],
)
def test_new_elementwise_values_and_slopes(op, x, expected, slope) -> None:
    t = Tensor(x, requires_grad=True)
    y = op(t)
    np.testing.assert_allclose(y.data, expected, rtol=1e-15, atol=1e-16)
    y.sum().backward()
    np.testing.assert_allclose(t.grad.data, slope, rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("op", [mg.sin, mg.cos, mg.erf, mg.log2, mg.exp2, mg.rsqrt])
def test_new_elementwise_ops_keep_float32(op) -> None:
    t = Tensor(np.array([0.5, 2.0], dtype=np.float32), requires_grad=True)
    y = op(t)
    assert y.dtype == np.float32
    y.sum().backward()
    assert t.grad.dtype == np.float32


def test_tensor_methods_call_the_ops() -> None:
    t = Tensor([0.5, 2.0])
    for name in ("sin", "cos", "erf", "log2", "exp2", "rsqrt"):
        np.testing.assert_array_equal(getattr(t, name)().data, getattr(mg, name)(t).data)
