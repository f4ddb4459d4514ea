"""Tensor construction, dtype rules, repr, item/numpy, and clear errors for bad input."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (1, np.float64),
        (2.5, np.float64),
        ([1, 2, 3], np.float64),
        ([[1.0], [2.0]], np.float64),
        (np.array([1.0, 2.0], dtype=np.float32), np.float32),
        (np.float32(1.5), np.float32),
        (np.array([1.0], dtype=np.float16), np.float64),
        (np.array([1, 2], dtype=np.int64), np.int64),
        (np.array([True, False]), np.bool_),
    ],
)
def test_construction_dtype_rules(data, dtype) -> None:
    assert Tensor(data).dtype == dtype


def test_explicit_dtype_and_shape_views() -> None:
    t = Tensor([[1, 2, 3]], dtype=np.float32)
    assert (t.dtype, t.shape, t.ndim, t.size) == (np.float32, (1, 3), 2, 3)


def test_repr_shows_values_and_what_matters() -> None:
    x = Tensor([1.0, 2.5], requires_grad=True, name="x")
    assert repr(x) == "Tensor([1. , 2.5], name='x', requires_grad=True)"
    assert repr(x * 2) == "Tensor([2., 5.], op=mul)"
    assert repr(Tensor(np.ones(2, dtype=np.float32))) == "Tensor([1., 1.], dtype=float32)"


def test_item_and_numpy() -> None:
    t = Tensor([[4.0]])
    assert t.item() == 4.0 and isinstance(t.item(), float)
    assert t.numpy() is t.data
    with pytest.raises(mg.ShapeError, match=r"item.*\(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_comparisons_give_plain_boolean_arrays() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    result = x > 1.5
    assert isinstance(result, np.ndarray) and result.tolist() == [False, True, True]


def test_iteration_yields_rows() -> None:
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert [r.data.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError):
        len(Tensor(1.0))


def test_mismatched_broadcast_names_the_op_and_shapes() -> None:
    with pytest.raises(mg.ShapeError, match=r"add.*\(2, 3\).*\(4,\)"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))


def test_mismatched_matmul_names_the_op_and_shapes() -> None:
    with pytest.raises(mg.ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))


def test_ragged_lists_are_refused() -> None:
    with pytest.raises(mg.ShapeError, match="ragged"):
        Tensor([[1.0, 2.0], [3.0]])


@pytest.mark.parametrize(
    "data", [np.array(["a", "b"]), ["a", "b"], np.array([1, None], dtype=object)]
)
def test_string_and_object_arrays_are_refused(data) -> None:
    with pytest.raises(mg.DTypeError, match=r"Tensor.*dtype"):
        Tensor(data)


def test_integer_tensor_cannot_require_grad() -> None:
    with pytest.raises(mg.DTypeError, match=r"requires_grad.*int64.*\(3,\)"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(mg.DTypeError, match="int64"):
        Tensor(np.arange(3)).requires_grad_()


def test_max_over_an_empty_axis_names_the_op_and_shape() -> None:
    with pytest.raises(mg.ShapeError, match=r"max.*\(0, 3\)"):
        Tensor(np.ones((0, 3))).max(axis=0)


def test_retain_grad_on_a_constant_is_an_error() -> None:
    with pytest.raises(mg.GraphError, match="retain_grad"):
        Tensor([1.0]).retain_grad()


def test_leaf_and_op_properties() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x.exp()
    assert x.is_leaf and x.op is None
    assert not y.is_leaf and y.op == "exp"


def test_truth_value_of_one_element_and_ambiguity_of_more() -> None:
    assert not Tensor(0.0) and Tensor([2.0])
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_inputs_and_formula_of_an_op_result() -> None:
    x = Tensor(0.5, requires_grad=True)
    y = x.tanh()
    assert len(y.inputs) == 1 and y.inputs[0] is x
    assert y.op == "tanh" and y.formula is not None and "1 - y**2" in y.formula
    assert x.inputs == () and x.formula is None and x.op is None
