# %% [markdown]
# # 2. Backward, step by step
#
# **You will learn**
#
# - the chain rule as the engine applies it: one node at a time, in reverse
#   topological order;
# - how to watch every step with `backward_steps()`: the gradient arriving at
#   a node, the op's rule, and what it sends to each input;
# - how to step through the same walk in a browser (`minigrad.viz.flipbook`);
# - why gradients **accumulate**: `a + a` gives `a.grad == 2`, and a second
#   backward adds to `.grad`.
#
# Tutorial 1 built a graph; here we run it backwards.

# %%
import sys
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.viz import draw, flipbook

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## A small graph with scalars
#
# L = tanh(x·w + b), with scalars so every number fits on a line. We name the
# intermediate results u = x·w and v = u + b.

# %%
x = mg.Tensor(0.5, name="x")
w = mg.Tensor(-1.5, requires_grad=True, name="w")
b = mg.Tensor(0.25, requires_grad=True, name="b")
u = x * w
v = u + b
L = v.tanh()
print(f"u = {u.item():.4f}   v = {v.item():.4f}   L = {L.item():.4f}")

# %% [markdown]
# ## The chain rule, by hand
#
# We want dL/dw and dL/db. Going from the output back to the inputs, each
# step multiplies by one local derivative:
#
#     dL/dL = 1
#     dL/dv = dL/dL · dtanh(v)/dv = 1 - L²
#     dL/du = dL/dv · dv/du       = dL/dv · 1
#     dL/db = dL/dv · dv/db       = dL/dv · 1
#     dL/dw = dL/du · du/dw       = dL/du · x
#
# Each line uses only a number computed on the line before and one local
# derivative. That is all backward does.

# %%
dL_dv = 1 - L.item() ** 2
dL_du = dL_dv
dL_db = dL_dv
dL_dw = dL_du * x.item()
print(f"by hand: dL/dv = {dL_dv:.4f}  dL/dw = {dL_dw:.4f}  dL/db = {dL_db:.4f}")

# %% [markdown]
# ## The order: reverse topological
#
# A node may send its gradient on only once it has received *everything*
# coming from the nodes that used it. Reversing a topological order (tutorial
# 1) guarantees that: every consumer of a node is processed before the node.

# %%
for t in reversed(mg.toposort(L)):
    print(t.name or t.op)

# %% [markdown]
# ## Watching the engine: `backward_steps()`
#
# `L.backward_steps()` is the backward pass as a generator: each step is one
# node being processed. A step tells us the tensor (`node`), the op that made
# it and its formula, `grad` (the
# total dL/dnode that arrived) and `input_grads` (what it sends to each input;
# `None` for an input that needs no gradient, like the constant x). At a leaf
# the step is "accumulate into .grad".

# %%
for step in L.backward_steps():
    if step.op is None:
        print(f"leaf {step.node.name}: {step.formula}: {step.grad.item():.4f}")
        continue
    sent = [None if g is None else round(float(g.data), 4) for g in step.input_grads]
    print(f"{step.op:4} | {step.formula:38} | in {step.grad.item():.4f} -> sends {sent}")

# %% [markdown]
# Compare the numbers with the hand computation: the tanh step received 1 and
# sent 1 - L² = 0.7864; the add passed it to both inputs unchanged; the mul
# sent x times it to w. After the walk, the leaves hold the results.

# %%
print("engine : dL/dw =", round(w.grad.item(), 4), " dL/db =", round(b.grad.item(), 4))
assert np.isclose(w.grad.item(), dL_dw) and np.isclose(b.grad.item(), dL_db)

# %% [markdown]
# `backward()` is exactly this walk run to the end. After it, only the leaves
# keep their gradients (intermediate ones are passed on and forgotten, see
# the end of this tutorial). To draw *every* gradient of the chain above, let
# `draw` run the walk itself: with `steps=...backward_steps()` it records what
# each node received. We build the graph again (and clear the leaves' gradients
# first: they would add up, as the next sections show). Each box shows the
# value and, under it, dL/d(that box): 1 at L, 1 - L² at v and u, and
# x·(1 - L²) at w.

# %%
w.zero_grad()
b.zero_grad()
u = x * w
u.name = "u"
v = u + b
v.name = "v"
L = v.tanh()
L.name = "L"
graph = draw(L, steps=L.backward_steps())
graph.save(OUT / "02_grads.svg")
for name, value in (("L", 1.0), ("v", dL_dv), ("u", dL_du), ("w", dL_dw), ("b", dL_db)):
    print(f"dL/d{name} = {value:.4f}")
print("saved", OUT / "02_grads.svg")
graph

# %% [markdown]
# ## A flipbook of backward
#
# `flipbook(root)` runs backward and returns a page with a frame per step,
# shown right here below the cell: the node being processed is orange,
# finished nodes are green, and the edges its gradient travels along are red.
# Beside each frame: the rule with the numbers filled in. Click into it and
# use the arrow keys or the buttons. `book.save("backprop.html")` writes the
# same page as one file to open in a browser. (It runs backward, so we build
# a fresh graph first; the weights accumulate gradients again, so we first
# set them back to zero with `zero_grad()` — more on why below.)

# %%
w.zero_grad()
b.zero_grad()
L2 = (x * w + b).tanh()
book = flipbook(L2)
print(book.steps, "frames; the same page saved as", book.save(OUT / "02_backprop.html"))
book

# %% [markdown]
# ## Why gradients add up: `a + a`
#
# If a tensor is used twice, a small change in it changes the output through
# **both** uses, so its gradient is the **sum** of what each use sends back.
# In y = a + a the add sends 1 to its first input and 1 to its second; both
# are `a`, so a receives 1 + 1 = 2 = dy/da.

# %%
a = mg.Tensor(3.0, requires_grad=True, name="a")
y = a + a
for step in y.backward_steps():
    print(
        step.op or f"leaf {step.node.name}", "| in", step.grad.item(), "| sends", step.input_grads
    )
print("a.grad =", a.grad.item())

# %% [markdown]
# The same rule gives the product rule: in y = a·a the mul sends b·g = a to
# its first input and a·g = a to its second, so dy/da = 2a.

# %%
a.zero_grad()
(a * a).backward()
print("d(a·a)/da at a = 3:", a.grad.item())

# %% [markdown]
# ## Accumulation across backward calls
#
# `.grad` is *added to*, never overwritten. That is what makes "a used twice"
# work, and it also means a second backward pass adds a second copy. A graph
# is normally freed for reuse after one backward: running through it again is
# an error unless the first pass kept it with `retain_graph=True`.

# %%
a.zero_grad()
y = a * a
y.backward(retain_graph=True)
print("after one backward :", a.grad.item())
y.backward()
print("after two backwards:", a.grad.item(), "(accumulated)")
try:
    y.backward()
except mg.GraphError as err:
    print("third time:", err)

# %% [markdown]
# So clear gradients (`zero_grad()`) before each new backward pass, unless you
# want to add gradients up on purpose (for instance over several windows of a
# long sequence, as the RNN tutorials do).
#
# ## Gradients of intermediate nodes
#
# Only leaves keep `.grad`; intermediate results pass theirs on and forget it.
# Call `retain_grad()` on an intermediate tensor to keep it.

# %%
w.zero_grad()
b.zero_grad()
v = (x * w + b).retain_grad()
L3 = v.tanh()
L3.backward()
print("dL/dv =", round(v.grad.item(), 4), " (1 - L² =", round(1 - L3.item() ** 2, 4), ")")

# %% [markdown]
# ## Exercise: the chain rule by hand
#
# For L = tanh(a·b + a) write `hand_gradients(a, b)` returning (dL/da, dL/db)
# as plain floats, using only the chain rule (no `backward`). Hint: `a` is used
# twice, so dL/da has two terms. The check compares your numbers with the
# engine's at a few points.


# %%
def check_hand_gradients(hand_gradients):
    hand_gradients = answer_or_solution(hand_gradients, "backward_step_by_step", "hand_gradients")
    for a_val, b_val in [(0.3, -0.7), (1.2, 0.4), (-0.5, 2.0)]:
        a = mg.Tensor(a_val, requires_grad=True)
        b = mg.Tensor(b_val, requires_grad=True)
        (a * b + a).tanh().backward()
        expected = (a.grad.item(), b.grad.item())
        mine = hand_gradients(a_val, b_val)
        assert np.allclose(mine, expected), (
            f"at a={a_val}, b={b_val}: expected (dL/da, dL/db) = {np.round(expected, 6)}, "
            f"got {np.round(mine, 6)}"
        )
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/backward_step_by_step.py`) instead.

# %%
hand_gradients = None  # your answer here

# %%
check_hand_gradients(hand_gradients)

# %% [markdown]
# ## Exercise: your own engine
#
# Everything this tutorial showed fits in one small class. Write `Value`, a
# scalar that records how it was made and can run backward:
#
# - `Value(data)` holds a float `.data` and a `.grad` that starts at 0.0;
# - `a + b`, `a * b` (both Values) and `a.tanh()` return new Values that
#   remember their inputs and the local derivative towards each one
#   (d(a+b)/da = 1, d(a·b)/da = b, d tanh(a)/da = 1 - tanh(a)²);
# - `out.backward()` sets `out.grad = 1`, lists the graph in topological
#   order **without recursion** (a loop with a stack, as in tutorial 1), then
#   walks it in reverse and *adds* local derivative × gradient into each
#   input's `.grad`, so a Value used twice gets both contributions.
#
# The check compares your gradients with minigrad's, then runs `gradcheck` on
# them: your forward and backward wrapped as a minigrad `Function`, against
# central differences. Last, a chain of 3000 additions, deeper than Python's
# recursion limit.


# %%
def check_value_engine(Value):
    Value = answer_or_solution(Value, "backward_step_by_step", "Value")

    def f(a, b, c):  # a and b are used twice
        return ((a * b + c).tanh() * a + b * b).tanh()

    start = (0.3, -0.8, 0.5)
    leaves = [Value(v) for v in start]
    f(*leaves).backward()
    tensors = [mg.Tensor(v, requires_grad=True) for v in start]
    f(*tensors).backward()
    expected = [t.grad.item() for t in tensors]
    got = [leaf.grad for leaf in leaves]
    assert np.allclose(got, expected), f"(da, db, dc): expected {expected}, got {got}"

    class ThroughValue(mg.Function):
        """y = f(a, b, c) by your Value;  dy/da, dy/db, dy/dc by your backward"""

        def forward(self, *arrays):
            self.leaves = [Value(float(v)) for v in arrays]
            out = f(*self.leaves)
            out.backward()
            return np.array(out.data)

        def backward(self, grad, out):
            return tuple(grad * leaf.grad for leaf in self.leaves)

    mg.gradcheck(ThroughValue.apply, *(mg.Tensor(v, requires_grad=True) for v in start))

    x = Value(0.5)
    y = x
    for _ in range(3000):
        y = y + x
    y.backward()
    assert x.grad == 3001, f"d(x + x + ... + x)/dx with 3001 terms: expected 3001, got {x.grad}"
    print("exercise check passed")


# %% [markdown]
# **Your turn.** Replace `None` with your class and run the check. While it
# is `None`, the check runs on the worked solution
# (`tutorials/solutions/backward_step_by_step.py`) instead.

# %%
Value = None  # your answer here

# %%
check_value_engine(Value)
