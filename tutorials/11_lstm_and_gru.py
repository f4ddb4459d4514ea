# %% [markdown]
# # 10. LSTM and GRU: gates against vanishing gradients
#
# **You will learn**
#
# - the LSTM and GRU steps, written from the same primitives as the RNN
#   (matmul, add, sigmoid, tanh, elementwise product, slicing);
# - why their *additive* memory can carry the gradient back much further
#   than the RNN's repeated multiplication by W;
# - which of them learns the copy task, where the answer depends on inputs
#   seen many steps earlier: recall accuracy against chance;
# - how much gradient reaches those inputs, at initialisation and after
#   training: the learned gates open the path.
#
# You need tutorials 5–9 (gradient descent, the RNN step, BPTT, vanishing
# gradients, training).

# %%
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
from minigrad import optim

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"
TRAIN_STEPS = 10 if FAST else 350

# %% [markdown]
# ## The LSTM step
#
# The long short-term memory (LSTM) keeps two states: the hidden state h_t and
# a *cell* c_t. Four *gates* are computed from the same input as the RNN's
# pre-activation, each with its own block of U, W and b:
#
#     z   = U x_t + W h_{t-1} + b              (4 blocks: i, f, g, o)
#     i   = σ(z_i)     input gate: how much new content to write
#     f   = σ(z_f)     forget gate: how much of the old cell to keep
#     g   = tanh(z_g)  the candidate content
#     o   = σ(z_o)     output gate: how much of the cell to show
#     c_t = f ⊙ c_{t-1} + i ⊙ g
#     h_t = o ⊙ tanh(c_t)
#
# σ is the sigmoid 1 / (1 + e^(-z)), between 0 and 1: a gate is a soft switch.
# In minigrad the four blocks are stacked in U (4·hidden × input), W
# (4·hidden × hidden) and b (4·hidden).

# %%
lstm = rnn.LSTM(input_size=3, hidden_size=2, output_size=3, seed=0)
print("U", lstm.U.shape, " W", lstm.W.shape, " b", lstm.b.shape, " V", lstm.V.shape)
print("forget-gate bias starts at", lstm.b.data[2:4], "(keep the cell by default)")

# %% [markdown]
# One step by hand, for a batch of one, from h_0 = c_0 = 0 (row form, as in
# tutorial 6). `lstm.step` takes and returns the state as a pair (h, c):

# %%
x_t = mg.Tensor([[0.5, -1.0, 2.0]])
h_prev = mg.Tensor(np.zeros((1, 2)))
c_prev = mg.Tensor(np.zeros((1, 2)))
n = 2
z = x_t @ lstm.U.T + h_prev @ lstm.W.T + lstm.b
i, f = z[:, :n].sigmoid(), z[:, n : 2 * n].sigmoid()
g, o = z[:, 2 * n : 3 * n].tanh(), z[:, 3 * n :].sigmoid()
c_t = f * c_prev + i * g
h_t = o * c_t.tanh()
(h_model, c_model), _ = lstm.step(x_t, (h_prev, c_prev))
print("h_t:", h_t.data, " model:", h_model.data)
print("c_t:", c_t.data, " model:", c_model.data)
assert np.allclose(h_t.data, h_model.data) and np.allclose(c_t.data, c_model.data)

# %% [markdown]
# ## Why the cell carries gradients
#
# Follow the gradient along the cell: c_t = f ⊙ c_{t-1} + i ⊙ g, so the direct
# path gives
#
#     ∂c_t / ∂c_{t-1} = f      (elementwise)
#
# No multiplication by a matrix W, no squashing derivative: just the forget
# gate. Where f ≈ 1, the gradient passes back unchanged, step after step — and
# f is *learned*, so the network decides what to remember. Compare the RNN,
# where every step multiplies by Wᵀ diag(g1') (tutorial 8).
#
# ## The GRU
#
# The gated recurrent unit (GRU) has no separate cell; it mixes old and new
# hidden state directly, with three blocks r, z, n:
#
#     r   = σ(U_r x_t + b_r + W_r h_{t-1})        reset gate
#     z   = σ(U_z x_t + b_z + W_z h_{t-1})        update gate
#     n   = tanh(U_n x_t + b_n + r ⊙ (W_n h_{t-1}))  candidate
#     h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
#
# Again an additive path: ∂h_t/∂h_{t-1} contains the term z (elementwise).
# You will write this step in the exercise.
#
# ## The copy task
#
# A memory test (`rnn.data.copy_task`): the model reads 3 symbols, then 12
# blanks, then a delimiter, and must then write the 3 symbols back. Until the
# delimiter the right output is always "blank", which is easy; the recall
# needs information from 13+ steps back.

# %%
LENGTH, DELAY, SYMBOLS, HIDDEN = 3, 12, 4, 32
VOCAB_COPY = SYMBOLS + 2  # blank, 4 symbols, delimiter
inputs, targets = rnn.data.copy_task(
    batch_size=1, rng=0, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS
)
print("inputs :", inputs[:, 0])
print("targets:", targets[:, 0])
test_x, test_y = rnn.data.copy_task(256, 123, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS)
MODELS = (("RNN", rnn.RNN), ("LSTM", rnn.LSTM), ("GRU", rnn.GRU))

# %% [markdown]
# ## How much gradient reaches the symbols
#
# As in tutorial 8, but with the loss that matters here: the cross-entropy of
# the recall steps only, on the 256 held-out tasks. ‖dL/dh_t‖ at the first
# LENGTH steps is what reaches the symbols; it is read with `retain_grad()`
# from the unrolled graph. Same sizes and inputs for the three models, all
# freshly initialised.


# %%
def recall_loss_of(logits):
    recall = logits[-LENGTH:].reshape(-1, VOCAB_COPY)
    return mg.cross_entropy(recall, test_y[-LENGTH:].reshape(-1))


def recall_profile(model):
    out = model.unroll(test_x)
    for h in out.steps:
        h.retain_grad()
    recall_loss_of(out.logits).backward()
    model.zero_grad()
    return np.array([np.linalg.norm(h.grad.data) for h in out.steps])


models = {name: cls(VOCAB_COPY, HIDDEN, VOCAB_COPY, seed=0) for name, cls in MODELS}
at_init = {name: recall_profile(model) for name, model in models.items()}
DELIMITER = LENGTH + DELAY + 1  # the step that reads the delimiter
kept = {name: p[0] / p[DELIMITER - 1] for name, p in at_init.items()}
for name, profile in at_init.items():
    print(
        f"{name:4}: ‖dL/dh_1‖ = {profile[0]:.1e}, ‖dL/dh_{DELIMITER}‖ = "
        f"{profile[DELIMITER - 1]:.1e}: {kept[name]:.3f} of it survives the delay"
    )
assert kept["LSTM"] > kept["RNN"] > kept["GRU"]

# %% [markdown]
# At initialisation the gradient fades on its way back from the recall steps
# in all three. Over the delay the LSTM keeps the largest share of it (its
# forget gates start open: bias 1, σ(1) ≈ 0.73), the RNN less, and the GRU the
# least: its update gate starts near σ(0) = 0.5, so its additive path halves
# the gradient at every step. But the gates are learned. Training will show
# whether they open.
#
# ## Training, and measuring recall
#
# `rnn.train` accepts any iterable of (inputs, targets) batches; here an
# endless stream of fresh copy tasks. We train in rounds of `EVERY` steps
# with one Adam optimizer (so its state carries over), and after each round
# measure, on the held-out tasks, the recall loss and the recall accuracy
# (the fraction of recalled symbols that are right). A model that learned
# nothing about the symbols can do no better than guessing one of 4: loss
# ln 4 ≈ 1.386, accuracy 25%.


# %%
def copy_batches(seed):
    generator = np.random.default_rng(seed)
    while True:
        yield rnn.data.copy_task(32, generator, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS)


def recall_scores(model):
    with mg.no_grad():
        logits, _ = model(test_x)
    guesses = logits.data[-LENGTH:].argmax(axis=-1)
    return recall_loss_of(logits).item(), float((guesses == test_y[-LENGTH:]).mean())


EVERY = 5 if FAST else 50
curves = {}
for name, model in models.items():
    opt = optim.Adam(model.parameters(), lr=1e-2)
    batches = copy_batches(0)
    curves[name] = [(0, *recall_scores(model))]
    for done in range(EVERY, TRAIN_STEPS + 1, EVERY):
        rnn.train(model, batches, steps=EVERY, optimizer=opt, clip=1.0, progress=False)
        curves[name].append((done, *recall_scores(model)))
    print(
        f"{name:4}: recall loss {curves[name][-1][1]:.3f} (chance {np.log(4):.3f}),  "
        f"accuracy {curves[name][-1][2]:.0%} (chance 25%)"
    )

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, curve in curves.items():
    steps, loss, accuracy = np.array(curve).T
    ax_loss.plot(steps, loss, "o-", ms=3, label=name)
    ax_acc.plot(steps, 100 * accuracy, "o-", ms=3, label=name)
ax_loss.axhline(np.log(4), ls="--", c="grey", label="chance: ln 4")
ax_acc.axhline(25, ls="--", c="grey", label="chance: 25%")
ax_loss.set(xlabel="training step", ylabel="recall loss (held out)", ylim=(0, 2))
ax_acc.set(xlabel="training step", ylabel="recall accuracy (%)", ylim=(0, 100))
ax_loss.legend()
ax_acc.legend()
fig.suptitle(f"copy task: recall {LENGTH} symbols after {DELAY} blanks")
fig.tight_layout()
fig.savefig(OUT / "10_copy_task.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# After the full training run the vanilla RNN stays at chance on the recall
# steps: it learns to output blanks, but the gradient from the recall steps
# has vanished long before it reaches the symbols. The LSTM and the GRU get
# well above chance (the GRU furthest, in this run). (With `MINIGRAD_FAST=1`
# the models train for only a few steps and none of them has learned
# anything yet.)

# %%
final = {name: curve[-1] for name, curve in curves.items()}
if not FAST:
    assert final["RNN"][2] < 0.30, final["RNN"]
    assert min(final["LSTM"][2], final["GRU"][2]) > 0.35, final
    assert final["GRU"][2] > final["LSTM"][2] > final["RNN"][2], final

# %% [markdown]
# ## The gates after training
#
# Now the profiles again, on the trained models, next to those at
# initialisation. The shaded band is where the symbols are read.

# %%
trained = {name: recall_profile(model) for name, model in models.items()}
for name in models:
    growth = trained[name][:LENGTH].mean() / at_init[name][:LENGTH].mean()
    print(f"{name:4}: gradient reaching the symbols ×{growth:.3g} after training")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, (title, profiles) in zip(
    axes, (("at initialisation", at_init), ("after training", trained)), strict=True
):
    for name, profile in profiles.items():
        ax.semilogy(range(1, len(profile) + 1), profile, "o-", ms=3, label=name)
    ax.axvspan(0.5, LENGTH + 0.5, color="grey", alpha=0.2, lw=0, label="the symbols")
    ax.set(title=title, xlabel="time step t")
    ax.legend()
axes[0].set_ylabel("‖dL_recall / dh_t‖ (log scale)")
fig.tight_layout()
fig.savefig(OUT / "10_profiles.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# Training pushed the gates open where memory pays off: the gradient that
# reaches the symbols grew for the LSTM and the GRU, and their profiles
# flattened. The RNN has no such path to open: its gradient at the symbols
# fell, as W learned to serve the blanks.

# %%
if not FAST:
    for name in ("LSTM", "GRU"):
        assert trained[name][:LENGTH].mean() > at_init[name][:LENGTH].mean(), name

# %% [markdown]
# ## Exercise: a GRU step from primitives
#
# Write `gru_step(x, h_prev, U, W, b, n)` for hidden size n, following the GRU
# equations above, in row form. U, W, b hold the blocks r, z, n stacked in
# that order: rows [0, n) are r, [n, 2n) are z, [2n, 3n) are n. Careful: the
# reset gate multiplies W_n h_{t-1} only, *after* the matrix product. The
# check compares with `GRU.step` and runs `gradcheck` with respect to all
# three parameters.


# %%
def check_gru_step(gru_step):
    gru_step = answer_or_solution(gru_step, "lstm_and_gru", "gru_step")
    gru = rnn.GRU(3, 2, 3, seed=1)
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((2, 3)))
    h_prev = mg.Tensor(rng.standard_normal((2, 2)))
    mine = gru_step(x, h_prev, gru.U, gru.W, gru.b, 2)
    expected, _ = gru.step(x, h_prev)
    assert np.allclose(mine.data, expected.data), (
        f"h_t: expected (GRU.step)\n{expected.data}\ngot\n{mine.data}"
    )
    mg.gradcheck(lambda U, W, b: gru_step(x, h_prev, U, W, b, 2), gru.U, gru.W, gru.b)
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/lstm_and_gru.py`) instead.

# %%
gru_step = None  # your answer here

# %%
check_gru_step(gru_step)
