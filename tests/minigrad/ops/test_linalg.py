"""matmul: every operand layout, exact gradients, batching with broadcasting, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import Tensor
from minigrad.testing import arrays, assert_grad_matches, broadcastable_shapes

A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
B = np.array([[1.0, -1.0], [0.0, 2.0], [3.0, 1.0]])


def _grads(a: np.ndarray, b: np.ndarray, upstream: np.ndarray):
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    y = ta @ tb
    np.testing.assert_array_equal(y.data, a @ b)
    y.backward(upstream)
    return ta.grad.data, tb.grad.data


def test_matrix_times_matrix() -> None:
    g = np.array([[1.0, 0.0], [2.0, 1.0]])
    ga, gb = _grads(A, B, g)
    np.testing.assert_array_equal(ga, g @ B.T)
    np.testing.assert_array_equal(gb, A.T @ g)


def test_vector_dot_vector() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    ga, gb = _grads(a, b, np.array(2.0))
    np.testing.assert_array_equal(ga, 2 * b)
    np.testing.assert_array_equal(gb, 2 * a)


def test_vector_times_matrix() -> None:
    v, g = np.array([1.0, 2.0, 3.0]), np.array([1.0, -2.0])
    gv, gb = _grads(v, B, g)
    np.testing.assert_array_equal(gv, B @ g)
    np.testing.assert_array_equal(gb, np.outer(v, g))


def test_matrix_times_vector() -> None:
    v, g = np.array([1.0, 2.0, 3.0]), np.array([1.0, -2.0])
    ga, gv = _grads(A, v, g)
    np.testing.assert_array_equal(ga, np.outer(g, v))
    np.testing.assert_array_equal(gv, A.T @ g)


def test_batched_with_broadcasting_sums_over_the_shared_operand() -> None:
    batch = np.stack([A, 2 * A, 3 * A])  # (3, 2, 3) @ (3, 2): B is shared by the batch
    ga, gb = _grads(batch, B, np.ones((3, 2, 2)))
    np.testing.assert_array_equal(ga, np.broadcast_to(np.ones((2, 2)) @ B.T, (3, 2, 3)))
    np.testing.assert_array_equal(gb, (A + 2 * A + 3 * A).T @ np.ones((2, 2)))


@given(
    st.tuples(broadcastable_shapes(2, max_dims=2), st.integers(1, 3), st.integers(1, 3)).flatmap(
        lambda s: st.tuples(arrays(s[0][0] + (s[1], 2)), arrays(s[0][1] + (2, s[2])))
    )
)
def test_batched_gradients_match_finite_differences(pair) -> None:
    a, b = pair
    assert_grad_matches(mg.matmul, Tensor(a, requires_grad=True), Tensor(b, requires_grad=True))


def test_numpy_operand_on_either_side() -> None:
    x = Tensor(A, requires_grad=True)
    (B.T @ x.T).sum().backward()  # numpy's @ defers to Tensor.__rmatmul__
    np.testing.assert_array_equal(x.grad.data, np.ones((2, 2)) @ B.T)


def test_mismatched_inner_dimensions_name_both_shapes() -> None:
    with pytest.raises(mg.ShapeError, match=r"matmul.*\(2, 3\).*\(2, 3\)"):
        Tensor(A) @ Tensor(A)


def test_scalar_operand_is_refused() -> None:
    with pytest.raises(mg.ShapeError, match="matmul"):
        mg.matmul(Tensor(2.0), Tensor(A))


def test_float32_stays_float32() -> None:
    a = Tensor(A.astype(np.float32), requires_grad=True)
    b = Tensor(B.astype(np.float32), requires_grad=True)
    y = a @ b
    assert y.dtype == np.float32
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_addmm_adds_the_product_in_one_array() -> None:
    c = Tensor([1.0, -1.0], requires_grad=True)
    a = Tensor([[1.0, 2.0]], requires_grad=True)
    b = Tensor([[3.0, 0.0], [0.0, 4.0]], requires_grad=True)
    y = mg.addmm(c, a, b)
    np.testing.assert_array_equal(y.data, [[4.0, 7.0]])
    y.sum().backward()
    np.testing.assert_array_equal(c.grad.data, [1.0, 1.0])  # summed over the broadcast row
    np.testing.assert_array_equal(a.grad.data, [[3.0, 4.0]])  # G @ B^T with G = ones
    np.testing.assert_array_equal(b.grad.data, [[1.0, 1.0], [2.0, 2.0]])  # A^T @ G


def test_addmm_refuses_non_matrices_and_a_c_that_grows_the_result() -> None:
    with pytest.raises(mg.ShapeError, match=r"addmm: expected A \(n, k\) and B \(k, m\)"):
        mg.addmm(Tensor(0.0), Tensor([1.0, 2.0]), Tensor([[1.0], [2.0]]))
    with pytest.raises(mg.ShapeError, match="does not broadcast"):
        mg.addmm(Tensor(np.zeros((2, 1, 1))), Tensor(np.ones((1, 2))), Tensor(np.ones((2, 1))))
