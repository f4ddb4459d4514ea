# %% [markdown]
# # 9. Training a character-level language model
#
# **You will learn**
#
# - how text becomes token ids (`Vocab`) and training batches of shape (T, B):
#   random windows, and contiguous windows for truncated BPTT;
# - what a training step does (unroll, loss, BPTT, clip, update) and how to
#   run many with `rnn.train`, which shows a progress bar and records a
#   `History` of the loss;
# - how to read a loss curve (nats per character, perplexity);
# - how to generate text, and what the sampling *temperature* does;
# - how to save a trained model to a checkpoint and load it back.
#
# You need tutorials 5–8. The corpus is embedded in the package: nothing is
# downloaded. Set the environment variable `MINIGRAD_FAST=1` to train only a
# few steps (the tests do).

# %%
import os
import sys
from pathlib import Path

import numpy as np

import minigrad as mg
import rnn
import rnn.plots
from minigrad import nn, optim

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 40 if FAST else 600

# %% [markdown]
# ## The corpus and its vocabulary
#
# `rnn.data.CharDataset.load()` reads the default corpus: a short essay on
# recurrent networks followed by the Zen of Python. Its `vocab` lists every
# character that occurs, and token id i stands for the i-th of them.

# %%
data = rnn.data.CharDataset.load()
print(f"{len(data.text)} characters, vocabulary of {data.vocab.size}")
print(repr(data.text[:160]))
ids = data.vocab.encode("The memory")
print("encode('The memory') ->", ids, "-> decode ->", repr(data.vocab.decode(ids)))

# %% [markdown]
# ## Batches: predict the next character
#
# The model reads characters and, at every step, predicts the next one. So a
# training example is a window of T characters as input and the same window
# shifted by one as targets. A batch stacks B windows as columns, time-major
# like the RNN's input: shape (T, B). `sample_batch` takes windows at random
# positions:

# %%
inputs, targets = data.sample_batch(seq_len=12, batch_size=3, rng=0)
print("inputs", inputs.shape, "targets", targets.shape)
for b in range(3):
    print(
        f"column {b}: {data.vocab.decode(inputs[:, b])!r} -> {data.vocab.decode(targets[:, b])!r}"
    )

# %% [markdown]
# For truncated BPTT (tutorial 8), `windows` instead cuts the corpus into B
# long streams and walks them in order, yielding one (inputs, targets) pair
# per window: column b of window k+1 continues
# column b of window k, so the hidden state can be carried from one window to
# the next (detached, so backward stops at the boundary).

# %%
first, second = list(data.windows(seq_len=12, batch_size=3))[:2]
print("window 1, column 0:", repr(data.vocab.decode(first[0][:, 0])))
print("window 2, column 0:", repr(data.vocab.decode(second[0][:, 0])))

# %% [markdown]
# ## The model, and the loss before training
#
# Input and output size are the vocabulary size (token ids in, one logit per
# character out). Passing `vocab` lets the model turn text into ids itself
# when sampling. Untrained, it spreads its bets evenly, so the loss is about
# ln(vocabulary size) nats per character.

# %%
model = rnn.RNN(data.vocab.size, 64, data.vocab.size, vocab=data.vocab.to_list(), seed=0)
print("parameters:", model.num_parameters())
with mg.no_grad():
    logits, _ = model(inputs)
    start_loss = rnn.sequence_loss(logits, targets).item()
print(f"initial loss {start_loss:.3f}   ln({data.vocab.size}) = {np.log(data.vocab.size):.3f}")

# %% [markdown]
# ## One training step, by hand
#
# A step is: unroll over the batch, compute the loss, backward (that is
# BPTT), clip the gradient norm, and let an optimizer update the weights.
# Adam (`minigrad.optim.Adam`) adapts the step size of every weight; it gets
# the list of weights from `model.parameters()` (U, W, b, V, c). We use a
# second model here so the real training below starts fresh.

# %%
trial = rnn.RNN(data.vocab.size, 64, data.vocab.size, seed=0)
opt = optim.Adam(trial.parameters(), lr=3e-3)
for step in range(3):
    out = trial.unroll(inputs)
    loss = rnn.sequence_loss(out.logits, targets)
    opt.zero_grad()
    loss.backward()
    norm = nn.clip_grad_norm(trial.parameters(), max_norm=5.0)
    opt.step()
    print(f"step {step + 1}: loss {loss.item():.4f}, gradient norm {norm:.3f}")

# %% [markdown]
# ## Training with `rnn.train`
#
# `rnn.train` repeats that step. Given a `CharDataset`, it walks the corpus
# in contiguous windows of `bptt` steps and carries the hidden state across
# them (truncated BPTT). It shows a progress bar, returns a `History` of the
# loss and gradient norm at every step, and writes a checkpoint.

# %%
history = rnn.train(
    model,
    data,
    steps=STEPS,
    bptt=32,
    batch_size=16,
    clip=5.0,
    optimizer="adam",
    lr=3e-3,
    checkpoint="char_rnn.npz",
    checkpoint_every=200,
)
print(f"{len(history)} steps: loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}")
print(f"perplexity {history.perplexity[0]:.1f} -> {history.perplexity[-1]:.1f}")

# %% [markdown]
# ## The loss curve
#
# The loss is in nats per character; exp(loss), the *perplexity*, is the
# number of characters the model is effectively choosing between (54 for a
# uniform guess here). The dashed line is that chance level.

# %%
rnn.plots.loss_curve(
    history.loss, OUT / "09_loss.png", vocab_size=data.vocab.size, smoothed=history.smoothed()
)
print("saved", OUT / "09_loss.png")

# %% [markdown]
# This corpus is small (a few thousand characters), so a long run ends up
# memorising it; a real language model would hold out text to measure how
# well it generalises.
#
# ## Sampling and temperature
#
# To generate text, feed a prefix, turn the last logits o into probabilities,
# draw a character, feed it back, and repeat. The *temperature* τ divides the
# logits first: p = softmax(o / τ). τ < 1 sharpens the distribution (towards
# always picking the most likely character), τ > 1 flattens it. Here is the
# distribution of the character after "The memor" at three temperatures:

# %%
with mg.no_grad():
    logits, _ = model(data.vocab.encode("The memor").reshape(-1, 1))
last = logits[-1, 0]
for tau in (0.5, 1.0, 1.5):
    p = (last / tau).softmax().data
    top = np.argsort(p)[::-1][:3]
    shown = ", ".join(f"{data.vocab.decode(np.array([i]))!r}: {p[i]:.2f}" for i in top)
    print(f"τ = {tau}: top three {shown}")

# %% [markdown]
# `model.sample(prefix, n, temperature, seed=...)` does the whole loop:

# %%
for tau in (0.5, 1.0, 1.5):
    print(f"--- τ = {tau}\nThe {model.sample('The ', 120, temperature=tau, seed=1)}")

# %% [markdown]
# After the full training run, low temperature gives safe, repetitive text and
# high temperature more variety and more misspellings. (With `MINIGRAD_FAST=1`
# the model has trained for only a few steps and all three are mostly noise;
# the probabilities above still show τ sharpening or flattening the same
# distribution.)
#
# ## Checkpoints: save and load
#
# `rnn.train` wrote `char_rnn.npz`: the weights, the model's configuration
# (sizes, activation, vocabulary), the optimizer's state and the history, in
# one `.npz` file (numpy arrays plus JSON; no pickled code). `rnn.load_model`
# rebuilds the model from it. (`minigrad.save(model, path)` and
# `minigrad.load(path, into=model)` do the same for any model.)

# %%
restored, checkpoint = rnn.load_model("char_rnn.npz")
print("saved at step", checkpoint.metadata["step"], "- class", type(restored).__name__)
same = all(
    np.array_equal(p.data, q.data)
    for p, q in zip(model.parameters(), restored.parameters(), strict=True)
)
print("identical weights:", same)
print("identical samples:", restored.sample("The ", 40, seed=3) == model.sample("The ", 40, seed=3))

# %% [markdown]
# With `resume=True`, `rnn.train` continues from the checkpoint exactly where
# it stopped (weights, optimizer state, position in the corpus), for a total
# of `steps` steps:

# %%
more = rnn.train(
    restored, data, steps=STEPS + 10, checkpoint="char_rnn.npz", resume=True, progress=False
)
print(f"history now has {len(more)} steps; last loss {more.loss[-1]:.3f}")

# %% [markdown]
# ## Exercise: greedy decoding
#
# Write `greedy(model, vocab, prefix, n)`: feed the prefix one character at a
# time with `model.step` (starting from no state, `None`; `vocab.encode` gives
# the ids), then repeatedly pick the most likely next character (argmax of the
# logits), append it and feed it back. Return the n new characters as a string
# (`vocab.decode`). Do it under `mg.no_grad()`: no gradient is needed. The
# check runs your function on an untrained model with sharp predictions and
# compares it with the slow way: rerunning the whole text through the model
# for every new character.


# %%
def check_greedy(greedy):
    greedy = answer_or_solution(greedy, "training_a_character_model", "greedy")
    vocab = rnn.data.Vocab.from_text("abcdefgh ")
    untrained = rnn.RNN(vocab.size, 16, vocab.size, seed=4)
    untrained.V.data *= 5  # sharp, varied predictions, so every slip shows
    ids = list(vocab.encode("be a "))
    with mg.no_grad():
        for _ in range(30):  # the slow way: rerun the whole text for every new character
            logits, _ = untrained(np.array(ids).reshape(-1, 1))
            ids.append(int(logits.data[-1, 0].argmax()))
    expected = vocab.decode(np.array(ids[5:]))
    got = greedy(untrained, vocab, "be a ", 30)
    assert got == expected, f"expected {expected!r}, got {got!r}"
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/training_a_character_model.py`) instead.

# %%
greedy = None  # your answer here

# %%
check_greedy(greedy)
