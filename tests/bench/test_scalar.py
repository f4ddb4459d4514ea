"""The scalar benchmark's closure engine is right, and both engines train alike."""

import numpy as np
import pytest

from bench import scalar


def f(a: scalar.Value, b: scalar.Value) -> scalar.Value:
    """Every op of the closure engine, with a reused input."""
    return (a * b + (-a) ** 2 * 0.5 + 3).relu() * b + a


@pytest.mark.parametrize("start", [(0.7, -1.3), (2.0, 0.4), (-0.5, 1.5)])
def test_closure_engine_gradients_match_central_differences(start: tuple[float, float]) -> None:
    a, b = (scalar.Value(v) for v in start)
    f(a, b).backward()
    eps = 1e-6
    for i, got in enumerate((a.grad, b.grad)):
        up, down = list(start), list(start)
        up[i] += eps
        down[i] -= eps
        plus = f(*(scalar.Value(v) for v in up)).data
        minus = f(*(scalar.Value(v) for v in down)).data
        assert got == pytest.approx((plus - minus) / (2 * eps), rel=1e-6, abs=1e-8)


def test_closure_engine_walks_a_deep_chain_without_recursion() -> None:
    h = x = scalar.Value(1.0)
    for _ in range(20_000):
        h = h * 1.0
    h.backward()
    assert x.grad == 1.0


def test_moons_are_two_labelled_half_circles() -> None:
    points, labels = scalar.moons()
    assert points.shape == (scalar.POINTS, 2)
    assert sorted(set(labels)) == [-1.0, 1.0]
    upper = points[labels == -1]
    assert np.abs(np.hypot(*upper.T) - 1).mean() < 0.15  # on the unit circle, with noise


def test_both_engines_give_the_same_loss_at_every_step() -> None:
    mine, closures = scalar.minigrad_trainer(), scalar.value_trainer()
    for _ in range(2):
        mine.step()
        closures.step()
    assert mine.losses == closures.losses
    assert mine.losses[1] != mine.losses[0]  # the step moved the weights
