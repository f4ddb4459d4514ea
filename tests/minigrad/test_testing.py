"""minigrad.testing: the strategies draw what they promise; the helpers can fail."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad import Function, Tensor
from minigrad.testing import (
    arrays,
    assert_grad_matches,
    away_from,
    broadcastable_shapes,
    clear_extremum,
    shapes,
    tensors,
)


class HalfGradient(Function):
    """y = 2x;  dy/dx = 1  (wrong on purpose)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad,)


@given(shapes(min_dims=1, max_dims=2, max_side=4))
def test_shapes_respect_bounds(shape: tuple[int, ...]) -> None:
    assert 1 <= len(shape) <= 2 and all(1 <= n <= 4 for n in shape)


@given(broadcastable_shapes(3))
def test_broadcastable_shapes_broadcast_together(drawn: tuple[tuple[int, ...], ...]) -> None:
    assert len(drawn) == 3
    np.broadcast_shapes(*drawn)


@given(tensors(shape=(2, 3), dtype=np.float32, elements=st.floats(-1, 1, width=32)))
def test_tensors_follow_shape_dtype_and_elements(x: Tensor) -> None:
    assert x.shape == (2, 3) and x.dtype == np.float32 and x.requires_grad
    assert np.all(np.abs(x.data) <= 1)


@given(tensors(requires_grad=False), arrays(shape=st.just((4,))))
def test_defaults_are_small_finite_float64(x: Tensor, a: np.ndarray) -> None:
    assert not x.requires_grad and x.dtype == np.float64 and x.ndim <= 3
    assert a.shape == (4,) and np.all(np.isfinite(a)) and np.all(np.abs(a) <= 3)


def test_away_from() -> None:
    assert away_from([1.0, -1.0], [0.0], margin=0.5)
    assert not away_from(Tensor([1.0, 0.2]), [0.0], margin=0.5)
    assert not away_from([1.0, 2.0], [0.0, 2.05], margin=0.1)


def test_clear_extremum() -> None:
    x = np.array([[1.0, 3.0], [2.0, 2.0005]])
    assert clear_extremum(x)  # 3 beats 2.0005
    assert not clear_extremum(np.array([[3.0, 1.0], [0.0, 3.0]]))
    assert clear_extremum(x, axis=0)  # columns: 2 vs 1, 3 vs 2.0005
    assert not clear_extremum(x, axis=1)  # row 1 nearly ties
    assert clear_extremum(x, axis=1, margin=1e-4)
    assert clear_extremum(np.array([5.0]))


def test_assert_grad_matches_raises_an_assertion_with_the_table() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert_grad_matches(lambda t: t * 2, x)
    with pytest.raises(AssertionError, match="analytic"):
        assert_grad_matches(HalfGradient.apply, x)


def test_assert_grad_matches_second_order() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert_grad_matches(lambda t: t**3, x, second_order=True)

    def cube_from_data(t: Tensor) -> Tensor:
        return t * Tensor(t.data**2)  # x**2 taken as a constant: the gradient is a third off

    with pytest.raises(AssertionError, match="mismatch"):
        assert_grad_matches(cube_from_data, x)


def test_assert_grad_matches_refuses_to_check_nothing() -> None:
    with pytest.raises(ValueError, match="requires_grad"):
        assert_grad_matches(lambda t: t * 2, Tensor([1.0]))
