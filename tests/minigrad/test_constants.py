"""Python numbers in an op become constant tensors; each number is converted once per dtype."""

import math

import numpy as np
import pytest

import minigrad as mg


def test_number_takes_the_dtype_of_its_partner():
    x32 = mg.Tensor(np.ones(3, np.float32), requires_grad=True)
    assert (x32 * 2).dtype == np.float32
    assert (x32 * 2.5).dtype == np.float32
    assert (mg.Tensor(np.ones(3)) * 2).dtype == np.float64


def test_each_use_is_its_own_node_over_one_read_only_array():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    first, second = (x * 3.0)._ctx.inputs[1], (x * 3.0)._ctx.inputs[1]
    assert first is not second and first.data is second.data
    with pytest.raises(ValueError, match="read-only"):
        first.data[...] = 5.0
    assert np.array_equal((x * 3.0).data, [3.0, 6.0])


def test_one_number_in_two_dtypes_is_two_arrays():
    x32 = mg.Tensor(np.ones(2, np.float32))
    x64 = mg.Tensor(np.ones(2))
    assert (x32 * 0.1).data[0] == np.float32(0.1)
    assert (x64 * 0.1).data[0] == 0.1  # not float32's 0.1 widened
    assert (x32 * 0.1).data[0] == np.float32(0.1)


def test_zero_keeps_its_sign():
    x = mg.Tensor([1.0, -1.0])
    assert np.array_equal(np.signbit((x * 0.0).data), [False, True])
    assert np.array_equal(np.signbit((x * -0.0).data), [True, False])
    assert np.array_equal(np.signbit((x * 0.0).data), [False, True])


def test_nan_and_inf_stay_what_they_are():
    x = mg.Tensor([1.0])
    assert math.isnan((x * float("nan")).item())
    assert (x * math.inf).item() == math.inf


def test_many_distinct_numbers_give_right_values_and_a_bounded_table():
    from minigrad import function

    x = mg.Tensor([2.0])
    for k in range(1, 2000):
        assert (x * float(k)).item() == 2.0 * k
    assert len(function._CONSTANTS) <= function._CONSTANTS_KEPT


def test_gradient_through_two_uses_of_one_number():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3.0 + x * 3.0).sum()
    y.backward()
    assert np.array_equal(x.grad.data, [6.0, 6.0])
