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


def _log_softmax(z: np.ndarray) -> np.ndarray:
    return np.log(_softmax(z))


def test_ignore_index_rows_add_nothing_and_leave_the_mean() -> None:
    z = Tensor(LOGITS, requires_grad=True)
    loss = mg.cross_entropy(z, np.array([2, -100]))
    np.testing.assert_allclose(loss.item(), -_log_softmax(LOGITS)[0, 2], rtol=1e-14)
    loss.backward()
    expected = np.zeros((2, 3))
    expected[0] = _softmax(LOGITS)[0] - np.eye(3)[2]  # divided by 1 kept row, not 2
    np.testing.assert_allclose(z.grad.data, expected, rtol=1e-14)
    each = mg.cross_entropy(z, np.array([1, 5]), reduction="none", ignore_index=5)
    assert each.data[1] == 0.0


def test_all_targets_ignored_refuses_the_mean_but_not_the_sum() -> None:
    with pytest.raises(ShapeError, match="every target is ignore_index"):
        mg.cross_entropy(Tensor(LOGITS), np.array([-100, -100]))
    assert mg.cross_entropy(Tensor(LOGITS), np.array([-100, -100]), reduction="sum").item() == 0.0


def test_label_smoothing_mixes_in_the_uniform_distribution() -> None:
    """PyTorch: L_n = (1 - e) (-log y_n[t_n]) + e / C sum_c (-log y_nc)."""
    e, log_y = 0.1, _log_softmax(LOGITS)
    expected = (1 - e) * -log_y[[0, 1], TARGETS] + e / 3 * -log_y.sum(axis=1)
    loss = mg.cross_entropy(Tensor(LOGITS), TARGETS, reduction="none", label_smoothing=e)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-14)
    with pytest.raises(ValueError, match="label_smoothing"):
        mg.cross_entropy(Tensor(LOGITS), TARGETS, label_smoothing=1.5)


def test_probability_targets() -> None:
    q = np.array([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])
    z = Tensor(LOGITS, requires_grad=True)
    loss = mg.cross_entropy(z, q)
    np.testing.assert_allclose(loss.item(), -(q * _log_softmax(LOGITS)).sum() / 2, rtol=1e-14)
    loss.backward()
    np.testing.assert_allclose(z.grad.data, (_softmax(LOGITS) - q) / 2, rtol=1e-14)
    with pytest.raises(ShapeError, match="class-probability targets must be floats"):
        mg.cross_entropy(z, np.zeros((2, 2)))


def test_one_hot_probabilities_equal_class_indices() -> None:
    by_index = mg.cross_entropy(Tensor(LOGITS), TARGETS, label_smoothing=0.2)
    by_probs = mg.cross_entropy(Tensor(LOGITS), np.eye(3)[TARGETS], label_smoothing=0.2)
    np.testing.assert_allclose(by_index.item(), by_probs.item(), rtol=1e-14)


def test_nll_loss_of_log_softmax_is_cross_entropy() -> None:
    z = Tensor(LOGITS, requires_grad=True)
    nll = mg.nll_loss(z.log_softmax(axis=1), TARGETS)
    np.testing.assert_allclose(nll.item(), mg.cross_entropy(z, TARGETS).item(), rtol=1e-14)
    x = Tensor(np.log(_softmax(LOGITS)), requires_grad=True)
    mg.nll_loss(x, np.array([1, -100]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.data, [[0, -1, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match=r"nll_loss: targets must lie in \[0, 3\)"):
        mg.nll_loss(x, np.array([3, 0]))


def test_binary_cross_entropy_values_and_pytorchs_clamp() -> None:
    p = Tensor([0.8, 0.3, 0.0, 1.0], requires_grad=True)
    t = np.array([1.0, 0.0, 1.0, 1.0])
    each = mg.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(each.data, [-np.log(0.8), -np.log(0.7), 100.0, 0.0], rtol=1e-14)
    q = Tensor([0.8, 0.3], requires_grad=True)
    mg.binary_cross_entropy(q, t[:2], reduction="sum").backward()
    np.testing.assert_allclose(
        q.grad.data, [(0.8 - 1) / (0.8 * 0.2), 0.3 / (0.3 * 0.7)], rtol=1e-14
    )
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        mg.binary_cross_entropy(Tensor([1.5]), np.array([1.0]))


def test_binary_cross_entropy_with_logits_is_stable() -> None:
    x = Tensor([1000.0, -1000.0, 0.0, 2.0], requires_grad=True)
    t = np.array([0.0, 0.0, 1.0, 1.0])
    each = mg.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(
        each.data, [1000.0, 0.0, np.log(2.0), np.log1p(np.exp(-2.0))], rtol=1e-14
    )
    each.sum().backward()
    np.testing.assert_allclose(
        x.grad.data, [1.0, 0.0, -0.5, 1 / (1 + np.exp(-2.0)) - 1], rtol=1e-14
    )


def test_binary_cross_entropy_differentiates_the_target_too() -> None:
    t = Tensor([0.25], requires_grad=True)
    mg.binary_cross_entropy(Tensor([0.8]), t).backward()
    np.testing.assert_allclose(t.grad.data, [np.log(0.2 / 0.8)], rtol=1e-14)
    u = Tensor([0.25], requires_grad=True)
    mg.binary_cross_entropy_with_logits(Tensor([1.5]), u).backward()
    np.testing.assert_allclose(u.grad.data, [-1.5], rtol=1e-14)


def test_mse_reductions() -> None:
    a, b = Tensor([1.0, 2.0, 4.0], requires_grad=True), np.array([1.0, 0.0, 1.0])
    np.testing.assert_array_equal(mg.mse(a, b, reduction="none").data, [0.0, 4.0, 9.0])
    assert mg.mse_loss(a, b, reduction="sum").item() == 13.0
    mg.mse(a, b, reduction="sum").backward()
    np.testing.assert_array_equal(a.grad.data, [0.0, 4.0, 6.0])
    with pytest.raises(ValueError, match="mse: reduction"):
        mg.mse(a, b, reduction="avg")


@pytest.mark.parametrize(
    "loss",
    [
        lambda z: mg.cross_entropy(z, TARGETS, label_smoothing=0.1),
        lambda z: mg.cross_entropy(z, np.array([2, -100])),
        lambda z: mg.nll_loss(z, TARGETS),
        lambda z: mg.binary_cross_entropy_with_logits(z, np.ones((2, 3), dtype=np.float32)),
        lambda z: mg.binary_cross_entropy(z.sigmoid(), np.ones((2, 3), dtype=np.float32)),
        lambda z: mg.mse(z, np.zeros((2, 3), dtype=np.float32), reduction="none"),
    ],
)
def test_losses_keep_float32(loss) -> None:
    z = Tensor(LOGITS.astype(np.float32), requires_grad=True)
    out = loss(z)
    assert out.dtype == np.float32
    out.sum().backward()
    assert z.grad.dtype == np.float32
