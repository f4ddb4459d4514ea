# %% [markdown]
# # 6. One step of a recurrent network
#
# **You will learn**
#
# - the two equations of the textbook recurrent network (RNN) and the role
#   of its three weight matrices U, W, V and two biases b, c;
# - the shapes of all of them, and how a batch of inputs is laid out;
# - the two usual choices of the hidden activation g1 (tanh or ReLU), and the
#   softmax output g2 that turns scores into probabilities;
# - how `rnn.RNN.step` computes one step — checked against the equations
#   written out by hand — and what its graph looks like.
#
# You need tutorials 1–4 (tensors, graphs, backward, gradcheck).

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
from minigrad.viz import draw

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## The equations
#
# A recurrent network reads a sequence x_1, x_2, ..., x_T one element at a
# time. It carries a **hidden state** h_t, a vector that summarises what it
# has read so far (h_0 = 0 before the first input). At every step:
#
#     a_t = U x_t + W h_{t-1} + b        the pre-activation
#     h_t = g1(a_t)                      the new memory
#     o_t = V h_t + c                    the logits: one score per class
#     y_t = g2(o_t) = softmax(o_t)       the probabilities
#     L_t = -log y_t[target_t]           the loss of this step
#
# With H the hidden size:
#
# - U (H × input) maps the input into the hidden space;
# - W (H × H) carries the previous hidden state forward;
# - V (output × H) reads the output from the hidden state;
# - b (H) and c (output) are biases.
#
# These names hold in every tutorial that follows.
#
# The same U, W, V, b, c are used at **every** time step: the network has one
# set of weights however long the sequence is. Tutorial 7 follows what that
# sharing means for the gradients.

# %%
model = rnn.RNN(input_size=3, hidden_size=4, output_size=2, seed=0)
for name in ("U", "W", "V", "b", "c"):
    print(f"{name}: shape {getattr(model, name).shape}")
print("parameters in total:", model.num_parameters())

# %% [markdown]
# The textbook draws this network as one *recurrent unit*: the input x enters
# the hidden state h through U, h feeds itself through W (the loop: the
# h_{t-1} of the next step), and the output y reads h through V.
# `rnn.diagram(model, xs, view="folded")` draws exactly that from a live
# model, with the shapes of its weights on the arrows. `xs` is any input
# sequence of the model's shape (T, B, input); here one step of a batch of
# one.

# %%
folded = rnn.diagram(model, np.zeros((1, 1, 3)), view="folded")
folded.save(OUT / "06_folded.svg")
folded

# %% [markdown]
# ## Batches are rows
#
# We usually process several sequences at once, a *batch* of B. The inputs of
# one step are then a (B, input) matrix with one row per sequence, and the
# hidden states a (B, H) matrix. For row vectors, "U x" is written
# x @ Uᵀ, so one step reads, row by row,
#
#     h_t = g1(x_t @ Uᵀ + h_{t-1} @ Wᵀ + b)          (B, H)
#     o_t = h_t @ Vᵀ + c                             (B, output): the *logits*
#
# Let's take one step by hand for a batch of B = 2 inputs, starting from h_0 = 0.

# %%
x_t = mg.Tensor([[1.0, 0.5, -1.0], [0.0, 2.0, 0.3]], name="x_t")
h_prev = mg.Tensor(np.zeros((2, 4)), name="h0")
U, W, V, b, c = model.U, model.W, model.V, model.b, model.c

a_t = x_t @ U.T + h_prev @ W.T + b  # pre-activation
h_t = a_t.tanh()
o_t = h_t @ V.T + c
print("a_t", a_t.shape, "\n", a_t.data.round(4))
print("h_t", h_t.shape, "\n", h_t.data.round(4))
print("o_t", o_t.shape, "\n", o_t.data.round(4))

# %% [markdown]
# `model.step(x_t, h_prev)` does exactly this and returns the new hidden state
# and the logits:

# %%
h_model, o_model = model.step(x_t, h_prev)
print(
    "same h_t:",
    np.allclose(h_model.data, h_t.data),
    " same o_t:",
    np.allclose(o_model.data, o_t.data),
)

# %% [markdown]
# ## g1: tanh or ReLU
#
# The hidden activation squashes the pre-activation a_t elementwise:
#
# - tanh(a) lies in (-1, 1); its derivative 1 - tanh(a)² is at most 1 and
#   tends to 0 when |a| is large (the unit *saturates*);
# - relu(a) = max(a, 0) is unbounded; its derivative is exactly 1 for a > 0
#   and 0 for a < 0.
#
# These derivatives multiply the gradient at every step of backpropagation
# through time, which is why the choice matters so much (tutorial 8).

# %%
a = mg.Tensor(np.linspace(-4, 4, 201), requires_grad=True)
curves = {}
for name in ("tanh", "relu"):
    a.zero_grad()
    out = getattr(a, name)()
    out.sum().backward()  # d sum(g(a)) / d a_i = g'(a_i)
    curves[name] = (out.data, a.grad.data.copy())

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
for ax, (name, (value, slope)) in zip(axes, curves.items(), strict=True):
    ax.plot(a.data, value, label=f"{name}(a)")
    ax.plot(a.data, slope, "--", label=f"{name}'(a)")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_title(name)
    ax.set_xlabel("a")
    ax.legend()
fig.tight_layout()
fig.savefig(OUT / "06_activations.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "06_activations.png")
fig

# %% [markdown]
# A ReLU network is built with `activation="relu"`; everything else is the same.

# %%
relu_model = rnn.RNN(3, 4, 2, activation="relu", seed=0)
h_relu, _ = relu_model.step(x_t, h_prev)
print("relu h_t:\n", h_relu.data.round(4), "\n(no negative entries)")

# %% [markdown]
# ## g2: softmax
#
# The output layer gives one score per class, the logits o_t. The softmax
# turns them into probabilities:
#
#     y_t[k] = exp(o_t[k]) / Σ_j exp(o_t[j])
#
# Every entry is positive and each row sums to 1. (minigrad subtracts the row
# maximum before exponentiating: the result is the same and nothing overflows.)

# %%
y_t = o_t.softmax(axis=-1)
print("y_t =\n", y_t.data.round(4))
print("row sums:", y_t.data.sum(axis=1))

# %% [markdown]
# ## The loss of one step
#
# For a target class k the loss is the negative log-probability the network
# gave it, -log y_t[k] (cross-entropy). `mg.cross_entropy(logits, targets)`
# computes its mean over the batch straight from the logits, which is more
# stable than taking the log of a softmax.

# %%
targets = np.array([1, 0])
loss = mg.cross_entropy(o_t, targets)
by_hand = -np.log(y_t.data[[0, 1], targets]).mean()
print(f"loss = {loss.item():.6f}   by hand: {by_hand:.6f}")

# %% [markdown]
# ## One step, drawn
#
# Here is the whole graph of that step, from the inputs to the loss. U, W, V,
# b, c are the blue leaves; x_t and h_0 are constants. (The `transpose` nodes
# are the Uᵀ, Wᵀ, Vᵀ of the row-vector form.)

# %%
loss.backward()
graph = draw(loss, rankdir="TB")
graph.save(OUT / "06_one_step.svg")
print("saved", OUT / "06_one_step.svg")
print("dL/dW is all zero, because h_0 = 0:", not W.grad.data.any())
graph

# %% [markdown]
# Note that last line: W multiplies h_0 = 0 in the first step, so nothing in
# this step depends on W. W only gets a gradient from the second step on.
#
# ## Token ids instead of vectors
#
# For text, each input is a symbol from a vocabulary of size n, written as a
# one-hot vector e_i (1 at position i, 0 elsewhere). Then U e_i is just column
# i of U, so the model accepts integer token ids and looks that column up
# instead of multiplying by a vector of zeros.

# %%
ids = np.array([2, 0])  # token 2 for the first sequence, token 0 for the second
one_hot = mg.Tensor(np.eye(3)[ids])
h_ids, _ = model.step(ids, h_prev)
h_dense, _ = model.step(one_hot, h_prev)
print("ids give the same step as one-hot vectors:", np.allclose(h_ids.data, h_dense.data))

# %% [markdown]
# ## Exercise: one step's loss from token ids, by hand
#
# Write `step_loss(ids, h_prev, targets, U, W, b, V, c)` returning
# `(h_t, loss)` for a batch of token ids, with minigrad operations, g1 = tanh
# and the loss L = mean over the batch of -log y_t[target_t] — without
# `softmax` or `cross_entropy`, and without building one-hot vectors:
#
# - U x_t for a one-hot x_t is a column of U, so look the columns up by
#   indexing (the rows of Uᵀ, one per id);
# - write log y_t[k] = o_t[k] - log Σ_j exp(o_t[j]) with `exp`, `sum` and
#   `log`, and pick each row's target entry by indexing with two arrays;
# - large logits must not overflow: subtract each row's maximum first (the
#   result does not change — why?).
#
# The check compares h_t and the loss with `model.step` and
# `mg.cross_entropy`, then your graph's gradients with the model's, from the
# loss back to U; last, it gives the logits a size near 1000.


# %%
def check_step_loss(step_loss):
    step_loss = answer_or_solution(step_loss, "one_rnn_step", "step_loss")
    report = Report("check_step_loss: your step and loss against model.step and cross_entropy")
    rng = np.random.default_rng(1)
    model = rnn.RNN(5, 4, 5, seed=1)
    ids, targets = np.array([3, 0, 3]), np.array([1, 4, 2])
    h_prev = mg.Tensor(rng.standard_normal((3, 4)))
    params = [model.U, model.W, model.b, model.V, model.c]
    h_ref, o_ref = model.step(ids, h_prev)
    loss_ref = mg.cross_entropy(o_ref, targets)
    loss_ref.backward()
    expected = {name: getattr(model, name).grad.data.copy() for name in "UWbVc"}
    model.zero_grad()
    h_mine, loss_mine = step_loss(ids, h_prev, targets, *params)
    report.compare("loss L", loss_mine.data, loss_ref.data)
    report.compare("h_t", h_mine.data, h_ref.data)
    loss_mine.backward()
    for name in "cVbWU":
        report.compare(f"dL/d{name}", getattr(model, name).grad.data, expected[name])
    ops = {t.op for t in mg.toposort(loss_mine)}
    used = sorted(ops & {"softmax", "logsoftmax", "crossentropy"}) or "none of them"
    report.condition("softmax/cross_entropy not used", used == "none of them", "none", used)
    model.c.data += 1000.0
    big = step_loss(ids, h_prev, targets, *params)[1].item()
    report.condition("logits near 1000: finite loss", np.isfinite(big), "a number", big)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/one_rnn_step.py`) instead.

# %%
step_loss = None  # your answer here

# %%
check_step_loss(step_loss)
