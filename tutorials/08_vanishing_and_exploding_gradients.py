# %% [markdown]
# # 8. Vanishing and exploding gradients
#
# **You will learn**
#
# - why the gradient that travels back through time is multiplied, step by
#   step, by W and by the activation's derivative — and therefore shrinks or
#   grows exponentially;
# - which size of W bounds it (the largest singular value, not the largest
#   eigenvalue), and how to measure it: ‖dL/dh_t‖ for every t, for tanh vs
#   ReLU, with W below, at and above 1 — vanishing and exploding;
# - that with a loss at every position the gradient's *distant* part still
#   vanishes;
# - how to *see* it: the graph coloured by gradient magnitude;
# - two remedies for the practical problems: clipping the gradient norm
#   (exploding), and truncated BPTT (cost) — and what truncation cuts.
#
# You need tutorials 6 and 7 (the RNN step, unrolling, BPTT).

# %%
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import rnn
from minigrad import nn
from minigrad.viz import draw

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## Where the product comes from
#
# From tutorial 7, the gradient at h_t has a part carried back from step t+1:
#
#     δh_t = Vᵀ δo_t + Wᵀ δa_{t+1},    δa_{t+1} = δh_{t+1} ⊙ g1'(a_{t+1})
#
# Take a loss on the **last** output only, so δo_t = 0 for t < T. Then
# δh_t = Wᵀ diag(g1'(a_{t+1})) δh_{t+1}, and going back k steps multiplies by
# k such matrices:
#
#     δh_{T-k} = [Wᵀ D_{T-k+1}] ··· [Wᵀ D_T] δh_T,     D_t = diag(g1'(a_t))
#
# How much can one factor stretch a vector? At most by the largest singular
# value of W, its spectral norm ‖W‖₂ = σ_max(W), times the largest |g1'|
# (1 for tanh and ReLU). So
#
#     ‖δh_{T-k}‖ ≤ (‖W‖₂ · max|g1'|)^k · ‖δh_T‖
#
# If ‖W‖₂ · max|g1'| < 1, the gradient **vanishes** at least like that power
# of k. Above 1 it *can* **explode**: the bound no longer stops it, and when
# g1' stays near 1 it does. (The spectral radius ρ(W), the largest
# |eigenvalue|, tells how W^k grows for very large k; it can be much smaller
# than ‖W‖₂, so ρ(W) < 1 alone does not keep a short product small. The two
# coincide when all singular values are equal, as for a scaled orthogonal
# matrix, the case below.)
#
# ## The models
#
# `rnn.RNN` starts W as a random orthogonal matrix: every singular value is 1,
# so ‖W‖₂ = 1, and every eigenvalue has |λ| = 1, so ρ(W) = 1 too. Scaling W by
# ρ sets both to ρ. A random Gaussian matrix scaled to ρ(W) = 1 is different:
# its largest singular value is well above 1.

# %%
VOCAB, HIDDEN, T, BATCH = 8, 32, 40, 4


def make_model(activation, rho):
    model = rnn.RNN(VOCAB, HIDDEN, VOCAB, activation=activation, seed=1)
    model.W.data *= rho
    return model


for rho in (1.0, 1.5):
    W = make_model("tanh", rho).W.data
    sv = np.linalg.svd(W, compute_uv=False)
    print(
        f"orthogonal W × {rho}: singular values from {sv.min():.3f} to {sv.max():.3f}, "
        f"spectral radius {np.abs(np.linalg.eigvals(W)).max():.3f}"
    )
gaussian = np.random.default_rng(0).standard_normal((HIDDEN, HIDDEN))
gaussian /= np.abs(np.linalg.eigvals(gaussian)).max()
sv = np.linalg.svd(gaussian, compute_uv=False)
print(f"Gaussian W, ρ(W) = 1: singular values from {sv.min():.3f} to {sv.max():.3f}")

rng = np.random.default_rng(0)
xs = rng.integers(0, VOCAB, size=(T, BATCH))
targets = rng.integers(0, VOCAB, size=(T, BATCH))

# %% [markdown]
# ## Measuring ‖dL/dh_t‖
#
# `model.unroll(xs)` returns, besides the logits, every hidden state h_t as a
# graph node (`.steps`), as in tutorial 7. Without `per_step=True` it computes
# the same numbers with fewer graph nodes (U x_t + b for all t in one matrix
# product), which is faster and makes no difference to the gradients.
# `retain_grad()` on each h_t keeps its gradient after backward (tutorial 2).
# The loss here is the cross-entropy of the last step.


# %%
def last_step_profile(model):
    out = model.unroll(xs)
    for h in out.steps:
        h.retain_grad()
    loss = mg.cross_entropy(out.logits[-1], targets[-1])
    loss.backward()
    return np.array([np.linalg.norm(h.grad.data) for h in out.steps])


profile = last_step_profile(make_model("tanh", 1.0))
for t in (T, T - 10, T - 20, T - 30, 1):
    print(f"‖dL/dh_{t}‖ = {profile[t - 1]:.2e}")

# %% [markdown]
# Even with ρ(W) = 1 the gradient shrinks going back: tanh' ≤ 1 and is
# strictly less than 1 wherever a unit is not exactly at 0.
#
# ## tanh vs ReLU, and ρ below / at / above 1

# %%
profiles = {
    (act, rho): last_step_profile(make_model(act, rho))
    for act in ("tanh", "relu")
    for rho in (0.5, 1.0, 2.0)
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, act in zip(axes, ("tanh", "relu"), strict=True):
    for rho in (0.5, 1.0, 2.0):
        ax.semilogy(range(1, T + 1), profiles[act, rho], label=f"ρ(W) = {rho}")
    ax.set_title(f"g1 = {act}: ‖dL_T/dh_t‖")
    ax.set_xlabel("time step t (the loss is at t = T)")
    ax.legend()
axes[0].set_ylabel("gradient norm (log scale)")
fig.tight_layout()
fig.savefig(OUT / "08_profiles.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
for (act, rho), p in profiles.items():
    print(f"{act:4} ρ={rho}: ‖dL/dh_1‖ / ‖dL/dh_T‖ = {p[0] / p[-1]:.1e}")
assert all(profiles[act, 0.5][0] / profiles[act, 0.5][-1] < 1e-6 for act in ("tanh", "relu"))
assert all(profiles[act, 2.0][0] / profiles[act, 2.0][-1] > 1e2 for act in ("tanh", "relu"))
print("saved", OUT / "08_profiles.png")
fig

# %% [markdown]
# The BPTT diagram of tutorial 7 shows the same fading at a glance. It draws
# the loss over all positions, so we make every position but the last one
# (almost) free of loss: a large output bias c for token 0, and target 0 at
# steps 1 … 7. Those steps' predictions are then right with probability
# 1 - 1e-7 and send almost nothing back; only the last step's target (1)
# is wrong. A short sequence, T = 8, with ρ(W) = 0.5: the numbers on the
# arrows into h_t shrink step by step going left, and the red fades with them.

# %%
fading = make_model("tanh", 0.5)
fading.c.data[0] = 20.0
short_xs, short_targets = xs[:8, :1], np.zeros((8, 1), dtype=int)
short_targets[-1] = 1
picture = rnn.diagram(fading, short_xs, short_targets, view="bptt")
picture.save(OUT / "08_bptt_vanishing.svg")
short_norms = rnn.bptt.hidden_grad_norms(fading, short_xs, short_targets)
print("‖dL/dh_t‖, t = 1..8:", " ".join(f"{n:.1e}" for n in short_norms))
assert np.all(np.diff(short_norms) > 0)  # every step back in time, smaller
picture

# %% [markdown]
# What the plot shows:
#
# - ρ = 0.5: the gradient falls by orders of magnitude over 40 steps, for
#   both activations. The loss at T cannot "reach" the early inputs: a
#   network trained like this cannot learn long-range dependencies.
# - ρ = 1: tanh decays slowly. ReLU decays faster: g1' is 0 for the units
#   that are off (about half), so each step passes on only part of the vector.
# - ρ = 2: the gradient **explodes** going back in time: ‖dL/dh_1‖ is
#   about a thousand times ‖dL/dh_T‖ for tanh and a hundred thousand times
#   for ReLU. How fast depends on g1' along the way: tanh' < 1 damps every
#   step and saturated units pass almost nothing, while a ReLU unit that is
#   on passes its gradient at full strength, times W.
#
# ## Seeing it in the graph
#
# `draw(..., heat=True)` colours every tensor and edge by log10 of its
# gradient norm. Passing `steps=loss.backward_steps()` runs backward while
# drawing, so intermediate nodes get their gradients too. A short sequence
# (T = 6) with ρ = 0.5 and the loss on the last step: the colour darkens
# step by step towards t = 1, a decade every few steps (the colour bar). The
# boxes carry no numbers here (`values=False, grads=False`) and the formulas
# sit in the tooltips (`formulas="tooltip"`), so the colours speak and the
# picture stays narrow; time runs downwards.

# %%
small = rnn.RNN(VOCAB, 4, VOCAB, seed=2)
small.W.data *= 0.5
short = small.unroll(xs[:6, :1])
short_loss = mg.cross_entropy(short.logits[-1], targets[5, :1])
heat = draw(
    short_loss,
    values=False,
    grads=False,
    heat=True,
    steps=short_loss.backward_steps(),
    rankdir="TB",
    formulas="tooltip",
)
heat.save(OUT / "08_heat.svg")
print("saved", OUT / "08_heat.svg")
heat

# %% [markdown]
# ## With a loss at every step
#
# Language models put a loss at every position (`rnn.sequence_loss`). Then
# every δh_t also has its own local term Vᵀ δo_t, so ‖dL/dh_t‖ does not
# vanish as a whole — `rnn.bptt.hidden_grad_norms` measures it:

# %%
full = rnn.bptt.hidden_grad_norms(make_model("tanh", 0.5), xs, targets)
print("all-positions loss, ρ=0.5, ‖dL/dh_t‖ at t = 1, 11, 21, 31, 40:")
print(full[[0, 10, 20, 30, T - 1]].round(4))

# %% [markdown]
# What still vanishes is the part carrying information from *distant*
# losses; that is the part that teaches the network long-range memory. Split
# the all-positions loss L = Σ_s L_s into its terms (L_s is the loss at
# position s) and measure how much each one sends back to the first hidden
# state: ‖∂L_s/∂h_1‖ for s = 1 … T. Each needs its own backward pass through
# the same graph, so the graph is kept (`retain_graph=True`, tutorial 2).


# %%
def reach_of_each_loss(model):
    out = model.unroll(xs)
    h1 = out.steps[0].retain_grad()
    reach = []
    for s in range(T):
        h1.grad = None
        (mg.cross_entropy(out.logits[s], targets[s]) / T).backward(retain_graph=True)
        reach.append(np.linalg.norm(h1.grad.data))
    return np.array(reach)


reach = {rho: reach_of_each_loss(make_model("tanh", rho)) for rho in (0.5, 1.0)}
for rho, r in reach.items():
    near, far = r[:5].sum(), r[20:].sum()
    print(f"ρ = {rho}: Σ_s≤5 ‖∂L_s/∂h_1‖ = {near:.2e},  Σ_s>20 ‖∂L_s/∂h_1‖ = {far:.2e}")
assert reach[0.5][-1] < 1e-10 * reach[0.5][0]

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for rho, r in reach.items():
    ax.semilogy(range(1, T + 1), r, "o-", ms=3, label=f"tanh, ρ(W) = {rho}")
ax.set(
    xlabel="position s of the loss term",
    ylabel="‖∂L_s / ∂h_1‖ (log scale)",
    title="what each loss term sends back to h_1",
)
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "08_distant.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# The total ‖dL/dh_1‖ is made of the nearby terms. With ρ = 0.5 the loss 40
# steps later sends back less than a trillionth of what the loss at step 1
# does:
# nothing the network reads at step 1 can be learned from a target 40 steps
# later. With ρ = 1 the decay is slower but still a factor of a hundred over
# 40 steps.
#
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
# tiny. That needs a different architecture (tutorial 10).
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
ax.set_xlabel("truncation length k")
ax.set_ylabel("relative error of dL/dW")
ax.set_title(f"truncated BPTT on T = {T} steps")
fig.tight_layout()
fig.savefig(OUT / "08_truncation.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "08_truncation.png")
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
# gradient arrays, return the clipped list (new arrays) and the norm before
# clipping. The check compares with `nn.clip_grad_norm` on the exploding
# model, for a threshold that clips and one that does not.


# %%
def check_clip_by_global_norm(clip_by_global_norm):
    clip_by_global_norm = answer_or_solution(
        clip_by_global_norm, "vanishing_and_exploding_gradients", "clip_by_global_norm"
    )
    rng = np.random.default_rng(5)
    for max_norm in (0.5, 1e6):
        grads = [10 * rng.standard_normal(shape) for shape in ((4, 3), (4, 4), (4,))]
        params = [mg.Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
        sum(((p * g).sum() for p, g in zip(params, grads, strict=True)), mg.Tensor(0.0)).backward()
        mine, my_norm = clip_by_global_norm([g.copy() for g in grads], max_norm)
        norm = nn.clip_grad_norm(params, max_norm)
        assert np.isclose(my_norm, norm), (
            f"max_norm={max_norm}: expected norm {norm}, got {my_norm}"
        )
        for i, (g, p) in enumerate(zip(mine, params, strict=True)):
            assert np.allclose(g, p.grad.data), (
                f"max_norm={max_norm}, gradient {i}: expected\n{p.grad.data}\ngot\n{g}"
            )
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/vanishing_and_exploding_gradients.py`) instead.

# %%
clip_by_global_norm = None  # your answer here

# %%
check_clip_by_global_norm(clip_by_global_norm)
