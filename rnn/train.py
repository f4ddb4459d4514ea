"""Training loop: unroll, ``loss.backward()`` (that is BPTT), clip, step, repeat.

::

    data = CharDataset.load()                       # rnn/data.py
    model = RNN(data.vocab.size, 128, data.vocab.size, vocab=data.vocab.to_list())
    history = train(model, data, steps=500, bptt=32, batch_size=16, clip=5.0,
                    optimizer="adam", lr=3e-3, checkpoint="out/rnn.npz")

With a ``CharDataset`` the corpus is read as ``batch_size`` contiguous streams
in windows of ``bptt`` steps: the hidden state is carried from one window to
the next but detached (truncated BPTT), and reset when the corpus starts
over. Any other ``data`` is an iterable of (inputs, targets) batches, each
trained with full BPTT from a zero state. If it runs out before ``steps``,
training stops there, writes a checkpoint (when a path is given) and warns
with ``DataExhaustedWarning``; the history returned holds the steps done.

Every step records the loss and the gradient norm before clipping in a
``History``. A checkpoint (``minigrad.save``: weights, optimizer state,
carried hidden state, history) is written every ``checkpoint_every`` steps and
at the end; ``resume=True`` continues from it exactly. On resume an iterable is
read from its start and the batches of the steps already done are skipped, so
pass it as it was at the start (a list, or a freshly made generator with the
same seed); a ``CharDataset`` carries on at the window where it stopped. A NaN/inf loss or
gradient stops training with ``DivergedError`` before the parameters change,
so the last checkpoint written is a good one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

import minigrad as mg
from minigrad import io, nn, optim

from .bptt import detach
from .cell import State
from .model import Recurrent, build, sequence_loss

OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], float]] = {
    "sgd": (optim.SGD, 0.1),
    "adagrad": (optim.Adagrad, 0.05),
    "adam": (optim.Adam, 3e-3),
}


class DivergedError(RuntimeError):
    """The loss or the gradient became NaN/inf; training stopped before updating."""


class DataExhaustedWarning(UserWarning):
    """A finite ``data`` ran out before ``steps``; training stopped early."""


@dataclass
class History:
    """Per-step training record: mean loss and global gradient norm (before clipping)."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)

    def append(self, loss: float, grad_norm: float) -> None:
        self.loss.append(loss)
        self.grad_norm.append(grad_norm)

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def perplexity(self) -> list[float]:
        """exp(loss): the effective number of equally likely next tokens."""
        return [math.exp(x) for x in self.loss]

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Moving average of the loss over ``window`` steps (shorter at the start)."""
        loss = np.asarray(self.loss)
        cumulative = np.concatenate([[0.0], np.cumsum(loss)])
        ends = np.arange(1, len(loss) + 1)
        starts = np.maximum(ends - window, 0)
        return (cumulative[ends] - cumulative[starts]) / (ends - starts)

    def to_dict(self) -> dict[str, list[float]]:
        return {"loss": list(self.loss), "grad_norm": list(self.grad_norm)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls([float(x) for x in d["loss"]], [float(x) for x in d["grad_norm"]])


def make_optimizer(
    model: Recurrent, optimizer: str | optim.Optimizer, lr: float | None
) -> optim.Optimizer:
    """An optimizer instance from a name ("sgd", "adagrad", "adam") or as given."""
    if isinstance(optimizer, optim.Optimizer):
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"train: optimizer must be one of {sorted(OPTIMIZERS)} or an "
            f"Optimizer instance, got {optimizer!r}"
        )
    cls, default_lr = OPTIMIZERS[optimizer]
    if cls is optim.SGD:
        return optim.SGD(model.parameters(), lr=lr or default_lr, momentum=0.9)
    return cls(model.parameters(), lr=lr or default_lr)


def _state_arrays(state: State | None) -> dict[str, np.ndarray]:
    if state is None:
        return {}
    parts = state if isinstance(state, tuple) else (state,)
    return {str(i): s.data for i, s in enumerate(parts)}


def _state_from(arrays: dict[str, np.ndarray]) -> State | None:
    if not arrays:
        return None
    parts = tuple(mg.Tensor(arrays[str(i)]) for i in range(len(arrays)))
    return parts if len(parts) > 1 else parts[0]


@dataclass
class TrainState:
    """Where training stands: steps done, the hidden state carried on, the record."""

    step: int = 0
    hidden: State | None = None
    history: History = field(default_factory=History)


def save_checkpoint(
    path: str | Path, model: Recurrent, opt: optim.Optimizer, run: TrainState | None = None
) -> Path:
    """Weights + config, optimizer state, carried hidden state and history, atomically."""
    run = run or TrainState()
    metadata = {"step": run.step, "history": run.history.to_dict(), "optimizer": type(opt).__name__}
    extras = {"optimizer": opt.state_dict(), "hidden": _state_arrays(run.hidden)}
    return io.save(model, path, metadata=metadata, extras={k: v for k, v in extras.items() if v})


def _resume(path: Path, model: Recurrent, opt: optim.Optimizer) -> TrainState:
    ckpt = io.load(path, into=model)
    stored = ckpt.metadata.get("optimizer")
    if stored != type(opt).__name__:
        raise ValueError(
            f"train: {path} was written with optimizer {stored}, "
            f"cannot resume with {type(opt).__name__}"
        )
    opt.load_state_dict(ckpt.extras["optimizer"])
    history = History.from_dict(ckpt.metadata["history"])
    return TrainState(
        int(ckpt.metadata["step"]), _state_from(ckpt.extras.get("hidden", {})), history
    )


def _batches(data: Any, bptt: int, batch_size: int, start: int) -> Iterator[tuple[Any, bool]]:
    """(batch, carry) from step ``start`` on; carry=False where the state must restart."""
    if hasattr(data, "windows") and hasattr(data, "vocab"):
        cut = list(data.windows(bptt, batch_size))  # raises if the corpus is too short
        step = start
        while True:
            yield cut[step % len(cut)], step % len(cut) != 0
            step += 1
    if not isinstance(data, Iterable):
        raise TypeError(
            f"train: data must be a CharDataset or an iterable of (inputs, targets), "
            f"got {type(data).__name__}"
        )
    for batch in islice(data, start, None):  # the first ``start`` were trained before a resume
        yield batch, False


def _train_step(
    model: Recurrent,
    opt: optim.Optimizer,
    batch: Any,
    state: State | None,
    clip: float | None,
    step: int,
) -> tuple[float, float, State]:
    """One update: forward, BPTT, clip, step. Refuses to update on NaN/inf."""
    xs, ys = batch
    out = model.unroll(xs, state)
    loss = sequence_loss(out.logits, ys)
    opt.zero_grad()
    loss.backward()
    params = model.parameters()
    norm = nn.clip_grad_norm(params, math.inf if clip is None else clip)
    if not (math.isfinite(loss.item()) and math.isfinite(norm)):
        raise DivergedError(
            f"train: at step {step + 1} the loss is {loss.item()} and the gradient norm {norm}; "
            f"stopped before updating (try a smaller lr or clip)"
        )
    opt.step()
    return loss.item(), norm, detach(out.state)


def _check_settings(
    steps: int, bptt: int, batch_size: int, clip: float | None, checkpoint_every: int
) -> None:
    if steps < 0 or bptt < 1 or batch_size < 1 or checkpoint_every < 1:
        raise ValueError(
            f"train: need steps >= 0, bptt >= 1, batch_size >= 1, "
            f"checkpoint_every >= 1; got {steps}, {bptt}, {batch_size}, "
            f"{checkpoint_every}"
        )
    if clip is not None and not clip > 0:
        raise ValueError(
            f"train: clip must be > 0 (the largest gradient norm) or None for no clipping, "
            f"got {clip!r}"
        )


def _written(path: Path | None, step: int | None) -> str:
    """Where the last checkpoint is, for messages."""
    if path is None:
        return "none (no checkpoint path given)"
    return "none written yet" if step is None else f"{path} (step {step})"


def _ran_out(
    steps: int,
    path: Path | None,
    model: Recurrent,
    opt: optim.Optimizer,
    run: TrainState,
    saved: int | None,
) -> None:
    """The data ended before ``steps``: checkpoint the steps done (unless just saved), warn."""
    if path is not None and saved != run.step:
        save_checkpoint(path, model, opt, run)
        saved = run.step
    warnings.warn(
        f"train: the data ran out at step {run.step} of {steps}; stopped early "
        f"(checkpoint: {_written(path, saved)})",
        DataExhaustedWarning,
        stacklevel=3,  # the caller of train
    )


def train(
    model: Recurrent,
    data: Any,
    steps: int = 1000,
    bptt: int = 32,
    batch_size: int = 16,
    clip: float | None = 5.0,
    optimizer: str | optim.Optimizer = "adam",
    lr: float | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 100,
    resume: bool = False,
    progress: bool = True,
) -> History:
    """Train for ``steps`` updates in total (resumed ones included); see the module doc."""
    _check_settings(steps, bptt, batch_size, clip, checkpoint_every)
    opt = make_optimizer(model, optimizer, lr)
    path = Path(checkpoint) if checkpoint is not None else None
    run = TrainState()
    saved: int | None = None  # the step of the last checkpoint written
    if resume:
        if path is None or not path.is_file():
            raise FileNotFoundError(f"train: resume=True needs an existing checkpoint, got {path}")
        run = _resume(path, model, opt)
        saved = run.step
    bar = tqdm(
        total=steps, initial=min(run.step, steps), desc="train", unit="step", disable=not progress
    )
    try:
        batches = _batches(data, bptt, batch_size, run.step)
        for batch, carry in islice(batches, max(steps - run.step, 0)):
            try:
                loss, norm, state = _train_step(
                    model, opt, batch, run.hidden if carry else None, clip, run.step
                )
            except DivergedError as err:
                raise DivergedError(
                    f"{err}; last good checkpoint: {_written(path, saved)}"
                ) from None
            run.step += 1
            run.history.append(loss, norm)
            run.hidden = state
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", ppl=f"{math.exp(min(loss, 50)):.1f}", refresh=False)
            if path is not None and (run.step % checkpoint_every == 0 or run.step == steps):
                save_checkpoint(path, model, opt, run)
                saved = run.step
    finally:
        bar.close()
    if run.step < steps:
        _ran_out(steps, path, model, opt, run, saved)
    return run.history


def load_model(path: str | Path) -> tuple[Recurrent, io.Checkpoint]:
    """Rebuild the model saved at ``path`` from its config and load its weights."""
    ckpt = io.load(path)
    config = ckpt.metadata.get("config")
    if not isinstance(config, dict):
        raise io.CheckpointError(f"load_model: {path} has no model config (not an rnn checkpoint)")
    model = build(config)
    io.load(path, into=model)
    return model, ckpt
