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
``History`` (rnn/history.py). A checkpoint (rnn/checkpoint.py: weights,
optimizer state, carried hidden state, history) is written every ``checkpoint_every`` steps and
at the end; ``resume=True`` continues from it exactly. On resume an iterable is
read from its start and the batches of the steps already done are skipped, so
pass it as it was at the start (a list, or a freshly made generator with the
same seed); a ``CharDataset`` carries on at the window where it stopped, so
its ``bptt``, ``batch_size`` and vocabulary must be those of the checkpoint
(a mismatch is refused, naming both values). So must the ``validation`` text
(the checkpoint stores its length and CRC-32), so that a resumed run never
trains on text it held out, and ``History.validation`` never mixes losses on
different texts; ``python -m rnn train --resume`` takes the checkpoint's
``--validation`` fraction when the flag is left out. ``steps`` and ``clip`` are always
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
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from minigrad import io, nn, optim

from .bptt import detach
from .cell import State
from .checkpoint import HeldOut, TrainState, Windows, load_model, resume_run, save_checkpoint
from .data import CharDataset
from .evaluation import evaluate
from .history import History
from .model import Recurrent, sequence_loss

__all__ = [
    "DataExhaustedWarning",
    "DivergedError",
    "HeldOut",
    "History",
    "TrainState",
    "Windows",
    "evaluate",
    "load_model",
    "progress_bar",
    "save_checkpoint",
    "train",
]

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
    counts = {"steps": steps, "bptt": bptt, "batch_size": batch_size}
    for name, value in {**counts, "checkpoint_every": checkpoint_every}.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"train: {name} must be an int, got {value!r}")
        if value > sys.maxsize:  # a count of steps beyond any run, and beyond islice
            raise ValueError(f"train: {name} must be at most {sys.maxsize}, got {value}")
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
    held_out = None if validation is None else HeldOut.of(validation)
    run = TrainState(held_out=held_out)
    saved: int | None = None  # the step of the last checkpoint written

    def save() -> None:
        assert path is not None
        save_checkpoint(path, model, opt, run, windows, overwrite)

    if resume:
        if path is None or not path.is_file():
            raise FileNotFoundError(f"train: resume=True needs an existing checkpoint, got {path}")
        given_lr = lr is not None or isinstance(optimizer, optim.Optimizer)
        run = resume_run(path, model, opt, opt.lr if given_lr else None, windows, held_out)
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
