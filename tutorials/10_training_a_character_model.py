# %% [markdown]
# # 10. Training a character-level language model
#
# **You will learn**
#
# - how text becomes token ids (`Vocab`) and training batches of shape (T, B):
#   random windows, and contiguous windows for truncated BPTT;
# - what a training step does (unroll, loss, BPTT, clip, update) and how to
#   run many with `rnn.train`, which shows a progress bar and records a
#   `History` of the loss;
# - how to read a loss curve (nats per character, perplexity), and why a
#   held-out *validation* text and a simple baseline belong on it;
# - how to generate text, and what the sampling *temperature* does;
# - how to save a trained model to a checkpoint, load it back and resume
#   training exactly where it stopped;
# - what a larger model trained for longer writes: an LSTM that ships with
#   the package writes real words.
#
# You need tutorials 5–8. The corpus ships with Python itself: nothing is
# downloaded. Set the environment variable `MINIGRAD_FAST=1` to train only a
# few steps (the tests do). Files it writes go into `figures/`.

# %%
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
from minigrad import nn, optim

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 20 if FAST else 250

# %% [markdown]
# ## The corpus and its vocabulary
#
# Every Python installation carries a real text of its own: the reference
# documentation that `help("if")` prints, about 450 000 characters of English
# prose with code in between. `rnn.data.CharDataset.load("pydoc")` reads it
# (nothing is downloaded). Its `vocab` lists every character that occurs, and
# token id i stands for the i-th of them.

# %%
data = rnn.data.CharDataset.load("pydoc")
print(f"{len(data.text)} characters, vocabulary of {data.vocab.size}")
print(data.text[20000:20400])
ids = data.vocab.encode("The memory")
print("encode('The memory') ->", ids, "-> decode ->", repr(data.vocab.decode(ids)))

# %% [markdown]
# ## Held-out text
#
# A model that only ever sees its training text can learn that text by heart;
# the training loss then says nothing about text it has not seen. So we keep
# the last 10% of the corpus apart (`split(0.1)`: one contiguous piece, so no
# sentence is half in each part) and measure the loss there, the *validation
# loss*. To keep the measurement quick, we evaluate on the first 5 000
# characters of that held-out part.
#
# A first yardstick: a model that ignores the context and predicts every
# character by how often it occurs (the *unigram* model). Its perplexity on
# the held-out text is the number to beat.

# %%
train_text, held_out = data.split(0.1)
validation = rnn.data.CharDataset.from_text(held_out.text[:5000], vocab=data.vocab)
unigram = rnn.data.unigram_perplexity(train_text, validation)
print(f"training text {len(train_text.text)} characters, held out {len(held_out.text)}")
print(f"unigram perplexity on the held-out text: {unigram:.1f}")

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
# For truncated BPTT (tutorial 9), `windows` instead cuts the corpus into B
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
# Adam (`minigrad.optim.Adam`, tutorial 5) adapts the step size of every
# weight; it gets the list of weights from `model.parameters()` (U, W, b, V,
# c). We use a second model here so the real training below starts fresh.

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
# loss and gradient norm at every step, and writes a checkpoint. With
# `validation=` it also measures the validation loss (under `no_grad`) every
# `eval_every` steps, and with `sample_every=` it prints a sample of what the
# model writes so far, as training goes.

# %%
history = rnn.train(
    model,
    train_text,
    steps=STEPS,
    bptt=32,
    batch_size=16,
    clip=5.0,
    optimizer="adam",
    lr=1e-2,
    checkpoint=OUT / "char_rnn.npz",
    checkpoint_every=100,
    validation=validation,
    eval_every=5 if FAST else 50,
    sample_every=10 if FAST else 125,
)
first, last = history.validation[0], history.validation[-1]
print(f"{len(history)} steps: training loss {history.loss[0]:.3f} -> {history.loss[-1]:.3f}")
print(f"validation loss {first[1]:.3f} -> {last[1]:.3f}, perplexity {np.exp(last[1]):.1f}")
print(f"(unigram baseline: perplexity {unigram:.1f}, loss {np.log(unigram):.3f})")

# %% [markdown]
# ## The loss curves
#
# The loss is in nats per character; exp(loss), the *perplexity*, is the
# number of characters the model is effectively choosing between
# (94 for a uniform guess here). The plot shows the training loss of every
# step, its moving average, the validation loss at each evaluation, and the
# two yardsticks: the uniform guess ln(94) and the unigram model.

# %%
fig, ax = plt.subplots(figsize=(7, 4.8))
steps = np.arange(1, len(history) + 1)
ax.plot(steps, history.loss, lw=0.7, alpha=0.4, label="training loss (one window)")
ax.plot(steps, history.smoothed(), lw=2, label="training loss, moving average")
val_steps, val_loss = np.array(history.validation).T
ax.plot(val_steps, val_loss, "o-", label="validation loss (held-out text)")
ax.axhline(np.log(data.vocab.size), ls="--", c="grey", label=f"uniform guess: ln {data.vocab.size}")
ax.axhline(np.log(unigram), ls=":", c="k", label=f"unigram model: ln {unigram:.1f}")
ax.set(xlabel="training step", ylabel="cross-entropy (nats per character)")
ax.set_title("char-RNN on the Python reference documentation")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)  # off the lines
fig.tight_layout()
fig.savefig(OUT / "10_loss.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# How to read it:
#
# - The per-step training loss jumps up and down by a tenth or two. That is
#   not the optimiser misbehaving: each step is measured on a different
#   window of the documentation, and some windows (a table of operators, a
#   block of code) are much harder to predict than plain English prose. The
#   moving average shows the trend.
# - There is no sawtooth. A sawtooth appears when training passes over a
#   *small* corpus again and again: each pass starts again at the text's
#   beginning and the loss drops when familiar text comes round, with a
#   period of one pass. Here one pass is
#   len(text) / (batch × bptt) steps, far more than this run takes, so every
#   window is new text.
# - The validation loss falls with the training loss and ends well below the
#   unigram baseline: the model uses the context, and what it learned
#   (spelling, common words, spacing) carries over to text it has never seen.
#   It stays a few tenths of a nat above the training curve. That gap is not
#   memorising: no window has been trained on twice yet.

# %%
windows_per_pass = len(train_text.text) // (16 * 32)
print(f"one pass over the training text: {windows_per_pass} steps; this run: {STEPS}")
assert windows_per_pass > STEPS
if not FAST:
    assert last[1] < np.log(unigram) < first[1], (first, last, unigram)

# %% [markdown]
# Then where does the gap come from? From the text: some parts of the
# documentation are harder to predict than others. The model has read only
# the first `STEPS × 32` characters of each of its 16 streams, so the rest of
# the *training* text is as new to it as the held-out part. Its loss on four
# such unread pieces of 5 000 characters:

# %%
stream_length = len(train_text.text) // 16
read = STEPS * 32
unread = []
for b in (0, 5, 10, 15):
    start = b * stream_length + read + 1000
    piece = rnn.data.CharDataset.from_text(train_text.text[start : start + 5000], vocab=data.vocab)
    unread.append(rnn.evaluate(model, piece))
print("unread training text:", np.round(unread, 3), f"  held-out text: {last[1]:.3f}")
if not FAST:
    assert min(unread) < last[1] < max(unread), (unread, last)

# %% [markdown]
# Unseen pieces of the training text spread over a few tenths of a nat, and
# the held-out text falls inside that spread: for the model it is just more
# unseen text. Trained for several passes, the training loss would fall
# below all of these while the validation loss stopped falling; that gap is
# the one that means memorising.

# %% [markdown]
# ## Sampling and temperature
#
# To generate text, feed a prefix, turn the last logits o into probabilities,
# draw a character, feed it back, and repeat. The *temperature* τ divides the
# logits first: p = softmax(o / τ). τ < 1 sharpens the distribution (towards
# always picking the most likely character), τ > 1 flattens it. Here is the
# distribution of the character after "The memor" at three temperatures,
# with its entropy (in nats: ln 94 ≈ 4.5 is a uniform guess, 0 a certainty):

# %%
with mg.no_grad():
    logits, _ = model(data.vocab.encode("The memor").reshape(-1, 1))
last_logits = logits[-1, 0]
entropies = []
for tau in (0.5, 1.0, 1.5):
    p = (last_logits / tau).softmax().data
    entropies.append(float(-(p * np.log(p)).sum()))
    top = np.argsort(p)[::-1][:3]
    shown = ", ".join(f"{data.vocab.decode(np.array([i]))!r}: {p[i]:.2f}" for i in top)
    print(f"τ = {tau}: entropy {entropies[-1]:.2f};  top three {shown}")
assert entropies[0] < entropies[1] < entropies[2]

# %% [markdown]
# `model.sample(prefix, n, temperature, seed=...)` does the whole loop:

# %%
for tau in (0.5, 1.0, 1.5):
    print(f"--- τ = {tau}\nThe {model.sample('The ', 160, temperature=tau, seed=2)}")

# %% [markdown]
# What changes with τ can be counted. For a longer sample at each
# temperature: the share of its words that occur somewhere in the training
# text (real words, not invented ones; `rnn.evaluation.word_share` counts
# the tokens made only of letters, three or more), and the share of distinct
# four-character pieces among all of them (low: the text repeats itself).


# %%
def sample_statistics(tau, n=1500):
    text = model.sample("The ", n, temperature=tau, seed=2)
    real = rnn.evaluation.word_share([text], train_text.text)
    pieces = [text[i : i + 4] for i in range(len(text) - 3)]
    return real, len(set(pieces)) / len(pieces)


statistics = {tau: sample_statistics(tau) for tau in (0.5, 1.0, 1.5)}
for tau, (real, distinct) in statistics.items():
    print(f"τ = {tau}: {real:.0%} real words, {distinct:.0%} distinct 4-character pieces")

# %% [markdown]
# After the full training run, lower temperature gives more real words and
# more repetition (the same safe words and phrases again and again), higher
# temperature more variety and more invented words. The asserts below hold
# for this run; with `MINIGRAD_FAST=1` the model has trained for only a few
# steps, all three samples are mostly noise and they are not checked (the
# entropies above still show τ sharpening or flattening the same
# distribution).

# %%
if not FAST:
    real_words = [statistics[tau][0] for tau in (0.5, 1.0, 1.5)]
    distinct = [statistics[tau][1] for tau in (0.5, 1.0, 1.5)]
    assert real_words[0] > real_words[1] > real_words[2], real_words
    assert distinct[0] < distinct[1] < distinct[2], distinct

# %% [markdown]
# ## Checkpoints: save and load
#
# `rnn.train` wrote `figures/char_rnn.npz`: the weights, the model's configuration
# (sizes, activation, vocabulary), the optimizer's state and the history, in
# one `.npz` file (numpy arrays plus JSON; no pickled code). `rnn.load_model`
# rebuilds the model from it. (`minigrad.save(model, path)` and
# `minigrad.load(path, into=model)` do the same for any model.)

# %%
restored, checkpoint = rnn.load_model(OUT / "char_rnn.npz")
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
# of `steps` steps. It must be given the same data: `train_text`, the text
# the first run read. (The whole corpus `data` would be cut into other
# windows, and from the resumed step on the model would read the held-out
# text it is measured on.)
# The checkpoint also knows which held-out text it was validated on and
# refuses another, so the held-out text stays unseen.

# %%
more = rnn.train(
    restored,
    train_text,
    steps=STEPS + 10,
    checkpoint=OUT / "char_rnn.npz",
    resume=True,
    progress=False,
    validation=validation,
    eval_every=5 if FAST else 50,
)
print(f"history now has {len(more)} steps; last loss {more.loss[-1]:.3f}")

# %% [markdown]
# "Exactly" can be checked: a fresh model with the same seed, trained the
# same `STEPS + 10` steps in one go, ends with the same weights, bit for bit,
# and the same loss at every step. (The validation runs and samples of the
# first run read the model without changing it.)

# %%
straight = rnn.RNN(data.vocab.size, 64, data.vocab.size, vocab=data.vocab.to_list(), seed=0)
in_one_go = rnn.train(
    straight, train_text, steps=STEPS + 10, bptt=32, batch_size=16, lr=1e-2, progress=False
)
same_weights = all(
    np.array_equal(p.data, q.data)
    for p, q in zip(restored.parameters(), straight.parameters(), strict=True)
)
print(
    f"stopped and resumed = in one go: weights {same_weights}, losses {more.loss == in_one_go.loss}"
)
assert same_weights and more.loss == in_one_go.loss

# %% [markdown]
# ## A model that writes words
#
# A few hundred steps of a small RNN give a perplexity above ten, and
# samples that only look like words. Far more training and a larger gated
# model (an LSTM, tutorial 10) do much better. One such model ships with the
# package, `rnn.pretrained.PYDOC_LSTM`: hidden size 256, trained on the same
# `train_text` for 3000 steps of 32 × 64 characters with `make speaker` (two
# `python -m rnn train` runs, Adam at 0.003 then 0.001; 17 minutes on one
# core of a busy machine: too long for a tutorial, so it is trained once and
# loaded here like any checkpoint). It has never read the held-out part
# either.

# %%
from rnn.pretrained import PYDOC_LSTM

speaker, card = rnn.load_model(PYDOC_LSTM)
print(
    f"{type(speaker).__name__}, hidden {speaker.cell.hidden_size}, {speaker.dtype}, "
    f"{speaker.num_parameters()} parameters, {card.metadata['step']} steps of "
    f"{card.metadata['batch_size']} x {card.metadata['bptt']} characters"
)
assert speaker.vocab == data.vocab.to_list()  # the same characters, the same ids
ours, shipped = (np.exp(rnn.evaluate(m, held_out)) for m in (model, speaker))
print(
    f"perplexity on all {len(held_out.text)} held-out characters: {shipped:.2f} (ours: {ours:.1f})"
)
assert shipped <= 4.5

# %% [markdown]
# Its samples at τ = 0.5, and the share of their words that occur in the
# training text, counted as above:


# %%
def samples_at_half(m, count=8):
    """``count`` samples of 400 characters after "The " at τ = 0.5, seeds 0, 1, ..."""
    return ["The " + m.sample("The ", 400, temperature=0.5, seed=s) for s in range(count)]


speaker_samples = samples_at_half(speaker)
for text in speaker_samples[:2]:
    print(f"---\n{text}")
share, ours = (
    rnn.evaluation.word_share(samples, train_text.text)
    for samples in (speaker_samples, samples_at_half(model))
)
print(f"---\nreal words at τ = 0.5: {share:.0%} (ours: {ours:.0%})")
assert share >= 0.85

# %% [markdown]
# The words are real and mostly spelled right, the markup (quotes, indented
# blocks) looks like the documentation's, and the sentences do not mean
# much: a character model of this size learns spelling, common phrases and
# layout, not what the text is about.

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
    report = Report("check_greedy: your text against rerunning the model on all of it")
    report.condition("30 characters", len(got) == 30, 30, len(got))
    report.condition(
        "character 1, after the prefix", got[:1] == expected[:1], expected[:1], got[:1]
    )
    wrong = next((i for i in range(1, 30) if got[i : i + 1] != expected[i]), None)
    report.condition(
        "characters 2 … 30, each fed back",
        wrong is None,
        wrong and f"{expected[wrong]!r} at character {wrong + 1}",
        wrong and repr(got[wrong : wrong + 1]),
    )
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/training_a_character_model.py`) instead.

# %%
greedy = None  # your answer here

# %%
check_greedy(greedy)
