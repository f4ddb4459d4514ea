"""Modules find their parameters; Linear checks its sizes; clipping keeps the direction."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def with_grad(*values: float, dtype: type = np.float64) -> nn.Parameter:
    p = nn.Parameter(np.zeros(len(values), dtype=dtype))
    p.grad = mg.Tensor(np.array(values, dtype=dtype))
    return p


class Child(nn.Module):
    def __init__(self, parent: nn.Module) -> None:
        self.parent = parent  # a reference back up: a cycle
        self.w = nn.Parameter(np.zeros(2))


class Parent(nn.Module):
    def __init__(self) -> None:
        self.me = self
        self.b = nn.Parameter(np.zeros(1))
        self.child = Child(self)
        self.family = [self, self.child]


def test_reference_cycles_between_modules_end_the_walk() -> None:
    model = Parent()
    assert [name for name, _ in model.named_parameters()] == ["b", "child.w"]
    assert model.num_parameters() == 3


@pytest.mark.parametrize(("n_in", "n_out"), [(0, 2), (2, 0), (-1, 2), (2.5, 2)])
def test_linear_refuses_sizes_below_one(n_in: float, n_out: int) -> None:
    with pytest.raises(ValueError, match="Linear: .*_features must be an int >= 1"):
        nn.Linear(n_in, n_out)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clipping_finite_grads_whose_squares_overflow(dtype: type) -> None:
    big = float(np.finfo(dtype).max) / 4  # finite, but its square overflows
    p, q = with_grad(big, 0.0, dtype=dtype), with_grad(big, dtype=dtype)
    norm = nn.clip_grad_norm([p, q], 1.0)
    assert norm == pytest.approx(big * math.sqrt(2), rel=1e-6)
    np.testing.assert_allclose(p.grad.data, [0.5**0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(q.grad.data, [0.5**0.5], rtol=1e-6)


def test_clipping_leaves_an_infinite_gradient_as_it_is() -> None:
    p = with_grad(np.inf, 1.0)
    assert nn.clip_grad_norm([p], 1.0) == math.inf
    assert p.grad.data.tolist() == [np.inf, 1.0]


def test_clipping_a_shared_gradient_scales_it_once_and_leaves_the_original() -> None:
    shared = mg.Tensor(np.array([3.0, 4.0]))
    p, q = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(2))
    p.grad = q.grad = shared
    nn.clip_grad_norm([p, q], 1.0)
    assert shared.data.tolist() == [3.0, 4.0]
    np.testing.assert_allclose(p.grad.data, np.array([3.0, 4.0]) / math.sqrt(50))
    np.testing.assert_allclose(q.grad.data, p.grad.data)
