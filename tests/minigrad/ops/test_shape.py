"""Shape ops: where each gradient goes back to, exactly; errors; astype dtypes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor
from minigrad.ops import scatter_add

from .helpers import X, grad_at


def test_repeated_integer_indices_accumulate() -> None:
    g = grad_at(lambda x: x[[0, 0, 2, 0]], np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [3.0, 0.0, 1.0])


def test_integer_array_on_a_later_axis() -> None:
    g = grad_at(lambda x: x[:, [1, 1, -1]], X, np.arange(9.0).reshape(3, 3))
    expected = np.zeros((3, 4))
    expected[:, 1] = [0 + 1, 3 + 4, 6 + 7]
    expected[:, 3] = [2, 5, 8]
    np.testing.assert_array_equal(g, expected)


def test_slices_with_negative_steps_and_integers() -> None:
    g = grad_at(lambda x: x[::-2, 1], X, np.array([10.0, 20.0]))
    expected = np.zeros((3, 4))
    expected[2, 1], expected[0, 1] = 10.0, 20.0
    np.testing.assert_array_equal(g, expected)


def test_boolean_mask_index() -> None:
    mask = X > 6
    g = grad_at(lambda x: x[mask], X)
    np.testing.assert_array_equal(g, mask.astype(float))


def test_float_index_is_refused() -> None:
    with pytest.raises(IndexError, match="float"):
        Tensor(X)[np.array([0.0, 1.0])]


@pytest.mark.parametrize(
    "index", [5, -4, (0, 7), (slice(None), 4), np.array([0, 3]), [1, 9], (0, 0, 0)]
)
def test_out_of_range_index_is_an_index_error(index) -> None:
    """numpy and PyTorch raise IndexError, for a bad position and for too many indices."""
    with pytest.raises(IndexError, match=r"getitem: .*\(indexing a tensor of shape \(3, 4\)\)"):
        Tensor(X)[index]


@pytest.mark.parametrize("index", [[[]], [[], []], ([[]], slice(None))])
def test_nested_empty_lists_select_nothing_like_numpy(index) -> None:
    g = grad_at(lambda x: x[index], X, np.zeros(X[index].shape))
    assert Tensor(X)[index].shape == X[index].shape
    np.testing.assert_array_equal(g, np.zeros((3, 4)))


@pytest.mark.parametrize("op", [mg.concat, mg.stack])
@pytest.mark.parametrize("make", [lambda ts: (t for t in ts), lambda ts: ts[0], lambda ts: 3])
def test_concat_and_stack_want_a_list_or_tuple(op, make) -> None:
    parts = [Tensor(np.ones(2)), Tensor(np.zeros(2))]
    with pytest.raises(TypeError, match=f"{op.__name__}: expected a list or tuple of tensors"):
        op(make(parts))
    assert op(tuple(parts)).shape == op(parts).shape


def test_scatter_add_is_the_adjoint_of_getitem() -> None:
    index = np.array([1, 1, 0])
    y = scatter_add(Tensor([1.0, 2.0, 3.0]), index, (3,))
    np.testing.assert_array_equal(y.data, [3.0, 3.0, 0.0])
    g = grad_at(lambda v: scatter_add(v, index, (3,)), np.ones(3), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(g, [6.0, 6.0, 5.0])


def test_reshape_and_back() -> None:
    upstream = np.arange(12.0).reshape(2, -1, 2)
    g = grad_at(lambda x: x.reshape(2, -1, 2), X, upstream)
    np.testing.assert_array_equal(g, upstream.reshape(3, 4))


def test_reshape_to_a_wrong_size_names_the_shapes() -> None:
    with pytest.raises(mg.ShapeError, match=r"reshape.*\(3, 4\)"):
        Tensor(X).reshape(5, 2)


def test_transpose_gradient_uses_the_inverse_permutation() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    upstream = np.arange(24.0).reshape(4, 2, 3) * 10
    g = grad_at(lambda t: t.transpose(2, 0, 1), x, upstream)
    np.testing.assert_array_equal(g, upstream.transpose(1, 2, 0))
    np.testing.assert_array_equal(grad_at(lambda t: t.T, X, X.T * 2), X * 2)


def test_transpose_with_negative_axes() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    upstream = np.arange(24.0).reshape(4, 2, 3)
    g = grad_at(lambda t: t.transpose(-1, 0, -2), x, upstream)
    np.testing.assert_array_equal(g, upstream.transpose(1, 2, 0))


def test_concat_splits_the_gradient() -> None:
    a = Tensor(np.zeros((2, 1)), requires_grad=True)
    b = Tensor(np.zeros((2, 3)), requires_grad=True)
    mg.concat([a, b], axis=-1).backward(np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(a.grad.data, [[0.0], [4.0]])
    np.testing.assert_array_equal(b.grad.data, [[1.0, 2.0, 3.0], [5.0, 6.0, 7.0]])


def test_concat_with_mismatched_shapes_names_the_op() -> None:
    with pytest.raises(mg.ShapeError, match="concat"):
        mg.concat([Tensor(np.zeros((2, 1))), Tensor(np.zeros((3, 1)))], axis=1)


def test_stack_hands_each_input_its_slice() -> None:
    a, b = (Tensor(np.zeros(3), requires_grad=True) for _ in range(2))
    mg.stack([a, b], axis=-1).backward(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(a.grad.data, [0.0, 2.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 3.0, 5.0])


def test_stack_of_nothing_is_an_error() -> None:
    with pytest.raises(mg.ShapeError, match="stack"):
        mg.stack([])


def test_broadcast_to_sums_the_gradient_over_the_copies() -> None:
    g = grad_at(lambda x: x.broadcast_to((2, 3, 4)), np.ones((3, 1)))
    np.testing.assert_array_equal(g, np.full((3, 1), 8.0))


def test_broadcast_to_an_incompatible_shape_names_the_op() -> None:
    with pytest.raises(mg.ShapeError, match="broadcast"):
        Tensor(np.ones((3, 2))).broadcast_to((3, 4))


def test_astype_gradient_has_the_input_dtype() -> None:
    x = Tensor(np.array([1.5, 2.5], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64
    (y * Tensor([2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [2.0, 3.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.reshape(-1),
        lambda x: x.T,
        lambda x: x[1:],
        lambda x: x[[0, 0]],
        lambda x: mg.concat([x, x]),
        lambda x: mg.stack([x, x]),
        lambda x: x.broadcast_to((2, 2, 2)),
    ],
)
def test_float32_stays_float32(fn) -> None:
    x = Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_an_empty_list_index_selects_nothing() -> None:
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[[]]
    assert y.shape == np.arange(6.0).reshape(2, 3)[[]].shape == (0, 3)
    y.sum().backward()
    assert x.grad.data.tolist() == [[0.0] * 3] * 2


@pytest.mark.parametrize("shape", [("23",), ("6",), (3.7, 2), (True, 6), ((2.0, 3),)])
def test_reshape_refuses_shapes_that_are_not_integers(shape) -> None:
    with pytest.raises(TypeError, match="reshape: expected integers"):
        Tensor(np.zeros(6)).reshape(*shape)


def test_astype_to_an_integer_leaves_the_graph() -> None:
    x = Tensor([1.7, -2.2], requires_grad=True)
    n = x.astype(np.int64)
    assert n.data.tolist() == [1, -2] and not n.requires_grad and n.is_leaf
    with pytest.raises(mg.GraphError):
        n.sum().backward()


@pytest.mark.parametrize("dtype", [str, complex, object, np.float16])
def test_astype_refuses_dtypes_a_tensor_cannot_hold(dtype) -> None:
    with pytest.raises(mg.DTypeError, match="astype: cannot convert a float64 tensor"):
        Tensor([1.0]).astype(dtype)
