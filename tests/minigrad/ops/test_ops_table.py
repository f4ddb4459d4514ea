"""The op table drives three checks of every op: forward vs numpy, gradient vs
finite differences, and the gradient of the gradient."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.function import Function
from minigrad.op_table import OPS, OpSpec
from minigrad.testing import assert_grad_matches

IDS = [spec.name for spec in OPS]


def _op_classes() -> set[str]:
    """Names of every concrete Function subclass defined in minigrad.ops."""
    found, todo = set(), [Function]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("minigrad.ops") and not cls.__name__.startswith("_"):
            found.add(cls.name)
    return found


def test_table_has_unique_names() -> None:
    assert len(IDS) == len(set(IDS))


@settings(max_examples=3)
@given(data=st.data())
def test_table_reaches_every_op(data: st.DataObject) -> None:
    """Each Function in minigrad.ops appears in the graph of some row."""
    seen: set[str] = set()
    for spec in OPS:
        case = data.draw(spec.strategy())
        out = spec.bind(case)(*spec.leaves(case))
        seen.update(node.op for node in mg.toposort(out) if node.op is not None)
    assert _op_classes() - seen == set()


@pytest.mark.parametrize("spec", OPS, ids=IDS)
@given(data=st.data())
def test_forward_matches_numpy(spec: OpSpec, data: st.DataObject) -> None:
    case = data.draw(spec.strategy())
    out = spec.bind(case)(*spec.leaves(case))
    expected = np.asarray(spec.reference(*case.arrays, **case.params))
    assert out.shape == expected.shape
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("spec", OPS, ids=IDS)
@given(data=st.data())
def test_gradient_matches_finite_differences(spec: OpSpec, data: st.DataObject) -> None:
    case = data.draw(spec.strategy())
    assert_grad_matches(spec.bind(case), *spec.leaves(case), eps=spec.eps)


SECOND_ORDER = [spec for spec in OPS if spec.second_order]


@pytest.mark.parametrize("spec", SECOND_ORDER, ids=[spec.name for spec in SECOND_ORDER])
@settings(max_examples=min(settings().max_examples, 25))  # each example is ~50 backward passes
@given(data=st.data())
def test_gradient_of_gradient(spec: OpSpec, data: st.DataObject) -> None:
    case = data.draw(spec.strategy())
    mg.gradgradcheck(spec.bind(case), *spec.leaves(case), eps=spec.eps)
