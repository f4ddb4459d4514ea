"""Recurrent models: a cell unrolled over time plus a linear output head.

    h_t = g1(U x_t + W h_{t-1} + b)        (the cell, rnn/cell.py)
    y_t = g2(V h_t + c),  g2 = softmax      (the head; softmax lives in the loss)

``model(xs)`` returns the logits V h_t + c for every t and the hidden states.
Backpropagation through time is ``sequence_loss(logits, targets).backward()``:
the unrolled graph holds every step, and the engine walks it backwards.

Two unrolls build the same function (tests check values and gradients agree):

- the fast one (default) batches what does not depend on the recurrence: the
  input projection U x_t + b for all T at once before the loop, the output
  projection V h_t + c for all T at once after it (on the stacked states);
  only h_{t-1} -> h_t stays a Python loop, one ``mg.scope("t=...")`` per step;
- ``per_step=True`` is the textbook loop: every step projects its own input
  and output, which is the graph to draw (a cluster per time step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.errors import DTypeError, ShapeError

from .cell import Cell, GRUCell, LSTMCell, RNNCell, State, as_input
from .sampling import sample


class Unrolled(NamedTuple):
    """Everything an unroll produced."""

    logits: mg.Tensor  # (T, B, output): V h_t + c
    hs: mg.Tensor  # (T, B, hidden): h_1 ... h_T stacked
    steps: list[mg.Tensor]  # h_1 ... h_T as graph nodes (retain_grad() gives dL/dh_t)
    state: State  # the final state, to carry into the next window


def _rng(rng: np.random.Generator | None, seed: int | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng(seed)


class Recurrent(nn.Module):
    """A recurrent cell and the output head V h + c (V: output x hidden, c: (output,)).

    Initialisation: U, V ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) so projections keep
    unit scale; W orthogonal (all singular values 1, so at the start a gradient
    sent back through W h is neither shrunk nor blown up, only g1' decays it);
    biases b, c zero (the LSTM forget-gate bias 1).
    """

    def __init__(
        self, cell: Cell, output_size: int, rng: np.random.Generator, vocab: list[str] | None = None
    ) -> None:
        if not isinstance(output_size, int | np.integer) or output_size < 1:
            raise ValueError(
                f"{type(self).__name__}: output_size must be a positive int, got {output_size!r}"
            )
        self.cell = cell
        self.output_size = int(output_size)
        bound = 1 / np.sqrt(cell.hidden_size)
        self.V = nn.Parameter(
            nn.uniform((output_size, cell.hidden_size), bound, rng, cell.dtype), "V"
        )
        self.c = nn.Parameter(np.zeros(output_size, dtype=cell.dtype), "c")
        if vocab is not None and len(vocab) != output_size:
            raise ValueError(
                f"{type(self).__name__}: vocab has {len(vocab)} tokens but "
                f"output_size is {output_size}"
            )
        self.vocab = list(vocab) if vocab is not None else None

    def _build(
        self,
        cell_type: type[Cell],
        sizes: tuple[int, int, int],
        dtype: Any,
        seed: int | None,
        rng: np.random.Generator | None,
        vocab: list[str] | None,
        **options: Any,
    ) -> None:
        """What RNN, LSTM and GRU do: one generator draws the cell's weights, then V."""
        input_size, hidden_size, output_size = sizes
        gen = _rng(rng, seed)
        cell = cell_type(input_size, hidden_size, rng=gen, dtype=dtype, **options)
        Recurrent.__init__(self, cell, output_size, gen, vocab)

    @property
    def dtype(self) -> np.dtype:
        return self.cell.dtype

    @property
    def U(self) -> nn.Parameter:
        return self.cell.U

    @property
    def W(self) -> nn.Parameter:
        return self.cell.W

    @property
    def b(self) -> nn.Parameter:
        return self.cell.b

    def head(self, h: mg.Tensor) -> mg.Tensor:
        """Logits V h + c for h of shape (B, hidden) or (T, B, hidden).

        One step is drawn as the textbook's matmul and add; all T steps at once
        use the fused ``addmm`` (one (T*B, output) array instead of two).
        """
        if h.ndim == 2:
            return h @ self.V.T + self.c
        flat = mg.addmm(self.c, h.reshape(-1, self.cell.hidden_size), self.V.T)
        return flat.reshape(*h.shape[:-1], self.output_size)

    def check_sequence(self, xs: Any, state: State | None) -> tuple[Any, State]:
        """Check a (T, B) / (T, B, input) sequence and the initial state."""
        x = as_input(xs, self.cell.input_size, self.dtype, type(self).__name__)
        want = 2 if isinstance(x, np.ndarray) else 3
        if x.ndim != want or x.shape[0] == 0 or x.shape[1] == 0:
            raise ShapeError(
                f"{type(self).__name__}: expected token ids (T, B) or dense inputs "
                f"(T, B, {self.cell.input_size}) with T >= 1 and B >= 1, got shape {x.shape}"
            )
        batch = x.shape[1]
        return x, self.cell.zero_state(batch) if state is None else self._check_state(state, batch)

    def _check_state(self, state: State, batch: int) -> State:
        """Each part of ``state`` (h; h and c for the LSTM): a (batch, hidden) Tensor, our dtype."""
        who, names = type(self).__name__, self.cell.state_parts
        parts = tuple(state) if isinstance(state, tuple | list) else (state,)
        if len(parts) != len(names) or not all(isinstance(p, mg.Tensor) for p in parts):
            want = f"a pair ({', '.join(names)}) of Tensors" if len(names) > 1 else "a Tensor h"
            got = (
                f"{type(state).__name__} of {len(parts)}"
                if len(parts) > 1
                else type(state).__name__
            )
            raise TypeError(f"{who}: initial state must be {want}, got {got}")
        shape = (batch, self.cell.hidden_size)
        for name, part in zip(names, parts, strict=True):
            if part.shape != shape or part.dtype != self.dtype:
                error = ShapeError if part.shape != shape else DTypeError
                raise error(
                    f"{who}: initial state {name} must have shape {shape} and dtype "
                    f"{self.dtype}, got shape {part.shape} and dtype {part.dtype}"
                )
        return parts if len(parts) > 1 else parts[0]

    def unroll(self, xs: Any, state: State | None = None, per_step: bool = False) -> Unrolled:
        """Run the cell over all T steps of ``xs`` from ``state`` (default zeros)."""
        x, state = self.check_sequence(xs, state)
        if per_step:
            return self._unroll_per_step(x, state)
        xp = self.cell.project(x)  # U x_t + b for all t: (T, B, rows)
        w_tr = self.cell.W.T
        steps = []
        for t in range(len(xp)):
            with mg.scope(f"t={t + 1}"):
                state = self.cell.recur(xp[t], state, w_tr)
            steps.append(self.cell.hidden(state))
            steps[-1].name = f"h_{t + 1}"
        hs = mg.stack(steps)
        return Unrolled(self.head(hs), hs, steps, state)

    def _unroll_per_step(self, x: Any, state: State) -> Unrolled:
        """The textbook loop: each step projects its own input and output."""
        steps, logits = [], []
        for t in range(len(x)):
            with mg.scope(f"t={t + 1}"):
                state = self.cell.step(x[t], state)
                steps.append(self.cell.hidden(state))
                steps[-1].name = f"h_{t + 1}"
                logits.append(self.head(steps[-1]))
                logits[-1].name = f"o_{t + 1}"
        return Unrolled(mg.stack(logits), mg.stack(steps), steps, state)

    def forward(
        self, xs: Any, h0: State | None = None, per_step: bool = False
    ) -> tuple[mg.Tensor, mg.Tensor]:
        """logits (T, B, output) and hidden states (T, B, hidden) for xs (T, B[, input])."""
        out = self.unroll(xs, h0, per_step)
        return out.logits, out.hs

    def step(self, x_t: Any, h_prev: State | None = None) -> tuple[State, mg.Tensor]:
        """One step: (h_t, logits_t) from x_t (B,) ids or (B, input) and h_{t-1}."""
        x = as_input(x_t, self.cell.input_size, self.dtype, f"{type(self).__name__}.step")
        if x.ndim != (1 if isinstance(x, np.ndarray) else 2):
            raise ShapeError(
                f"{type(self).__name__}.step: expected x_t of shape (B,) ids or "
                f"(B, {self.cell.input_size}), got {x.shape}"
            )
        state = self.cell.zero_state(x.shape[0]) if h_prev is None else h_prev
        state = self.cell.step(x, state)
        return state, self.head(self.cell.hidden(state))

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild the model (saved next to the weights)."""
        return {
            "class": type(self).__name__,
            **self.cell.config(),
            "output_size": self.output_size,
            "dtype": str(self.dtype),
            "vocab": self.vocab,
        }

    def sample(
        self,
        prefix: str | list[int],
        n: int,
        temperature: float = 1.0,
        rng: np.random.Generator | None = None,
        seed: int | None = None,
    ) -> Any:
        """Feed ``prefix``, then draw ``n`` tokens from softmax(logits / temperature).

        A string prefix needs ``vocab`` and gives back a string; token ids give ids.
        """
        return sample(self, prefix, n, temperature, _rng(rng, seed))


class RNN(Recurrent):
    """The textbook recurrent network: h_t = g1(U x_t + W h_{t-1} + b), y_t = softmax(V h_t + c).

    U (hidden x input), W (hidden x hidden), V (output x hidden), b (hidden,),
    c (output,). In PyTorch terms: ``nn.RNN`` weight_ih_l0 = U, weight_hh_l0 = W,
    bias_ih_l0 + bias_hh_l0 = b, and V, c are an ``nn.Linear(hidden, output)`` head.
    ``activation`` is g1: "tanh" or "relu".
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        activation: str = "tanh",
        *,
        dtype: Any = np.float64,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        vocab: list[str] | None = None,
    ) -> None:
        sizes = (input_size, hidden_size, output_size)
        self._build(RNNCell, sizes, dtype, seed, rng, vocab, activation=activation)


class _Gated(Recurrent):
    """A gated cell (``cell_type``, rnn/cell.py) and the head; same interface as RNN."""

    cell_type: ClassVar[type[Cell]]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        dtype: Any = np.float64,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        vocab: list[str] | None = None,
    ) -> None:
        sizes = (input_size, hidden_size, output_size)
        self._build(self.cell_type, sizes, dtype, seed, rng, vocab)


class LSTM(_Gated):
    """An LSTM cell (rnn/cell.py) with the head y_t = softmax(V h_t + c); same interface as RNN."""

    cell_type = LSTMCell


class GRU(_Gated):
    """A GRU cell (rnn/cell.py) with the head y_t = softmax(V h_t + c); same interface as RNN."""

    cell_type = GRUCell


MODELS: dict[str, Callable[..., Recurrent]] = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


def build(config: dict[str, Any]) -> Recurrent:
    """A fresh model from ``config()`` output (weights are loaded separately)."""
    kind = config.get("class")
    if kind not in MODELS:
        raise ValueError(f"build: unknown model class {kind!r}; expected one of {sorted(MODELS)}")
    kwargs = {k: config[k] for k in ("input_size", "hidden_size", "output_size")}
    if kind == "RNN":
        kwargs["activation"] = config.get("activation", "tanh")
    return MODELS[kind](
        **kwargs, dtype=np.dtype(config.get("dtype", "float64")), vocab=config.get("vocab")
    )


def sequence_loss(logits: mg.Tensor, targets: Any) -> mg.Tensor:
    """Mean cross-entropy over all T*B positions: -(1/TB) sum_{t,b} log softmax(o_tb)[y_tb].

    logits (T, B, C), targets integer (T, B). Uses the fused, stable
    ``mg.cross_entropy`` (log_softmax inside), never log(softmax).
    """
    targets = np.asarray(targets.data if isinstance(targets, mg.Tensor) else targets)
    if logits.ndim != 3 or targets.shape != logits.shape[:2]:
        raise ShapeError(
            f"sequence_loss: expected logits (T, B, C) and targets (T, B), "
            f"got logits {logits.shape} and targets {targets.shape}"
        )
    return mg.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
