"""Losses: exact values, stability at +-1000, reductions, bad targets and shapes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor
from minigrad.errors import ShapeError

LOGITS = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]])
TARGETS = np.array([2, 0])


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def test_cross_entropy_value_and_gradient() -> None:
    z = Tensor(LOGITS, requires_grad=True)
    loss = mg.cross_entropy(z, TARGETS)
    p = _softmax(LOGITS)
    np.testing.assert_allclose(loss.item(), -np.mean(np.log(p[[0, 1], TARGETS])), rtol=1e-14)
    loss.backward()
    np.testing.assert_allclose(z.grad.data, (p - np.eye(3)[TARGETS]) / 2, rtol=1e-14)


def test_reductions_agree() -> None:
    z = Tensor(LOGITS)
    each = mg.cross_entropy(z, TARGETS, reduction="none")
    assert each.shape == (2,)
    total = mg.cross_entropy(z, TARGETS, reduction="sum").item()
    np.testing.assert_allclose(total, each.data.sum(), rtol=1e-15)
    np.testing.assert_allclose(mg.cross_entropy(z, TARGETS).item(), total / 2, rtol=1e-15)


def test_huge_logits_give_finite_loss_and_gradient() -> None:
    z = Tensor([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0]], requires_grad=True)
    loss = mg.cross_entropy(z, [0, 0, 1], reduction="sum")
    np.testing.assert_allclose(loss.item(), 0.0 + 2000.0 + np.log(2.0), rtol=1e-15)
    loss.backward()
    np.testing.assert_array_equal(z.grad.data, [[0.0, 0.0], [-1.0, 1.0], [0.5, -0.5]])


@pytest.mark.parametrize(
    ("targets", "error", "match"),
    [
        (np.array([0.0, 1.0]), mg.DTypeError, "integers"),
        (np.array([0, 3]), ValueError, r"\[0, 3\)"),
        (np.array([-1, 0]), ValueError, r"\[0, 3\)"),
        (np.array([0, 1, 2]), mg.ShapeError, r"\(3,\).*\(2, 3\)"),
        (np.array([[0], [1]]), mg.ShapeError, r"\(2, 1\)"),
    ],
)
def test_bad_targets_are_refused(targets, error, match) -> None:
    with pytest.raises(error, match=match):
        mg.cross_entropy(Tensor(LOGITS), targets)


def test_logits_must_be_two_dimensional() -> None:
    with pytest.raises(mg.ShapeError, match=r"cross_entropy.*\(3,\)"):
        mg.cross_entropy(Tensor([1.0, 2.0, 3.0]), [0])


def test_unknown_reduction_is_refused() -> None:
    with pytest.raises(ValueError, match="reduction"):
        mg.cross_entropy(Tensor(LOGITS), TARGETS, reduction="avg")


def test_float32_logits_stay_float32() -> None:
    z = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = mg.cross_entropy(z, TARGETS)
    assert loss.dtype == np.float32
    loss.backward()
    assert z.grad.dtype == np.float32


def test_mse_value_and_gradients() -> None:
    a = Tensor([1.0, 2.0, 4.0], requires_grad=True)
    b = Tensor([1.0, 0.0, 1.0], requires_grad=True)
    loss = mg.mse(a, b)
    assert loss.item() == (0 + 4 + 9) / 3
    loss.backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 4 / 3, 2.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad.data, [0.0, -4 / 3, -2.0], rtol=1e-15)


def test_mse_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(mg.ShapeError, match=r"mse.*\(3,\).*\(3, 1\)"):
        mg.mse(Tensor(np.zeros(3)), Tensor(np.zeros((3, 1))))


def test_cross_entropy_of_no_rows_is_refused() -> None:
    with pytest.raises(mg.ShapeError, match=r"N, C >= 1, got \(0, 3\)"):
        mg.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, dtype=np.int64))


def test_mse_of_empty_tensors_is_refused() -> None:
    with pytest.raises(ShapeError, match="mse: .* are empty"):
        mg.mse(Tensor(np.zeros((0, 2)), requires_grad=True), np.zeros((0, 2)))
