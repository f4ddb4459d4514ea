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
same seed); a ``CharDataset`` carries on at the window where it stopped, so
its ``bptt``, ``batch_size`` and vocabulary must be those of the checkpoint
(a mismatch is refused, naming both values). ``steps`` and ``clip`` are always
the ones given; ``lr``, when given (or set on an ``Optimizer`` instance),
replaces the stored learning rate, otherwise the stored one carries on.

A NaN/inf loss or gradient stops training with ``DivergedError`` before the
parameters change. A checkpoint due after step k is written only once the
weights of step k have given a finite loss and gradient (at the start of step
k + 1, before its update), so the checkpoint a divergence names is a good one;
the checkpoint at the end of training is written as it is.

Generalisation is measured on held-out text::

    train_part, held_out = CharDataset.load("pydoc").split(0.1)
    history = train(model, train_part, validation=held_out, eval_every=100,
                    sample_every=500)
    history.validation          # [(step, loss), ...]: step 0, every 100, the last
    history.samples             # [(step, text), ...], also printed as they come

``evaluate`` (rnn/evaluation.py) gives the mean cross-entropy over the whole
validation text (under ``no_grad``); the progress bar shows it next to the
training loss. A sample is 200 characters drawn at temperature 1 after the
first character of the training text, as min-char-rnn prints them.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

import minigrad as mg
from minigrad import io, nn, optim

from .bptt import detach
from .cell import State
from .data import CharDataset, Vocab
from .evaluation import evaluate
from .model import Recurrent, build, sequence_loss

OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], float]] = {
    "sgd": (optim.SGD, 0.1),
    "adagrad": (optim.Adagrad, 0.05),
    "adam": (optim.Adam, 3e-3),
}


SAMPLE_LENGTH = 200


class DivergedError(RuntimeError):
    """The loss or the gradient became NaN/inf; training stopped before updating."""


class DataExhaustedWarning(UserWarning):
    """A finite ``data`` ran out before ``steps``; training stopped early."""


@dataclass
class History:
    """Per-step training record: mean loss and global gradient norm (before clipping)."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    validation: list[tuple[int, float]] = field(default_factory=list)  # (step, loss)
    samples: list[tuple[int, str]] = field(default_factory=list)  # (step, text)

    def append(self, loss: float, grad_norm: float) -> None:
        self.loss.append(loss)
        self.grad_norm.append(grad_norm)

    def __len__(self) -> int:
        return len(self.loss)

    @property
    def perplexity(self) -> list[float]:
        """exp(loss): the effective number of equally likely next tokens."""
        return [math.exp(x) for x in self.loss]

    @property
    def validation_perplexity(self) -> list[tuple[int, float]]:
        """(step, exp(validation loss)) for every evaluation."""
        return [(step, math.exp(loss)) for step, loss in self.validation]

    def smoothed(self, window: int = 20) -> np.ndarray:
        """Moving average of the loss over ``window`` steps (shorter at the start).

        Each window is summed on its own, not as a difference of running sums,
        so a spike of 1e25 cannot cancel the later, smaller losses away.
        """
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"History.smoothed: window must be an int >= 1, got {window!r}")
        loss = np.asarray(self.loss, dtype=np.float64)
        if loss.size == 0:
            return loss
        padded = np.concatenate([np.zeros(window - 1), loss])
        sums = np.lib.stride_tricks.sliding_window_view(padded, window).sum(axis=1)
        return sums / np.minimum(np.arange(1, loss.size + 1), window)

    def to_dict(self) -> dict[str, list[Any]]:
        return {
            "loss": list(self.loss),
            "grad_norm": list(self.grad_norm),
            "validation": [list(pair) for pair in self.validation],
            "samples": [list(pair) for pair in self.samples],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(
            [float(x) for x in d["loss"]],
            [float(x) for x in d["grad_norm"]],
            [(int(step), float(loss)) for step, loss in d.get("validation", [])],
            [(int(step), str(text)) for step, text in d.get("samples", [])],
        )


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
    lr = default_lr if lr is None else lr
    if cls is optim.SGD:
        return optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return cls(model.parameters(), lr=lr)


def _sample(model: Recurrent, data: CharDataset, step: int) -> str:
    """``SAMPLE_LENGTH`` characters at temperature 1 after the text's first character."""
    prefix = [int(data.ids[0])]
    return data.vocab.decode(prefix + list(model.sample(prefix, SAMPLE_LENGTH, 1.0, seed=step)))


def _check_watch(data: Any, validation: Any, eval_every: int, sample_every: int) -> None:
    """``validation`` and ``sample_every`` need a CharDataset."""
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"train: eval_every must be an int >= 1, got {eval_every!r}")
    if isinstance(sample_every, bool) or not isinstance(sample_every, int) or sample_every < 0:
        raise ValueError(
            f"train: sample_every must be an int >= 0 (0: no samples), got {sample_every!r}"
        )
    if validation is not None and not isinstance(validation, CharDataset):
        raise TypeError(
            f"train: validation must be a CharDataset (e.g. from CharDataset.split), "
            f"got {type(validation).__name__}"
        )
    if isinstance(validation, CharDataset) and isinstance(data, CharDataset):
        if validation.vocab != data.vocab:
            raise ValueError(
                f"train: validation has a vocabulary of {validation.vocab.size} characters, "
                f"the training data one of {data.vocab.size}; split one CharDataset so both "
                f"share it"
            )
    if sample_every and not isinstance(data, CharDataset):
        raise ValueError("train: sample_every needs a CharDataset (samples are decoded text)")


def progress_bar(**options: Any) -> tqdm:
    """A tqdm bar: a widget in Jupyter with ipywidgets, else text on stderr (stdout in Jupyter).

    ``tqdm.auto`` without ipywidgets shows a warning box in a notebook; plain
    tqdm on stderr shows a red stream there, so in a kernel the text bar goes
    to stdout.
    """
    in_kernel = "ipykernel" in sys.modules
    if in_kernel and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm as auto

        return auto(**options)
    return tqdm(file=sys.stdout if in_kernel else None, **options)


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


def _resume(
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


def _gradient(
    model: Recurrent,
    opt: optim.Optimizer,
    batch: Any,
    state: State | None,
    clip: float | None,
    step: int,
) -> tuple[float, float, State]:
    """Forward, BPTT, clip; raises DivergedError on a NaN/inf loss or gradient."""
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


def _good(path: Path | None, saved: int | None, step: int) -> str:
    """The checkpoint to go back to after the weights of ``step`` diverged."""
    if path is not None and saved == step:  # resumed from it: these very weights diverged
        return f"none ({path} holds the weights of step {step}, which diverged)"
    return _written(path, saved)


def _ran_out(
    steps: int,
    path: Path | None,
    save: Any,
    run: TrainState,
    saved: int | None,
) -> None:
    """The data ended before ``steps``: checkpoint the steps done (unless just saved), warn."""
    if path is not None and saved != run.step:
        save()
        saved = run.step
    warnings.warn(
        f"train: the data ran out at step {run.step} of {steps}; stopped early "
        f"(checkpoint: {_written(path, saved)})",
        DataExhaustedWarning,
        stacklevel=3,  # the caller of train
    )


def _is_char_dataset(data: Any) -> bool:
    return hasattr(data, "windows") and hasattr(data, "vocab")


def _check_vocab(model: Recurrent, data: Any) -> None:
    """A CharDataset's token ids must mean what the model's vocabulary says."""
    vocab = getattr(model, "vocab", None)
    if _is_char_dataset(data) and vocab is not None and list(vocab) != data.vocab.to_list():
        raise ValueError(
            f"train: the data's vocabulary ({data.vocab.size} characters) is not the model's "
            f"({len(vocab)} characters); encode the text with the model's vocabulary"
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
    overwrite: bool = False,
    validation: CharDataset | None = None,
    eval_every: int = 100,
    sample_every: int = 0,
) -> History:
    """Train for ``steps`` updates in total (resumed ones included); see the module doc.

    ``overwrite=True`` lets the first checkpoint replace a file that is not one.
    With ``validation`` (a CharDataset), ``evaluate`` runs at step 0, every
    ``eval_every`` steps and at the end, into ``History.validation``;
    ``sample_every`` > 0 prints and records a sample every so many steps.
    """
    _check_settings(steps, bptt, batch_size, clip, checkpoint_every)
    _check_vocab(model, data)
    _check_watch(data, validation, eval_every, sample_every)
    opt = make_optimizer(model, optimizer, lr)
    path = Path(checkpoint) if checkpoint is not None else None
    windows = Windows(bptt, batch_size) if _is_char_dataset(data) else None
    run = TrainState()
    saved: int | None = None  # the step of the last checkpoint written

    def save() -> None:
        assert path is not None
        save_checkpoint(path, model, opt, run, windows, overwrite)

    if resume:
        if path is None or not path.is_file():
            raise FileNotFoundError(f"train: resume=True needs an existing checkpoint, got {path}")
        given_lr = lr is not None or isinstance(optimizer, optim.Optimizer)
        run = _resume(path, model, opt, opt.lr if given_lr else None, windows)
        saved = run.step
    elif path is not None:
        io.check_save_path(path, overwrite)
    bar = progress_bar(
        total=steps, initial=min(run.step, steps), desc="train", unit="step", disable=not progress
    )
    postfix: dict[str, str] = {}

    def watch() -> None:
        """Validation loss and samples at the steps they are due."""
        due = run.step % eval_every == 0 or run.step == steps
        done = [step for step, _ in run.history.validation[-1:]]
        if validation is not None and due and done != [run.step]:
            run.history.validation.append((run.step, evaluate(model, validation)))
            postfix["val"] = f"{run.history.validation[-1][1]:.3f}"
        if sample_every and run.step % sample_every == 0 and run.step > 0:
            text = _sample(model, data, run.step)
            run.history.samples.append((run.step, text))
            bar.write(f"----- sample at step {run.step} -----\n{text}\n-----")

    try:
        if run.step == 0 and steps > 0:
            watch()
        batches = _batches(data, bptt, batch_size, run.step)
        for batch, carry in islice(batches, max(steps - run.step, 0)):
            try:
                loss, norm, state = _gradient(
                    model, opt, batch, run.hidden if carry else None, clip, run.step
                )
            except DivergedError as err:
                good = _good(path, saved, run.step)
                raise DivergedError(f"{err}; last good checkpoint: {good}") from None
            due = run.step > 0 and run.step % checkpoint_every == 0
            if path is not None and due and saved != run.step:
                save()  # the weights of run.step just gave a finite loss and gradient
                saved = run.step
            opt.step()
            run.step += 1
            run.history.append(loss, norm)
            run.hidden = state
            watch()
            bar.update(1)
            shown = {"loss": f"{loss:.3f}", "ppl": f"{math.exp(min(loss, 50)):.1f}", **postfix}
            bar.set_postfix(shown, refresh=False)
        if path is not None and run.step == steps and saved != run.step:
            save()
            saved = run.step
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"last checkpoint (intact): {_written(path, saved)}") from None
    finally:
        bar.close()
    if run.step < steps:
        _ran_out(steps, path, save, run, saved)
    return run.history


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
