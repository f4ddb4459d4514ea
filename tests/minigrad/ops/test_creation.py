"""Creation functions: shapes given either way, dtypes (PyTorch's rules, float64 default),
seeds and generators, requires_grad leaves, one_hot; and the refusals."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor


@pytest.mark.parametrize("make", [mg.zeros, mg.ones, mg.rand, mg.randn])
@pytest.mark.parametrize(
    "size, shape", [((2, 3), (2, 3)), (((2, 3),), (2, 3)), (([4],), (4,)), ((), ())]
)
def test_a_shape_as_arguments_or_as_one_sequence(make, size, shape) -> None:
    t = make(*size)
    assert t.shape == shape and t.dtype == np.float64
    assert t.is_leaf and not t.requires_grad


def test_values_of_the_constant_fills() -> None:
    np.testing.assert_array_equal(mg.zeros(2, 2).data, np.zeros((2, 2)))
    np.testing.assert_array_equal(mg.ones(3).data, np.ones(3))
    np.testing.assert_array_equal(mg.full((2, 1), 2.5).data, [[2.5], [2.5]])
    np.testing.assert_array_equal(mg.eye(2, 3).data, [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(mg.eye(2).data, np.eye(2))


@pytest.mark.parametrize(
    "make, dtype",
    [
        (lambda: mg.full((2,), 3), np.int64),  # an int fill is int64, as in PyTorch
        (lambda: mg.full((2,), True), np.bool_),
        (lambda: mg.full((2,), 3.0), np.float64),
        (lambda: mg.full((2,), 3, dtype=np.float32), np.float32),
        (lambda: mg.arange(5), np.int64),
        (lambda: mg.arange(0, 1, 0.25), np.float64),
        (lambda: mg.arange(5, dtype="float32"), np.float32),
        (lambda: mg.zeros(2, dtype=np.int32), np.int32),
        (lambda: mg.ones(2, dtype=np.float32), np.float32),
        (lambda: mg.eye(2, dtype=np.float32), np.float32),
        (lambda: mg.rand(2, dtype=np.float32), np.float32),
        (lambda: mg.randn(2, dtype=np.float32), np.float32),
    ],
)
def test_result_dtypes(make, dtype) -> None:
    assert make().dtype == dtype


def test_arange_follows_pytorch() -> None:
    np.testing.assert_array_equal(mg.arange(4).data, [0, 1, 2, 3])
    np.testing.assert_array_equal(mg.arange(1, 7, 2).data, [1, 3, 5])
    np.testing.assert_array_equal(mg.arange(3, 0, -1).data, [3, 2, 1])
    np.testing.assert_allclose(mg.arange(0, 1, 0.25).data, [0.0, 0.25, 0.5, 0.75])
    assert mg.arange(0).shape == (0,)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: mg.arange(0, 5, 0), ValueError, "step must be nonzero"),
        (lambda: mg.arange(0, 5, -1), ValueError, "wrong way"),
        (lambda: mg.arange(float("inf")), ValueError, "finite"),
        (lambda: mg.arange("3"), TypeError, "number"),
        (lambda: mg.zeros(2, -1), mg.ShapeError, "non-negative"),
        (lambda: mg.zeros(2.0), TypeError, "integers"),
        (lambda: mg.ones(2, dtype=np.float16), mg.DTypeError, "float16"),
        (lambda: mg.ones(2, dtype="complex128"), mg.DTypeError, "complex128"),
        (lambda: mg.ones(2, dtype=np.int64, requires_grad=True), mg.DTypeError, "float32/float64"),
        (lambda: mg.arange(3, requires_grad=True), mg.DTypeError, "int64"),
        (lambda: mg.rand(2, dtype=np.int64), mg.DTypeError, "float32 or float64"),
        (lambda: mg.randn(2, seed=1, generator=np.random.default_rng(1)), ValueError, "not both"),
        (lambda: mg.randn(2, generator=1), TypeError, "numpy.random.Generator"),
        (lambda: mg.randn(2, seed=1.5), TypeError, "seed"),
        (lambda: mg.zeros_like(np.zeros(2)), TypeError, "expected a Tensor"),
        (lambda: mg.full((2,), "a"), TypeError, "fill_value"),
    ],
)
def test_bad_arguments_are_refused_naming_the_function(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_requires_grad_makes_a_leaf_that_backward_fills() -> None:
    w = mg.randn(3, 2, seed=0, requires_grad=True)
    b = mg.zeros(2, requires_grad=True)
    (mg.ones(4, 3) @ w + b).sum().backward()
    np.testing.assert_array_equal(b.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(w.grad.data, np.full((3, 2), 4.0))


@pytest.mark.parametrize("make", [mg.rand, mg.randn])
def test_a_seed_gives_the_same_numbers_and_a_generator_continues(make) -> None:
    np.testing.assert_array_equal(make(3, 4, seed=7).data, make(3, 4, seed=7).data)
    assert not np.array_equal(make(3, 4, seed=7).data, make(3, 4, seed=8).data)
    rng = np.random.default_rng(5)
    first, second = make(3, generator=rng), make(3, generator=rng)
    again = np.random.default_rng(5)
    draw = again.random if make is mg.rand else again.standard_normal
    np.testing.assert_array_equal(np.concatenate([first.data, second.data]), draw(6))


def test_rand_is_uniform_in_the_unit_interval_and_randn_standard_normal() -> None:
    u = mg.rand(100_000, seed=0).data
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.01
    z = mg.randn(100_000, seed=0).data
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01


def test_like_functions_take_shape_and_dtype() -> None:
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    for made in (mg.zeros_like(x), mg.ones_like(x), mg.rand_like(x, seed=0), mg.randn_like(x)):
        assert made.shape == (2, 3) and made.dtype == np.float32
    np.testing.assert_array_equal(mg.full_like(x, 7).data, np.full((2, 3), 7.0))
    assert mg.full_like(x, 7).dtype == np.float32
    assert mg.zeros_like(x, dtype=np.int64).dtype == np.int64
    assert mg.ones_like(x, requires_grad=True).requires_grad
    with pytest.raises(mg.DTypeError, match="rand"):
        mg.rand_like(Tensor(np.arange(3)))


def test_one_hot_follows_pytorch() -> None:
    y = mg.one_hot(Tensor(np.array([0, 2, 1])), 4)
    assert y.dtype == np.int64 and not y.requires_grad
    np.testing.assert_array_equal(y.data, [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]])
    assert mg.one_hot(np.array([[3], [1]])).shape == (2, 1, 4)  # num_classes = max + 1
    assert mg.one_hot(np.zeros(0, dtype=np.int64), 3).shape == (0, 3)


@pytest.mark.parametrize(
    "labels, classes, error, match",
    [
        (np.array([0.0, 1.0]), 2, mg.DTypeError, "integers"),
        (np.array([0, 3]), 3, ValueError, r"\[0, 3\)"),
        (np.array([-1, 0]), 3, ValueError, r"\[0, 3\)"),
        (np.zeros(0, dtype=np.int64), -1, mg.ShapeError, "infer"),
        (np.array([0]), -2, ValueError, "num_classes"),
    ],
)
def test_one_hot_refuses_bad_labels(labels, classes, error, match) -> None:
    with pytest.raises(error, match=f"one_hot: .*{match}"):
        mg.one_hot(labels, classes)


def test_numpy_shares_the_array() -> None:
    t = mg.zeros(3)
    t.numpy()[0] = 1.0
    assert t.data[0] == 1.0 and isinstance(t.numpy(), np.ndarray)
