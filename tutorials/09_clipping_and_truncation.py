# %% [markdown]
# # 9. Clipping and truncation
#
# **You will learn**
#
# - how large an exploding gradient gets, and how clipping its global norm
#   caps the length of an update step while keeping its direction;
# - why clipping does nothing for a *vanishing* gradient;
# - truncated BPTT: windows of k steps with the hidden state carried over but
#   detached, and how much of dL/dW each cut removes.
#
# Tutorial 8 measured and drew vanishing and exploding gradients; this one
# treats the two practical problems they cause. The same models: a vanilla
# RNN whose W is a random orthogonal matrix scaled by ρ, so ‖W‖₂ = ρ(W) = ρ.

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
from minigrad import nn

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from scaled_rnn import T, make_model, targets, xs  # tutorial 8's models and batch of sequences
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## Exploding gradients: clip the norm
#
# An exploding gradient makes one update step huge and can throw training
# off. The usual fix is to rescale the gradient when its global norm
# ‖g‖ = sqrt(Σ_p ‖dL/dp‖²) over all parameters exceeds a threshold:
# g <- g · max_norm / ‖g‖. The direction is kept; only the length is capped.
# `nn.clip_grad_norm(params, max_norm)` does that and returns the norm before;
# `model.parameters()` lists a model's parameter tensors (U, W, b, V, c).
#
# First, how large an exploding gradient gets: the global gradient norm of the
# loss over all positions, for a ReLU network with ρ(W) = 1 and the same
# network with ρ(W) = 2.


# %%
def global_grad_norm(model):
    model.zero_grad()
    rnn.sequence_loss(model.unroll(xs).logits, targets).backward()
    return np.sqrt(sum((p.grad.data**2).sum() for p in model.parameters()))


norm_1 = global_grad_norm(make_model("relu", 1.0))
big = make_model("relu", 2.0)
norm_2 = global_grad_norm(big)
print(f"ρ = 1: {norm_1:.3g}   ρ = 2: {norm_2:.3g}   ratio {norm_2 / norm_1:.3g}")

# %% [markdown]
# Doubling ρ(W) multiplied the gradient norm by the ratio printed above, more
# than ten thousand here: over 40 steps, the back-travelling gradient is
# multiplied by W again and again. An update step of that size would throw
# the weights far away. Clip it to norm 1 and compare the direction before and
# after:

# %%
before = [p.grad.data.copy() for p in big.parameters()]
norm_before = nn.clip_grad_norm(big.parameters(), max_norm=1.0)
after = [p.grad.data for p in big.parameters()]
norm_after = np.sqrt(sum((g**2).sum() for g in after))
flat_before, flat_after = (
    np.concatenate([g.ravel() for g in before]),
    np.concatenate([g.ravel() for g in after]),
)
cosine = flat_before @ flat_after / (np.linalg.norm(flat_before) * np.linalg.norm(flat_after))
print(f"norm before {norm_before:.3g}, after {norm_after:.3g}, cosine of directions {cosine:.6f}")

# %% [markdown]
# Clipping does nothing for *vanishing* gradients: a tiny component stays
# tiny. That needs a different architecture (tutorial 11).
#
# ## Truncated BPTT: what it cuts
#
# Backpropagating through a whole long sequence costs memory for every step.
# Truncated BPTT cuts the sequence into windows of k steps. The hidden state
# is carried from one window into the next, but **detached**: `h.detach()`
# has the same numbers as h but is a leaf without history (like a result
# computed under `no_grad` in tutorial 1), so backward stops at the window
# boundary.
# `rnn.bptt.truncated_backward(model, xs, targets, k)` accumulates that
# gradient into `.grad`. With k = T it is full BPTT. (`model.named_parameters()`
# lists (name, parameter) pairs — W is named "cell.W", as it belongs to the
# recurrent cell — and `model.zero_grad()` clears every parameter's gradient.)

# %%
model = make_model("tanh", 1.0)
rnn.sequence_loss(model.unroll(xs).logits, targets).backward()
full_grad = {name: p.grad.data.copy() for name, p in model.named_parameters()}

model.zero_grad()
rnn.bptt.truncated_backward(model, xs, targets, k=T)
same = all(np.allclose(p.grad.data, full_grad[name]) for name, p in model.named_parameters())
print("k = T gives the full gradient:", same)

# %% [markdown]
# With shorter windows, a loss at step t sends nothing back further than the
# start of its window: every dependency longer than k steps is dropped from
# the gradient. How much of dL/dW is lost:

# %%
ks = [1, 2, 4, 8, 16, 32]


def truncation_errors(model):
    model.zero_grad()
    rnn.sequence_loss(model.unroll(xs).logits, targets).backward()
    w_full = model.W.grad.data.copy()
    errors = []
    for k in ks:
        model.zero_grad()
        rnn.bptt.truncated_backward(model, xs, targets, k=k)
        errors.append(np.linalg.norm(model.W.grad.data - w_full) / np.linalg.norm(w_full))
    return errors


fig, ax = plt.subplots(figsize=(5.5, 3.4))
for rho in (0.5, 1.0):
    errors = truncation_errors(make_model("tanh", rho))
    print(f"ρ = {rho}: ‖dW_k - dW‖ / ‖dW‖ for k = {ks}:", np.round(errors, 3))
    ax.plot(ks, errors, "o-", label=f"tanh, ρ(W) = {rho}")
ax.legend()
ax.set_xscale("log", base=2)
ax.set_xticks(ks, [str(k) for k in ks])
ax.set_xlabel("truncation length k")
ax.set_ylabel("relative error of dL/dW")
ax.set_title(f"truncated BPTT on T = {T} steps")
fig.tight_layout()
fig.savefig(OUT / "09_truncation.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "09_truncation.png")
fig

# %% [markdown]
# Two things show. A window boundary cuts every dependency that crosses it,
# even a one-step one, so the error falls as boundaries become fewer (larger
# k). And the slower the gradient decays, the more each cut removes: with
# ρ(W) = 1, windows of 16 steps still lose about 40% of dL/dW; with
# ρ(W) = 0.5, about 12%. Either way, a network trained with windows of k steps
# never gets a gradient signal to remember anything for longer than k steps.

# %% [markdown]
# ## Exercise: clipping by hand
#
# Write `clip_by_global_norm(grads, max_norm)` in numpy: given a list of
# gradient arrays, return the clipped list (new arrays) and the global norm
# before clipping. The check compares both with `nn.clip_grad_norm` on random
# gradients (entries of size about 10, a global norm of about 57), once with
# a threshold that clips (0.5) and once with one that does not (10⁶).


# %%
def check_clip_by_global_norm(clip_by_global_norm):
    clip_by_global_norm = answer_or_solution(
        clip_by_global_norm, "clipping_and_truncation", "clip_by_global_norm"
    )
    report = Report("check_clip_by_global_norm: your clipping against nn.clip_grad_norm")
    rng = np.random.default_rng(5)
    for max_norm in (0.5, 1e6):
        grads = [10 * rng.standard_normal(shape) for shape in ((4, 3), (4, 4), (4,))]
        params = [mg.Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        sum(((p * g).sum() for p, g in zip(params, grads, strict=True)), mg.Tensor(0.0)).backward()
        mine, my_norm = clip_by_global_norm([g.copy() for g in grads], max_norm)
        norm = nn.clip_grad_norm(params, max_norm)
        for i, (g, p) in enumerate(zip(mine, params, strict=True)):
            report.compare(f"gradient {i}, max_norm={max_norm:g}", g, p.grad.data)
        report.compare(f"norm before, max_norm={max_norm:g}", my_norm, norm)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/clipping_and_truncation.py`) instead.

# %%
clip_by_global_norm = None  # your answer here

# %%
check_clip_by_global_norm(clip_by_global_norm)
