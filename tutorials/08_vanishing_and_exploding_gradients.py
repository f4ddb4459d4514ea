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
# - how to *see* it: the BPTT diagram and the graph coloured by gradient
#   magnitude;
# - how to compute the profile ‖dL/dh_t‖ yourself, in numpy (the exercise).
#
# You need tutorials 6 and 7 (the RNN step, unrolling, BPTT). Tutorial 9
# takes up the remedies: clipping and truncated BPTT.

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
from scaled_rnn import HIDDEN, VOCAB, T, make_model, targets, xs  # the models and one batch
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
# make_model(activation, rho) is rnn.RNN(VOCAB, HIDDEN, VOCAB, activation=activation, seed=1)
# with W scaled by rho (tutorials/scaled_rnn.py, shared with tutorial 9).
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

# %% [markdown]
# The BPTT diagram of tutorial 7 shows the same fading at a glance. With
# `loss="last"` it draws the seed's L^(T), the loss at the last step alone:
# only y_T feeds it, so every gradient in the picture has travelled back from
# step T. A short sequence, T = 8, with ρ(W) = 0.5: the numbers on the arrows
# into h_t about halve at every step going left, and the red fades with them
# (the colour bar spans the decades present).

# %%
fading = make_model("tanh", 0.5)
short_xs, short_targets = xs[:8, :1], targets[:8, :1]
picture = rnn.diagram(fading, short_xs, short_targets, view="bptt", loss="last")
picture.save(OUT / "08_bptt_vanishing.svg")
short_norms = rnn.bptt.hidden_grad_norms(fading, short_xs, short_targets, only_last=True)
print("‖dL⁽⁸⁾/dh_t‖, t = 1..8:", " ".join(f"{n:.1e}" for n in short_norms))
assert np.all(np.diff(short_norms) > 0)  # every step back in time, smaller
picture

# %% [markdown]
# ## Seeing it in the graph
#
# `draw(..., heat=True)` colours every tensor and edge by log10 of its
# gradient norm. Passing `steps=loss.backward_steps()` runs backward while
# drawing, so intermediate nodes get their gradients too. A short sequence
# (T = 6) with ρ = 0.5 and the loss on the last step: the colour fades step
# by step towards t = 1 (pale = small), a decade every few steps (the colour
# bar); the shared weights stand in a side column. The
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
# does: nothing the network reads at step 1 can be learned from a target 40 steps
# later. With ρ = 1 the decay is slower but still a factor of a hundred over
# 40 steps.

# %% [markdown]
# ## Exercise: the profile by hand
#
# Write `gradient_profile(W, hs, dh_last, activation)` in numpy: the norms
# ‖dL/dh_t‖, t = 1 … T, for a loss on the last step only, as measured with
# `retain_grad()` above — without minigrad. `hs` is an array (T, B, H) of the
# hidden states h_1 … h_T, `dh_last` the gradient (B, H) at h_T, `activation`
# is "tanh" or "relu". Walk back with the recursion from the top of this
# tutorial, in row form (a batch of rows, as `rnn.RNN` computes
# a_t = x_t Uᵀ + h_{t-1} Wᵀ + b):
#
#     δa_{t+1} = δh_{t+1} ⊙ g1'(a_{t+1}),    δh_t = δa_{t+1} W
#
# g1' is needed at a_{t+1}, but only h_{t+1} = g1(a_{t+1}) is given: write
# each derivative with h. The check compares your profile with minigrad's
# for both activations, vanishing (ρ = 0.5) and exploding (ρ = 2), and names
# the first step, going back from T, where yours is off.


# %%
def check_gradient_profile(gradient_profile):
    gradient_profile = answer_or_solution(
        gradient_profile, "vanishing_and_exploding_gradients", "gradient_profile"
    )
    report = Report("check_gradient_profile: your ‖dL/dh_t‖ against minigrad's backward")
    rng = np.random.default_rng(7)
    steps, vocab = 30, 8
    inputs, last_targets = rng.integers(0, vocab, size=(steps, 3)), rng.integers(0, vocab, 3)
    for act in ("tanh", "relu"):
        for rho in (0.5, 2.0):
            model = rnn.RNN(vocab, 16, vocab, activation=act, seed=4)
            model.W.data *= rho
            out = model.unroll(inputs)
            for h in out.steps:
                h.retain_grad()
            mg.cross_entropy(out.logits[-1], last_targets).backward()
            expected = [np.linalg.norm(h.grad.data) for h in out.steps]
            hs = np.stack([h.data for h in out.steps])
            got = gradient_profile(model.W.data, hs, out.steps[-1].grad.data, act)
            report.sequence(
                f"{act}, ρ = {rho}",
                list(got)[::-1],
                expected[::-1],
                [f"t = {t}" for t in range(steps, 0, -1)],
            )
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/vanishing_and_exploding_gradients.py`) instead.

# %%
gradient_profile = None  # your answer here

# %%
check_gradient_profile(gradient_profile)
