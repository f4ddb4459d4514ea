# %% [markdown]
# # 3. Broadcasting and reductions
#
# **You will learn**
#
# - numpy's broadcasting rule, which minigrad follows in every elementwise op;
# - why the gradient of a broadcast add is a **sum** over the broadcast axes,
#   and where the engine does that sum (once, for every op);
# - how shapes go through `sum`, `mean` and `max` with `axis` and `keepdims`,
#   and what their gradients look like;
# - the tie rule of `max`: tied winners share the gradient evenly.
#
# You need tutorials 1 and 2: graphs, `backward()`, `backward_steps()` and
# the "a used twice gets the sum" rule.

# %%
import inspect
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from minigrad import engine
from minigrad.viz import draw

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## The broadcasting rule
#
# Two shapes are lined up from the right. Along each axis the sizes must be
# equal, or one of them must be 1 (it is *stretched*); a missing axis on the
# left counts as 1 (it is *added*). So (3, 4) + (4,) -> (3, 4): b's single row
# is reused for all three rows of x.

# %%
x = mg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, name="x")
b = mg.Tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True, name="b")
y = x + b
print("x", x.shape, "+ b", b.shape, "->", y.shape)
print(y.data)

# %% [markdown]
# ## The gradient of a broadcast is a sum
#
# Broadcasting means b_j is used three times, once per row: y_ij = x_ij + b_j
# for i = 0, 1, 2. By the rule of tutorial 2 (a tensor used several times
# receives the sum of all its uses), dL/db_j = Σ_i dL/dy_ij. With L = sum(y),
# every dL/dy_ij is 1, so every b_j gets 3.

# %%
L = y.sum()
L.backward()
print("b.grad =", b.grad.data, "  (shape", b.grad.shape, "like b)")
print("x.grad =\n", x.grad.data)

# %% [markdown]
# ## Where the sum happens
#
# The add's own rule knows nothing about broadcasting: dy/da = 1, dy/db = 1,
# so it returns the incoming (3, 4) gradient for both inputs. The **engine**
# then sums each gradient back to its input's shape (it calls this
# *unbroadcast*), in one place for every op. `backward_steps()` shows the shapes each
# input receives:

# %%
x.zero_grad()
b.zero_grad()
L = (x + b).sum()
for step in L.backward_steps():
    shapes = [None if g is None else g.shape for g in step.input_grads]
    print(f"{step.op or 'leaf ' + step.node.name:7} grad {step.grad.shape} -> sends {shapes}")

# %% [markdown]
# This is the engine's `unbroadcast` (`minigrad/engine.py`): it finds the
# axes broadcasting *added* on the left (`extra`) and those it *stretched*
# from size 1, and sums over both.

# %%
print(inspect.getsource(engine.unbroadcast))

# %% [markdown]
# It is called in one place, where the engine sends an op's gradients to its
# inputs, for every op: whenever a gradient's shape differs from its input's.

# %%
rule = inspect.getsource(engine._apply_rule)
print("\n".join(line for line in rule.splitlines() if "unbroadcast" in line))
before = mg.Tensor(np.ones((3, 4)))
after = engine.unbroadcast(before, b.shape, "add")
print("the add sends b a gradient of shape", before.shape, "-> unbroadcast ->", after.shape)
print("after:", after.data)

# %% [markdown]
# Drawn, with the gradients: b's gradient has b's shape (4,), while the add's
# output is (3, 4).

# %%
graph = draw(L)
graph.save(OUT / "03_broadcast_graph.svg")
print("saved", OUT / "03_broadcast_graph.svg")
graph

# %% [markdown]
# A stretched axis (size 1) is summed too, but kept with size 1. Here c has
# shape (3, 1), one number per row, reused across the 4 columns. Weighting
# the output by `v` makes dL/dy_ij = v_ij, so dL/dc_i is the sum of row i of v.

# %%
c = mg.Tensor([[1.0], [2.0], [3.0]], requires_grad=True, name="c")
v = mg.Tensor([[1.0, 0.0, 0.0, 2.0], [0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]], name="v")
((x + c) * v).sum().backward()
print("c.grad =", c.grad.data.ravel(), " shape", c.grad.shape, "= row sums of v")

# %% [markdown]
# ## Reductions and their shapes
#
# `sum`, `mean`, `max` and `min` reduce over `axis`: None (all axes), an int
# (negative counts from the right) or a tuple. `keepdims=True` keeps each
# reduced axis with size 1, so the result still broadcasts against the input.

# %%
for axis in (None, 0, 1, -1, (0, 1)):
    for keepdims in (False, True):
        s = x.sum(axis=axis, keepdims=keepdims)
        print(f"x.sum(axis={axis!s:6}, keepdims={keepdims!s:5}) -> shape {s.shape}")

# %% [markdown]
# `keepdims` is what makes "subtract the row mean" a one-liner: the (3, 1)
# means broadcast back over the 4 columns.

# %%
centered = x - x.mean(axis=1, keepdims=True)
print(centered.data)

# %% [markdown]
# ## Gradients of reductions
#
# A reduction's gradient spreads the incoming gradient back over the reduced
# axis:
#
# - sum: y = Σ_i x_i, so dy/dx_i = 1 — every element gets the full gradient;
# - mean: y = (1/n) Σ_i x_i, so dy/dx_i = 1/n;
# - max: y = x_k for the winning index k, so dy/dx_k = 1 and 0 elsewhere.
#
# **Ties.** Where several elements share the maximum, max is not
# differentiable (it has a kink). minigrad's rule: the tied winners **split
# the gradient evenly**, so the gradients still add up to 1 and no winner is
# favoured. (Another library might give everything to the first winner; both
# are valid subgradients.)

# %%
row = [1.0, 3.0, 3.0, 2.0]
grads = {}
for name in ("sum", "mean", "max"):
    t = mg.Tensor(row, requires_grad=True)
    getattr(t, name)().backward()
    grads[name] = t.grad.data
    print(f"d {name}(x) / dx = {grads[name]}")

# %% [markdown]
# A picture of the three rules on the same row x = [1, 3, 3, 2]:

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 2.6), sharey=True)
for ax, (name, g) in zip(axes, grads.items(), strict=True):
    ax.bar(range(len(row)), g, color="#4c72b0")
    ax.set_title(f"d {name}(x) / dx")
    ax.set_xticks(range(len(row)), [f"x{i}={v:g}" for i, v in enumerate(row)])
axes[0].set_ylabel("gradient")
fig.suptitle("where the gradient of a reduction goes (max: the tie splits 1/2, 1/2)")
fig.tight_layout()
fig.savefig(OUT / "03_reduction_grads.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "03_reduction_grads.png")
fig

# %% [markdown]
# With an axis, the same rules apply per row (or column). Each row of the
# max's gradient below has a single 1 at its winner, or halves at a tie:

# %%
m = mg.Tensor([[1.0, 5.0, 2.0], [4.0, 4.0, 0.0]], requires_grad=True)
m.max(axis=1).sum().backward()
print(m.grad.data)

# %% [markdown]
# ## Exercise: the gradient of a mean, by hand
#
# `unbroadcast` sums a gradient down to a smaller shape. A reduction's
# backward goes the other way: it spreads a gradient back up. Write
# `mean_backward(grad, shape, axis, keepdims)` in plain numpy: given the
# gradient of `x.mean(axis=axis, keepdims=keepdims)` for an x of `shape`,
# return the gradient of x. Every element of x receives the gradient of the
# mean it went into, divided by how many elements that mean averaged. Hints:
# with `keepdims=False` the reduced axes are gone from `grad`, so put them
# back with size 1 (`np.expand_dims`) before broadcasting; `axis` may be
# None, an int (negative counts from the right) or a tuple. The check
# compares your gradient with the engine's for several shapes and axes, with
# a random weighting so no two positions count the same.


# %%
def check_mean_backward(mean_backward):
    mean_backward = answer_or_solution(
        mean_backward, "broadcasting_and_reductions", "mean_backward"
    )
    report = Report("check_mean_backward: your gradient of mean against the engine's")
    rng = np.random.default_rng(3)
    cases = [((3, 4), None, False), ((3, 4), 1, False), ((3, 4), 0, True)]
    cases += [((2, 3, 4), (0, 2), False), ((2, 3, 4), -1, True)]
    for shape, axis, keepdims in cases:
        x = mg.Tensor(rng.standard_normal(shape), requires_grad=True)
        y = x.mean(axis=axis, keepdims=keepdims)
        weights = rng.standard_normal(y.shape)
        (y * weights).sum().backward()
        name = f"{shape}, axis={axis}, keepdims={keepdims}"
        try:
            report.compare(name, mean_backward(weights, shape, axis, keepdims), x.grad.data)
        except Exception as err:  # a learner's error becomes a row of the table
            report.raised(name, err)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/broadcasting_and_reductions.py`) instead.

# %%
mean_backward = None  # your answer here

# %%
check_mean_backward(mean_backward)
