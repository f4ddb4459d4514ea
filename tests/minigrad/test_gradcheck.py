"""gradcheck must fail on wrong gradients: a checker that cannot fail is no checker."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Function, Tensor
from minigrad.gradcheck import FULL_JACOBIAN_MAX


class WrongSquare(Function):
    """y = x**2;  dy/dx = x  (wrong on purpose: should be 2x)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x**2

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * x,)


class RightSquare(Function):
    """y = x**2;  dy/dx = 2x"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x**2

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * 2 * x,)


class ConstantSlopeCube(Function):
    """y = x**3;  dy/dx = 3x**2, built from x.data so its own derivative is lost"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x**3

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * Tensor(3 * x.data**2),)


class OneWrongElement(Function):
    """y = 3x;  dy/dx = 3, except element 0 of the gradient is off by 0.5"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return 3 * x

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        bump = np.zeros(grad.shape)
        bump.flat[0] = 0.5
        return (grad * 3 + Tensor(bump),)


def x_of(*shape: int) -> Tensor:
    rng = np.random.default_rng(0)
    return Tensor(rng.uniform(0.5, 2.0, shape), requires_grad=True)


def test_wrong_backward_fails_with_a_readable_table() -> None:
    with pytest.raises(mg.GradcheckError) as caught:
        mg.gradcheck(WrongSquare.apply, x_of(3))
    lines = str(caught.value).splitlines()
    assert "3 mismatch" in lines[0]
    assert lines[1].split() == ["input", "index", "analytic", "numeric", "abs", "err", "rel", "err"]
    x = x_of(3).data
    first = lines[2].split()
    assert first[:2] == ["0", "(0,)"]  # input 0, element (0,)
    analytic, numeric, abs_err = (float(v) for v in first[-4:-1])
    np.testing.assert_allclose([analytic, numeric], [x[0], 2 * x[0]], rtol=1e-5)
    np.testing.assert_allclose(abs_err, x[0], rtol=1e-2)  # printed with 3 digits


def test_right_backward_passes() -> None:
    assert mg.gradcheck(RightSquare.apply, x_of(2, 3)) is True
    assert mg.gradgradcheck(RightSquare.apply, x_of(2, 3)) is True


def test_gradcheck_leaves_inputs_unchanged() -> None:
    x = x_of(4)
    before = x.data.copy()
    mg.gradcheck(lambda t: (t * t).sum(), x)
    np.testing.assert_array_equal(x.data, before)
    assert x.grad is None


def test_random_projections_for_a_large_input() -> None:
    x = x_of(FULL_JACOBIAN_MAX + 36)
    assert mg.gradcheck(lambda t: RightSquare.apply(t).sum(), x) is True
    with pytest.raises(mg.GradcheckError, match="random dir"):
        mg.gradcheck(lambda t: OneWrongElement.apply(t).sum(), x)


def test_small_input_checks_every_element() -> None:
    with pytest.raises(mg.GradcheckError, match=r"1 mismatch.*\n.*\n\s+0\s+\(0, 0\)"):
        mg.gradcheck(lambda t: OneWrongElement.apply(t).sum(), x_of(2, 2))


def test_float32_input_warns() -> None:
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        mg.gradcheck(RightSquare.apply, x)


def test_gradgradcheck_catches_a_second_derivative_built_from_constants() -> None:
    x = x_of(3)
    assert mg.gradcheck(ConstantSlopeCube.apply, x) is True  # first derivative is right
    with pytest.raises(mg.GradcheckError, match="grad of"):
        mg.gradgradcheck(ConstantSlopeCube.apply, x)


def test_only_inputs_that_require_grad_are_checked() -> None:
    fixed = Tensor([1.0, 2.0, 3.0])
    assert mg.gradcheck(lambda a, b: WrongSquare.apply(b) * a, x_of(3), fixed) is True
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda a, b: WrongSquare.apply(a) * b, x_of(3), fixed)


@pytest.mark.parametrize("eps", [0.0, -1e-6, float("nan"), float("inf")])
def test_gradcheck_refuses_a_step_that_is_not_positive(eps: float) -> None:
    with pytest.raises(ValueError, match="eps must be a positive finite step"):
        mg.gradcheck(lambda a: a * a, x_of(3), eps=eps)


def test_gradcheck_says_when_there_is_nothing_to_check() -> None:
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda a: a * a, Tensor([1.0, 2.0]))


@pytest.mark.parametrize("result", [lambda a: 3.0, lambda a: np.ones(2)])
def test_gradcheck_needs_a_function_that_returns_a_tensor(result) -> None:
    with pytest.raises(TypeError, match="must return a Tensor, got (float|ndarray)"):
        mg.gradcheck(result, x_of(2))
