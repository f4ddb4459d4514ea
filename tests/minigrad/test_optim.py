"""Optimizers against hand-written numpy updates, convergence, state round trips, bad input."""

from collections.abc import Callable

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim

A = np.array([[1.0, 3.0, 0.5], [2.0, 0.2, 4.0]])
B = np.array([[0.3, -1.0, 2.0], [-0.7, 0.1, 0.4]])


def quad_grad(p: np.ndarray) -> np.ndarray:
    """Gradient of sum(A * p**2 / 2 + B * p)."""
    return A * p + B


def start() -> np.ndarray:
    return np.random.default_rng(0).standard_normal(A.shape)


def run(opt_cls: type[optim.Optimizer], steps: int, **kwargs: object) -> np.ndarray:
    p = nn.Parameter(start())
    opt = opt_cls([p], **kwargs)
    for _ in range(steps):
        p.grad = mg.Tensor(quad_grad(p.data))
        opt.step()
    return p.data


def ref_sgd(steps: int, lr: float, momentum: float = 0.0, wd: float = 0.0) -> np.ndarray:
    p, velocity = start(), np.zeros(A.shape)
    for _ in range(steps):
        g = quad_grad(p) + wd * p
        velocity = momentum * velocity + g
        p = p - lr * velocity
    return p


def ref_adagrad(steps: int, lr: float, eps: float) -> np.ndarray:
    p, history = start(), []
    for _ in range(steps):
        g = quad_grad(p)
        history.append(g**2)
        p = p - lr * g / (np.sqrt(np.sum(history, axis=0)) + eps)
    return p


def ref_adam(steps: int, lr: float, b1: float, b2: float, eps: float, wd: float) -> np.ndarray:
    p, m, v = start(), np.zeros(A.shape), np.zeros(A.shape)
    for t in range(1, steps + 1):
        g = quad_grad(p) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return p


@pytest.mark.parametrize(("momentum", "wd"), [(0.0, 0.0), (0.9, 0.0), (0.5, 0.1)])
def test_sgd_matches_numpy(momentum: float, wd: float) -> None:
    got = run(optim.SGD, 6, lr=0.05, momentum=momentum, weight_decay=wd)
    np.testing.assert_allclose(got, ref_sgd(6, 0.05, momentum, wd), rtol=1e-12)


def test_adagrad_matches_numpy() -> None:
    got = run(optim.Adagrad, 6, lr=0.1, eps=1e-6)
    np.testing.assert_allclose(got, ref_adagrad(6, 0.1, 1e-6), rtol=1e-12)


@pytest.mark.parametrize(("betas", "wd"), [((0.9, 0.999), 0.0), ((0.5, 0.9), 0.05)])
def test_adam_matches_numpy(betas: tuple[float, float], wd: float) -> None:
    got = run(optim.Adam, 6, lr=0.01, betas=betas, eps=1e-8, weight_decay=wd)
    np.testing.assert_allclose(got, ref_adam(6, 0.01, *betas, 1e-8, wd), rtol=1e-12)


def test_sgd_momentum_values_by_hand() -> None:
    # grad = 1 always: velocity 1, 1.9, 2.71 -> p = 1 - 0.1 * (1 + 1.9 + 2.71)
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    seen = []
    for _ in range(3):
        p.grad = mg.Tensor([1.0])
        opt.step()
        seen.append(p.data[0])
    np.testing.assert_allclose(seen, [0.9, 0.71, 0.439], rtol=1e-12)


def test_adam_first_step_is_lr_times_sign() -> None:
    p = nn.Parameter([1.0, -2.0, 3.0])
    opt = optim.Adam([p], lr=0.1, eps=1e-12)
    p.grad = mg.Tensor([5.0, -0.001, 1e-3])
    opt.step()
    np.testing.assert_allclose(p.data, [0.9, -1.9, 2.9], rtol=1e-9)


@pytest.mark.parametrize(
    ("make", "steps"),
    [
        (lambda ps: optim.SGD(ps, lr=0.1), 400),
        (lambda ps: optim.SGD(ps, lr=0.02, momentum=0.9), 400),
        (lambda ps: optim.Adagrad(ps, lr=0.5), 400),
        (lambda ps: optim.Adam(ps, lr=0.05), 600),
    ],
)
def test_converges_on_a_quadratic(
    make: Callable[[list[nn.Parameter]], optim.Optimizer], steps: int
) -> None:
    curvature = np.array([1.0, 4.0, 9.0])
    target = np.array([1.0, -2.0, 0.5])
    p = nn.Parameter(np.zeros(3))
    opt = make([p])
    for _ in range(steps):
        opt.zero_grad()
        loss = (((p - target) ** 2) * curvature).sum() * 0.5
        loss.backward()
        opt.step()
    np.testing.assert_allclose(p.data, target, atol=1e-3)


@pytest.mark.parametrize("opt_cls", [optim.SGD, optim.Adagrad, optim.Adam])
def test_float32_stays_float32_and_in_place(opt_cls: type[optim.Optimizer]) -> None:
    p = nn.Parameter(np.ones(4, dtype=np.float32))
    array = p.data
    kwargs = {"momentum": 0.9, "weight_decay": 0.1} if opt_cls is optim.SGD else {}
    opt = opt_cls([p], lr=0.1, **kwargs)
    for _ in range(3):
        p.grad = mg.Tensor(np.full(4, 0.5, dtype=np.float32))
        opt.step()
    assert p.data is array and p.data.dtype == np.float32
    assert all(v.dtype == np.float32 for k, v in opt.state_dict().items() if "." in k)
    assert (p.data < 1).all()


def test_params_without_grad_are_skipped() -> None:
    used, unused = nn.Parameter([1.0]), nn.Parameter([2.0])
    opt = optim.Adam([used, unused], lr=0.1)
    used.grad = mg.Tensor([3.0])
    opt.step()
    assert unused.data[0] == 2.0
    state = opt.state_dict()
    assert state["step"].tolist() == [1, 0]
    assert state["exp_avg.1"][0] == 0.0 and state["exp_avg_sq.1"][0] == 0.0
    # its first real step is bias-corrected with its own count: a move of lr * sign(g)
    unused.grad = mg.Tensor([-4.0])
    opt.step()
    np.testing.assert_allclose(unused.data, [2.1], rtol=1e-7)


def test_zero_grad() -> None:
    p = nn.Parameter([1.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.Tensor([1.0])
    opt.zero_grad()
    assert p.grad is None


def make_opt(name: str, params: list[nn.Parameter]) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.01)
    if name == "adagrad":
        return optim.Adagrad(params, lr=0.1)
    return optim.Adam(params, lr=0.01, betas=(0.8, 0.95), weight_decay=0.01)


def drive(opt: optim.Optimizer, p: nn.Parameter, steps: int) -> list[np.ndarray]:
    out = []
    for _ in range(steps):
        p.grad = mg.Tensor(quad_grad(p.data))
        opt.step()
        out.append(p.data.copy())
    return out


@pytest.mark.parametrize("name", ["sgd", "adagrad", "adam"])
def test_state_dict_round_trip_continues_identically(name: str, tmp_path) -> None:
    p = nn.Parameter(start())
    opt = make_opt(name, [p])
    drive(opt, p, 3)
    snapshot, state = p.data.copy(), opt.state_dict()
    np.savez(tmp_path / "state.npz", **state)
    with np.load(tmp_path / "state.npz", allow_pickle=False) as f:
        loaded = {k: f[k] for k in f.files}
    resumed_p = nn.Parameter(snapshot.copy())
    resumed = make_opt(name, [resumed_p])
    resumed.lr = 123.0  # hyperparameters are restored from the state too
    resumed.load_state_dict(loaded)
    assert resumed.lr == opt.lr
    expected = drive(opt, p, 4)
    got = drive(resumed, resumed_p, 4)
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e, g)
    # without the state, the same start gives another trajectory: the state matters
    fresh_p = nn.Parameter(snapshot.copy())
    assert not np.allclose(drive(make_opt(name, [fresh_p]), fresh_p, 4)[-1], got[-1])


def test_state_dict_is_a_copy() -> None:
    p = nn.Parameter([1.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = mg.Tensor([1.0])
    opt.step()
    state = opt.state_dict()
    before = {k: v.copy() for k, v in state.items()}
    opt.step()
    assert all(np.array_equal(before[k], state[k]) for k in state)


def test_load_state_dict_refuses_another_optimizer() -> None:
    p = nn.Parameter(np.zeros(3))
    adam_state = optim.Adam([p]).state_dict()
    with pytest.raises(ValueError, match=r"SGD.load_state_dict.*missing.*unexpected.*exp_avg"):
        optim.SGD([p], lr=0.1).load_state_dict(adam_state)


def test_load_state_dict_refuses_wrong_shape_and_dtype() -> None:
    p = nn.Parameter(np.zeros(3))
    opt = optim.Adagrad([p])
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"'sum_sq.0' expected shape \(3,\).*got shape \(4,\)"):
        opt.load_state_dict({**state, "sum_sq.0": np.zeros(4)})
    with pytest.raises(ValueError, match=r"'sum_sq.0'.*float64.*float32"):
        opt.load_state_dict({**state, "sum_sq.0": np.zeros(3, np.float32)})


def test_load_state_dict_refuses_bad_hyperparameters_and_keeps_old() -> None:
    p = nn.Parameter(np.zeros(3))
    opt = optim.SGD([p], lr=0.1, momentum=0.5)
    state = {**opt.state_dict(), "lr": np.float64(-1.0), "momentum": np.float64(0.7)}
    with pytest.raises(ValueError, match=r"invalid hyperparameter.*lr must be > 0"):
        opt.load_state_dict(state)
    assert (opt.lr, opt.momentum) == (0.1, 0.5)
    with pytest.raises(ValueError, match="step counts must be >= 0"):
        opt.load_state_dict({**opt.state_dict(), "step": np.array([-1])})


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda ps: optim.SGD(ps, lr=0.0), ValueError, "SGD: lr must be > 0, got 0.0"),
        (lambda ps: optim.SGD(ps, lr=-1), ValueError, "lr must be > 0"),
        (lambda ps: optim.SGD(ps, lr=float("nan")), ValueError, "lr must be finite"),
        (lambda ps: optim.SGD(ps, lr="0.1"), TypeError, "lr must be a number"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=1.0), ValueError, "0 <= momentum < 1"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.1), ValueError, "0 <= momentum < 1"),
        (lambda ps: optim.SGD(ps, 0.1, weight_decay=-1), ValueError, "weight_decay must be >= 0"),
        (lambda ps: optim.Adagrad(ps, eps=0.0), ValueError, "Adagrad: eps must be > 0"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.9)), ValueError, "0 <= beta1 < 1"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.5)), ValueError, "0 <= beta2 < 1"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), ValueError, "betas must be a pair"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), ValueError, "Adam: eps must be > 0"),
    ],
)
def test_bad_hyperparameters(
    make: Callable[[list[nn.Parameter]], optim.Optimizer], error: type, message: str
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        make([nn.Parameter([1.0])])


def test_bad_parameter_lists() -> None:
    p = nn.Parameter([1.0])
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"iterable of Parameters.*got Linear"):
        optim.SGD(nn.Linear(2, 2), lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got Parameter"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray"):
        optim.SGD([p, np.zeros(2)], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="parameter 0 .*requires_grad=True"):
        optim.SGD([mg.Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="parameter 1 appears more than once"):
        optim.SGD([p, p], lr=0.1)


def test_grad_of_wrong_shape() -> None:
    p = nn.Parameter(np.zeros(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = mg.Tensor(np.zeros(4))
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(3,\) but its grad has shape"):
        opt.step()
