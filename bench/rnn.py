"""RNN benchmark: one training step (forward + full BPTT) of the vanilla tanh RNN.

Contenders, all on the same parameters and data, in one process:

- minigrad: ``sequence_loss(model(xs)[0], ys).backward()`` (the batched unroll);
- reference: ``rnn/reference.py``, the textbook per-step numpy loop with the
  hand-derived BPTT that learners read;
- floor: the same maths in numpy with the input projection (one-hot matmul)
  and the output projection done for all T steps in one matmul each, leaving
  only W h_{t-1} in the loop: the fastest plain-numpy step we know;
- the peers in ``bench/peers.py`` (PyTorch eager and nn.RNN, HIPS autograd),
  when installed.

Every contender's gradients are checked against the reference before timing.
Times are medians of interleaved repetitions; the ratio is minigrad / contender.
Peak memory is tracemalloc's peak over one step (numpy's buffers included).
Page faults per step count the fresh memory each step touches: minigrad
keeps the whole unrolled graph (it stays drawable after backward), so it
touches more memory per step than the numpy loops, and where the allocator
hands freed memory back to the OS after every step, that memory is faulted in
again on the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import rnn
from bench import peers
from bench.timing import (
    Check,
    fmt_ms,
    interleaved_medians,
    markdown_table,
    page_faults,
    peak_memory,
)
from rnn import reference

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Case:
    """One benchmark size and its targets (minigrad / baseline)."""

    name: str
    batch: int
    vocab: int
    hidden: int
    T: int
    targets: dict[str, float]  # baseline -> highest allowed time ratio
    memory_target: float | None = None  # highest allowed peak-memory ratio to the reference


CASES = [
    Case("teaching", 32, 65, 128, 64, {"reference": 1.1, "floor": 1.5}),
    Case("long", 8, 65, 64, 1000, {"reference": 1.2}, memory_target=2.0),
]


def floor_step(params: Params, xs: np.ndarray, ys: np.ndarray) -> tuple[float, Params]:
    """Loss and gradients with the projections batched over all T steps (tanh)."""
    U, W, V, b, c = (params[k] for k in "UWVbc")
    T, B = xs.shape
    n = T * B
    onehot = np.zeros((n, U.shape[1]), dtype=U.dtype)
    onehot[np.arange(n), xs.reshape(-1)] = 1
    xp = (onehot @ U.T + b).reshape(T, B, -1)  # U x_t + b, every t in one matmul
    hs = np.zeros((T + 1, B, W.shape[0]), dtype=W.dtype)
    for t in range(T):
        hs[t + 1] = np.tanh(xp[t] + hs[t] @ W.T)
    h = hs[1:].reshape(n, -1)
    o = h @ V.T + c  # V h_t + c, every t in one matmul
    o -= o.max(axis=1, keepdims=True)
    log_p = o - np.log(np.exp(o).sum(axis=1, keepdims=True))
    targets = ys.reshape(-1)
    loss = -log_p[np.arange(n), targets].mean()
    do = np.exp(log_p)
    do[np.arange(n), targets] -= 1
    do /= n
    dh_out = (do @ V).reshape(T, B, -1)
    da = np.empty_like(hs[1:])
    da_next = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        da[t] = (dh_out[t] + da_next @ W) * (1 - hs[t + 1] ** 2)
        da_next = da[t]
    da_flat = da.reshape(n, -1)
    grads = {
        "U": da_flat.T @ onehot,
        "W": da_flat.T @ hs[:-1].reshape(n, -1),
        "V": do.T @ h,
        "b": da_flat.sum(axis=0),
        "c": do.sum(axis=0),
    }
    return float(loss), grads


def _setup(case: Case, dtype: np.dtype) -> tuple[rnn.RNN, Params, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    model = rnn.RNN(case.vocab, case.hidden, case.vocab, seed=0, dtype=dtype)
    xs = rng.integers(0, case.vocab, (case.T, case.batch))
    ys = rng.integers(0, case.vocab, (case.T, case.batch))
    params = {k: getattr(model, k).data for k in "UWVbc"}
    return model, params, xs, ys


def _minigrad_step(model: rnn.RNN, xs: np.ndarray, ys: np.ndarray) -> Callable[[], Params]:
    def step() -> Params:
        model.zero_grad()
        rnn.sequence_loss(model(xs)[0], ys).backward()
        return {k: getattr(model, k).grad.data for k in "UWVbc"}

    return step


def _check_agreement(
    params: Params, xs: np.ndarray, ys: np.ndarray, steps: dict[str, Callable[[], Params]]
) -> None:
    """Every contender computes the reference's gradients (else the timing means nothing)."""
    _, want = reference.loss_and_grads(params, xs, ys)
    tol = 1e-8 if params["U"].dtype == np.float64 else 1e-3
    for name, step in steps.items():
        got = step()
        for k in "UWVbc":
            err = np.abs(got[k] - want[k]).max() / max(np.abs(want[k]).max(), 1e-30)
            if err > tol:
                raise AssertionError(
                    f"bench: {name} disagrees with the reference on d{k}: {err:.1e}"
                )


def _measure(
    case: Case, dtype: np.dtype, repeats: int, with_peers: bool
) -> tuple[list[str], list[Check]]:
    """One table row for ``case`` in ``dtype``, and the targets it checks."""
    model, params, xs, ys = _setup(case, dtype)
    others = peers.steps(params, xs, ys) if with_peers else {}
    mine_step = _minigrad_step(model, xs, ys)
    _check_agreement(
        params, xs, ys, {"minigrad": mine_step, "floor": lambda: floor_step(params, xs, ys)[1]}
    )
    _check_agreement(params, xs, ys, others)
    candidates: dict[str, Callable[[], object]] = {
        "minigrad": mine_step,
        "reference": lambda: reference.loss_and_grads(params, xs, ys),
        "floor": lambda: floor_step(params, xs, ys),
        **others,
    }
    times = interleaved_medians(candidates, repeats=repeats)
    mine = times["minigrad"]
    numpy_contenders = ("minigrad", "reference", "floor")
    memory = {k: peak_memory(candidates[k]) for k in numpy_contenders}
    faults = {k: page_faults(candidates[k]) for k in numpy_contenders}
    label = f"{case.name} {np.dtype(dtype)}"
    checks = [
        Check(f"{label}: time / {name} <= {limit}", mine / times[name], limit)
        for name, limit in case.targets.items()
    ]
    row = [
        f"{case.name} (B={case.batch}, V={case.vocab}, H={case.hidden}, T={case.T})",
        str(np.dtype(dtype)),
        fmt_ms(mine),
    ]
    for name in ("reference", "floor", *peers.NAMES):
        if name in times:
            row.append(f"{fmt_ms(times[name])} ({mine / times[name]:.2f}x)")
        else:
            row.append("not installed" if with_peers else "-")
    ratio = memory["minigrad"] / memory["reference"]
    if case.memory_target is not None:
        target = f"{label}: peak memory / reference <= {case.memory_target}"
        checks.append(Check(target, ratio, case.memory_target))
    row.append(
        f"{memory['minigrad'] / 2**20:.1f} / {memory['reference'] / 2**20:.1f} / "
        f"{memory['floor'] / 2**20:.1f} MiB ({ratio:.2f}x)"
    )
    row.append(
        " / ".join("-" if faults[k] is None else f"{faults[k]:,.0f}" for k in numpy_contenders)
    )
    return row, checks


def run(quick: bool = False, with_peers: bool = False) -> tuple[str, list[Check]]:
    """The RNN table in markdown (time per training step, peak memory, page faults), both dtypes.

    ``with_peers`` adds the other libraries' columns (``bench/peers.py``) where installed.
    """
    header = [
        "case",
        "dtype",
        "minigrad",
        "reference (ratio)",
        "floor (ratio)",
        *(f"{name} (ratio)" for name in peers.NAMES),
        "peak memory minigrad / reference / floor (ratio to reference)",
        "page faults per step minigrad / reference / floor",
    ]
    rows, checks = [], []
    for case in CASES:
        repeats = (3 if quick else 15) if case.T >= 1000 else (5 if quick else 51)
        for dtype in (np.float64, np.float32):
            row, case_checks = _measure(case, np.dtype(dtype), repeats, with_peers)
            rows.append(row)
            checks += case_checks
    title = "## RNN training step (forward + full BPTT)"
    return f"{title}\n\n{markdown_table(header, rows)}", checks
