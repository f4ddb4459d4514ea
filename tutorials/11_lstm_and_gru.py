# %% [markdown]
# # 11. LSTM and GRU: gates against vanishing gradients
#
# **You will learn**
#
# - the LSTM and GRU steps, written from the same primitives as the RNN
#   (matmul, add, sigmoid, tanh, elementwise product, slicing);
# - the backward pass of one LSTM step, by hand (the exercise after it);
# - why their *additive* memory can carry the gradient back much further
#   than the RNN's repeated multiplication by W;
# - which of them learns the copy task, where the answer depends on inputs
#   seen many steps earlier: recall accuracy against chance;
# - how much gradient reaches those inputs, at initialisation and after
#   training: the learned gates open the path.
#
# You need tutorials 5–8 and 10 (gradient descent, the RNN step, BPTT,
# vanishing gradients, training). The letters are tutorial 6's: a_t for the
# pre-activation, h_t the hidden state, o_t = V h_t + c the logits, H the
# hidden size.

# %%
import os
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import minigrad as mg
import rnn
from minigrad import optim

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report, central_differences  # the exercise checks' table
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
#     a_t = U x_t + W h_{t-1} + b              (4 blocks: a_i, a_f, a_g, a_o)
#     i   = σ(a_i)     input gate: how much new content to write
#     f   = σ(a_f)     forget gate: how much of the old cell to keep
#     g   = tanh(a_g)  the candidate content
#     o   = σ(a_o)     output gate: how much of the cell to show
#     c_t = f ⊙ c_{t-1} + i ⊙ g
#     h_t = o ⊙ tanh(c_t)
#
# σ is the sigmoid 1 / (1 + e^(-a)), between 0 and 1: a gate is a soft switch.
# In minigrad the four blocks are stacked in U (4H × input), W (4H × H) and
# b (4H). The output is read from h_t as before, o_t = V h_t + c. Mind the
# two c's: c_t, with its time index, is the cell; c alone is the output bias.

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
H = 2
a_t = x_t @ lstm.U.T + h_prev @ lstm.W.T + lstm.b
i, f = a_t[:, :H].sigmoid(), a_t[:, H : 2 * H].sigmoid()
g, o = a_t[:, 2 * H : 3 * H].tanh(), a_t[:, 3 * H :].sigmoid()
c_t = f * c_prev + i * g
h_t = o * c_t.tanh()
(h_model, c_model), _ = lstm.step(x_t, (h_prev, c_prev))
print("h_t:", h_t.data, " model:", h_model.data)
print("c_t:", c_t.data, " model:", c_model.data)
assert np.allclose(h_t.data, h_model.data) and np.allclose(c_t.data, c_model.data)

# %% [markdown]
# ## Exercise: the LSTM step's backward, by hand
#
# Backward through one LSTM step is a chain rule with many small links; done
# once by hand, it shows where every gradient goes. Write
# `lstm_step_backward(x, h_prev, c_prev, U, W, b, dh, dc)` in plain numpy:
# given the step's inputs (arrays, row form, gate blocks i, f, g, o) and the
# gradients dh = dL/dh_t and dc = dL/dc_t arriving from above and from the
# next step, return a dict with the gradients "x", "h_prev", "c_prev", "U",
# "W", "b". Recompute the forward first and keep i, f, g, o and c_t. Then,
# with δq for dL/dq:
#
# - c_t reaches L directly (dc) and through h_t = o ⊙ tanh(c_t):
#   δc_t = dc + dh ⊙ o ⊙ (1 - tanh²(c_t));
# - from c_t = f ⊙ c_{t-1} + i ⊙ g and h_t, the gates: δo, δf, δi, δg, and
#   δc_{t-1};
# - through each gate's squashing (σ' = σ(1 - σ), tanh' = 1 - tanh²) to the
#   four blocks of δa_t, stacked back as (B, 4H);
# - then a_t = x_t Uᵀ + h_{t-1} Wᵀ + b gives the rest, as in tutorial 7.
#
# The check compares every gradient with minigrad's backward through
# `LSTM.step` and with central differences, from the cell back to the input.


# %%
def check_lstm_step_backward(lstm_step_backward):
    lstm_step_backward = answer_or_solution(
        lstm_step_backward, "lstm_and_gru", "lstm_step_backward"
    )
    report = Report(
        "check_lstm_step_backward: your backward against minigrad and central differences"
    )
    model = rnn.LSTM(input_size=3, hidden_size=4, output_size=2, seed=2)
    rng = np.random.default_rng(2)
    arrays = {
        "x": rng.standard_normal((2, 3)),
        "h_prev": rng.standard_normal((2, 4)),
        "c_prev": rng.standard_normal((2, 4)),
    }
    dh, dc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))

    def loss(inputs):  # L = Σ dh ⊙ h_t + Σ dc ⊙ c_t, so dL/dh_t = dh and dL/dc_t = dc
        (h_t, c_t), _ = model.step(inputs["x"], (inputs["h_prev"], inputs["c_prev"]))
        return (h_t * dh).sum() + (c_t * dc).sum()

    inputs = {name: mg.Tensor(a, requires_grad=True) for name, a in arrays.items()}
    loss(inputs).backward()
    expected = {name: t.grad.data for name, t in inputs.items()}
    expected |= {name: getattr(model, name).grad.data for name in ("U", "W", "b")}

    def loss_now():
        with mg.no_grad():
            return loss({name: mg.Tensor(a) for name, a in arrays.items()}).item()

    params = {name: getattr(model, name).data for name in ("U", "W", "b")}
    got = lstm_step_backward(
        *(a.copy() for a in arrays.values()), *(p.copy() for p in params.values()), dh, dc
    )
    for name in ("c_prev", "h_prev", "W", "b", "U", "x"):
        numeric = central_differences(loss_now, {**arrays, **params}[name])
        report.compare(f"dL/d{name}", got[name], expected[name], numeric=numeric)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/lstm_and_gru.py`) instead.

# %%
lstm_step_backward = None  # your answer here

# %%
check_lstm_step_backward(lstm_step_backward)

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
# hidden state directly, with three blocks r, z and the candidate h̃ (each
# block of U, W, b named by its letter):
#
#     r   = σ(U_r x_t + b_r + W_r h_{t-1})             reset gate
#     z   = σ(U_z x_t + b_z + W_z h_{t-1})             update gate
#     h̃_t = tanh(U_h̃ x_t + b_h̃ + r ⊙ (W_h̃ h_{t-1}))   candidate
#     h_t = (1 - z) ⊙ h̃_t + z ⊙ h_{t-1}
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
top = max(2.0, 1.05 * max(loss for curve in curves.values() for _, loss, _ in curve))
ax_loss.set(xlabel="training step", ylabel="recall loss (held out)", ylim=(0, top))
ax_acc.set(xlabel="training step", ylabel="recall accuracy (%)", ylim=(-4, 104))  # 0 % in full
ax_loss.legend()
ax_acc.legend()
fig.suptitle(f"copy task: recall {LENGTH} symbols after {DELAY} blanks")
fig.tight_layout()
fig.savefig(OUT / "11_copy_task.png", dpi=120)
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
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
axes[0].set_ylabel("‖dL_recall / dh_t‖ (log scale)")
fig.tight_layout()
fig.savefig(OUT / "11_profiles.png", dpi=120)
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
# Write `gru_step(x, h_prev, U, W, b, H)` for hidden size H, following the GRU
# equations above, in row form. U, W, b hold the blocks r, z, h̃ stacked in
# that order: rows [0, H) are r, [H, 2H) are z, [2H, 3H) are h̃. Careful: the
# reset gate multiplies W_h̃ h_{t-1} only, *after* the matrix product. The
# check compares h_t with `GRU.step`, then the gradients of your graph with
# the GRU's own, from h_{t-1} to U.


# %%
def check_gru_step(gru_step):
    gru_step = answer_or_solution(gru_step, "lstm_and_gru", "gru_step")
    report = Report("check_gru_step: your GRU step against GRU.step and its backward")
    gru = rnn.GRU(3, 2, 3, seed=1)
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((2, 3)))
    weights = rng.standard_normal((2, 2))  # L = Σ weights ⊙ h_t, so dL/dh_t = weights
    grads = {}
    for who, step in (
        ("mine", lambda h: gru_step(x, h, gru.U, gru.W, gru.b, 2)),
        ("GRU", lambda h: gru.step(x, h)[0]),
    ):
        h_prev = mg.Tensor(np.linspace(-0.8, 0.9, 4).reshape(2, 2), requires_grad=True)
        gru.zero_grad()
        h_t = step(h_prev)
        (h_t * weights).sum().backward()
        grads[who] = {"h_t": h_t.data, "dL/dh_{t-1}": h_prev.grad.data}
        grads[who] |= {f"dL/d{p}": getattr(gru, p).grad.data.copy() for p in ("W", "b", "U")}
    for name, expected in grads["GRU"].items():
        report.compare(name, grads["mine"][name], expected)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/lstm_and_gru.py`) instead.

# %%
gru_step = None  # your answer here

# %%
check_gru_step(gru_step)
