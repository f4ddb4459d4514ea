"""A first-order backward runs the rules of minigrad's ops on plain arrays (``MODE.arrays``).

The same rule run on Tensors is the reference: for every row of the op
table, both give the same gradients, bit for bit. An op defined outside
minigrad gets Tensors unless it opts in with ``rule_on_arrays = True``.
"""

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.function import Function
from minigrad.mode import MODE
from minigrad.op_table import OPS, OpSpec
from minigrad.tensor import array_of


@contextlib.contextmanager
def rules_on_tensors(classes: set[type]) -> Iterator[None]:
    """Make the engine run these ops' rules on Tensors inside the block."""
    saved = {cls: vars(cls).get("rule_on_arrays") for cls in classes}
    for cls in classes:
        cls.rule_on_arrays = False
    try:
        yield
    finally:
        for cls, flag in saved.items():
            if flag is None:
                del cls.rule_on_arrays
            else:
                cls.rule_on_arrays = flag


def gradients(spec: OpSpec, case: object, seed: np.ndarray, on_tensors: bool) -> list:
    leaves = spec.leaves(case)
    out = spec.bind(case)(*leaves)
    ops = {type(node._ctx) for node in mg.toposort(out) if node._ctx is not None}
    assert all(op.rule_on_arrays for op in ops)
    with rules_on_tensors(ops if on_tensors else set()):
        out.backward(seed.reshape(out.shape))
    return [None if x.grad is None else x.grad.data for x in leaves]


@pytest.mark.parametrize("spec", OPS, ids=[spec.name for spec in OPS])
@settings(max_examples=30)
@given(data=st.data())
def test_rules_on_arrays_match_rules_on_tensors(spec: OpSpec, data: st.DataObject) -> None:
    case = data.draw(spec.strategy())
    size = spec.bind(case)(*spec.leaves(case)).size
    seed = np.random.default_rng(size).standard_normal(size)
    on_arrays = gradients(spec, case, seed, on_tensors=False)
    on_tensors = gradients(spec, case, seed, on_tensors=True)
    for got, want in zip(on_arrays, on_tensors, strict=True):
        assert (got is None) == (want is None)
        if got is not None:
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)  # NaN in the same places counts as equal


class SpreadWithStd(Function):
    """y = x;  dy/dx = std(y) (a made-up rule), written with Tensor methods"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.copy()

    def backward(self, grad: mg.Tensor, out: mg.Tensor, x: mg.Tensor) -> tuple[mg.Tensor]:
        assert all(isinstance(t, mg.Tensor) for t in (grad, out, x))
        return (grad * out.std(),)  # ndarray.std would divide by n, Tensor.std by n - 1


def test_an_op_defined_elsewhere_gets_tensors_and_tensor_methods_mean_what_they_say() -> None:
    assert SpreadWithStd.rule_on_arrays is False
    x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    SpreadWithStd.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0, 1.0])  # std of 1, 2, 3 with n - 1


def test_ops_called_inside_a_rule_return_arrays_and_record_nothing() -> None:
    seen = {}

    class Spy(Function):
        """y = 2x;  dy/dx = 2"""

        rule_on_arrays = True

        def forward(self, x: np.ndarray) -> np.ndarray:
            return 2 * x

        def backward(self, grad: mg.Tensor, out: mg.Tensor, x: mg.Tensor) -> tuple[mg.Tensor]:
            seen["grad"], seen["input"] = grad, x
            seen["product"] = mg.mul(grad, x) * 0 + 2 * grad
            return (seen["product"],)

    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    Spy.apply(x).sum().backward()
    assert all(type(seen[k]) is np.ndarray for k in ("grad", "input", "product"))
    assert seen["input"] is x.data  # the input's own array, not a copy
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    x.grad = None
    Spy.apply(x).sum().backward(create_graph=True)
    assert seen["input"] is x
    assert isinstance(seen["product"], mg.Tensor) and seen["product"].requires_grad  # recorded


def test_a_rule_that_does_not_take_the_inputs_is_refused_where_its_class_is_written() -> None:
    with pytest.raises(TypeError, match=r"Old\.backward\(self, grad, out\): .* backward\(self, "):

        class Old(Function):
            def forward(self, x: np.ndarray) -> np.ndarray:
                return x

            def backward(self, grad: mg.Tensor, out: mg.Tensor) -> tuple[mg.Tensor]:
                return (grad,)

    class Variadic(Function):  # *inputs takes any number of them
        def forward(self, *xs: np.ndarray) -> np.ndarray:
            return sum(xs)

        def backward(self, grad: mg.Tensor, out: mg.Tensor, *xs: mg.Tensor) -> tuple:
            return (grad,) * len(xs)

    a, b = mg.Tensor(1.0, requires_grad=True), mg.Tensor(2.0, requires_grad=True)
    Variadic.apply(a, b).backward()
    assert a.grad.item() == b.grad.item() == 1.0


def test_needs_input_grad_says_which_inputs_want_a_gradient() -> None:
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * mg.Tensor([3.0, 4.0])
    assert y._ctx.needs_input_grad == (True, False)
    assert (2.0 * x)._ctx.needs_input_grad == (False, True)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_array_of_reads_a_tensor_or_passes_anything_else_through() -> None:
    t = mg.Tensor([1.0, -2.0])
    assert array_of(t) is t.data
    a = np.ones(3)
    assert array_of(a) is a
    assert array_of(2.5) == 2.5


def test_inside_a_rule_ops_name_themselves_in_errors_and_take_lists() -> None:
    MODE.arrays = True
    try:
        with pytest.raises(mg.ShapeError, match=r"mul: inputs \(\(2,\) float64, \(5,\) float64\)"):
            mg.mul(np.ones(2), np.ones(5))
        np.testing.assert_array_equal(mg.mul([1.0, 3.0], 2), [2.0, 6.0])  # not list repetition
    finally:
        MODE.arrays = False


class Doubler(Function):
    """y = 2x;  dy/dx = 2"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return 2 * x

    def backward(self, grad: mg.Tensor, out: mg.Tensor, x: mg.Tensor) -> tuple[mg.Tensor]:
        return (2 * grad,)


class BareDoubler(Doubler):
    """y = 2x;  dy/dx = 2, returned without the tuple (a slip)"""

    def backward(self, grad: mg.Tensor, out: mg.Tensor, x: mg.Tensor) -> mg.Tensor:  # type: ignore[override]
        return 2 * grad


class TwiceDoubler(Doubler):
    """y = 2x;  two gradients for one input (a slip)"""

    def backward(self, grad: mg.Tensor, out: mg.Tensor, x: mg.Tensor) -> tuple[mg.Tensor, ...]:
        return (2 * grad, 2 * grad)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_rule_must_return_one_gradient_per_input_in_a_tuple(create_graph: bool) -> None:
    x = mg.Tensor(np.ones((1, 3)), requires_grad=True)  # a (1, 3) gradient has len 1
    Doubler.apply(x).sum().backward(create_graph=create_graph)
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0, 2.0]])
    with pytest.raises(mg.GraphError, match=r"baredoubler: backward returned a Tensor; .*tuple"):
        BareDoubler.apply(x).sum().backward(create_graph=create_graph)
    with pytest.raises(mg.GraphError, match=r"twicedoubler: backward returned 2 gradients for 1"):
        TwiceDoubler.apply(x).sum().backward(create_graph=create_graph)
