"""The op table drives three checks of every op: forward vs numpy, gradient vs
finite differences, and the gradient of the gradient."""

import re
from pathlib import Path

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


FLOAT32 = [spec for spec in OPS if spec.name != "astype"]  # astype's row casts to float64


@pytest.mark.parametrize("spec", FLOAT32, ids=[spec.name for spec in FLOAT32])
@settings(max_examples=min(settings().max_examples, 20))
@given(data=st.data())
def test_float32_inputs_give_float32_values_and_gradients(
    spec: OpSpec, data: st.DataObject
) -> None:
    case = data.draw(spec.strategy())
    leaves = [mg.Tensor(a.astype(np.float32), requires_grad=True) for a in case.arrays]
    out = spec.bind(case)(*leaves)
    assert out.dtype == np.float32
    expected = np.asarray(spec.reference(*case.arrays, **case.params))
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-4)
    out.backward(np.ones(out.shape, dtype=np.float32))
    assert all(x.grad is None or x.grad.dtype == np.float32 for x in leaves)


README = Path(__file__).resolve().parents[3] / "README.md"
WRITTEN_AS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "neg": "-"}


def test_readme_op_table_lists_every_op() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## The ops") : text.index("### Where minigrad differs")]
    named = set(re.findall(r"`([^`]+)`", table))
    symbols = {s for cell in named for s in cell.split()}
    missing = [
        name
        for name in mg.ops.__all__
        if name not in named and WRITTEN_AS.get(name) not in symbols and name != "getitem"
    ]
    assert missing == [] and "indexing" in table
