"""The main demo: train a char-RNN, check its gradients, draw its graph.

``python -m rnn demo`` (``make demo``) runs, in order:

1. a char-RNN on CPython's reference documentation (``load_text("pydoc")``,
   the last 10 % held out): a sample before training, training with a
   progress bar, the validation loss and a sample every ``sample_every``
   steps (as min-char-rnn prints them), the loss from about ln(vocab) down,
   the perplexity on training and held-out text against the unigram
   baseline, a sample after;
2. ``gradcheck`` of a small unrolled RNN (autograd vs central differences) and
   the hand-derived BPTT of rnn/reference.py against autograd;
3. pictures in ``out/``: the trained model as the recurrent unit, unrolled
   over 8 characters and with its BPTT gradients (``rnn_folded.svg``,
   ``rnn_unrolled.svg``, ``rnn_bptt.svg``), the op-level graph for T = 4 (one cluster per time
   step, U, W, V drawn once), a backward flipbook of one tiny RNN step, the
   loss curve and the ||dL/dh_t|| profile of tanh vs ReLU; and the checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad as mg

from . import bptt, plots, reference
from .data import CharDataset, unigram_perplexity
from .figures import write_diagrams
from .history import perplexity
from .model import GRU, LSTM, RNN, Recurrent, sequence_loss
from .train import History, evaluate, load_model, train

Say = Callable[[str], None]


@dataclass
class DemoSettings:
    """Sizes of the demo; ``fast`` ones keep the test suite quick."""

    steps: int = 2500
    hidden: int = 128
    bptt: int = 32
    batch_size: int = 16
    lr: float = 3e-3
    validation: float = 0.1  # the held-out fraction at the end of the corpus
    eval_every: int = 250
    sample_every: int = 500

    @classmethod
    def fast(cls) -> DemoSettings:
        return cls(
            steps=60, hidden=64, bptt=16, batch_size=8, lr=1e-2, validation=0.02, sample_every=30
        )


def tiny_model(kind: str, T: int, seed: int = 0) -> tuple[Recurrent, np.ndarray, np.ndarray]:
    """A tiny model (3 tokens, hidden 2; kind rnn, lstm or gru) and T random tokens, targets."""
    model = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[kind](3, 2, 3, seed=seed)
    rng = np.random.default_rng(seed)
    return model, rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))


def tiny_unrolled(T: int, seed: int = 0, per_step: bool = True) -> mg.Tensor:
    """The loss of a tiny RNN (3 tokens, hidden 2) over T steps, ready to draw."""
    model, xs, ys = tiny_model("rnn", T, seed)
    loss = sequence_loss(model(xs, per_step=per_step)[0], ys)
    loss.name = "L"
    return loss


def train_char_rnn(
    out: Path, settings: DemoSettings, seed: int, text: str | None, say: Say, progress: bool
) -> tuple[History, int]:
    """Part 1: learn the corpus; returns the loss history and the vocabulary size."""
    data, held_out = CharDataset.load(text or "pydoc").split(settings.validation)
    vocab = data.vocab.size
    model = RNN(vocab, settings.hidden, vocab, seed=seed, vocab=data.vocab.to_list())
    say(
        f"corpus: {len(data.ids)} characters to train on, {len(held_out.ids)} held out, "
        f"vocabulary of {vocab}; RNN with {model.num_parameters()} parameters "
        f"(hidden {settings.hidden})"
    )
    prefix = data.text[:4]
    say(f"sample before training: {prefix + model.sample(prefix, 120, seed=seed)!r}")
    checkpoint = out / "char_rnn.npz"
    history = train(
        model,
        data,
        validation=held_out,
        eval_every=settings.eval_every,
        sample_every=settings.sample_every,
        steps=settings.steps,
        bptt=settings.bptt,
        batch_size=settings.batch_size,
        lr=settings.lr,
        checkpoint=checkpoint,
        checkpoint_every=max(settings.steps // 4, 1),
        progress=progress,
    )
    smooth = history.smoothed(20)
    say(
        f"loss: {history.loss[0]:.3f} at step 1 (ln {vocab} = {math.log(vocab):.3f}) -> "
        f"{smooth[-1]:.3f} (mean of the last 20 steps) after {len(history)} steps"
    )
    unigram = report_perplexity(model, data, held_out, say)
    say(f"sample after training:  {prefix + model.sample(prefix, 200, 0.7, seed=seed)!r}")
    say(f"wrote {checkpoint}")
    curve = out / "loss.png"
    plots.loss_curve(history.loss, curve, vocab, smooth, history.validation, math.log(unigram))
    say(f"wrote {curve}  (training and validation loss)")
    return history, vocab


def report_perplexity(model: RNN, data: CharDataset, held_out: CharDataset, say: Say) -> float:
    """Perplexity on seen and unseen text of one size; returns the unigram baseline's."""
    seen = data.split(len(held_out.ids) / len(data.ids))[1]  # the end of the training text
    trained, unseen = perplexity(evaluate(model, seen)), perplexity(evaluate(model, held_out))
    unigram = unigram_perplexity(data, held_out)
    say(
        f"perplexity: training {trained:.2f} (its last {len(seen.ids)} characters), "
        f"validation {unseen:.2f} (the {len(held_out.ids)} held out); "
        f"unigram baseline {unigram:.2f} (character frequencies of the training text, on "
        f"the held-out text); uniform guess {data.vocab.size}"
    )
    return unigram


def check_gradients(say: Say) -> None:
    """Part 2: autograd BPTT vs central differences and vs the hand derivation."""
    model = RNN(4, 3, 4, seed=1)
    rng = np.random.default_rng(1)
    xs, ys = rng.integers(0, 4, (5, 2)), rng.integers(0, 4, (5, 2))
    names = [name for name, _ in model.named_parameters()]

    def unrolled_loss(*params: mg.Tensor) -> mg.Tensor:
        return sequence_loss(
            bptt.with_params(model, dict(zip(names, params, strict=True)))(xs)[0], ys
        )

    leaves = [mg.Tensor(p.data, requires_grad=True) for p in model.parameters()]
    mg.gradcheck(unrolled_loss, *leaves)
    say("gradcheck of a 5-step unrolled RNN (U, W, V, b, c vs central differences): passed")
    sequence_loss(model(xs)[0], ys).backward()
    _, ref = reference.loss_and_grads({k: getattr(model, k).data for k in "UWVbc"}, xs, ys)
    worst = max(
        float(np.abs(getattr(model, k).grad.data - ref[k]).max() / np.abs(ref[k]).max())
        for k in "UWVbc"
    )
    say(f"autograd vs hand-derived BPTT (rnn/reference.py): max relative difference {worst:.1e}")


def draw_pictures(out: Path, seed: int, say: Say, text: str | None = None) -> None:
    """Part 3: the seed's three diagrams, the op graph, the backward flipbook, the profile plot."""
    from minigrad.viz import GraphvizNotFoundError, draw, flipbook

    graph_loss = tiny_unrolled(4, seed)  # backward runs inside draw, recording every gradient
    graph = draw(graph_loss, values=True, grads=True, heat=True, steps=graph_loss.backward_steps())
    try:
        say(f"wrote {graph.save(out / 'unrolled_T4.svg')}  (T = 4, one cluster per time step)")
        path = flipbook(tiny_unrolled(1, seed), out / "rnn_step_backward.html")
        say(f"wrote {path}  (backward through one RNN step, one frame per node)")
        for path in _diagrams(out, text):
            say(f"wrote {path}  (the trained char-RNN on the corpus' first 8 characters)")
    except GraphvizNotFoundError as err:
        say(f"wrote {graph.save(out / 'unrolled_T4.dot')} (DOT text); no SVG/flipbook: {err}")
    plots.grad_norm_profile(_profiles(seed), out / "grad_norms.png")
    say(f"wrote {out / 'grad_norms.png'}")


def _diagrams(out: Path, text: str | None, T: int = 8) -> list[Path]:
    """The folded unit, the unrolled network and BPTT of the trained char-RNN."""
    model, _ = load_model(out / "char_rnn.npz")
    ids = CharDataset.load(text or "pydoc").ids[: T + 1].reshape(-1, 1)
    return write_diagrams(model, ids[:-1], ids[1:], out)


def _profiles(seed: int, T: int = 60) -> dict[str, np.ndarray]:
    """||dL_T/dh_t|| for a tanh and a ReLU RNN on the same random sequence."""
    rng = np.random.default_rng(seed)
    xs, ys = rng.integers(0, 20, (T, 4)), rng.integers(0, 20, (T, 4))
    return {
        f"g1 = {act}": bptt.hidden_grad_norms(
            RNN(20, 32, 20, act, seed=seed), xs, ys, only_last=True
        )
        for act in ("tanh", "relu")
    }


def run_demo(
    out: str | Path = "out",
    fast: bool = False,
    seed: int = 0,
    text: str | None = None,
    steps: int | None = None,
    progress: bool = True,
    say: Say = print,
) -> Path:
    """Run the whole demo, writing into ``out``; returns the directory."""
    settings = DemoSettings.fast() if fast else DemoSettings()
    if steps is not None:
        settings.steps = steps
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say("== 1. a char-RNN learns the corpus ==")
    train_char_rnn(out, settings, seed, text, say, progress)
    say("== 2. BPTT is loss.backward(): checked ==")
    check_gradients(say)
    say("== 3. pictures ==")
    draw_pictures(out, seed, say, text)
    return out
