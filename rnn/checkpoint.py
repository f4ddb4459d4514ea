"""Checkpoints of a training run, and the rules for resuming one.

A checkpoint (``minigrad.save``) holds the weights and config, the optimizer
state, the hidden state carried across windows and the ``History``.
``resume_run`` loads all of it back and refuses, naming both values, what would not
continue the run exactly (another optimizer, other ``bptt`` or ``batch_size``).
``load_model`` rebuilds a model from a checkpoint alone, its config checked
against the arrays the file holds before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import io, optim

from .cell import State
from .data import Vocab
from .history import History
from .model import Recurrent, build


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


@dataclass(frozen=True)
class Windows:
    """How a ``CharDataset`` is cut: ``bptt`` steps per window, ``batch_size`` streams."""

    bptt: int
    batch_size: int


def save_checkpoint(
    path: str | Path,
    model: Recurrent,
    opt: optim.Optimizer,
    run: TrainState | None = None,
    windows: Windows | None = None,
    overwrite: bool = False,
) -> Path:
    """Weights + config, optimizer state, carried hidden state and history, atomically."""
    run = run or TrainState()
    metadata: dict[str, Any] = {
        "step": run.step,
        "history": run.history.to_dict(),
        "optimizer": type(opt).__name__,
    }
    if windows is not None:
        metadata.update(bptt=windows.bptt, batch_size=windows.batch_size)
    extras = {"optimizer": opt.state_dict(), "hidden": _state_arrays(run.hidden)}
    return io.save(
        model,
        path,
        metadata=metadata,
        extras={k: v for k, v in extras.items() if v},
        overwrite=overwrite,
    )


def resume_run(
    path: Path, model: Recurrent, opt: optim.Optimizer, lr: float | None, windows: Windows | None
) -> TrainState:
    """Load weights, optimizer state and the run; the given lr replaces the stored one."""
    ckpt = io.load(path, into=model)
    stored = ckpt.metadata.get("optimizer")
    if stored != type(opt).__name__:
        raise ValueError(
            f"train: {path} was written with optimizer {stored}, "
            f"cannot resume with {type(opt).__name__}"
        )
    if "optimizer" not in ckpt.extras:
        raise io.CheckpointError(f"train: {path} has no optimizer state (extras/optimizer)")
    try:
        opt.load_state_dict(ckpt.extras["optimizer"])
    except ValueError as err:
        raise io.CheckpointError(
            f"train: the optimizer state in {path} is invalid: {err}"
        ) from None
    if lr is not None:
        opt.lr = lr
    run = TrainState(
        _stored_step(ckpt.metadata, path),
        _stored_state(ckpt.extras.get("hidden", {}), path),
        _stored_history(ckpt.metadata, path),
    )
    if windows is not None:
        _check_windows(ckpt.metadata, run.hidden, windows, path)
    return run


def _stored_step(metadata: dict[str, Any], path: Path) -> int:
    step = metadata.get("step")
    if type(step) is not int or step < 0:
        raise io.CheckpointError(
            f"train: metadata field 'step' of {path} is {step!r}, not an int >= 0"
        )
    return step


def _stored_history(metadata: dict[str, Any], path: Path) -> History:
    record = metadata.get("history")
    fields = ("loss", "grad_norm")
    if not isinstance(record, dict) or not all(isinstance(record.get(k), list) for k in fields):
        raise io.CheckpointError(
            f"train: metadata field 'history' of {path} must hold the lists 'loss' and 'grad_norm'"
        )
    for key in fields:
        values = record[key]
        if len(values) != metadata["step"] or not all(type(x) in (int, float) for x in values):
            raise io.CheckpointError(
                f"train: metadata field 'history.{key}' of {path} must be {metadata['step']} "
                f"numbers (one per step), got {len(values)} items"
            )
    return History.from_dict(record)


def _stored_state(arrays: dict[str, np.ndarray], path: Path) -> State | None:
    if sorted(arrays) not in ([], ["0"], ["0", "1"]):
        raise io.CheckpointError(
            f"train: {path} has hidden state entries {sorted(arrays)}; expected ['0'] or ['0', '1']"
        )
    return _state_from(arrays)


def _check_windows(
    metadata: dict[str, Any], hidden: State | None, windows: Windows, path: Path
) -> None:
    """A CharDataset resumes at the window where it stopped: same bptt and batch size."""
    first = hidden[0] if isinstance(hidden, tuple) else hidden
    rows = None if first is None else first.shape[0]
    stored = {"bptt": metadata.get("bptt"), "batch_size": metadata.get("batch_size", rows)}
    for name, flag in (("bptt", "--bptt"), ("batch_size", "--batch-size")):
        value = getattr(windows, name)
        if stored[name] is not None and stored[name] != value:
            raise ValueError(
                f"train: {path} was trained with {name} {stored[name]!r}; resuming with "
                f"{name} {value} ({flag}) would cut the corpus into other windows"
            )


def load_model(path: str | Path) -> tuple[Recurrent, io.Checkpoint]:
    """Rebuild the model saved at ``path`` from its config and load its weights."""
    ckpt = io.load(path)
    config = ckpt.metadata.get("config")
    if not isinstance(config, dict):
        raise io.CheckpointError(f"load_model: {path} has no model config (not an rnn checkpoint)")
    _check_config(config, sum(a.size for a in ckpt.arrays.values()), path)
    try:
        model = build(config)
    except (ValueError, TypeError) as err:
        raise io.CheckpointError(f"load_model: {path} has an invalid model config: {err}") from None
    io.load(path, into=model)
    return model, ckpt


def _check_config(config: dict[str, Any], stored: int, path: str | Path) -> None:
    """Sizes that fit the arrays the file holds, before anything is allocated; a valid vocab."""
    sizes: list[Any] = [config.get(k) for k in ("input_size", "hidden_size", "output_size")]
    if not all(type(n) is int and n >= 1 for n in sizes):
        raise io.CheckpointError(
            f"load_model: config fields input_size, hidden_size, output_size of {path} must be "
            f"ints >= 1, got {sizes}"
        )
    n_in, hidden, n_out = sizes
    if hidden * (n_in + hidden + n_out) > stored:  # U, W and V alone hold that many numbers
        raise io.CheckpointError(
            f"load_model: config sizes {sizes} of {path} need more weights than the file holds "
            f"({stored} numbers)"
        )
    vocab = config.get("vocab")
    if vocab is not None:
        try:
            Vocab.from_list(vocab if isinstance(vocab, list) else [vocab])
        except ValueError as err:
            raise io.CheckpointError(f"load_model: config field 'vocab' of {path}: {err}") from None
