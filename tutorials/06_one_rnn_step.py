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
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## The equations
#
# A recurrent network reads a sequence x_1, x_2, ..., x_T one element at a
# time. It carries a **hidden state** h_t, a vector that summarises what it
# has read so far (h_0 = 0 before the first input). At every step:
#
#     h_t = g1(U x_t + W h_{t-1} + b)        the new memory
#     y_t = g2(V h_t + c)                    the output at this step
#
# - U (hidden × input) maps the input into the hidden space;
# - W (hidden × hidden) carries the previous hidden state forward;
# - V (output × hidden) reads the output from the hidden state;
# - b (hidden) and c (output) are biases.
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
# hidden states a (B, hidden) matrix. For row vectors, "U x" is written
# x @ Uᵀ, so one step reads, row by row,
#
#     h_t = g1(x_t @ Uᵀ + h_{t-1} @ Wᵀ + b)          (B, hidden)
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
# ## Exercise: write the step yourself
#
# Write `rnn_step(x, h_prev, U, W, b, V, c)` returning `(h, probabilities)`
# for a batch of rows, with minigrad operations and g1 = tanh, g2 = softmax.
# The check compares it with `model.step` and runs `gradcheck` on the
# probabilities with respect to U, W and b, starting from a nonzero h_prev so
# that W matters.


# %%
def check_rnn_step(rnn_step):
    rnn_step = answer_or_solution(rnn_step, "one_rnn_step", "rnn_step")
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((2, 3)))
    h_prev = mg.Tensor(rng.standard_normal((2, 4)))
    model = rnn.RNN(3, 4, 2, seed=1)
    U, W, b, V, c = model.U, model.W, model.b, model.V, model.c
    h_mine, p_mine = rnn_step(x, h_prev, U, W, b, V, c)
    h_ref, o_ref = model.step(x, h_prev)
    p_ref = o_ref.softmax(axis=-1).data
    assert np.allclose(h_mine.data, h_ref.data), (
        f"h_t: expected (model.step)\n{h_ref.data}\ngot\n{h_mine.data}"
    )
    assert np.allclose(p_mine.data, p_ref), f"y_t: expected\n{p_ref}\ngot\n{p_mine.data}"
    mg.gradcheck(lambda U, W, b: rnn_step(x, h_prev, U, W, b, V, c)[1], U, W, b)
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/one_rnn_step.py`) instead.

# %%
rnn_step = None  # your answer here

# %%
check_rnn_step(rnn_step)
