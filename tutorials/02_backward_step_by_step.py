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
#   backward adds to `.grad`;
# - how to build the whole engine yourself (`Value`, the exercise), and then
#   train a small network with it on two moons — and the same with minigrad.
#
# Tutorial 1 built a graph; here we run it backwards.

# %%
import inspect
import os
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from minigrad import engine, nn, optim
from minigrad.viz import draw, flipbook

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report, central_differences  # the exercise checks' table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"  # the tests' setting: fewer training steps

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
# ## The engine's own loop
#
# Here is that walk as minigrad writes it, `minigrad/engine.py`
# (`backward_steps` turns each step it yields into the record printed above).
# Read the `for` loop: it goes through `reversed(toposort(root))`;
# `pending.pop(node)` is the sum of what the node's consumers sent; a leaf
# (`fn is None`) or a `retain_grad()` tensor stores it into `.grad`;
# otherwise `_apply_rule` calls the op's `backward` and sends each input its
# share; then the step is yielded. The rest is an error for a graph already
# used. `walk.rule` sets the mode a rule runs in, and that is for speed:
# unless you ask for `create_graph=True` (a gradient you will differentiate
# again, tutorial 4), nothing in a rule needs recording, so the gradients are
# plain numpy arrays and the ops a rule calls take and return arrays
# (`MODE.arrays`): the same rule, `grad * b`, without building a Tensor for
# every product.

# %%
print(inspect.getsource(engine.walk_backward))

# %% [markdown]
# `_apply_rule` is the chain rule itself: the op's `backward(grad, out, *inputs)`
# returns one gradient per input, and each input gets its share. The first
# gradient an intermediate node receives goes straight into `pending`; a
# second one is added to it by `walk.send` (as is one bound for a leaf's
# `.grad`) — the accumulation the next sections are about.

# %%
print(inspect.getsource(engine._apply_rule))

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
    report = Report("check_hand_gradients: your chain rule against the engine's backward")
    for a_val, b_val in [(0.3, -0.7), (1.2, 0.4), (-0.5, 2.0)]:
        a = mg.Tensor(a_val, requires_grad=True)
        b = mg.Tensor(b_val, requires_grad=True)
        (a * b + a).tanh().backward()
        da, db = hand_gradients(a_val, b_val)
        report.compare(f"dL/db at a={a_val}, b={b_val}", db, b.grad.item())
        report.compare(f"dL/da at a={a_val}, b={b_val}", da, a.grad.item())
    report.done()


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
# The check compares your value and gradients with minigrad's, and your
# gradients with central differences of your own forward (tutorial 4 explains
# them). Last, a chain of 3000 additions, deeper than Python's recursion
# limit.


# %%
def check_value_engine(Value):
    Value = answer_or_solution(Value, "backward_step_by_step", "Value")

    def f(a, b, c):  # a and b are used twice, c once
        return ((a * b + c).tanh() * a + b * b).tanh()

    start = np.array([0.3, -0.8, 0.5])
    leaves = [Value(v) for v in start]
    out = f(*leaves)
    out.backward()
    tensors = [mg.Tensor(v, requires_grad=True) for v in start]
    expected = f(*tensors)
    expected.backward()
    numeric = central_differences(lambda: f(*(Value(v) for v in start)).data, start)
    report = Report("check_value_engine: your Value against minigrad and central differences")
    report.compare("L = f(a, b, c)", out.data, expected.item())
    for i, label in reversed(list(enumerate(["a, used twice", "b, used twice", "c, used once"]))):
        report.compare(f"dL/d{label}", leaves[i].grad, tensors[i].grad.item(), numeric=numeric[i])

    x = Value(0.5)
    y = x
    for _ in range(3000):
        y = y + x
    hint = ""
    try:
        y.backward()
        report.condition("x + x + ... + x, 3001 terms: dx", x.grad == 3001, 3001, x.grad)
    except RecursionError:
        report.condition("x + x + ... + x, 3001 terms: dx", False, 3001, "a RecursionError")
        hint = (
            f"hint: your backward calls itself once per node, and Python stops at "
            f"{sys.getrecursionlimit()} nested calls. List the graph with a loop and an explicit "
            f"stack instead (an iterative topological sort, like the walk in tutorial 1)."
        )
    report.done(hint)


# %% [markdown]
# **Your turn.** Replace `None` with your class and run the check. While it
# is `None`, the check runs on the worked solution
# (`tutorials/solutions/backward_step_by_step.py`) instead.

# %%
Value = None  # your answer here

# %%
check_value_engine(Value)

# %% [markdown]
# ## Train with your engine: two moons
#
# Your `Value` is a whole engine, enough to train a network. The data: two
# moons, 200 points in the plane on two interleaved half circles with a little
# noise, label +1 for the upper moon and -1 for the lower one. No straight
# line separates them. The first 100 points train, the other 100 measure
# the accuracy.


# %%
def two_moons(n, noise, rng):
    """n points, alternately on the upper and the lower moon, and labels ±1."""
    t = rng.uniform(0, np.pi, n)
    upper = np.arange(n) % 2 == 0
    on_curve = np.where(
        upper[:, None],
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)]),
    )
    return on_curve + noise * rng.standard_normal((n, 2)), np.where(upper, 1.0, -1.0)


points, labels = two_moons(200, 0.1, np.random.default_rng(0))
train_x, train_y, test_x, test_y = points[:100], labels[:100], points[100:], labels[100:]
print("train", train_x.shape, "test", test_x.shape, "labels", np.unique(labels))

# %% [markdown]
# The network has one hidden layer of 8 tanh units; its score
# s = Σ_j w2_j tanh(W1_j · x + b1_j) + b2 says "upper moon" when positive.
# The loss is the mean of (s - y)² over the training points, built from +, ×
# and tanh only: all your `Value` has (a constant such as -y is a Value
# too). Each step of gradient descent builds the graph of all 100 points,
# about 6000 Values, runs one `backward()`, moves every parameter by
# -lr · grad and sets its gradient back to 0. The starting weights are drawn
# once as arrays, so minigrad can start from the same numbers below.

# %%
Engine = answer_or_solution(Value, "backward_step_by_step", "Value")
HIDDEN, STEPS, LR = 8, 30 if FAST else 150, 0.5
init = np.random.default_rng(1)
start = {
    "W1": init.standard_normal((HIDDEN, 2)),
    "b1": np.zeros(HIDDEN),
    "w2": init.standard_normal(HIDDEN) / np.sqrt(HIDDEN),
    "b2": 0.0,
}
W1 = [[Engine(v) for v in row] for row in start["W1"]]
b1 = [Engine(v) for v in start["b1"]]
w2 = [Engine(v) for v in start["w2"]]
b2 = Engine(start["b2"])
weights = [*(v for row in W1 for v in row), *b1, *w2, b2]


def score(point):
    x0, x1 = Engine(point[0]), Engine(point[1])
    s = b2
    for row, bias, weight in zip(W1, b1, w2, strict=True):
        s = s + weight * (row[0] * x0 + row[1] * x1 + bias).tanh()
    return s


def mean_squared_error(points, labels):
    total = Engine(0.0)
    for point, label in zip(points, labels, strict=True):
        error = score(point) + Engine(-label)
        total = total + error * error
    return total * Engine(1 / len(points))


began = time.perf_counter()
for _ in range(STEPS):
    loss = mean_squared_error(train_x, train_y)
    for p in weights:
        p.grad = 0.0
    loss.backward()
    for p in weights:
        p.data -= LR * p.grad
own_seconds = time.perf_counter() - began
own_says = np.array([np.sign(score(p).data) for p in test_x])
own_accuracy = np.mean(own_says == test_y)
print(f"your engine: loss {loss.data:.4f} after {STEPS} steps, {own_seconds:.1f} s")
print(f"your engine: test accuracy {own_accuracy:.0%}")

# %% [markdown]
# ## The same with minigrad
#
# minigrad does the same with arrays: `nn.Linear` is x Wᵀ + b for a whole
# batch of rows, `optim.SGD` is the update loop above (tutorial 5). Starting
# from the same weights, the two must agree.

# %%
hidden, output = nn.Linear(2, HIDDEN), nn.Linear(HIDDEN, 1)
hidden.weight.data[...], hidden.bias.data[...] = start["W1"], start["b1"]
output.weight.data[...], output.bias.data[...] = start["w2"], start["b2"]
optimizer = optim.SGD([*hidden.parameters(), *output.parameters()], lr=LR)


def network(x):
    return output(hidden(mg.Tensor(x)).tanh()).reshape(-1)


began = time.perf_counter()
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = ((network(train_x) - mg.Tensor(train_y)) ** 2).mean()
    loss.backward()
    optimizer.step()
minigrad_seconds = time.perf_counter() - began
minigrad_says = np.sign(network(test_x).data)
minigrad_accuracy = np.mean(minigrad_says == test_y)
print(f"minigrad   : loss {loss.item():.4f} after {STEPS} steps, {minigrad_seconds:.2f} s")
print(f"your engine: test accuracy {own_accuracy:.0%}")
print(f"minigrad   : test accuracy {minigrad_accuracy:.0%}")
print(f"same predictions on every test point: {np.array_equal(own_says, minigrad_says)}")
print(f"minigrad took 1/{own_seconds / minigrad_seconds:.0f} of your engine's time")
assert np.array_equal(own_says, minigrad_says)

# %% [markdown]
# The same numbers in a small fraction of the time (printed above): minigrad
# makes one node per array operation, where your engine makes one per number. The picture shows
# the test points and the boundary s = 0 the network learned.

# %%
grid = np.stack(np.meshgrid(np.linspace(-1.5, 2.5, 120), np.linspace(-1, 1.5, 80)), axis=-1)
scores = network(grid.reshape(-1, 2)).data.reshape(grid.shape[:2])
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.contourf(grid[..., 0], grid[..., 1], scores, levels=[-99, 0, 99], colors=["#f4c7b8", "#bcd3ea"])
ax.contour(grid[..., 0], grid[..., 1], scores, levels=[0], colors="k", linewidths=1)
for label, colour, name in (
    (1.0, "#1f5f9f", "upper moon (+1)"),
    (-1.0, "#b5442a", "lower moon (-1)"),
):
    on = test_y == label
    ax.scatter(test_x[on, 0], test_x[on, 1], s=14, color=colour, label=name)
ax.set(title=f"test points and the learned boundary: {minigrad_accuracy:.0%} right", aspect="equal")
ax.legend(loc="lower left")
fig.tight_layout()
fig.savefig(OUT / "02_moons.png", dpi=120)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "02_moons.png")
fig
