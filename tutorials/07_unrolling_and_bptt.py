# %% [markdown]
# # 7. Unrolling in time, and backpropagation through time
#
# **You will learn**
#
# - how a recurrent network over T steps becomes one ordinary graph, the
#   *unrolled* network, in which U, W, V, b, c appear once and are used at
#   every step;
# - that backpropagation through time (BPTT) is nothing but `backward()` on
#   that graph;
# - why the gradient of a shared weight is a **sum over time steps**,
#   dL/dW = Σ_t dL/dW|_t, and how to see each term (`rnn.bptt.contributions`);
# - the BPTT recursion derived by hand, and a check that the engine and the
#   hand derivation (`rnn.reference`, plain numpy) agree.
#
# You need tutorial 6 (one RNN step) and tutorials 2–3 (backward, and "a
# tensor used several times receives the sum").

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
import rnn.reference
from minigrad.viz import draw

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report, central_differences  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## A tiny task: predict the next token
#
# A vocabulary of 5 tokens (0..4). The input sequence is 0, 1, 2, 3 and at
# each step the target is the *next* token, 1, 2, 3, 4. Sequences are
# time-major: shape (T, B) with T = 4 steps and a batch of B = 1.

# %%
xs = np.array([[0], [1], [2], [3]])
targets = np.array([[1], [2], [3], [4]])
model = rnn.RNN(input_size=5, hidden_size=3, output_size=5, seed=0)
print("inputs", xs.shape, xs.ravel(), "  targets", targets.ravel())

# %% [markdown]
# ## Unrolling
#
# Running the network over the sequence is a Python loop of tutorial 6's
# step: h_1 from (x_1, h_0), h_2 from (x_2, h_1), and so on. Every operation
# is recorded, so after the loop we hold one graph for all T steps: the
# *unrolled* network. `model.unroll(xs, per_step=True)` runs that loop,
# each step inside `mg.scope("t=...")`, and returns the logits (T, B, output)
# as `.logits`, the stacked hidden states (T, B, H) as `.hs`, and each
# h_t as a graph node in the list `.steps`.

# %%
out = model.unroll(xs, per_step=True)
print("logits", out.logits.shape, "  hidden states", out.hs.shape)
for h in out.steps:
    print(f"h in scope {h.scope!r}: {h.data.round(3)}")

# %% [markdown]
# The loss is the mean cross-entropy over all T·B positions,
# L = (1/TB) Σ_t Σ_b -log y_t[target]: `rnn.sequence_loss`.

# %%
loss = rnn.sequence_loss(out.logits, targets)
print(f"loss = {loss.item():.4f}   (guessing uniformly: ln 5 = {np.log(5):.4f})")

# %% [markdown]
# ## One set of weights, used at every step
#
# Count the operations of the graph that take each parameter as an input
# (`.inputs`, tutorial 1), and the time steps they sit in. Each parameter is
# used once per time step: U, W and V through a transpose (the row form
# x @ Uᵀ of tutorial 6), b and c through an add.

# %%
nodes = mg.toposort(loss)
for name in ("U", "W", "V", "b", "c"):
    p = getattr(model, name)
    users = [t for t in nodes if any(i is p for i in t.inputs)]
    ops = sorted({t.op for t in users})
    steps = sorted({t.scope for t in users})
    print(f"{name} is used by {len(users)} operations ({', '.join(ops)}), one in each of {steps}")

# %% [markdown]
# The textbook picture of the same thing: the recurrent unit of tutorial 6
# copied once per time step, time running left to right. The inputs x_t are
# the bottom row, the hidden states h_0 … h_4 above them, then the outputs
# y_t and the loss L. Every U arrow carries the same matrix, and so does
# every W and every V: one set of weights, used at every step. Each box shows
# a compact value from the run (a norm, or y_t's probability of its target).

# %%
unrolled = rnn.diagram(model, xs, targets, view="unrolled")
unrolled.save(OUT / "07_unrolled_diagram.svg")
unrolled

# %% [markdown]
# The op-level graph shows every operation behind that picture. Each time
# step is a grey box (the scope), drawn top to bottom; each op sits in one
# box with the tensor it makes, its rule written with the names of what it
# reads. Three things to know to read it:
#
# - **A shared transpose is drawn once.** The graph above holds four
#   transposes of U, one per step, as the count printed; but all four
#   compute the same Uᵀ from the same U, so the picture draws that value
#   once, in the column "used in t=1 … t=4" beside the steps, with U, W, V,
#   b, c. Each step uses a dashed copy of what it takes from the column
#   (`Uᵀ + b`, `Wᵀ`, `Vᵀ`, `c`), instead of an edge from every weight to
#   every step.
# - **`getitem` is U x_t for a token.** The input x_t is a token id, meaning
#   the one-hot vector e_{x_t}; U e_{x_t} is column x_t of U, row x_t of Uᵀ.
#   So the step reads row x_t of the table Uᵀ + b: `(Uᵀ + b)[index]`,
#   a getitem, named `U x_t + b`. Its backward adds the gradient into that
#   row only.
# - **`addmm` is C + A @ B in one op.** The textbook loop drawn here writes
#   the step term by term (`U x_t + b`, `W h_{t−1}`, their sum, tanh). The
#   fast unroll that training uses (`model(xs)`) computes
#   `addmm(U x_t + b, h_{t−1}, Wᵀ)` instead: the same sum in one array
#   (`rnn graph --fast-path` draws it).
#
# h_0 (dashed) is a constant zero, drawn in the first step that uses it.

# %%
graph = draw(loss, values=False, grads=False, rankdir="TB")
graph.save(OUT / "07_unrolled.svg")
print("saved", OUT / "07_unrolled.svg")
graph

# %% [markdown]
# ## BPTT is `backward()`
#
# Nothing special is needed to backpropagate through time: the unrolled graph
# is an ordinary graph, and `loss.backward()` walks it from the loss at the
# end back to h_0, through every step.

# %%
loss.backward()
print("dL/dW =\n", model.W.grad.data.round(5))

# %% [markdown]
# The same backward pass in the textbook's picture, `view="bptt"`: the red
# arrows run backwards, from L to each y_t, into h_t, and from h_t back to
# h_{t-1} through W. Each h_t shows ‖dL/dh_t‖, the norm of the vector sum of
# what arrives from its own output and from the future (so at most the sum
# of its two arrows' numbers: ‖a + b‖ ≤ ‖a‖ + ‖b‖). Under the steps, each
# step's share dL/dW|_t (next section) feeds the node Σ, dL/dW = Σ_t dL/dW|_t,
# which shows ‖W.grad‖ and, for this hidden size of 3, the matrix printed
# above. The darker and wider an arrow, the larger its gradient (pale =
# small; the bar gives the scale).

# %%
backwards = rnn.diagram(model, xs, targets, view="bptt")
backwards.save(OUT / "07_bptt.svg")
norms = rnn.bptt.hidden_grad_norms(model, xs, targets)
print("‖dL/dh_t‖ for t = 1..4:", norms.round(4))
backwards

# %% [markdown]
# ## dL/dW is a sum over time
#
# W is used at every step, so by the rule of tutorial 2 its gradient is the
# sum of what each use sends back:
#
#     dL/dW = Σ_t dL/dW|_t
#
# where dL/dW|_t is the gradient through W's use at step t alone.
# `rnn.bptt.contributions(model, xs, targets)` computes every term: it gives
# each step its own copy of the weights, runs backward, and reads each copy's
# gradient. The result maps each parameter name to an array with a leading
# time axis.

# %%
parts = rnn.bptt.contributions(model, xs, targets)
for name in ("U", "W", "V", "b", "c"):
    total = parts[name].sum(axis=0)
    same = np.allclose(total, getattr(model, name).grad.data)
    norms = [f"{np.linalg.norm(term):.4f}" for term in parts[name]]
    print(f"{name}: ‖dL/d{name}|_t‖ for t=1..4 = {norms}   sum equals .grad: {same}")

# %% [markdown]
# The W term at t = 1 is zero: W multiplies h_0 = 0 there (as in tutorial 6).
# A picture of the four terms of each weight matrix:

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
steps = np.arange(1, len(xs) + 1)
for k, name in enumerate(("U", "W", "V")):
    norms = [np.linalg.norm(term) for term in parts[name]]
    ax.bar(steps + (k - 1) * 0.27, norms, width=0.27, label=f"‖dL/d{name}|_t‖")
ax.set_xticks(steps, [f"t={t}" for t in steps])
ax.set_ylabel("norm of the step's term")
ax.set_title("BPTT: one term per time step in each shared weight's gradient")
ax.margins(y=0.3)
ax.legend(ncol=3, loc="upper center")
fig.tight_layout()
fig.savefig(OUT / "07_contributions.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "07_contributions.png")
fig

# %% [markdown]
# ## The same gradients, derived by hand
#
# Write a_t = U x_t + W h_{t-1} + b (pre-activation), o_t = V h_t + c (logits),
# y_t = softmax(o_t) (probabilities) and N = T·B, as in tutorial 6. Let δq
# stand for dL/dq. Backwards from t = T to 1, with δa_{T+1} = 0:
#
#     δo_t = (y_t - onehot(target_t)) / N          softmax + cross-entropy
#     δh_t = Vᵀ δo_t + Wᵀ δa_{t+1}                 h_t feeds o_t and h_{t+1}
#     δa_t = δh_t ⊙ (1 - h_t²)                     through tanh
#     dV += δo_t h_tᵀ    dc += δo_t
#     dW += δa_t h_{t-1}ᵀ    dU += δa_t x_tᵀ    db += δa_t
#
# The second line is the heart of BPTT: the gradient at h_t has a part from
# this step's output and a part carried back from the future through W. The
# "+=" lines are the sums over time. `rnn.reference` implements exactly these
# lines in numpy, without minigrad; the engine's gradients must match it.

# %%
params = {name: getattr(model, name).data for name in ("U", "W", "V", "b", "c")}
ref_loss, ref_grads = rnn.reference.loss_and_grads(params, xs, targets)
print(f"loss: engine {loss.item():.12f}   by hand {ref_loss:.12f}")
for name, g in ref_grads.items():
    diff = np.abs(g - getattr(model, name).grad.data).max()
    print(f"d{name}: largest difference {diff:.1e}")
    assert diff < 1e-10

# %% [markdown]
# ## Exercise: BPTT by hand
#
# Write `bptt(params, xs, targets)` in plain numpy (without `rnn.reference`):
# the forward pass and every gradient from the δ equations above. `params`
# maps "U", "W", "V", "b", "c" to arrays of the shapes of tutorial 6; `xs` and
# `targets` are token ids of shape (T, B). Return `(loss, grads)`, the mean
# cross-entropy over all T·B positions and a dict with the same keys as
# `params`.
#
# Work in row form, as the model does: one row per sequence, so the input
# x_t is the one-hot rows `np.eye(input_size)[xs[t]]`, a_t = x_t Uᵀ + h_{t-1}
# Wᵀ + b, Vᵀ δo_t becomes `do @ V`, and dW += δa_t h_{t-1}ᵀ becomes
# `da.T @ h_prev`. The check compares your loss and each gradient, from the
# output back to the input weights, with the engine's and with central
# differences of the loss (tutorial 4).


# %%
def check_bptt(bptt):
    bptt = answer_or_solution(bptt, "unrolling_and_bptt", "bptt")
    names = ("U", "W", "V", "b", "c")
    model = rnn.RNN(5, 4, 5, seed=3)
    rng = np.random.default_rng(0)
    xs, targets = rng.integers(0, 5, size=(7, 2)), rng.integers(0, 5, size=(7, 2))
    loss = rnn.sequence_loss(model(xs)[0], targets)
    loss.backward()
    params = {name: getattr(model, name).data.copy() for name in names}
    got_loss, got = bptt({name: value.copy() for name, value in params.items()}, xs, targets)

    def loss_now():
        with mg.no_grad():
            return rnn.sequence_loss(model(xs)[0], targets).item()

    report = Report("check_bptt: your BPTT against the engine's backward and central differences")
    report.compare("loss L", got_loss, loss.item())
    for name in ("V", "c", "W", "U", "b"):
        numeric = central_differences(loss_now, getattr(model, name).data)
        report.compare(f"d{name}", got[name], getattr(model, name).grad.data, numeric=numeric)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/unrolling_and_bptt.py`) instead.

# %%
bptt = None  # your answer here

# %%
check_bptt(bptt)
