"""The engine: walk the graph backwards and apply the chain rule at each node.

``walk_backward(root, ...)`` is the whole algorithm, one node at a time:

1. ``toposort(root)`` lists the nodes so that every node comes after its inputs
   (iteratively: an RNN unrolled over 10,000 steps is a very deep graph);
2. walking that list in reverse, each node receives the sum of the gradients
   its consumers sent it, and its op's ``backward`` sends gradients on to the
   op's inputs;
3. gradients that an op broadcast in its forward pass are summed back to the
   input's shape here, once (``unbroadcast``), so no op does it by hand;
4. leaves that require grad (and tensors that called ``retain_grad()``)
   accumulate what they receive into ``.grad``.

Without ``create_graph`` the gradients are plain numpy arrays, and the rules
of minigrad's own ops run on arrays: the ops a rule calls take and return
arrays (``MODE.arrays``), so ``grad * b`` builds no Tensor. With
``create_graph`` the same rule runs on Tensors and is recorded, so the
gradient can be differentiated again. (An op defined outside minigrad gets
Tensors unless it sets ``rule_on_arrays``: see ``function.py``.)

``Tensor.backward()`` is this walk run to the end; ``backward_steps()`` yields
a record of each of its steps.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, TypeAlias

import numpy as np

from .errors import AnomalyError, GraphError, ShapeError
from .mode import MODE
from .tensor import Tensor, to_array


class SparseGrad:
    """A gradient that is zero except for ``values`` added at ``index``.

    Indexing ops send this instead of a full-size array of zeros, so reading
    T slices out of a (T, B, H) tensor costs O(T*B*H) in backward, not O(T^2*B*H).
    """

    __slots__ = ("values", "index", "shape")

    def __init__(self, values: Tensor | np.ndarray, index: Any, shape: tuple[int, ...]) -> None:
        self.values = values  # a Tensor under create_graph, else a plain array
        self.index = index
        self.shape = shape

    def add_into(self, buffer: np.ndarray) -> None:
        """buffer[index] += values (repeated indices accumulate)."""
        index, values = self.index, _array(self.values)
        if _hits_each_element_once(index):
            buffer[index] += values
        elif (
            isinstance(index, np.ndarray) and index.dtype.kind in "iu" and buffer.flags.c_contiguous
        ):
            _add_rows(buffer, index, values)
        else:
            np.add.at(buffer, index, values)

    def dense(self) -> Tensor:
        """The full gradient as a differentiable tensor."""
        from .ops.shape import scatter_add

        return scatter_add(self.values, self.index, self.shape)

    @property
    def data(self) -> np.ndarray:
        """The full gradient as an array (for display)."""
        buffer = np.zeros(self.shape, dtype=self.values.dtype)
        self.add_into(buffer)
        return buffer


def _array(x: Any) -> np.ndarray:
    """The array inside a Tensor, or the array itself."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


_ARRAYS = (np.ndarray, list)  # a tuple of types: `np.ndarray | list` builds an object per call


def _hits_each_element_once(index: Any) -> bool:
    """True for basic indexing (ints, slices, None, ...) and boolean masks."""
    if type(index) is int:
        return True
    items = index if isinstance(index, tuple) else (index,)
    return all(not isinstance(i, _ARRAYS) or np.asarray(i).dtype == np.bool_ for i in items)


def _add_rows(buffer: np.ndarray, ids: np.ndarray, values: np.ndarray) -> None:
    """buffer[ids] += values for an integer array of row ids, repeats included.

    ``np.add.at`` does this one element at a time; sorting the ids and summing
    each run of equal ids (``_run_sums``) does it in a few array ops.
    """
    flat = ids.reshape(-1) % len(buffer)  # negative ids count from the end
    if flat.size == 0:
        return
    rows = values.reshape(flat.size, -1)
    order = np.argsort(flat, kind="stable")
    sorted_ids = flat[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    sums = _run_sums(rows[order], starts)
    buffer.reshape(len(buffer), -1)[sorted_ids[starts]] += sums


def _run_sums(rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Row i is the sum of rows[starts[i]:starts[i + 1]] (the last run goes to the end).

    ``np.add.reduceat`` does it in one call, at a cost per element; one
    ``.sum(axis=0)`` per run costs a few microseconds a call but sums wide rows
    faster. Measured, the loop wins once runs hold 2048 elements or more in
    rows at least 32 wide (an embedding of a small vocabulary: T*B ids, 65
    distinct); many short runs, or narrow rows, take one reduceat.
    """
    if rows.shape[1] < 32 or rows.size < 2048 * len(starts):
        return np.add.reduceat(rows, starts, axis=0)
    bounds = [*starts.tolist(), len(rows)]
    return np.stack([rows[a:b].sum(axis=0) for a, b in itertools.pairwise(bounds)])


Grad: TypeAlias = Tensor | SparseGrad


class BackwardStep(NamedTuple):
    """What the engine did at one node.

    ``grad`` is d(root)/d(node); ``input_grads[i]`` is what the node sent to
    ``inputs[i]`` (None when that input needs no gradient). Leaves have
    ``op is None``: their step is the accumulation into ``.grad``.
    """

    node: Tensor
    op: str | None
    formula: str
    grad: Tensor
    inputs: tuple[Tensor, ...]
    input_grads: tuple[Grad | None, ...]


def toposort(root: Tensor) -> list[Tensor]:
    """Nodes that require grad reachable from ``root``, inputs before outputs.

    Iterative depth-first search. A node stays on the stack while its inputs
    are explored above it; when it is on top again, all of them are done and
    it is emitted. (In a graph without cycles, an input that was already
    expanded has already been emitted.) The stack holds only the nodes
    themselves: no small objects per node for Python's garbage collector.
    Tensors hash by identity, so the sets hold the nodes themselves.
    """
    order: list[Tensor] = []
    expanded: set[Tensor] = set()
    emitted: set[Tensor] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        if node in expanded:
            stack.pop()
            if node not in emitted:
                emitted.add(node)
                order.append(node)
            continue
        expanded.add(node)
        if node._ctx is not None:
            for parent in node._ctx.inputs:
                if parent.requires_grad and parent not in expanded:
                    stack.append(parent)
    return order


def unbroadcast(grad: Tensor, shape: tuple[int, ...], op: str) -> Tensor:
    """Sum ``grad`` over the axes that broadcasting added or stretched.

    If x of shape (3, 1) was broadcast to (2, 3, 4), dL/dx sums dL/dy over
    axis 0 (added) and axis 2 (stretched from 1).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(n != 1 and grad.shape[i + extra] != n for i, n in enumerate(shape)):
        raise ShapeError(
            f"{op}: backward produced a gradient of shape {grad.shape} "
            f"for an input of shape {shape}"
        )
    stretched = [i + extra for i, n in enumerate(shape) if n == 1 and grad.shape[i + extra] != 1]
    axes = tuple(range(extra)) + tuple(stretched)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Tensor:
    """d(root)/d(root): ones for a scalar root, else the given gradient.

    With ``create_graph``, a given gradient that requires grad is kept as it is,
    so the gradients computed from it can be differentiated with respect to it.
    """
    if type(grad) is np.ndarray and grad.dtype == root.dtype and grad.shape == root.shape:
        return Tensor._from_op(grad, None)  # the common case, without to_array's checks
    if grad is None:
        if root.size != 1:
            raise GraphError(
                f"backward: grad can be implied only for a scalar output, but the output has "
                f"shape {root.shape}; pass backward(grad) with a gradient of that shape"
            )
        return Tensor._from_op(np.ones(root.shape, dtype=root.dtype), None)
    array = to_array(grad)
    if array.shape != root.shape:
        raise ShapeError(
            f"backward: grad has shape {array.shape} but the output has shape {root.shape}"
        )
    if create_graph and isinstance(grad, Tensor) and grad.requires_grad:
        return grad if grad.dtype == root.dtype else grad.astype(root.dtype)
    return Tensor._from_op(array.astype(root.dtype, copy=False), None)


@contextlib.contextmanager
def _rule_modes(record: bool) -> Iterator[None]:
    """Modes while a rule runs on Tensors: recording only for create_graph, no anomaly
    checks (they blame the op being differentiated, not the ops in its formula).
    The caller's modes come back after each rule: between two steps the code
    looping over backward_steps() runs, and may change them.
    """
    saved = MODE.grad_enabled, MODE.anomaly, MODE.arrays
    MODE.grad_enabled, MODE.anomaly, MODE.arrays = record, False, False
    try:
        yield
    finally:
        MODE.grad_enabled, MODE.anomaly, MODE.arrays = saved


class _ArrayWalk:
    """A first-order pass: gradients are plain arrays, and minigrad's own rules run on arrays.

    Gradients are summed in buffers the walk allocates itself (``owned``); an
    array an op handed out is never written to. A leaf keeps the array it
    received unless that array may be seen elsewhere (the caller's seed, an
    array sent to two nodes, a view), in which case it keeps a copy.
    """

    def __init__(self, seed: Tensor, root: Tensor) -> None:
        self.pending: dict[Tensor, Any] = {root: seed.data}  # what each node has received
        self.owned: set[Tensor] = set()  # nodes whose pending array the walk allocated
        self.sent: set[int] = set()  # ids of arrays handed to some node
        self.shared: set[int] = {id(seed.data)}  # ids of arrays handed out more than once

    def rule(self, fn: Any, node: Tensor, grad: np.ndarray) -> tuple[Any, ...]:
        """The op's backward: on arrays for minigrad's own ops, else on Tensors.

        While a rule runs on arrays, ``apply`` neither records nor checks for
        anomalies, so ``MODE.arrays`` is the only switch to set.
        """
        saved = MODE.arrays
        if fn.rule_on_arrays:
            inputs = fn.inputs
            MODE.arrays = True
            try:  # one and two inputs spelled out: `*[x.data for x in inputs]` costs 0.2 µs
                if len(inputs) == 2:
                    a, b = inputs
                    return fn.backward(grad, node.data, a.data, b.data)
                if len(inputs) == 1:
                    return fn.backward(grad, node.data, inputs[0].data)
                return fn.backward(grad, node.data, *[x.data for x in inputs])
            finally:
                MODE.arrays = saved
        with _rule_modes(record=False):
            raw = fn.backward(Tensor._from_op(grad, None), node, *fn.inputs)
        if type(raw) is tuple or isinstance(raw, list):  # else _apply_rule refuses it
            raw = tuple([g.data if isinstance(g, Tensor) else g for g in raw])
        return raw

    def send(self, node: Tensor, grad: Any) -> None:
        """Add ``grad`` to what ``node`` has received so far."""
        pending = self.pending
        if node in pending or type(grad) is SparseGrad:
            self._add(node, pending.get(node), grad)
            return
        pending[node] = grad
        if node._ctx is None or node._retains_grad:
            self._note(grad)  # it may end up in node.grad

    def _note(self, array: np.ndarray) -> None:
        """Remember an array bound for a leaf's .grad; seen twice, it must be copied there."""
        if id(array) in self.sent:
            self.shared.add(id(array))
        self.sent.add(id(array))

    def _add(self, node: Tensor, old: Any, grad: Any) -> None:
        """pending[node] += grad, in a buffer of the walk's own."""
        if node in self.owned:
            buffer = self.pending[node]
            if isinstance(grad, SparseGrad):
                grad.add_into(buffer)
            else:
                buffer += grad
            return
        dtype = node.data.dtype
        if isinstance(grad, SparseGrad):
            buffer = np.zeros(node.shape, dtype) if old is None else np.array(old, dtype)
            grad.add_into(buffer)
        elif old.dtype == grad.dtype == dtype:
            buffer = old + grad  # on 0-d arrays numpy returns a scalar: immutable, never owned
        else:
            buffer = np.add(old, grad, dtype=dtype)
        self.pending[node] = buffer
        if type(buffer) is np.ndarray:
            self.owned.add(node)

    def store(self, node: Tensor, grad: Any) -> None:
        """Accumulate into ``node.grad`` (leaves and retain_grad tensors)."""
        if type(grad) is not np.ndarray or not self._private(node, grad):
            grad = np.array(grad)
        self.shared.add(id(grad))  # node.grad holds it now: any other holder copies
        total = Tensor._from_op(grad, None)
        node.grad = total if node.grad is None else node.grad + total

    def _private(self, node: Tensor, array: np.ndarray) -> bool:
        """True if nothing but ``node`` can see ``array`` (so it need not be copied)."""
        if node in self.owned:
            return True
        return array.base is None and array.flags.writeable and id(array) not in self.shared


class _GraphWalk:
    """A create_graph pass: gradients are graph nodes, summed by the add op.

    A node that was already handed out (the caller's seed, another tensor's
    ``.grad``) is stored through a differentiable copy, so no two ``.grad``
    are one object.
    """

    def __init__(self, seed: Tensor, root: Tensor) -> None:
        self.pending: dict[Tensor, Any] = {root: seed}  # what each node has received
        self.handed_out: set[int] = {id(seed)}  # ids of gradient nodes others hold

    def rule(self, fn: Any, node: Tensor, grad: Tensor) -> tuple[Any, ...]:
        """The op's backward on Tensors, recorded so it can be differentiated."""
        with _rule_modes(record=True):
            return fn.backward(grad, node, *fn.inputs)

    def send(self, node: Tensor, grad: Grad) -> None:
        """Add ``grad`` to what ``node`` has received so far."""
        old = self.pending.get(node)
        dense = grad.dense() if isinstance(grad, SparseGrad) else grad
        self.pending[node] = dense if old is None else old + dense

    def store(self, node: Tensor, grad: Tensor) -> None:
        """Accumulate into ``node.grad`` (leaves and retain_grad tensors)."""
        if node.grad is None and id(grad) in self.handed_out:
            grad = grad.astype(grad.dtype)
        self.handed_out.add(id(grad))
        node.grad = grad if node.grad is None else node.grad + grad


def _check_finite(fn: Any, index: int, grad: Any) -> None:
    values = grad.data if isinstance(grad, SparseGrad) else _array(grad)
    if not np.isfinite(values).all():
        where = fn.created_at or "(created outside detect_anomaly)\n"
        raise AnomalyError(
            f"{fn.name}: backward produced NaN/inf in the gradient of input {index} "
            f"(shape {fn.inputs[index].shape}); the {fn.name} was created at\n{where}"
        )


def backward_steps(
    root: Tensor,
    grad: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> Iterator[BackwardStep]:
    """Run backward from ``root`` one node at a time, yielding a record per node."""
    for node, fn, node_grad, sent in walk_backward(root, grad, retain_graph, create_graph):
        if fn is None:
            yield BackwardStep(node, None, "accumulate into .grad", _tensor(node_grad), (), ())
        else:
            grads = tuple(_tensor(g) for g in sent)
            yield BackwardStep(node, fn.name, fn.formula, _tensor(node_grad), fn.inputs, grads)


def _tensor(grad: Any) -> Any:
    """A gradient of the walk as the records show it: a Tensor (or a SparseGrad, or None)."""
    return (
        grad
        if grad is None or isinstance(grad, Tensor | SparseGrad)
        else Tensor._from_op(grad, None)
    )


def walk_backward(
    root: Tensor, grad: Any, retain_graph: bool | None, create_graph: bool
) -> Iterator[tuple[Tensor, Any, Any, Sequence[Any]]]:
    """The walk itself: (node, its op or None, its gradient, what it sent) per node.

    Without ``create_graph`` the gradients are plain arrays and the rules of
    minigrad's ops run on arrays; with it they are Tensors, recorded so they
    can be differentiated.
    """
    if not root.requires_grad:
        raise GraphError(
            "backward: the tensor does not require grad (no input had requires_grad=True, "
            "or it was computed under no_grad)"
        )
    seed = _seed(root, grad, create_graph)
    walk = _GraphWalk(seed, root) if create_graph else _ArrayWalk(seed, root)
    consumed = not (create_graph if retain_graph is None else retain_graph)
    pending = walk.pending
    for node in reversed(toposort(root)):
        node_grad = pending.pop(node, None)  # all its consumers have sent theirs
        if node_grad is None:
            continue  # no path from root carried a gradient here
        if node_grad.dtype != node.data.dtype:
            node_grad = node_grad.astype(node.data.dtype)
        fn = node._ctx
        if fn is None or node._retains_grad:
            walk.store(node, node_grad)
        if fn is None:
            yield node, None, node_grad, ()
            continue
        if fn.consumed:
            raise GraphError(
                f"backward: the graph through '{fn.name}' was already consumed by a backward "
                f"pass; call backward(retain_graph=True) the first time to go through it again"
            )
        sent = _apply_rule(fn, node, node_grad, walk, MODE.anomaly)  # read at every node
        fn.consumed = consumed
        yield node, fn, node_grad, sent


def _apply_rule(fn: Any, node: Tensor, grad: Any, walk: Any, anomaly: bool) -> list[Any]:
    """Call the op's backward and send each input its share of the gradient."""
    raw = walk.rule(fn, node, grad)
    inputs = fn.inputs
    if type(raw) is not tuple and not isinstance(raw, list):
        raise GraphError(
            f"{fn.name}: backward returned a {type(raw).__name__}; it returns a tuple with "
            f"one gradient (or None) per input, e.g. (grad * x,) for one input"
        )
    if len(raw) != len(inputs):
        raise GraphError(
            f"{fn.name}: backward returned {len(raw)} gradients for {len(inputs)} inputs"
        )
    pending = walk.pending
    sent: list[Any] = []
    for x, g in zip(inputs, raw):  # noqa: B905 (lengths checked above)
        if g is None or not x.requires_grad:
            sent.append(None)
            continue
        if g.shape != x.data.shape and type(g) is not SparseGrad:  # a SparseGrad has x's shape
            g = unbroadcast(g, x.shape, fn.name)  # undo the forward's broadcasting
        if anomaly:
            _check_finite(fn, len(sent), g)
        if x in pending or x._ctx is None or x._retains_grad or type(g) is SparseGrad:
            walk.send(x, g)  # a sum, or a gradient bound for .grad: the walk's own rules
        else:
            pending[x] = g  # the first gradient an intermediate node receives
        sent.append(g)
    return sent
