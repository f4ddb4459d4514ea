"""squeeze, unsqueeze, flatten, split, chunk, repeat, pad, tril/triu, masked_fill, gather,
topk: PyTorch's shapes and values, where each gradient goes, and the refusals."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor

from .helpers import X, grad_at


def test_squeeze_and_unsqueeze_shapes() -> None:
    x = Tensor(np.zeros((1, 3, 1)))
    assert x.squeeze().shape == (3,)
    assert x.squeeze(0).shape == (3, 1) and x.squeeze(-1).shape == (1, 3)
    assert x.squeeze(1).shape == (1, 3, 1)  # size 3: left alone, as in PyTorch
    assert x.squeeze((0, 2)).shape == (3,)
    assert Tensor(np.zeros(3)).unsqueeze(0).shape == (1, 3)
    assert Tensor(np.zeros(3)).unsqueeze(-1).shape == (3, 1)
    assert Tensor(2.0).unsqueeze(0).shape == (1,)
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        Tensor(np.zeros(3)).unsqueeze(2)


def test_flatten_merges_a_range_of_axes() -> None:
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5)
    assert x.flatten(-2).shape == (2, 3, 20)
    assert Tensor(1.0).flatten().shape == (1,)
    with pytest.raises(mg.ShapeError, match="start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)


def test_split_by_size_and_by_sections() -> None:
    parts = Tensor(X).split(3, axis=1)
    assert [p.shape for p in parts] == [(3, 3), (3, 1)]
    np.testing.assert_array_equal(parts[1].data, X[:, 3:])
    assert [p.shape for p in mg.split(Tensor(X), [1, 2], 0)] == [(1, 4), (2, 4)]
    g = grad_at(lambda t: t.split([1, 3], 1)[1] * 2, X)
    np.testing.assert_array_equal(g, np.c_[np.zeros(3), np.full((3, 3), 2.0)])
    with pytest.raises(mg.ShapeError, match=r"sections \[1, 1\] must .* add up to 3"):
        mg.split(Tensor(X), [1, 1])
    with pytest.raises(ValueError, match="split_size must be positive"):
        mg.split(Tensor(X), 0)


def test_chunk_as_pytorch_may_give_fewer_chunks() -> None:
    assert [p.shape[0] for p in mg.chunk(Tensor(np.zeros(5)), 3)] == [2, 2, 1]
    assert [p.shape[0] for p in mg.chunk(Tensor(np.zeros(6)), 4)] == [2, 2, 2]
    assert [p.shape for p in Tensor(X).chunk(2, axis=1)] == [(3, 2), (3, 2)]
    with pytest.raises(ValueError, match="chunks must be a positive integer"):
        mg.chunk(Tensor(X), 0)


def test_repeat_tiles_and_sums_the_gradient_over_copies() -> None:
    x = Tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(x.repeat(2, 2).data, [[1, 2, 1, 2], [1, 2, 1, 2]])
    assert x.repeat(3, 1, 1).shape == (3, 1, 2)
    g = grad_at(lambda t: t.repeat(2, 3), np.array([[1.0, 2.0]]), np.arange(12.0).reshape(2, 6))
    # element 0 of x lands in columns 0, 2, 4 of both rows: 0+2+4+6+8+10
    np.testing.assert_array_equal(g, [[30.0, 36.0]])
    with pytest.raises(mg.ShapeError, match="repeat: needs a non-negative count for each of the 2"):
        x.repeat(2)


def test_pad_counts_pairs_from_the_last_axis() -> None:
    x = Tensor(np.ones((2, 2)))
    y = mg.pad(x, (1, 0, 0, 2), value=-1.0)
    assert y.shape == (4, 3)
    np.testing.assert_array_equal(y.data[:, 0], [-1, -1, -1, -1])
    np.testing.assert_array_equal(y.data[2:], np.full((2, 3), -1.0))
    g = grad_at(lambda t: mg.pad(t, (1, 1)), np.ones((2, 2)), np.arange(8.0).reshape(2, 4))
    np.testing.assert_array_equal(g, [[1.0, 2.0], [5.0, 6.0]])
    with pytest.raises(ValueError, match="mode='constant'"):
        mg.pad(x, (1, 1), mode="reflect")
    with pytest.raises(mg.ShapeError, match="pad: expected non-negative"):
        mg.pad(x, (1, 1, 1))


def test_triangles_and_their_gradients() -> None:
    np.testing.assert_array_equal(Tensor(X).tril().data, np.tril(X))
    np.testing.assert_array_equal(mg.triu(Tensor(X), 1).data, np.triu(X, 1))
    np.testing.assert_array_equal(grad_at(lambda t: t.tril(-1), X), np.tril(np.ones((3, 4)), -1))
    batch = np.arange(18.0).reshape(2, 3, 3)
    np.testing.assert_array_equal(mg.triu(Tensor(batch)).data, np.triu(batch))
    with pytest.raises(mg.ShapeError, match="tril: needs a matrix"):
        mg.tril(Tensor([1.0, 2.0]))


def test_masked_fill_and_its_gradient() -> None:
    mask = np.array([True, False, False, True])
    y = Tensor(X).masked_fill(mask, -np.inf)
    assert y.shape == (3, 4) and np.isneginf(y.data[:, [0, 3]]).all()
    np.testing.assert_array_equal(
        grad_at(lambda t: mg.masked_fill(t, mask, 0.0), X), np.tile(~mask, (3, 1))
    )
    with pytest.raises(mg.DTypeError, match="masked_fill: mask must be boolean"):
        mg.masked_fill(Tensor(X), np.array([1, 0, 0, 1]), 0.0)
    with pytest.raises(mg.ShapeError, match=r"mask of shape \(3,\) does not broadcast"):
        mg.masked_fill(Tensor(X), np.array([True, False, True]), 0.0)


def test_gather_reads_along_an_axis_and_sums_repeats() -> None:
    index = np.array([[0, 0], [1, 0], [3, 3]])
    np.testing.assert_array_equal(Tensor(X).gather(1, index).data, [[0, 0], [5, 4], [11, 11]])
    g = grad_at(lambda t: mg.gather(t, 1, index), X)
    expected = np.zeros((3, 4))
    expected[0, 0], expected[1, [0, 1]], expected[2, 3] = 2, 1, 2
    np.testing.assert_array_equal(g, expected)
    with pytest.raises(mg.DTypeError, match="gather: index must hold integers"):
        mg.gather(Tensor(X), 1, index.astype(float))
    with pytest.raises(IndexError, match="getitem"):
        mg.gather(Tensor(X), 1, np.array([[4]]))


def test_topk_values_indices_and_ties() -> None:
    x = Tensor([[1.0, 5.0, 3.0, 5.0], [0.0, -1.0, 2.0, 1.0]], requires_grad=True)
    values, indices = x.topk(2)
    np.testing.assert_array_equal(values.data, [[5.0, 5.0], [2.0, 1.0]])
    np.testing.assert_array_equal(indices.data, [[1, 3], [2, 3]])  # ties: earlier first
    assert indices.dtype == np.int64 and not indices.requires_grad
    smallest = mg.topk(x, 1, axis=0, largest=False)
    np.testing.assert_array_equal(smallest.indices.data, [[1, 1, 1, 1]])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0, 1], [0, 0, 1, 1]])
    with pytest.raises(ValueError, match=r"topk: k must be an integer in \[0, 4\]"):
        x.topk(5)


def test_a_0d_tensor_is_one_value_along_one_axis_for_gather_and_topk() -> None:
    x = Tensor(2.0, requires_grad=True)
    assert mg.gather(x, 0, np.array(0)).item() == 2.0
    values, indices = x.topk(1)
    assert values.shape == () and indices.item() == 0 and values.item() == 2.0
    assert x.topk(0).values.shape == (0,)
