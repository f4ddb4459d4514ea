"""Reductions: tie rule of max/min, axis forms, keepdims, exact gradients, dtypes."""

import numpy as np
import pytest
from hypothesis import assume, given

import minigrad as mg
from minigrad import Tensor
from minigrad.testing import assert_grad_matches, clear_extremum, tensors


@pytest.mark.parametrize("op", [mg.max, mg.min])
def test_ties_split_the_gradient_evenly(op) -> None:
    x = Tensor([2.0, 2.0, 2.0, 1.0 if op is mg.max else 3.0], requires_grad=True)
    op(x).backward()
    np.testing.assert_allclose(x.grad.data, [1 / 3, 1 / 3, 1 / 3, 0.0], rtol=1e-15)


def test_max_ties_per_row() -> None:
    x = Tensor([[1.0, 1.0], [2.0, 0.0]], requires_grad=True)
    y = mg.max(x, axis=1)
    np.testing.assert_array_equal(y.data, [1.0, 2.0])
    (y * Tensor([10.0, 20.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[5.0, 5.0], [20.0, 0.0]])


@pytest.mark.parametrize(
    ("axis", "keepdims", "shape"),
    [
        (None, False, ()),
        (None, True, (1, 1, 1)),
        (1, False, (2, 4)),
        (-1, True, (2, 3, 1)),
        ((0, -1), False, (3,)),
        ((2, 0), True, (1, 3, 1)),
    ],
)
@pytest.mark.parametrize("op", [mg.sum, mg.mean, mg.max, mg.min])
def test_axis_forms_and_keepdims(op, axis, keepdims, shape) -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    y = op(Tensor(x), axis=axis, keepdims=keepdims)
    assert y.shape == shape
    reference = {mg.sum: np.sum, mg.mean: np.mean, mg.max: np.max, mg.min: np.min}[op]
    np.testing.assert_array_equal(y.data, reference(x, axis=axis, keepdims=keepdims))


def test_mean_gradient_is_one_over_count() -> None:
    x = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    mg.mean(x, axis=(0, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3, 4), 1 / 8))


def test_sum_gradient_spreads_the_incoming_gradient() -> None:
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    (mg.sum(x, axis=0, keepdims=True) * Tensor([[1.0, 2.0, 3.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])


def test_axis_out_of_range_names_the_axis() -> None:
    with pytest.raises(ValueError, match="axis 2"):
        mg.sum(Tensor(np.ones((2, 3))), axis=2)


def test_mean_of_empty_is_an_error() -> None:
    with pytest.raises(mg.ShapeError, match=r"mean.*\(0, 3\)"):
        mg.mean(Tensor(np.ones((0, 3))))


@given(tensors(shape=(3, 4)))
def test_max_gradient_away_from_ties(x: Tensor) -> None:
    assume(clear_extremum(x.data, axis=0))
    assert_grad_matches(lambda z: mg.max(z, axis=0), x)


@pytest.mark.parametrize("op", [mg.sum, mg.mean, mg.max, mg.min])
def test_float32_stays_float32(op) -> None:
    x = Tensor(np.array([[1.0, 2.0], [4.0, 3.0]], dtype=np.float32), requires_grad=True)
    y = op(x, axis=0)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_mean_over_a_nonempty_axis_of_an_empty_tensor_is_empty() -> None:
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    assert x.mean(axis=1).shape == (0,)
    with pytest.raises(mg.ShapeError, match="mean over axis 0"):
        x.mean(axis=0)


ZERO_D_REDUCTIONS = [mg.sum, mg.mean, mg.max, mg.min, mg.logsumexp]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [0, -1, (0,)])
@pytest.mark.parametrize("op", ZERO_D_REDUCTIONS)
def test_a_0d_tensor_takes_axis_0_and_reduces_nothing(op, axis, keepdims) -> None:
    """numpy's and PyTorch's rule: a 0-d tensor has one axis to name, of one element."""
    x = Tensor(1.5, requires_grad=True)
    y = op(x, axis=axis, keepdims=keepdims)
    assert y.shape == ()
    assert y.item() == pytest.approx(1.5)
    y.backward()
    assert x.grad is not None and x.grad.item() == pytest.approx(1.0)


@pytest.mark.parametrize("op", [mg.softmax, mg.log_softmax])
def test_softmax_of_a_0d_tensor_follows_the_same_axis_rule(op) -> None:
    x = Tensor(1.5, requires_grad=True)
    assert op(x, axis=0).item() == (1.0 if op is mg.softmax else 0.0)
    with pytest.raises(IndexError, match="softmax: axis 1 is out of range"):
        op(x, axis=1)


@pytest.mark.parametrize("op", ZERO_D_REDUCTIONS)
@pytest.mark.parametrize("shape, axis", [((), 1), ((), -2), ((2, 3), 2), ((2, 3), (0, -3))])
def test_an_axis_out_of_range_is_an_index_error(op, shape, axis) -> None:
    """PyTorch raises IndexError (numpy AxisError, both ValueError and IndexError)."""
    with pytest.raises(IndexError, match=f"{op.__name__}: axis -?\\d is out of range") as err:
        op(Tensor(np.zeros(shape)), axis=axis)
    assert isinstance(err.value, mg.ShapeError)


@pytest.mark.parametrize("axis", [True, 1.0, (0, False), "0"])
def test_axis_must_be_an_int(axis) -> None:
    with pytest.raises(TypeError, match="axis must be None, an int or a tuple of ints"):
        mg.sum(Tensor(np.zeros((2, 2))), axis=axis)


M = np.array([[3.0, 1.0, 3.0], [0.0, 2.0, -1.0]])


def test_argmax_and_argmin_pick_the_first_of_ties_as_int64() -> None:
    x = Tensor(M, requires_grad=True)
    assert x.argmax().item() == 0 and x.argmin().item() == 5  # of the flattened tensor
    np.testing.assert_array_equal(mg.argmax(x, 1).data, [0, 1])
    np.testing.assert_array_equal(mg.argmin(x, 0).data, [1, 0, 1])
    found = x.argmax(axis=-1, keepdims=True)
    assert found.shape == (2, 1) and found.dtype == np.int64 and not found.requires_grad
    assert x.argmax(keepdims=True).shape == (1, 1)


def test_argmax_refuses_empty_tensors_and_tuples() -> None:
    with pytest.raises(mg.ShapeError, match="argmax: .* empty"):
        mg.argmax(Tensor(np.zeros((0, 2))))
    with pytest.raises(TypeError, match="argmax: axis must be an int"):
        mg.argmax(Tensor(M), axis=(0, 1))
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        mg.argmax(Tensor(M), axis=2)


def test_any_and_all_are_boolean_without_gradient() -> None:
    x = Tensor(M, requires_grad=True)
    assert x.any().item() is True and x.all().item() is False
    np.testing.assert_array_equal(mg.all(x, axis=1).data, [True, False])
    np.testing.assert_array_equal(mg.any(Tensor(np.zeros((2, 2))), 0, keepdims=True).data, [[0, 0]])
    assert mg.any(x, 1).dtype == np.bool_ and not mg.any(x, 1).requires_grad


def test_var_and_std_use_bessels_correction_by_default() -> None:
    x = Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    assert x.var().item() == pytest.approx(5 / 3, rel=1e-15)
    assert mg.var(x, correction=0).item() == pytest.approx(5 / 4, rel=1e-15)
    assert x.std().item() == pytest.approx(np.sqrt(5 / 3), rel=1e-15)
    x.var().backward()  # d var / dx_i = 2 (x_i - mean) / (n - 1)
    np.testing.assert_allclose(x.grad.data, 2 * (x.data - 2.5) / 3, rtol=1e-15)
    np.testing.assert_allclose(
        mg.var(Tensor(M), 1, keepdims=True).data, M.var(1, ddof=1, keepdims=True)
    )


def test_var_refuses_no_degrees_of_freedom() -> None:
    with pytest.raises(mg.ShapeError, match="var over axis 1 .* 1 element"):
        mg.var(Tensor(np.ones((3, 1))), axis=1)
    assert mg.var(Tensor(np.ones((3, 1))), axis=1, correction=0).shape == (3,)
    with pytest.raises(TypeError, match="correction"):
        mg.var(Tensor(M), correction=0.5)


def test_prod_gradient_is_the_product_of_the_others_also_at_zeros() -> None:
    x = Tensor([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.0, 2.0, 4.0]], requires_grad=True)
    y = mg.prod(x, axis=1)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 8.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])


def test_prod_second_derivative_between_two_zeros() -> None:
    """d2/dx0 dx1 of x0 x1 x2 is x2, also at x0 = x1 = 0 (by hand, not by differences)."""
    x = Tensor([0.0, 0.0, 5.0], requires_grad=True)
    x.prod().backward(create_graph=True)
    first = x.grad
    x.grad = None
    first[0].backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 5.0, 0.0])


def test_cumsum_values_and_reverse_cumulative_gradient() -> None:
    x = Tensor(M, requires_grad=True)
    np.testing.assert_array_equal(x.cumsum(1).data, np.cumsum(M, axis=1))
    np.testing.assert_array_equal(mg.cumsum(x, -2).data, np.cumsum(M, axis=0))
    x.cumsum(1).backward(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(x.grad.data, [[6.0, 5.0, 3.0], [1.0, 1.0, 1.0]])
