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

    def backward(self, grad: mg.Tensor, out: mg.Tensor) -> tuple[mg.Tensor]:
        assert isinstance(grad, mg.Tensor) and isinstance(out, mg.Tensor)
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

        def backward(self, grad: mg.Tensor, out: mg.Tensor) -> tuple[mg.Tensor]:
            (x,) = self.inputs
            seen["grad"], seen["product"] = grad, mg.mul(grad, x) * 0 + 2 * grad
            return (seen["product"],)

    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    Spy.apply(x).sum().backward()
    assert type(seen["grad"]) is np.ndarray and type(seen["product"]) is np.ndarray
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    x.grad = None
    Spy.apply(x).sum().backward(create_graph=True)
    assert isinstance(seen["product"], mg.Tensor) and seen["product"].requires_grad  # recorded


def test_inside_a_rule_ops_name_themselves_in_errors_and_take_lists() -> None:
    MODE.arrays = True
    try:
        with pytest.raises(mg.ShapeError, match=r"mul: inputs \(\(2,\) float64, \(5,\) float64\)"):
            mg.mul(np.ones(2), np.ones(5))
        np.testing.assert_array_equal(mg.mul([1.0, 3.0], 2), [2.0, 6.0])  # not list repetition
    finally:
        MODE.arrays = False
