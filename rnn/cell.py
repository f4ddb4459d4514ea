"""Recurrent cells: one time step of a recurrent network, built from minigrad ops.

The vanilla cell is the textbook one,

    h_t = g1(U x_t + W h_{t-1} + b)

with U (hidden x input), W (hidden x hidden), b (hidden,). Hidden states are
rows of a (B, hidden) batch, so in code the step reads ``x_t @ U.T + h @ W.T + b``.

Every cell splits its step in two, which is what makes a long unroll fast:

- ``project(xs)``: the part that does not depend on the recurrence,
  ``U x_t + b``, computed for all T steps at once (T, B, gates*hidden);
- ``recur(xp_t, state)``: the rest, ``g1(xp_t + W h_{t-1})``, one step at a time.

``step(x_t, state)`` is the two together for one step, as in the textbook.
Inputs are dense (..., input) arrays or integer token ids (...): a token id i
means the one-hot vector e_i, and U e_i is column i of U, read as row i of U^T
(a getitem, whose gradient adds up over repeated tokens).

LSTM and GRU cells keep the same names: their U, W, b stack the gates' blocks.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.errors import DTypeError, ShapeError

State = Any  # a Tensor h for RNN and GRU, a pair (h, c) for LSTM

ACTIVATIONS: dict[str, Callable[[mg.Tensor], mg.Tensor]] = {"tanh": mg.tanh, "relu": mg.relu}


def as_input(x: Any, input_size: int, dtype: np.dtype, who: str) -> mg.Tensor | np.ndarray:
    """Validate an input: integer token ids (...) -> int array, dense (..., input) -> Tensor."""
    data = x.data if isinstance(x, mg.Tensor) else np.asarray(x)
    if data.dtype.kind in "iu":
        if data.size and (data.min() < 0 or data.max() >= input_size):
            raise ValueError(
                f"{who}: token ids must lie in [0, {input_size}) (the input size), "
                f"got values in [{data.min()}, {data.max()}]"
            )
        return data
    if data.dtype.kind != "f":
        raise DTypeError(f"{who}: expected token ids (int) or floats, got dtype {data.dtype}")
    if data.ndim == 0 or data.shape[-1] != input_size:
        raise ShapeError(
            f"{who}: expected dense inputs of shape (..., {input_size}) or integer token ids, "
            f"got shape {data.shape}"
        )
    if isinstance(x, mg.Tensor):
        return x if x.dtype == dtype else x.astype(dtype)  # astype sends the gradient back to x
    return mg.Tensor(data.astype(dtype))


class Cell(nn.Module, abc.ABC):
    """Shared machinery: ``U`` (gates*hidden x input), ``W`` (gates*hidden x hidden), ``b``."""

    gates = 1
    state_parts: tuple[str, ...] = ("h",)  # what a State holds, in order
    U: nn.Parameter
    W: nn.Parameter
    b: nn.Parameter

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        for name, n in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(n, int | np.integer) or n < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got {n!r}")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng() if rng is None else rng
        rows = self.gates * hidden_size
        bound = 1 / math.sqrt(input_size)
        self.U = nn.Parameter(nn.uniform((rows, input_size), bound, rng, dtype), "U")
        blocks = [nn.orthogonal(hidden_size, rng, dtype=dtype) for _ in range(self.gates)]
        self.W = nn.Parameter(np.concatenate(blocks, axis=0), "W")
        self.b = nn.Parameter(self._initial_bias(), "b")

    def _initial_bias(self) -> np.ndarray:
        """b at the start: zeros (gates*hidden,)."""
        return np.zeros(self.gates * self.hidden_size, dtype=self.dtype)

    def project(self, xs: Any) -> mg.Tensor:
        """U x + b for every position at once: ids (...) or dense (..., input) -> (..., rows)."""
        x = as_input(xs, self.input_size, self.dtype, type(self).__name__)
        if isinstance(x, np.ndarray):
            # Row i of U^T + b is U e_i + b (e_i one-hot): add b to the (input, rows)
            # table once, then look up; cheaper than adding b to every (T, B) row.
            return (self.U.T + self.b)[x]
        flat = x.reshape(-1, self.input_size) @ self.U.T
        return flat.reshape(*x.shape[:-1], self.U.shape[0]) + self.b

    def zero_state(self, batch: int) -> State:
        """h_0 = 0 (and c_0 = 0 for the LSTM)."""
        return mg.Tensor(np.zeros((batch, self.hidden_size), dtype=self.dtype), name="h0")

    def hidden(self, state: State) -> mg.Tensor:
        """The hidden state h_t inside ``state``."""
        return state

    @abc.abstractmethod
    def recur(self, xp_t: mg.Tensor, state: State, w_tr: mg.Tensor) -> State:
        """The recurrent part of one step, given xp_t = U x_t + b and w_tr = W^T."""

    def step(self, x_t: Any, state: State) -> State:
        """One whole step, textbook form: input projection, then the recurrence."""
        return self.recur(self.project(x_t), state, self.W.T)

    def config(self) -> dict[str, Any]:
        return {"input_size": self.input_size, "hidden_size": self.hidden_size}


class RNNCell(Cell):
    """h_t = g1(U x_t + W h_{t-1} + b), g1 = tanh or relu.

    PyTorch's ``nn.RNNCell``: weight_ih = U, weight_hh = W, bias_ih + bias_hh = b.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        activation: str = "tanh",
        rng: np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"RNNCell: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}"
            )
        super().__init__(input_size, hidden_size, rng, dtype)
        self.activation = activation

    def step(self, x_t: Any, state: State) -> State:
        """h_t = g1(U x_t + W h_{t-1} + b) term by term, each term named as the textbook
        writes it: the graph ``per_step=True`` draws. The same numbers as ``recur``."""
        xp = self.project(x_t)
        xp.name = "U x_t + b"
        wh = state @ self.W.T
        wh.name = "W h_{t\u22121}"
        z = xp + wh
        z.name = "U x_t + W h_{t\u22121} + b"
        return ACTIVATIONS[self.activation](z)

    def recur(self, xp_t: mg.Tensor, state: State, w_tr: mg.Tensor) -> State:
        """h_t = g1(xp_t + W h_{t-1}), with xp_t = U x_t + b.

        ``addmm(xp_t, h, W^T)`` is ``xp_t + h @ W^T`` as one op: one array per step, not two.
        """
        return ACTIVATIONS[self.activation](mg.addmm(xp_t, state, w_tr))

    def config(self) -> dict[str, Any]:
        return {**super().config(), "activation": self.activation}


class LSTMCell(Cell):
    """Long short-term memory; gates i, f, g, o stacked in that order (PyTorch's order).

    z = U x_t + W h_{t-1} + b;  i, f, o = sigmoid(z_i, z_f, z_o);  g = tanh(z_g)
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).
    The forget-gate bias starts at 1, so the cell remembers by default.
    """

    gates = 4
    state_parts = ("h", "c")

    def _initial_bias(self) -> np.ndarray:
        """Zeros but the forget gate's block, which is 1."""
        b = super()._initial_bias()
        b[self.hidden_size : 2 * self.hidden_size] = 1.0
        return b

    def zero_state(self, batch: int) -> State:
        h = super().zero_state(batch)
        return h, mg.Tensor(np.zeros_like(h.data), name="c0")

    def hidden(self, state: State) -> mg.Tensor:
        return state[0]

    def recur(self, xp_t: mg.Tensor, state: State, w_tr: mg.Tensor) -> State:
        h, c = state
        n = self.hidden_size
        z = mg.addmm(xp_t, h, w_tr)  # xp_t + h W^T
        i, f = z[:, :n].sigmoid(), z[:, n : 2 * n].sigmoid()
        g, o = z[:, 2 * n : 3 * n].tanh(), z[:, 3 * n :].sigmoid()
        c = f * c + i * g
        return o * c.tanh(), c


class GRUCell(Cell):
    """Gated recurrent unit; blocks r, z, n stacked in that order (PyTorch's order).

    a = U x_t + b,  m = W h_{t-1};  r = sigmoid(a_r + m_r);  z = sigmoid(a_z + m_z)
    n = tanh(a_n + r * m_n);  h_t = (1 - z) * n + z * h_{t-1}.
    """

    gates = 3

    def recur(self, xp_t: mg.Tensor, state: State, w_tr: mg.Tensor) -> State:
        n = self.hidden_size
        m = state @ w_tr
        r = (xp_t[:, :n] + m[:, :n]).sigmoid()
        z = (xp_t[:, n : 2 * n] + m[:, n : 2 * n]).sigmoid()
        candidate = (xp_t[:, 2 * n :] + r * m[:, 2 * n :]).tanh()
        return (1 - z) * candidate + z * state
