"""Engine semantics with exact values: accumulation, graph rules, modes, deep graphs."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor
from minigrad.engine import _run_sums
from minigrad.testing import assert_grad_matches


def leaf(*values: float) -> Tensor:
    return Tensor(np.array(values), requires_grad=True)


def test_a_plus_a_twice_gives_four() -> None:
    a = leaf(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_x_times_x() -> None:
    x = leaf(3.0, -2.0)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, -4.0])


def test_x_minus_x_has_zero_gradient() -> None:
    x = leaf(3.0, -2.0)
    (x - x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_diamond() -> None:
    a = leaf(1.5)
    b, c = a * 2, a * 3
    (b * c).backward()  # 6 a**2
    assert a.grad.item() == 12 * 1.5


def test_one_tensor_used_100k_times() -> None:
    x = leaf(1.0, 2.0)
    mg.stack([x] * 100_000).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [100_000.0, 100_000.0])


def test_100k_deep_chain() -> None:
    x = leaf(0.5)
    y = x
    for _ in range(100_000):
        y = y + x  # x feeds every link too: grad 100,001
    y.backward()
    assert y.item() == 0.5 * 100_001
    assert x.grad.item() == 100_001.0


@pytest.mark.slow
def test_1m_deep_chain() -> None:
    x = leaf(0.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert y.item() == 1_000_000.0 and x.grad.item() == 1.0


def test_gradients_accumulate_until_zero_grad() -> None:
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_second_backward_needs_retain_graph() -> None:
    x = leaf(1.0)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(mg.GraphError, match="retain_graph"):
        y.backward()


def test_non_scalar_backward_needs_a_gradient() -> None:
    with pytest.raises(mg.GraphError, match="scalar"):
        (leaf(1.0, 2.0) * 2).backward()


def test_wrong_shaped_gradient_names_both_shapes() -> None:
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(mg.ShapeError, match=r"\(3, 2\).*\(2, 3\)"):
        y.backward(np.ones((3, 2)))


def test_backward_of_a_constant_is_an_error() -> None:
    with pytest.raises(mg.GraphError, match="require"):
        Tensor(1.0).backward()


def test_no_grad_records_nothing() -> None:
    x = leaf(1.0)
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf and y.op is None
    assert mg.is_grad_enabled()


def test_no_grad_as_decorator() -> None:
    @mg.no_grad()
    def double(t: Tensor) -> Tensor:
        return t * 2

    assert double(leaf(1.0)).is_leaf and mg.is_grad_enabled()


def test_no_grad_on_a_generator_function_holds_inside_it_only() -> None:
    @mg.no_grad()
    def doubles(t: Tensor):
        received = yield t * 2
        while True:
            assert not mg.is_grad_enabled()
            received = yield received * 2

    x = leaf(1.0)
    steps = doubles(x)
    first = next(steps)
    assert mg.is_grad_enabled()  # the caller's code between steps keeps its mode
    second = steps.send(x + 1)
    assert first.is_leaf and second.is_leaf and mg.is_grad_enabled()
    assert second.item() == 4.0
    steps.close()
    assert mg.is_grad_enabled()


def test_no_grad_generator_returns_and_passes_thrown_errors() -> None:
    @mg.no_grad()
    def countdown():
        try:
            yield mg.is_grad_enabled()
        except KeyError:
            yield "caught " + str(mg.is_grad_enabled())
        return "done"

    steps = countdown()
    assert next(steps) is False
    assert steps.throw(KeyError("k")) == "caught False"
    with pytest.raises(StopIteration) as stop:
        next(steps)
    assert stop.value.value == "done" and mg.is_grad_enabled()


def test_enable_grad_inside_no_grad() -> None:
    x = leaf(2.0)
    with mg.no_grad(), mg.enable_grad():
        y = x * x
    assert y.op == "mul"
    y.backward()
    assert x.grad.item() == 4.0


def test_grad_mode_restored_after_an_exception() -> None:
    with pytest.raises(ValueError, match="inside"), mg.no_grad():
        raise ValueError("inside no_grad")
    assert mg.is_grad_enabled()


def test_scopes_tag_tensors_and_nest() -> None:
    x = leaf(1.0)
    with mg.scope("outer"):
        a = x * 2
        with mg.scope("inner"):
            b = a + 1
            c = Tensor(1.0)
        d = b * 3
    e = d - 1
    assert (x.scope, a.scope, b.scope, c.scope, d.scope, e.scope) == (
        "",
        "outer",
        "outer/inner",
        "outer/inner",
        "outer",
        "",
    )


def test_detach_cuts_the_graph_and_shares_data() -> None:
    x = leaf(3.0)
    d = x.detach()
    assert d.is_leaf and not d.requires_grad and np.shares_memory(d.data, x.data)
    (d * x).backward()
    assert x.grad.item() == 3.0  # only the path through x itself


def test_retain_grad_keeps_an_intermediate_gradient() -> None:
    x = leaf(1.0, 2.0)
    h, k = x * 2, x * 3
    h.retain_grad()
    (h * h + k).sum().backward()
    np.testing.assert_array_equal(h.grad.data, [4.0, 8.0])
    assert k.grad is None
    np.testing.assert_array_equal(x.grad.data, [8.0 + 3.0, 16.0 + 3.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_leaf_and_a_retained_intermediate_never_share_a_grad(create_graph: bool) -> None:
    """h = x + 0 passes h's summed gradient straight on to x: x.grad must be its own copy."""
    x = leaf(1.0, 2.0)
    h = x + 0
    h.retain_grad()
    (h * 2 + h * 3).sum().backward(create_graph=create_graph)
    assert x.grad is not h.grad and not np.shares_memory(x.grad.data, h.grad.data)
    h.grad.data[0] = 100.0
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_unused_input_keeps_grad_none() -> None:
    x, unused = leaf(1.0), leaf(2.0)
    (x * 2).backward()
    assert unused.grad is None and x.grad.item() == 2.0


def _network_grads(scale: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    y = ((x @ w).tanh() * (x @ w).sigmoid()).log_softmax(axis=1)
    y.backward(scale * np.random.default_rng(1).standard_normal(y.shape))
    return x.grad.data, w.grad.data


def test_backward_is_linear_in_the_seed_gradient() -> None:
    for g1, g2 in zip(_network_grads(1.0), _network_grads(2.0), strict=True):
        np.testing.assert_array_equal(g2, 2 * g1)


def test_repeated_runs_are_bitwise_equal() -> None:
    for g1, g2 in zip(_network_grads(1.0), _network_grads(1.0), strict=True):
        assert g1.tobytes() == g2.tobytes()


def _small_graph() -> tuple[Tensor, Tensor, Tensor]:
    x = Tensor([0.5, -1.0], requires_grad=True, name="x")
    w = Tensor([2.0, 3.0], requires_grad=True, name="w")
    return (x * w).tanh().sum(), x, w


def test_backward_steps_one_record_per_node() -> None:
    y, x, w = _small_graph()
    steps = list(y.backward_steps())
    assert [s.op for s in steps] == ["sum", "tanh", "mul", None, None]
    assert {id(s.node) for s in steps} == {id(n) for n in mg.toposort(y)}
    assert steps[1].formula == "y = tanh(x);  dy/dx = 1 - y**2"
    assert steps[3].formula == "accumulate into .grad"
    t = np.tanh(np.array([1.0, -3.0]))
    np.testing.assert_allclose(steps[1].input_grads[0].data, 1 - t**2, rtol=1e-15)
    stepped = (x.grad.data.copy(), w.grad.data.copy())
    y2, x2, w2 = _small_graph()
    y2.backward()
    np.testing.assert_array_equal(stepped[0], x2.grad.data)
    np.testing.assert_array_equal(stepped[1], w2.grad.data)
    np.testing.assert_allclose(x2.grad.data, (1 - t**2) * [2.0, 3.0], rtol=1e-15)


def test_second_derivative_with_create_graph() -> None:
    x = leaf(-2.0, 0.5, 3.0)
    (x**3).sum().backward(create_graph=True)
    first = x.grad
    np.testing.assert_array_equal(first.data, 3 * x.data**2)
    assert first.requires_grad
    x.zero_grad()
    first.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 6 * x.data)


def test_third_derivative_of_tanh_chain() -> None:
    x = leaf(0.3)
    (y,) = [x.tanh()]
    y.backward(create_graph=True)
    g1 = x.grad
    x.zero_grad()
    g1.backward(create_graph=True)
    g2 = x.grad
    x.zero_grad()
    g2.backward()
    t = np.tanh(0.3)
    np.testing.assert_allclose(g2.item(), -2 * t * (1 - t**2), rtol=1e-14)
    np.testing.assert_allclose(x.grad.item(), -2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-13)


def test_detect_anomaly_names_the_op_and_the_forward_line() -> None:
    x = leaf(0.0, 1.0)
    with mg.detect_anomaly(), np.errstate(divide="ignore"):
        root = x.sqrt()  # d sqrt / dx at 0 is inf
        with pytest.raises(mg.AnomalyError) as caught:
            root.sum().backward()
    message = str(caught.value)
    assert "sqrt" in message
    assert "root = x.sqrt()" in message and "test_engine.py" in message


def test_reading_time_steps_accumulates_like_finite_differences() -> None:
    rng = np.random.default_rng(0)
    hs = Tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    weights = [Tensor(rng.standard_normal((2, 3))) for _ in range(5)]

    def loss(h: Tensor) -> Tensor:
        total = h[0].tanh().sum() * 0
        for t in [0, 1, 3, 3, 4, 1]:  # some steps read twice, step 2 never
            total = total + (h[t] * weights[t]).tanh().sum()
        return total

    assert_grad_matches(loss, hs)
    steps = [s for s in loss(hs).backward_steps() if s.op == "getitem"]
    assert all(isinstance(s.input_grads[0], mg.SparseGrad) for s in steps)
    np.testing.assert_array_equal(hs.grad.data[2], np.zeros((2, 3)))


def test_zero_dim_tensor_receiving_three_gradients_sums_them() -> None:
    """numpy returns scalars for 0-d results; the engine must still add in place."""
    a = Tensor(1.5, requires_grad=True)
    (a * 2.0 + a * 3.0 + a * 4.0).backward()
    assert a.grad is not None and a.grad.item() == 9.0


def test_second_derivative_of_pow_at_base_one_exponent_zero() -> None:
    """d/da of dy/db for y = a**b is b a**(b-1) log(a) + a**b / a = 1 at (1, 0)."""
    a, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    (a**b).backward(create_graph=True)
    dy_db = b.grad
    a.grad = b.grad = None
    assert dy_db is not None
    dy_db.backward()
    assert a.grad is not None and a.grad.item() == 1.0


@pytest.mark.parametrize(
    ("distinct", "width"),
    [(3, 4), (1000, 4), (3, 64), (65, 128)],  # long runs of equal ids and short ones; wide rows
)
def test_row_lookup_gradient_sums_repeated_ids_like_add_at(distinct: int, width: int) -> None:
    rng = np.random.default_rng(distinct)
    table = Tensor(rng.standard_normal((distinct, width)), requires_grad=True)
    ids = rng.integers(-distinct, distinct, (50, 60))  # negative ids count from the end
    upstream = rng.standard_normal((50, 60, width))
    table[ids].backward(upstream)
    expected = np.zeros((distinct, width))
    np.add.at(expected, ids, upstream)
    np.testing.assert_allclose(table.grad.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("runs", "width"), [(3, 64), (200, 8), (1, 32)])  # loop, reduceat, loop
def test_run_sums_add_each_run_like_add_at(runs: int, width: int) -> None:
    rng = np.random.default_rng(runs)
    rows = rng.standard_normal((2000, width))
    starts = np.unique(np.r_[0, rng.integers(1, 2000, runs - 1)])
    run_of_row = np.searchsorted(starts, np.arange(2000), side="right") - 1
    expected = np.zeros((len(starts), width))
    np.add.at(expected, run_of_row, rows)
    np.testing.assert_allclose(_run_sums(rows, starts), expected, rtol=1e-12, atol=1e-12)


def test_create_graph_differentiates_through_an_upstream_gradient_that_requires_grad() -> None:
    x = leaf(0.5, 3.0)
    v = leaf(1.0, -2.0)
    (x * x).backward(v, create_graph=True)  # x.grad = 2 x v
    x.grad.sum().backward()  # d/dv sum(2 x v) = 2 x
    np.testing.assert_array_equal(v.grad.data, [1.0, 6.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_no_two_grads_are_one_object(create_graph: bool) -> None:
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    mid = a.broadcast_to((2,))
    mid.retain_grad()
    (mid + b).sum().backward(create_graph=create_graph)
    grads = [a.grad, b.grad, mid.grad]
    assert len({id(g) for g in grads}) == 3
    assert not any(
        np.shares_memory(g.data, h.data) for g, h in [(a.grad, b.grad), (a.grad, mid.grad)]
    )


def test_clipping_grads_built_with_create_graph_scales_each_once() -> None:
    a, b = leaf(3.0), leaf(4.0)
    (a + b).sum().backward(create_graph=True)
    norm = mg.nn.clip_grad_norm([a, b], 1.0)
    assert norm == pytest.approx(np.sqrt(2))
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [0.5**0.5, 0.5**0.5])
