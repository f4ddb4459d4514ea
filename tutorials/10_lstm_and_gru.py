# %% [markdown]
# # 10. LSTM and GRU: gates against vanishing gradients
#
# **You will learn**
#
# - the LSTM and GRU steps, written from the same primitives as the RNN
#   (matmul, add, sigmoid, tanh, elementwise product, slicing);
# - why their *additive* memory can carry the gradient back much further
#   than the RNN's repeated multiplication by W;
# - how to compare the ‖dL/dh_t‖ profiles of RNN, LSTM and GRU;
# - which of them learns the copy task, where the answer depends on inputs
#   seen many steps earlier.
#
# You need tutorials 5–9 (gradient descent, the RNN step, BPTT, vanishing gradients, training).

# %%
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
import rnn.plots

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"
TRAIN_STEPS = 20 if FAST else 1000

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
# ## Gradient profiles
#
# As in tutorial 8: a loss on the last step only, and ‖dL/dh_t‖ for every t,
# read with `retain_grad()` from the unrolled graph. Same sizes and inputs for
# the three models, all freshly initialised.

# %%
VOCAB, HIDDEN, T = 6, 32, 60
rng = np.random.default_rng(0)
xs = rng.integers(0, VOCAB, size=(T, 4))
last_targets = rng.integers(0, VOCAB, size=4)


def last_step_profile(model):
    out = model.unroll(xs)
    for h in out.steps:
        h.retain_grad()
    mg.cross_entropy(out.logits[-1], last_targets).backward()
    return np.array([np.linalg.norm(h.grad.data) for h in out.steps])


profiles = {
    name: last_step_profile(cls(VOCAB, HIDDEN, VOCAB, seed=0))
    for name, cls in (("RNN (tanh)", rnn.RNN), ("LSTM", rnn.LSTM), ("GRU", rnn.GRU))
}
for name, p in profiles.items():
    print(f"{name:10}: ‖dL/dh_1‖ / ‖dL/dh_T‖ = {p[0] / p[-1]:.1e}")
rnn.plots.grad_norm_profile(profiles, OUT / "10_profiles.png")
print("saved", OUT / "10_profiles.png")

# %% [markdown]
# At initialisation the LSTM passes more of the gradient back than the RNN,
# and the GRU *less*: its update gate starts near σ(0) = 0.5, so its additive
# path halves the gradient at every step. The profile at initialisation is
# not the whole story, though. The gates are learned: where memory pays off,
# training pushes f (LSTM) or z (GRU) towards 1, and the additive path then
# carries the gradient with hardly any loss. The RNN has no such path to open.
#
# ## The copy task
#
# A memory test (`rnn.data.copy_task`): the model reads 5 symbols, then 20
# blanks, then a delimiter, and must then write the 5 symbols back. Until the
# delimiter the right output is always "blank", which is easy; the recall
# needs information from 20+ steps back.

# %%
LENGTH, DELAY, SYMBOLS = 5, 20, 4
inputs, targets = rnn.data.copy_task(
    batch_size=1, rng=0, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS
)
print("inputs :", inputs[:, 0])
print("targets:", targets[:, 0])
VOCAB_COPY = SYMBOLS + 2  # blank, 4 symbols, delimiter

# %% [markdown]
# `rnn.train` accepts any iterable of (inputs, targets) batches; here an
# endless stream of fresh copy tasks. We measure the loss on the recall steps
# only, on 256 held-out tasks. A model that learned nothing about the symbols
# can do no better than guessing one of 4: ln 4 ≈ 1.386.


# %%
def copy_batches(seed):
    generator = np.random.default_rng(seed)
    while True:
        yield rnn.data.copy_task(32, generator, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS)


test_x, test_y = rnn.data.copy_task(256, 123, length=LENGTH, delay=DELAY, n_symbols=SYMBOLS)


def recall_loss(model):
    with mg.no_grad():
        logits, _ = model(test_x)
    recall = logits[-LENGTH:].reshape(-1, VOCAB_COPY)
    return mg.cross_entropy(recall, test_y[-LENGTH:].reshape(-1)).item()


histories, recall = {}, {}
for name, cls in (("RNN", rnn.RNN), ("LSTM", rnn.LSTM), ("GRU", rnn.GRU)):
    model = cls(VOCAB_COPY, HIDDEN, VOCAB_COPY, seed=0)
    histories[name] = rnn.train(
        model, copy_batches(0), steps=TRAIN_STEPS, optimizer="adam", lr=1e-2, clip=1.0
    )
    recall[name] = recall_loss(model)
    print(f"{name:4}: recall loss {recall[name]:.3f}   (chance: ln 4 = {np.log(4):.3f})")

# %% [markdown]
# The training loss over all steps, and the level a model without memory can
# reach (perfect blanks, chance on the recall steps):

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for name, history in histories.items():
    ax.plot(history.smoothed(25), label=f"{name} (recall loss {recall[name]:.2f})")
steps_total = inputs.shape[0]
ax.axhline(LENGTH * np.log(SYMBOLS) / steps_total, ls="--", c="grey", label="no memory")
ax.set_xlabel("training step")
ax.set_ylabel("loss (moving average)")
ax.set_title(f"copy task: recall {LENGTH} symbols after {DELAY} blanks")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "10_copy_task.png", dpi=120)
plt.close(fig)
print("saved", OUT / "10_copy_task.png")

# %% [markdown]
# With the full training run, the vanilla RNN stays at chance on the recall
# steps: it learns to output blanks, but the gradient from the recall steps
# has vanished long before it reaches the symbols. The LSTM and the GRU get
# below chance (the GRU furthest, in this run): their gates have learned to
# carry the symbols, and the gradient, across the delay.
# (With `MINIGRAD_FAST=1` the models train for only a few steps and none of
# them has learned anything yet.)

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
