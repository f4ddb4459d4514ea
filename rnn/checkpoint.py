"""Checkpoints of a training run, and the rules for resuming one.

A checkpoint (``minigrad.save``) holds the weights and config, the optimizer
state, the hidden state carried across windows and the ``History``.
``resume_run`` loads all of it back and refuses, naming both values, what would
not continue the run exactly: another optimizer, other ``bptt`` or
``batch_size``, another held-out text (``HeldOut``: its length and CRC-32).
Every stored field is checked, and a malformed one is a ``CheckpointError``
naming the file and the field. ``load_model`` rebuilds a model from a
checkpoint alone, its config checked field by field (``check_config``, shared
with ``from_pytorch``) and against the arrays the file holds before anything
is allocated.
"""

from __future__ import annotations

import reprlib
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import io, optim

from .cell import State
from .data import CharDataset, Vocab
from .history import History
from .model import Recurrent, build

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}  # weight blocks per cell: U is (G*H, input)
CONFIG_FIELDS = ("class", "input_size", "hidden_size", "output_size", "dtype", "vocab")
DTYPES = ("float32", "float64")
ACTIVATIONS = ("tanh", "relu")


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
    held_out: HeldOut | None = None  # the validation text, None for none


@dataclass(frozen=True)
class HeldOut:
    """Which text the validation losses are measured on: its length and CRC-32.

    Stored in a checkpoint, so that a resumed run is validated on the same text
    and never trains on text that was held out before.
    """

    characters: int
    crc32: int

    @classmethod
    def of(cls, data: CharDataset) -> HeldOut:
        return cls(len(data.ids), zlib.crc32(data.text.encode("utf-8", "surrogatepass")))

    def describe(self) -> str:
        return f"a held-out text of {self.characters} characters (CRC-32 {self.crc32:08x})"


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
    metadata["validation"] = None if run.held_out is None else asdict(run.held_out)
    extras = {"optimizer": opt.state_dict(), "hidden": _state_arrays(run.hidden)}
    return io.save(
        model,
        path,
        metadata=metadata,
        extras={k: v for k, v in extras.items() if v},
        overwrite=overwrite,
    )


def resume_run(
    path: Path,
    model: Recurrent,
    opt: optim.Optimizer,
    lr: float | None,
    windows: Windows | None,
    held_out: HeldOut | None,
) -> TrainState:
    """Load weights, optimizer state and the run; the given lr replaces the stored one.

    ``held_out`` must be the validation text of the checkpoint (when it names one).
    """
    ckpt = io.load(path, into=model)
    stored = ckpt.metadata.get("optimizer")
    if stored != type(opt).__name__:
        raise ValueError(
            f"train: {path} was written with optimizer {reprlib.repr(stored)}, "
            f"cannot resume with {type(opt).__name__!r}"
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
        held_out,
    )
    _check_held_out(ckpt.metadata, held_out, path)
    if windows is not None:
        _check_windows(ckpt.metadata, run.hidden, windows, path)
    return run


def _stored_step(metadata: dict[str, Any], path: Path) -> int:
    step = metadata.get("step")
    if type(step) is not int or step < 0:
        raise io.CheckpointError(
            f"train: metadata field 'step' of {path} is {reprlib.repr(step)}, not an int >= 0"
        )
    return step


def _stored_history(metadata: dict[str, Any], path: Path) -> History:
    """The record of the steps done, each field checked, naming the file and the field."""
    step = metadata["step"]
    record = metadata.get("history")
    fields = ("loss", "grad_norm")
    if not isinstance(record, dict) or not all(isinstance(record.get(k), list) for k in fields):
        raise io.CheckpointError(
            f"train: metadata field 'history' of {path} must hold the lists 'loss' and 'grad_norm'"
        )
    for key in fields:
        values = record[key]
        if len(values) != step or not all(_is_number(x) for x in values):
            raise io.CheckpointError(
                f"train: metadata field 'history.{key}' of {path} must be {step} "
                f"numbers (one per step), got {len(values)} items"
            )
    _check_pairs(record.get("validation", []), "validation", 0, step, _is_number, path)
    _check_pairs(record.get("samples", []), "samples", 1, step, _is_text, path)
    return History.from_dict(record)


def _check_pairs(
    pairs: Any, key: str, first: int, step: int, is_value: Callable[[Any], bool], path: Path
) -> None:
    """[step, value] pairs at increasing steps from ``first`` to the checkpoint's ``step``."""
    what = "loss" if key == "validation" else "text"
    where = f"train: metadata field 'history.{key}' of {path}"
    if not isinstance(pairs, list):
        raise io.CheckpointError(f"{where} must be a list of [step, {what}] pairs")
    last = first - 1
    for k, pair in enumerate(pairs):
        ok = isinstance(pair, list) and len(pair) == 2 and is_value(pair[1])
        if not ok or type(pair[0]) is not int or not last < pair[0] <= step:
            raise io.CheckpointError(
                f"{where}: item {k} is {reprlib.repr(pair)}; expected [step, {what}] with the "
                f"steps increasing from {first} to {step}, the checkpoint's step"
            )
        last = pair[0]


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


def _is_text(x: Any) -> bool:
    return isinstance(x, str)


def _check_held_out(metadata: dict[str, Any], held_out: HeldOut | None, path: Path) -> None:
    """The run goes on validating on its own held-out text (checkpoints before it: any)."""
    if "validation" not in metadata:
        return
    stored = metadata["validation"]
    if stored is not None and not (
        isinstance(stored, dict)
        and stored.keys() == {"characters", "crc32"}
        and all(type(v) is int for v in stored.values())
    ):
        raise io.CheckpointError(
            f"train: metadata field 'validation' of {path} must be null or "
            f"{{'characters': int, 'crc32': int}}, got {reprlib.repr(stored)}"
        )
    was = None if stored is None else HeldOut(**stored)
    if was != held_out:
        raise ValueError(
            f"train: {path} was validated on {was.describe() if was else 'no held-out text'}; "
            f"resuming with {held_out.describe() if held_out else 'no validation'} "
            "would mix losses on different texts in history.validation (and could train on "
            "text held out before); resume with the same split (--validation)"
        )


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
                f"train: {path} was trained with {name} {reprlib.repr(stored[name])}; resuming "
                f"with {name} {value} ({flag}) would cut the corpus into other windows"
            )


def load_model(path: str | Path) -> tuple[Recurrent, io.Checkpoint]:
    """Rebuild the model saved at ``path`` from its config and load its weights."""
    ckpt = io.load(path)
    config = ckpt.metadata.get("config")
    if not isinstance(config, dict):
        raise io.CheckpointError(f"load_model: {path} has no model config (not an rnn checkpoint)")
    check_config(config, "load_model", path)
    _check_sizes(config, sum(a.size for a in ckpt.arrays.values()), path)
    model = build(config)
    return model, io.load(path, into=model)  # weights and metadata of one and the same file


def check_config(config: dict[str, Any], who: str, path: str | Path) -> None:
    """A config ``build`` can turn into a model: known class and fields, valid values.

    Checked field by field before anything is built, so a hostile file (a huge
    or deeply nested value, a vocabulary ``Vocab`` refuses) gets a
    ``CheckpointError`` naming the field; shared by ``load_model`` and
    ``from_pytorch``.
    """
    kind = config.get("class")
    if not isinstance(kind, str) or kind not in GATES:
        raise _invalid(
            who, path, f"field 'class' is {reprlib.repr(kind)}, not one of {sorted(GATES)}"
        )
    fields = set(CONFIG_FIELDS) | ({"activation"} if kind == "RNN" else set())
    missing, unknown = sorted(fields - config.keys()), sorted(config.keys() - fields)
    if missing or unknown:
        raise _invalid(
            who,
            path,
            f"the {kind} config lacks {missing} and has unknown fields "
            f"{reprlib.repr(unknown)}; expected the fields {sorted(fields)}",
        )
    sizes: list[Any] = [config[k] for k in ("input_size", "hidden_size", "output_size")]
    if not all(type(n) is int and n >= 1 for n in sizes):
        raise _invalid(
            who,
            path,
            f"fields input_size, hidden_size, output_size must be ints >= 1, "
            f"got {reprlib.repr(sizes)}",
        )
    if config["dtype"] not in DTYPES:
        raise _invalid(
            who, path, f"field 'dtype' is {reprlib.repr(config['dtype'])}, not one of {DTYPES}"
        )
    if kind == "RNN" and config["activation"] not in ACTIVATIONS:
        raise _invalid(
            who,
            path,
            f"field 'activation' is {reprlib.repr(config['activation'])}, not one of {ACTIVATIONS}",
        )
    _check_vocab(config["vocab"], config["output_size"], who, path)


def _check_vocab(vocab: Any, output_size: int, who: str, path: str | Path) -> None:
    """None, or one distinct character per output, sorted by code point (as ``Vocab``)."""
    if vocab is None:
        return
    if not isinstance(vocab, list) or len(vocab) != output_size:
        size = len(vocab) if isinstance(vocab, list) else type(vocab).__name__
        raise _invalid(
            who,
            path,
            f"field 'vocab' must be null or a list of {output_size} characters "
            f"(one per output), got {size}",
        )
    try:
        Vocab.from_list(vocab)
    except ValueError as err:
        raise _invalid(who, path, f"field 'vocab': {err}") from None


def _invalid(who: str, path: str | Path, why: str) -> io.CheckpointError:
    return io.CheckpointError(f"{who}: {path} has an invalid model config: {why}")


def _check_sizes(config: dict[str, Any], stored: int, path: str | Path) -> None:
    """Sizes that fit the arrays the file holds, before anything is allocated."""
    sizes = [config[k] for k in ("input_size", "hidden_size", "output_size")]
    n_in, hidden, n_out = sizes
    if hidden * (n_in + hidden + n_out) > stored:  # U, W and V alone hold that many numbers
        raise io.CheckpointError(
            f"load_model: config sizes {sizes} of {path} need more weights than the file holds "
            f"({stored} numbers)"
        )
