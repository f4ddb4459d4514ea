# %% [markdown]
# # 1. Tensors and the computation graph
#
# **You will learn**
#
# - what a minigrad `Tensor` holds: a numpy array (`.data`), a name, and a flag
#   that says whether we want its gradient (`requires_grad`);
# - how running ordinary arithmetic on tensors *records* a graph: every result
#   remembers the operation that made it and that operation's inputs;
# - how to list the graph in order (`minigrad.toposort`) and draw it
#   (`minigrad.viz.draw`);
# - how to switch recording off (`no_grad`) and how to group nodes (`scope`).
#
# Everything here is forward computation. Tutorial 2 runs the graph backwards.
#
# Run this file top to bottom with `make tutorial N=1` from the checkout (it
# uses the Python of `.venv`, where minigrad is installed), or cell by cell in
# VS Code / Jupyter. A cell that makes a picture ends with
# it, so a notebook shows it under the cell; it is also saved into a
# `figures/` folder in the directory you run from (`tutorials/README.md` shows
# how to run the tutorials from a scratch directory).

# %%
import sys
from collections import Counter
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad.viz import draw

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

# %% [markdown]
# ## A tensor wraps a numpy array
#
# `mg.Tensor(data)` accepts numbers, nested lists or numpy arrays. Python
# numbers become **float64**: gradients are compared with finite differences
# later on, and those need the precision. The array itself is `.data`.

# %%
x = mg.Tensor([[1.0, 2.0, 3.0]], name="x")
print(x)
print("data :", x.data, type(x.data).__name__)
print("shape:", x.shape, " dtype:", x.dtype, " ndim:", x.ndim)
print("requires_grad:", x.requires_grad, " is_leaf:", x.is_leaf)

# %% [markdown]
# ## Parameters: tensors we want gradients for
#
# The input `x` is data. The weights `w` and the bias `b` are what a model
# learns, so we mark them `requires_grad=True`. That flag is the only
# difference: it tells the engine "remember how anything computed from me was
# made".

# %%
w = mg.Tensor([[0.2, -0.5], [0.4, 0.1], [-0.3, 0.3]], requires_grad=True, name="w")
b = mg.Tensor([0.1, -0.2], requires_grad=True, name="b")
print(w)
print(b)

# %% [markdown]
# ## One operation, one recorded node
#
# `x @ w` is a matrix product, shape (1, 3) @ (3, 2) -> (1, 2). The result is
# an ordinary tensor, but it is not a leaf: `.op` names the operation that
# made it and `.inputs` holds the tensors that operation read. (For a leaf,
# `.op` is None and `.inputs` is empty.)

# %%
z = x @ w
print(z)
print("op:", z.op, " is_leaf:", z.is_leaf, " requires_grad:", z.requires_grad)
print("inputs of the op:", [t.name for t in z.inputs])
print("a leaf:", x.op, x.inputs)

# %% [markdown]
# Each operation carries its rule as a one-line formula, `.formula`: the
# forward computation and the local derivative(s) that backward will use. For
# a matrix product Y = A @ B with incoming gradient G:

# %%
print(z.formula)

# %% [markdown]
# ## Build `tanh(x·w + b)`
#
# Two more operations: add the bias (b has shape (2,), z has shape (1, 2); the
# add broadcasts b across the row — tutorial 3 is about what that means for
# gradients), then squash with tanh.

# %%
a = z + b
y = a.tanh()
for t in (a, y):
    print(f"{t.op:>6}: data {t.data}   formula: {t.formula}")
print("compare with numpy:", np.tanh(x.data @ w.data + b.data))

# %% [markdown]
# ## Walking the graph by hand
#
# Nothing else was stored: from `y` alone we can reach every tensor that
# contributed to it, by following `.inputs` backwards. Below, a plain
# loop with a stack (no recursion: graphs can be very deep) prints each node
# once.

# %%
seen = set()
stack = [y]
while stack:
    t = stack.pop()
    if id(t) in seen:
        continue
    seen.add(id(t))
    if t.is_leaf:
        print(f"leaf {t.name!r:5} shape {t.shape}  requires_grad={t.requires_grad}")
    else:
        names = [s.name or s.op for s in t.inputs]
        print(f"node made by {t.op:6} from {names}")
        stack.extend(t.inputs)

# %% [markdown]
# ## Topological order
#
# Backward needs the nodes in an order where every node comes *after* its
# inputs (a topological order); walking that list in reverse visits each node
# after everything that used it. `mg.toposort(root)` computes it. It lists only
# the nodes that need a gradient, so the constant input `x` is not there.

# %%
order = mg.toposort(y)
for i, t in enumerate(order):
    print(i, t.name if t.is_leaf else f"({t.op})", t.shape)

# %% [markdown]
# ## Draw the graph
#
# `draw(root)` turns the same graph into a picture: tensors are boxes (learnable
# leaves blue, constants grey and dashed), operations are yellow ellipses with
# their formula, and data flows left to right. Nothing has a gradient yet, so
# we switch that part of the labels off with `grads=False`. `.save()` renders
# it with Graphviz; `.source` is the DOT text behind it.

# %%
graph = draw(y, grads=False)
graph.save(OUT / "01_graph.svg")
print(graph)
print("\n".join(graph.source.splitlines()[:6]))
print("saved", OUT / "01_graph.svg")
graph

# %% [markdown]
# ## Turning recording off
#
# Recording costs memory: each node keeps its inputs alive. When no gradient
# is needed (evaluating a trained model, updating weights), compute under
# `mg.no_grad()`; the result is a plain leaf with no history.

# %%
with mg.no_grad():
    y_eval = (x @ w + b).tanh()
print("under no_grad: is_leaf", y_eval.is_leaf, " requires_grad", y_eval.requires_grad)
print("same numbers:", np.allclose(y_eval.data, y.data))

# %% [markdown]
# ## Grouping nodes with scopes
#
# Tensors created inside `with mg.scope("name"):` remember that name in
# `.scope`, and `draw` puts each scope in its own box (a *cluster*). A tensor
# used by several scopes is drawn once outside them. Recurrent networks use
# this later to draw one box per time step. Here: two layers, drawn top to
# bottom (`rankdir="TB"`) so that the page stays narrow.

# %%
w2 = mg.Tensor([[0.7], [-0.6]], requires_grad=True, name="w2")
with mg.scope("layer 1"):
    h = (x @ w + b).tanh()
with mg.scope("layer 2"):
    out = (h @ w2).tanh()
print("h.scope =", repr(h.scope), "  out.scope =", repr(out.scope), "  w.scope =", repr(w.scope))
graph = draw(out, grads=False, rankdir="TB")
graph.save(OUT / "01_two_layers.svg")
print("saved", OUT / "01_two_layers.svg")
graph

# %% [markdown]
# ## Exercise: a two-layer network
#
# Write `two_layer(x, w1, b1, w2, b2)` returning `tanh(tanh(x·w1 + b1)·w2 + b2)`
# with minigrad operations. Here is the check: it calls your function on
# random inputs, compares the value with numpy, and asserts that the recorded
# graph holds exactly the six operations you expect.


# %%
def check_two_layer(two_layer):
    two_layer = answer_or_solution(two_layer, "tensors_and_graphs", "two_layer")
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((2, 3)), name="x")
    params = [
        mg.Tensor(rng.standard_normal(shape), requires_grad=True, name=name)
        for name, shape in [("w1", (3, 4)), ("b1", (4,)), ("w2", (4, 2)), ("b2", (2,))]
    ]
    result = two_layer(x, *params)
    w1, b1, w2, b2 = (p.data for p in params)
    report = Report("check_two_layer: your network against numpy, and the graph it recorded")
    report.compare("value", result.data, np.tanh(np.tanh(x.data @ w1 + b1) @ w2 + b2))
    ops = Counter(t.op for t in mg.toposort(result) if not t.is_leaf)
    for op in ("tanh", "add", "matmul"):
        report.condition(f"{op} nodes", ops[op] == 2, 2, ops[op])
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/tensors_and_graphs.py`) instead.

# %%
two_layer = None  # your answer here

# %%
check_two_layer(two_layer)
