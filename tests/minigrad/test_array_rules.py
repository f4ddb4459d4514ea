"""A first-order backward runs each op's rule on plain arrays (``MODE.arrays``).

The same rule run on Tensors is the reference: for every row of the op
table, both give the same gradients, bit for bit, and no op of minigrad's
needs the Tensor fallback. A rule written with Tensor-only methods (a user's
op) still works: the engine runs it on Tensors.
"""

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import engine
from minigrad.function import Function
from minigrad.op_table import OPS, OpSpec
from minigrad.testing import assert_grad_matches


@contextlib.contextmanager
def rules_on_tensors(classes: set[type]) -> Iterator[None]:
    """Make the engine run these ops' rules on Tensors inside the block."""
    saved = set(engine.TENSOR_RULES)
    engine.TENSOR_RULES.update(classes)
    try:
        yield
    finally:
        engine.TENSOR_RULES.clear()
        engine.TENSOR_RULES.update(saved)


def gradients(spec: OpSpec, case: object, seed: np.ndarray, on_tensors: bool) -> list:
    leaves = spec.leaves(case)
    out = spec.bind(case)(*leaves)
    ops = {type(node._ctx) for node in mg.toposort(out) if node._ctx is not None}
    with rules_on_tensors(ops if on_tensors else set()):
        out.backward(seed.reshape(out.shape))
        fell_back = ops & engine.TENSOR_RULES
    assert on_tensors or not fell_back, f"these rules needed Tensors: {fell_back}"
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


class SoftplusWithTensorMethods(Function):
    """y = log(1 + exp(x));  dy/dx = sigmoid(x), written with Tensor methods only"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log1p(np.exp(x))

    def backward(self, grad: mg.Tensor, out: mg.Tensor) -> tuple[mg.Tensor]:
        return (grad * (1 - (-out).exp()),)  # 1 - exp(-y) = sigmoid(x)


def test_a_rule_that_needs_tensor_methods_runs_on_tensors() -> None:
    x = mg.Tensor(np.linspace(-2, 2, 5), requires_grad=True)
    engine.TENSOR_RULES.discard(SoftplusWithTensorMethods)
    SoftplusWithTensorMethods.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.exp(-x.data)), rtol=1e-12)
    assert SoftplusWithTensorMethods in engine.TENSOR_RULES
    assert_grad_matches(SoftplusWithTensorMethods.apply, x)


def test_ops_called_inside_a_rule_return_arrays_and_record_nothing() -> None:
    seen = {}

    class Spy(Function):
        """y = 2x;  dy/dx = 2"""

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
