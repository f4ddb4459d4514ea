"""Command line: ``python -m rnn demo|train|sample|graph|export`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minigrad.errors import MinigradError
from minigrad.io import Checkpoint

from .data import CORPORA, CharDataset, Vocab, load_text
from .demo import DemoSettings, run_demo, tiny_model
from .export import metadata, to_pytorch
from .history import perplexity
from .model import GRU, LSTM, RNN, Recurrent, sequence_loss
from .train import OPTIMIZERS, DivergedError, History, load_model, train

TEXT_HELP = f"corpus: one of {', '.join(CORPORA)} (embedded) or the path of a UTF-8 text file"
MAX_SAMPLE = 100_000  # sample -n: about half a minute for the shipped LSTM (hidden 128)
MAX_GRAPH_STEPS = 1000  # graph -T: a diagram of a longer sequence draws only a few steps anyway


def _demo_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="train a char-RNN, check gradients, draw pictures into --out",
        description="Train a char-RNN on CPython's reference documentation, a tenth "
        "held out (samples before and after, training and validation perplexity "
        "against the unigram baseline), gradcheck a small unrolled RNN, and write "
        "the unrolled graph (SVG), a backward flipbook (HTML), the loss curve and the dL/dh_t "
        "profile (PNG) and the checkpoint into --out.",
    )
    p.add_argument("--out", default="out", help="directory for the outputs (default: out)")
    p.add_argument(
        "--fast",
        action="store_true",
        help="small and quick settings (also set by RNN_DEMO_FAST=1), for tests",
    )
    p.add_argument(
        "--steps",
        type=int,
        help=f"training steps (default: {DemoSettings.steps}, fast: {DemoSettings.fast().steps})",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for weights and samples (default 0)")
    p.add_argument("--text", help=TEXT_HELP + " (default: pydoc)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a char-level model on a corpus",
        description="Train a char-level RNN/LSTM/GRU with truncated BPTT and save "
        "checkpoints; --resume continues a run exactly.",
    )
    p.add_argument("--text", default="pydoc", help=TEXT_HELP + " (default: pydoc)")
    p.add_argument(
        "--model",
        choices=["rnn", "lstm", "gru"],
        help="architecture (default: rnn, the textbook h = g1(Ux + Wh + b))",
    )
    p.add_argument(
        "--activation",
        choices=["tanh", "relu"],
        help="g1 of the vanilla RNN (default: tanh)",
    )
    p.add_argument("--hidden", type=int, help="hidden size (default: 128)")
    p.add_argument(
        "--steps",
        type=int,
        default=1000,
        help="total optimizer steps, resumed ones included (default: 1000)",
    )
    p.add_argument(
        "--bptt",
        type=int,
        help="truncated-BPTT window: time steps per update (default: 32)",
    )
    p.add_argument("--batch-size", type=int, help="parallel streams of the corpus (default: 16)")
    p.add_argument(
        "--optimizer",
        choices=sorted(OPTIMIZERS),
        default="adam",
        help="sgd (momentum 0.9), adagrad or adam (default: adam)",
    )
    p.add_argument(
        "--lr", type=float, help="learning rate (default: sgd 0.1, adagrad 0.05, adam 0.003)"
    )
    p.add_argument(
        "--clip",
        type=float,
        default=5.0,
        help="clip the global gradient norm to this (0: no clipping; default: 5)",
    )
    p.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        help="parameter dtype (default: float64)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the initial weights (default 0)")
    p.add_argument(
        "--checkpoint",
        default="out/char_rnn.npz",
        help="checkpoint file, written atomically (default: out/char_rnn.npz)",
    )
    p.add_argument(
        "--checkpoint-every", type=int, default=100, help="steps between checkpoints (default: 100)"
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue from --checkpoint (weights, optimizer, hidden state, history); "
        "--lr, --clip and --steps apply, the architecture, --text vocabulary, --bptt and "
        "--batch-size must match the checkpoint (when left out, they are taken from it)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="let --checkpoint replace an existing file that is not a checkpoint",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _watch_options(p)


def _watch_options(p: argparse.ArgumentParser) -> None:
    """Held-out text and samples during training (min-char-rnn prints one every 100 steps)."""
    p.add_argument(
        "--validation",
        type=float,
        help="fraction of the corpus held out at its end to measure the validation loss "
        "(0: none; default: 0.1, on --resume the checkpoint's)",
    )
    p.add_argument(
        "--eval-every",
        type=int,
        default=100,
        help="steps between validation losses (default: 100)",
    )
    p.add_argument(
        "--sample-every",
        type=int,
        default=0,
        help="print a 200-character sample every N steps (default: 0, none)",
    )


def _sample_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample",
        help="generate text from a checkpoint",
        description="Feed --prefix to a trained model, then sample -n characters.",
    )
    p.add_argument(
        "--checkpoint",
        default="out/char_rnn.npz",
        help="checkpoint written by train or demo (default: out/char_rnn.npz)",
    )
    p.add_argument("--prefix", default="The ", help="text to start from (default: 'The ')")
    p.add_argument(
        "-n",
        type=int,
        default=300,
        help=f"characters to generate, 0 to {MAX_SAMPLE} (default: 300)",
    )
    p.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="> 0; lower is more conservative, higher more random (default: 0.8)",
    )
    p.add_argument("--seed", type=int, help="seed of the sampler (default: random)")


GRAPH_VIEWS = ("folded", "unrolled", "bptt", "ops")


def _graph_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph",
        help="draw a tiny RNN: folded, unrolled, BPTT, or its op-level graph",
        description="Draw a tiny model (3 tokens, hidden 2) on T random steps: the "
        "recurrent unit (--view folded), the network unrolled over time (unrolled), "
        "the gradient flowing back through the hidden states (bptt), or the "
        "computation graph after backward, one cluster per time step (ops).",
    )
    p.add_argument(
        "--view",
        choices=GRAPH_VIEWS,
        default="ops",
        help="folded, unrolled, bptt, or ops: every op of the unrolled graph (default: ops)",
    )
    p.add_argument(
        "-T", type=int, default=4, help=f"time steps, 1 to {MAX_GRAPH_STEPS} (default: 4)"
    )
    p.add_argument(
        "--model",
        choices=["rnn", "lstm", "gru"],
        default="rnn",
        help="the cell: rnn, lstm or gru (default: rnn)",
    )
    p.add_argument(
        "--out",
        help="output file; .svg/.png/.pdf need Graphviz, .dot is the DOT text "
        "(default: out/unrolled.svg for ops, out/rnn_VIEW.svg otherwise)",
    )
    p.add_argument(
        "--fast-path",
        action="store_true",
        help="ops view: draw the batched unroll that training uses instead of the textbook one",
    )
    p.add_argument(
        "--heat",
        action="store_true",
        help="ops view: colour every tensor by its gradient magnitude (from the backward walk)",
    )
    p.add_argument(
        "--loss",
        choices=["all", "last"],
        default="all",
        help="unrolled/bptt views: the mean loss over all steps, or the last step's alone, "
        "L^(T), whose gradient vanishes going back (default: all)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the weights and data (default 0)")


def _export_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a checkpoint as a safetensors file that PyTorch loads",
        description="Write the model in CHECKPOINT under PyTorch's names: the keys "
        "rnn.* load into torch.nn.RNN/LSTM/GRU (one layer), the keys head.* into "
        "torch.nn.Linear; the vocabulary and config go into the metadata.",
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="checkpoint written by train or demo")
    p.add_argument("out", metavar="OUT", help="the .safetensors file to write (atomically)")
    p.add_argument(
        "--force", action="store_true", help="replace OUT even if export did not write it"
    )


def _cmd_export(args: argparse.Namespace) -> None:
    model, _ = load_model(args.checkpoint)
    out = to_pytorch(model, args.out, overwrite=args.force)
    print(f"wrote {out}: {metadata(model)['torch']}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m rnn",
        description="The textbook RNN on minigrad: BPTT is loss.backward() on the unrolled graph.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    for add in (_demo_parser, _train_parser, _sample_parser, _graph_parser, _export_parser):
        add(sub)
    return top


def _cmd_demo(args: argparse.Namespace) -> None:
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"demo: --steps must be >= 1, got {args.steps}")
    fast = args.fast or os.environ.get("RNN_DEMO_FAST", "") not in ("", "0")
    run_demo(
        args.out,
        fast=fast,
        seed=args.seed,
        text=args.text,
        steps=args.steps,
        progress=not args.no_progress,
    )


TRAIN_DEFAULTS = {
    "model": "rnn",
    "activation": "tanh",
    "hidden": 128,
    "dtype": "float64",
    "bptt": 32,
    "batch_size": 16,
}
DEFAULT_VALIDATION = 0.1
MAX_MODEL_BYTES = 2**30
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per cell


def _new_model(args: argparse.Namespace, data: CharDataset) -> Recurrent:
    v, dtype, vocab = data.vocab.size, np.dtype(args.dtype), data.vocab.to_list()
    if args.hidden < 1:
        raise ValueError(f"train: --hidden must be >= 1, got {args.hidden}")
    count = GATES[args.model] * args.hidden * (v + args.hidden + 1) + v * (args.hidden + 1)
    if count * dtype.itemsize > MAX_MODEL_BYTES:  # refused before anything is allocated
        raise ValueError(  # in whole MiB: a float could not hold what --hidden 10**200 asks
            f"train: --hidden {args.hidden} gives a {args.model} with {count} parameters "
            f"({count * dtype.itemsize // 2**20} MiB), over the {MAX_MODEL_BYTES // 2**20} MiB "
            "this command builds"
        )
    if args.model == "rnn":
        return RNN(v, args.hidden, v, args.activation, dtype=dtype, seed=args.seed, vocab=vocab)
    make = LSTM if args.model == "lstm" else GRU
    return make(v, args.hidden, v, dtype=dtype, seed=args.seed, vocab=vocab)


def _settings_of(args: argparse.Namespace, model: Recurrent, ckpt: Checkpoint, path: Path) -> None:
    """Flags left out take the checkpoint's values; flags given must agree with them."""
    stored = {
        "model": type(model).__name__.lower(),
        "activation": model.config().get("activation"),
        "hidden": model.cell.hidden_size,
        "dtype": str(model.dtype),
        "bptt": ckpt.metadata.get("bptt"),
        "batch_size": ckpt.metadata.get("batch_size"),
    }
    for name, value in stored.items():
        given, flag = getattr(args, name), "--" + name.replace("_", "-")
        if given is None:
            setattr(args, name, TRAIN_DEFAULTS[name] if value is None else value)
        elif value is not None and given != value:
            raise ValueError(
                f"train: {flag} {given} does not match {path}, which was trained with "
                f"{flag} {value}; a resumed run keeps it (leave {flag} out)"
            )


def _resumed_data(args: argparse.Namespace, model: Recurrent, path: Path) -> CharDataset:
    """The corpus encoded with the checkpoint's vocabulary, which must cover it."""
    text = load_text(args.text)
    if model.vocab is None:
        return CharDataset.from_text(text)
    vocab = Vocab.from_list(model.vocab)
    unknown = sorted(set(text) - set(vocab.chars))
    if unknown:
        raise ValueError(
            f"train: --text {args.text} has a vocabulary of {len(set(text))} characters, "
            f"{len(unknown)} of them (e.g. {unknown[:5]}) not among the {vocab.size} of {path}; "
            "a resumed run keeps its vocabulary"
        )
    return CharDataset.from_text(text, vocab)


def _resumed_validation(
    given: float | None, ckpt: Checkpoint, characters: int, path: Path
) -> float:
    """The fraction the checkpoint held out (if it says); a --validation given must be it."""
    stored = ckpt.metadata.get("validation", {})  # null: trained without validation
    held = 0 if stored is None else (stored.get("characters") if isinstance(stored, dict) else None)
    if type(held) is not int or held < 0:  # not recorded (an older file) or malformed:
        return DEFAULT_VALIDATION if given is None else given  # train names a malformed field
    fraction = held / characters
    if given is None:
        return fraction
    if round(given * characters) != held:
        raise ValueError(
            f"train: --validation {given:g} does not match {path}, which was trained holding "
            f"out {held} of the {characters} characters (--validation {fraction:.3g}); a "
            "resumed run keeps it (leave --validation out)"
        )
    return given


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, a job scheduler) stops training cleanly, as Ctrl-C does."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _split(data: CharDataset, fraction: float) -> tuple[CharDataset, CharDataset | None]:
    """(training, validation) parts; no validation part for --validation 0."""
    if fraction == 0:
        return data, None
    try:
        return data.split(fraction)
    except ValueError as err:
        raise ValueError(f"{err}; --validation 0 trains on all of it") from None


def _report_validation(history: History) -> None:
    for step, loss in history.validation:
        print(f"step {step:>6}: validation loss {loss:.3f}, perplexity {perplexity(loss):.2f}")


@contextlib.contextmanager
def _parents_of(path: Path) -> Iterator[None]:
    """Create the missing directories above ``path``; remove them again if still empty on error."""
    missing = [d for d in path.absolute().parents if not d.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for directory in missing:  # deepest first; a directory holding anything stays
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


def _cmd_train(args: argparse.Namespace) -> None:
    checkpoint = Path(args.checkpoint)
    with _parents_of(checkpoint):
        _train_into(checkpoint, args)


def _train_into(checkpoint: Path, args: argparse.Namespace) -> None:
    if args.resume:
        model, ckpt = load_model(checkpoint)
        done = ckpt.metadata.get("step")
        if type(done) is int and done >= args.steps:
            raise ValueError(
                f"train: {checkpoint} is already at step {done} and --steps {args.steps} is the "
                f"total, resumed steps included; pass --steps > {done} to train on"
            )
        _settings_of(args, model, ckpt, checkpoint)
        data = _resumed_data(args, model, checkpoint)
        args.validation = _resumed_validation(args.validation, ckpt, len(data.ids), checkpoint)
    else:
        args.validation = DEFAULT_VALIDATION if args.validation is None else args.validation
        for name, value in TRAIN_DEFAULTS.items():
            setattr(args, name, value if getattr(args, name) is None else getattr(args, name))
        data = CharDataset.load(args.text)
        model = _new_model(args, data)
    data, validation = _split(data, args.validation)
    with _sigterm_as_interrupt():
        history = train(
            model,
            data,
            steps=args.steps,
            bptt=args.bptt,
            batch_size=args.batch_size,
            clip=args.clip or None,
            optimizer=args.optimizer,
            lr=args.lr,
            checkpoint=checkpoint,
            checkpoint_every=args.checkpoint_every,
            resume=args.resume,
            progress=not args.no_progress,
            overwrite=args.force,
            validation=validation,
            eval_every=args.eval_every,
            sample_every=args.sample_every,
        )
    _report_validation(history)
    if len(history):
        print(
            f"loss {history.loss[0]:.3f} -> {history.smoothed(20)[-1]:.3f} "
            f"after {len(history)} steps; wrote {checkpoint}"
        )


def _check_range(command: str, flag: str, value: int, low: int, high: int) -> None:
    """Refuse a size outside [low, high] before any work (a huge one would run for hours)."""
    if not low <= value <= high:
        raise ValueError(f"{command}: {flag} must be from {low} to {high}, got {value}")


def _cmd_sample(args: argparse.Namespace) -> None:
    _check_range("sample", "-n", args.n, 0, MAX_SAMPLE)
    model, _ = load_model(args.checkpoint)
    print(args.prefix + model.sample(args.prefix, args.n, args.temperature, seed=args.seed))


def _cmd_graph(args: argparse.Namespace) -> None:
    _check_range("graph", "-T", args.T, 1, MAX_GRAPH_STEPS)
    if args.view != "ops" and (args.heat or args.fast_path):
        raise ValueError(
            f"graph: --heat and --fast-path draw the op-level graph; use them with --view ops "
            f"(--view {args.view} got them)"
        )
    if args.view == "ops" and args.loss != "all":
        raise ValueError(
            "graph: --loss last draws the folded, unrolled or bptt view, not --view ops"
        )
    default = "out/unrolled.svg" if args.view == "ops" else f"out/rnn_{args.view}.svg"
    out = Path(args.out or default)
    out.parent.mkdir(parents=True, exist_ok=True)
    model, xs, targets = tiny_model(args.model, args.T, args.seed)
    if args.view == "ops":
        from minigrad.viz import draw

        loss = sequence_loss(model(xs, per_step=not args.fast_path)[0], targets)
        loss.name = "L"
        graph = draw(loss, values=True, grads=True, heat=args.heat, steps=loss.backward_steps())
    else:
        from .diagram import diagram

        graph = diagram(model, xs, targets, view=args.view, loss=args.loss)
    print(f"wrote {graph.save(out)}")


COMMANDS = {
    "demo": _cmd_demo,
    "train": _cmd_train,
    "sample": _cmd_sample,
    "graph": _cmd_graph,
    "export": _cmd_export,
}


def _check_seed(args: argparse.Namespace) -> None:
    seed = getattr(args, "seed", None)
    if seed is not None and seed < 0:
        raise ValueError(f"{args.command}: --seed must be an integer >= 0, got {seed}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        _check_seed(args)
        COMMANDS[args.command](args)
    except (ValueError, TypeError, OSError, DivergedError, MinigradError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:  # train names its last checkpoint, which is intact
        print(f"interrupted{'; ' + str(err) if str(err) else ''}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
