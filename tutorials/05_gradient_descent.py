# %% [markdown]
# # 5. Gradient descent, from scratch
#
# **You will learn**
#
# - what a training step is: compute the loss, `backward()`, then move every
#   parameter a little *against* its gradient, `p.data -= lr * p.grad.data`;
# - how to read a loss curve, and what the learning rate does;
# - why `zero_grad()` belongs in every step, and what training looks like
#   when it is forgotten;
# - that `optim.SGD` is exactly that loop, and what `optim.Adam` adds (its
#   update written out and checked against the library).
#
# You need tutorials 1–4. Every later tutorial that trains a model uses the
# loop of this one, usually with Adam.

# %%
import sys
from functools import partial
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from minigrad import optim

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## A tiny model to fit
#
# Twenty points near the line y = 2x - 1. The model is that line with
# unknown slope w and intercept b, and the loss is the mean squared error:
#
#     L(w, b) = (1/n) Σ_i (w x_i + b - y_i)²
#
# w and b start at 0. Training means finding the w and b that make L small.

# %%
rng = np.random.default_rng(0)
x = mg.Tensor(np.linspace(-1, 1, 20))
y = mg.Tensor(2 * x.data - 1 + 0.2 * rng.standard_normal(20))


def mse(w, b):
    return ((w * x + b - y) ** 2).mean()


def fresh_parameters():
    return mg.Tensor(0.0, requires_grad=True, name="w"), mg.Tensor(
        0.0, requires_grad=True, name="b"
    )


w, b = fresh_parameters()
print(f"loss at w = b = 0: {mse(w, b).item():.4f}")

# %% [markdown]
# ## One step of gradient descent
#
# The gradient (dL/dw, dL/db) points in the direction in which L grows
# fastest. A small step the other way lowers L:
#
#     w <- w - lr · dL/dw,     b <- b - lr · dL/db
#
# `lr`, the *learning rate*, sets the step size. The update itself must not be
# recorded in the graph (it is not part of the model), so it works on the raw
# arrays: `p.data` is the parameter's numpy array, `p.grad.data` its
# gradient's. For this loss the gradients are also easy by hand,
# dL/dw = (2/n) Σ (w x + b - y) x and dL/db = (2/n) Σ (w x + b - y).

# %%
lr = 0.1
loss = mse(w, b)
loss.backward()
residual = w.data * x.data + b.data - y.data
print(f"dL/dw = {w.grad.item():.4f}  (by hand {2 * np.mean(residual * x.data):.4f})")
print(f"dL/db = {b.grad.item():.4f}  (by hand {2 * np.mean(residual):.4f})")
for p in (w, b):
    p.data -= lr * p.grad.data
print(f"after one step: w = {w.item():.4f}, b = {b.item():.4f}, loss {mse(w, b).item():.4f}")

# %% [markdown]
# ## The loop
#
# Training repeats that step. One more line matters: `.grad` *accumulates*
# (tutorial 2), so each step starts by clearing it with `zero_grad()`;
# otherwise this step's gradient is added to every earlier one.


# %%
def descend(steps, lr, clear_grads=True):
    """Plain gradient descent on mse from w = b = 0; returns the losses and (w, b)."""
    w, b = fresh_parameters()
    losses = []
    for _ in range(steps):
        if clear_grads:
            w.zero_grad()
            b.zero_grad()
        loss = mse(w, b)
        loss.backward()
        for p in (w, b):
            p.data -= lr * p.grad.data
        losses.append(loss.item())
    return np.array(losses), (w.item(), b.item())


losses, (w_fit, b_fit) = descend(100, lr=0.1)
print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f};  w = {w_fit:.3f}, b = {b_fit:.3f}")
best_w, best_b = np.polyfit(x.data, y.data, 1)  # the least-squares line, in closed form
print(f"least squares in closed form:  w = {best_w:.3f}, b = {best_b:.3f}")
assert abs(w_fit - best_w) < 1e-2 and abs(b_fit - best_b) < 1e-2

# %% [markdown]
# ## Forgetting `zero_grad`
#
# Leave out the two `zero_grad()` lines. Step k then moves the parameters by
# lr times the *sum* of all k gradients so far: the parameters keep their
# momentum long after the gradient has changed sign, overshoot, and swing
# back and forth around the minimum. Both runs, on one plot (log scale: the
# loss falls by orders of magnitude):

# %%
forgot, (w_forgot, b_forgot) = descend(100, lr=0.1, clear_grads=False)
print(f"with zero_grad   : loss after 100 steps {losses[-1]:.4f}")
print(f"without zero_grad: loss after 100 steps {forgot[-1]:.4f}  (w = {w_forgot:.3f})")
ups = int(np.sum(np.diff(forgot) > 0))
print(f"steps where the loss went *up*: {int(np.sum(np.diff(losses) > 0))} with, {ups} without")
assert forgot[-1] > 10 * losses[-1] and ups > 5

fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(9, 3.4))
ax_loss.semilogy(losses, label="zero_grad every step")
ax_loss.semilogy(forgot, label="zero_grad forgotten")
ax_loss.set(xlabel="step", ylabel="loss (mean squared error)", title="gradient descent, lr = 0.1")
ax_loss.set_ylim(top=60 * max(forgot))  # room above the curves for the legend
ax_loss.legend(loc="upper right")
ax_fit.scatter(x.data, y.data, s=12, c="grey", label="data")
ax_fit.plot(x.data, w_fit * x.data + b_fit, label=f"fit: w = {w_fit:.2f}, b = {b_fit:.2f}")
ax_fit.plot(x.data, w_forgot * x.data + b_forgot, "--", label="zero_grad forgotten, step 100")
ax_fit.set(xlabel="x", ylabel="y", title="the line after 100 steps")
ax_fit.set_ylim(top=y.data.max() + 3.5)  # room above the lines for the legend
ax_fit.legend(loc="upper left")
fig.tight_layout()
fig.savefig(OUT / "05_descent.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# ## The learning rate
#
# Too small and training crawls; too large and each step jumps past the
# minimum to a point *higher* up the other side, so the loss grows. For this
# loss the boundary is known. L is a quadratic in (w, b) whose curvature
# matrix (the Hessian) is H = (2/n) XᵀX, where X has one row (x_i, 1) per
# point; plain gradient descent converges exactly when lr < 2 / λ_max(H).

# %%
X = np.stack([x.data, np.ones(20)], axis=1)
largest = np.linalg.eigvalsh(2 * X.T @ X / 20).max()
print(f"largest curvature {largest:.3f}: diverges above lr = {2 / largest:.3f}")
finals = {}
for rate in (0.01, 0.1, 0.9, 1.1):
    finals[rate] = descend(30, lr=rate)[0][-1]
    print(f"lr = {rate:<4}: loss after 30 steps {finals[rate]:.3g}")
assert finals[0.01] > finals[0.1] and finals[1.1] > losses[0]

# %% [markdown]
# ## `optim.SGD` is that loop
#
# An optimizer holds the list of parameters; `opt.zero_grad()` clears all their
# gradients and `opt.step()` applies the update to each. `optim.SGD` without
# momentum applies exactly `p.data -= lr * p.grad.data`, so the same 100 steps
# give the same losses, to the last bit.

# %%
w, b = fresh_parameters()
opt = optim.SGD([w, b], lr=0.1)
sgd_losses = []
for _ in range(100):
    opt.zero_grad()
    loss = mse(w, b)
    loss.backward()
    opt.step()
    sgd_losses.append(loss.item())
print("identical to the hand-written loop:", np.array_equal(sgd_losses, losses))
assert np.array_equal(sgd_losses, losses)

# %% [markdown]
# ## Adam, written out
#
# Plain gradient descent uses one step size for every parameter. Adam keeps,
# per parameter, a running mean of the gradient m (momentum) and of its square
# v, and divides one by the square root of the other, so every parameter moves
# by about `lr` per step whatever the scale of its gradient. At step t, with
# gradient g:
#
#     m = β1 m + (1 - β1) g            mean of the gradient
#     v = β2 v + (1 - β2) g²           mean of its square
#     m̂ = m / (1 - β1ᵗ),  v̂ = v / (1 - β2ᵗ)   (m and v start at 0; this undoes that bias)
#     p = p - lr · m̂ / (√v̂ + ε)
#
# with the usual β1 = 0.9, β2 = 0.999, ε = 1e-8. Written with numpy next to
# `optim.Adam` from the same start, the two agree at every step:


# %%
def adam_by_hand(steps, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    w, b = fresh_parameters()
    m = {"w": 0.0, "b": 0.0}
    v = {"w": 0.0, "b": 0.0}
    losses = []
    for t in range(1, steps + 1):
        w.zero_grad()
        b.zero_grad()
        loss = mse(w, b)
        loss.backward()
        for name, p in (("w", w), ("b", b)):
            g = p.grad.data
            m[name] = beta1 * m[name] + (1 - beta1) * g
            v[name] = beta2 * v[name] + (1 - beta2) * g**2
            m_hat = m[name] / (1 - beta1**t)
            v_hat = v[name] / (1 - beta2**t)
            p.data -= lr * m_hat / (np.sqrt(v_hat) + eps)
        losses.append(loss.item())
    return np.array(losses)


def adam_library(steps, lr):
    w, b = fresh_parameters()
    opt = optim.Adam([w, b], lr=lr)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = mse(w, b)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


adam_losses = adam_by_hand(100, lr=0.1)
gap = np.abs(adam_losses - adam_library(100, lr=0.1)).max()
print(f"Adam by hand vs optim.Adam: largest difference in the loss over 100 steps {gap:.1e}")
assert gap < 1e-12
print(f"loss after 100 steps: gradient descent {losses[-1]:.4f}, Adam {adam_losses[-1]:.4f}")

# %% [markdown]
# Adam's first steps all have length ≈ lr, whatever the gradient's size (m̂ /
# √v̂ ≈ ±1 at t = 1): on this problem that is a little slower than gradient
# descent at first, and its momentum m makes it overshoot and wiggle before
# it settles on the same line (the floor of both curves, 0.028, is the noise
# in the data, which no line can fit). Its strength is problems whose
# parameters have gradients of very different sizes, like the recurrent
# networks of tutorials 10 and 11, where it is the optimizer used.

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
ax.semilogy(losses, label="gradient descent (optim.SGD), lr = 0.1")
ax.semilogy(adam_losses, label="Adam (optim.Adam), lr = 0.1")
ax.set(xlabel="step", ylabel="loss", title="the same line fitted by two optimizers")
ax.legend()
fig.tight_layout()
fig.savefig(OUT / "05_sgd_and_adam.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
fig

# %% [markdown]
# ## Exercise: momentum
#
# `optim.SGD(params, lr, momentum=μ)` keeps a velocity per parameter:
#
#     buf = μ · buf + g          (buf starts as the first gradient)
#     p   = p - lr · buf
#
# Write `momentum_descent(loss_fn, params, steps, lr, mu)` with that update
# written out (no optimizer class): `params` is a list of tensors,
# `loss_fn()` computes the loss from them; return the list of losses, one per
# step, computed before each update. The check trains the line above with
# your function and with `optim.SGD(..., momentum=mu)` and compares the
# losses.


# %%
def check_momentum_descent(momentum_descent):
    momentum_descent = answer_or_solution(momentum_descent, "gradient_descent", "momentum_descent")
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.uniform(-1, 1, 30))
    y = mg.Tensor(3 * x.data + 0.5)

    def line_loss(w, b):
        return ((w * x + b - y) ** 2).mean()

    report = Report("check_momentum_descent: your losses against optim.SGD(momentum=mu)")
    for lr, mu in ((0.1, 0.9), (0.05, 0.5)):
        w, b = mg.Tensor(0.0, requires_grad=True), mg.Tensor(0.0, requires_grad=True)
        opt = optim.SGD([w, b], lr=lr, momentum=mu)
        expected = []
        for _ in range(40):
            opt.zero_grad()
            loss = line_loss(w, b)
            loss.backward()
            opt.step()
            expected.append(loss.item())
        w, b = mg.Tensor(0.0, requires_grad=True), mg.Tensor(0.0, requires_grad=True)
        got = list(momentum_descent(partial(line_loss, w, b), [w, b], 40, lr, mu))
        steps = [f"step {i}" for i in range(1, 41)]
        report.sequence(f"losses, lr={lr}, mu={mu}", got, expected, steps)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/gradient_descent.py`) instead.

# %%
momentum_descent = None  # your answer here: def momentum_descent(loss_fn, params, steps, lr, mu):

# %%
check_momentum_descent(momentum_descent)
