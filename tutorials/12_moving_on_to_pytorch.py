# %% [markdown]
# # 12. Moving on to PyTorch
#
# **You will learn**
#
# - how a minigrad model maps onto PyTorch's `torch.nn.RNN`, `LSTM`, `GRU` and
#   `Linear`: which array is which key, in which order the gates are stacked,
#   and what happens to the biases;
# - how to export a trained model with `rnn.to_pytorch` as a *safetensors*
#   file, and how to read that file with plain numpy;
# - PyTorch's own equations, written in numpy, give the same logits;
# - with PyTorch installed, `torch.nn` computes the same logits and the same
#   BPTT gradients from the exported file;
# - how `rnn.from_pytorch` reads a file back, and what it refuses.
#
# You need the tutorials on training a character model and on the LSTM and
# GRU. PyTorch is optional: without it the cells that need it print the code
# they would run. To install it without the CUDA libraries that the default
# wheel brings on Linux, take PyTorch's CPU-only wheel:
#
#     .venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu
#
# Set `MINIGRAD_FAST=1` to train only a few steps. The files this tutorial
# writes go into `out/` in the directory you run it from.

# %%
import inspect
import os
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import safetensors
import safetensors.numpy

import minigrad as mg
import rnn

OUT = Path("figures")
OUT.mkdir(exist_ok=True)
FILES = Path("out")  # the exported model files
FILES.mkdir(exist_ok=True)
sys.path.append(str(Path(mg.__file__).resolve().parents[1] / "tutorials"))
from checks import Report  # the exercise check's table
from solutions import answer_or_solution  # the exercise's worked solution, out of sight

FAST = os.environ.get("MINIGRAD_FAST") == "1"
STEPS = 10 if FAST else 150
try:
    import torch
except ImportError:
    torch = None
print("PyTorch", torch.__version__ if torch else "is not installed: its cells print their code")

# %% [markdown]
# ## A model to carry across
#
# A small GRU, trained for a little while, with its vocabulary attached (so
# that it can sample text, and so that the vocabulary travels with the
# weights). The text is minigrad's default corpus, `CharDataset.load()`: a
# short essay on recurrent networks shipped with the package
# (`rnn/corpus/recurrence.txt`) followed by the Zen of Python — not tutorial
# 10's Python documentation, because this model only needs to exist, not to
# write well.

# %%
data = rnn.data.CharDataset.load()
model = rnn.GRU(data.vocab.size, 32, data.vocab.size, seed=0, vocab=data.vocab.to_list())
history = rnn.train(model, data, steps=STEPS, bptt=16, batch_size=8, lr=1e-2, progress=False)
print(f"loss {history.loss[0]:.2f} -> {history.loss[-1]:.2f} after {len(history)} steps")
print("U", model.U.shape, " W", model.W.shape, " b", model.b.shape)
print("V", model.V.shape, " c", model.c.shape)

# %% [markdown]
# ## The mapping
#
# PyTorch splits the model in two modules: the recurrent layer
# (`torch.nn.GRU(input_size, hidden_size)`) and the output head
# (`torch.nn.Linear(hidden_size, output_size)`). Put them in a
# `torch.nn.ModuleDict` under the names `rnn` and `head`, and its
# `state_dict` has exactly these keys (H hidden, G gate blocks: 1 for the
# RNN, 4 for the LSTM, 3 for the GRU):
#
# | PyTorch key          | shape              | minigrad | note                        |
# | -------------------- | ------------------ | -------- | --------------------------- |
# | `rnn.weight_ih_l0`   | (G·H, input_size)  | U        | gate blocks in one order:   |
# | `rnn.weight_hh_l0`   | (G·H, H)           | W        | LSTM i f g o, GRU r z n     |
# | `rnn.bias_ih_l0`     | (G·H,)             | b        |                             |
# | `rnn.bias_hh_l0`     | (G·H,)             | zeros    | b = bias_ih + bias_hh       |
# | `head.weight`        | (O, H)             | V        |                             |
# | `head.bias`          | (O,)               | c        |                             |
#
# `_l0` means layer 0 (minigrad's models have one layer), `ih` input to
# hidden, `hh` hidden to hidden. Both libraries stack the gate blocks along
# the rows in the same order, so the matrices are copied as they are:
#
# | rows      | LSTM | GRU | GRU bias: minigrad b ← PyTorch (bias_ih, bias_hh) |
# | --------- | ---- | --- | ------------------------------------------------ |
# | [0, H)    | i    | r   | b_r = b_ir + b_hr  (export: b_ir = b_r, b_hr = 0) |
# | [H, 2H)   | f    | z   | b_z = b_iz + b_hz  (export: b_iz = b_z, b_hz = 0) |
# | [2H, 3H)  | g    | n   | b_n = b_in, and b_hn must be 0                    |
# | [3H, 4H)  | o    |     |                                                  |
#
# PyTorch has two biases where minigrad has one: it adds `bias_ih` to U x and
# `bias_hh` to W h. Wherever only their sum matters (the RNN, the LSTM, the
# GRU's r and z), b = bias_ih + bias_hh, and the export writes b and zeros.
# The GRU's candidate is the exception:
#
#     PyTorch:   n   = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
#     minigrad:  h̃_t = tanh(U_h̃ x + b_h̃ + r ⊙ (W_h̃ h))
#
# (PyTorch names the candidate n, tutorial 11 h̃; the block is the same.)
#
# b_hn is multiplied by the reset gate r, so it cannot be moved into b. A
# minigrad GRU is a PyTorch GRU with b_hn = 0; a PyTorch GRU with b_hn ≠ 0 has
# no exact minigrad twin, and `from_pytorch` refuses it (see below).
#
# Token ids are looked up in minigrad (U e_i is column i of U); PyTorch's
# modules take vectors, so token id i becomes the one-hot vector e_i.
#
# ## Export
#
# `rnn.to_pytorch` writes the file atomically (a temporary file, then a
# rename), and never replaces a file that it did not write itself unless
# told to (`overwrite=True`). From a checkpoint on the command line:
# `python -m rnn export out/char_rnn.npz char_rnn.safetensors`.

# %%
path = rnn.to_pytorch(model, FILES / "char_gru.safetensors")
print(f"wrote {path}: {path.stat().st_size} bytes")

# %% [markdown]
# ## What is in the file
#
# A safetensors file is a small JSON header (names, dtypes, shapes, and
# string metadata) followed by the raw bytes of every tensor: no pickled
# Python objects, nothing runs when you load it. PyTorch, JAX and numpy read
# it; here numpy:

# %%
tensors = safetensors.numpy.load_file(path)
for key, array in tensors.items():
    print(f"{key:18} {str(array.shape):10} {array.dtype}")
with safetensors.safe_open(path, framework="numpy") as f:
    meta = f.metadata()
for key, value in sorted(meta.items()):
    print(f"{key:8} {value[:90]}")

# %% [markdown]
# The arrays are minigrad's, bit for bit, and the hidden bias is zero:

# %%
print("weight_ih_l0 is U:", np.array_equal(tensors["rnn.weight_ih_l0"], model.U.data))
print("bias_ih_l0 is b:  ", np.array_equal(tensors["rnn.bias_ih_l0"], model.b.data))
print("bias_hh_l0 == 0:  ", not tensors["rnn.bias_hh_l0"].any())

# %% [markdown]
# The three gate blocks r, z, n are stacked along the rows of both weight
# matrices, in the same order in both libraries. Drawn as images (one row per
# gate unit, one column per input character or hidden unit):

# %%
H = model.cell.hidden_size
fig, axes = plt.subplots(1, 2, figsize=(8, 4.2), width_ratios=[data.vocab.size, 2 * H])
for ax, key in zip(axes, ["rnn.weight_ih_l0", "rnn.weight_hh_l0"], strict=True):
    weights = tensors[key]
    limit = np.abs(weights).max()
    image = ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
    for row in (H, 2 * H):
        ax.axhline(row - 0.5, color="black", lw=1.5)
    ax.set_yticks([H / 2, 3 * H / 2, 5 * H / 2], ["r", "z", "n"])
    ax.set_title(f"{key}  {weights.shape}")
axes[0].set_xlabel("input (one column per character)")
axes[1].set_xlabel(r"hidden unit of $h_{t-1}$")
fig.suptitle("The GRU's gate blocks, stacked r, z, n in minigrad and in PyTorch")
fig.tight_layout()
fig.savefig(OUT / "12_gate_blocks.png", dpi=100)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "12_gate_blocks.png")
fig

# %% [markdown]
# ## PyTorch's equations, in numpy
#
# Before PyTorch itself, its documented equations, written in numpy with its
# two biases, reading nothing but the file. If the mapping is right, they
# give minigrad's logits.


# %%
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def torch_equations(tensors, x, kind, nonlinearity="tanh"):
    """torch.nn.RNN/LSTM/GRU (one layer) + Linear, as PyTorch documents them; x (T, B, I)."""
    w_ih, w_hh = tensors["rnn.weight_ih_l0"], tensors["rnn.weight_hh_l0"]
    b_ih, b_hh = tensors["rnn.bias_ih_l0"], tensors["rnn.bias_hh_l0"]
    H = w_hh.shape[1]
    h = c = np.zeros((x.shape[1], H))
    hs = []
    for x_t in x:
        gi = x_t @ w_ih.T + b_ih  # the input part of every gate
        gh = h @ w_hh.T + b_hh  # the hidden part of every gate
        if kind == "RNN":
            h = np.tanh(gi + gh) if nonlinearity == "tanh" else np.maximum(gi + gh, 0)
        elif kind == "LSTM":
            i, f, g, o = np.split(gi + gh, 4, axis=1)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
        else:
            r = sigmoid(gi[:, :H] + gh[:, :H])
            z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
            candidate = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
            h = (1 - z) * candidate + z * h
        hs.append(h)
    return np.stack(hs) @ tensors["head.weight"].T + tensors["head.bias"]


# %%
xs, ys = data.sample_batch(seq_len=20, batch_size=4, rng=1)
one_hot = np.eye(data.vocab.size)[xs]  # (T, B, V): token id i -> e_i
logits, _ = model(xs)
numpy_logits = torch_equations(tensors, one_hot, "GRU")
print("logits", logits.shape, " max |difference|:", np.abs(numpy_logits - logits.data).max())

# %% [markdown]
# The difference, if any, is in the last of float64's 16 significant digits:
# the same function, reached through slightly different floating-point steps
# (how the sigmoid is evaluated, in which order a sum is added up).
#
# ## PyTorch itself
#
# The function below is all it takes on the PyTorch side: build the two
# modules in float64 (PyTorch's default is float32), load the file with
# `load_state_dict` as it is, run the sequence, take the mean cross-entropy
# and call `backward()`. PyTorch's parameters then hold its BPTT gradients.


# %%
def pytorch_run(path, xs, ys, kind, nonlinearity="tanh"):
    """Logits and parameter gradients of torch.nn modules loaded from the exported file."""
    import safetensors.torch
    import torch

    state = safetensors.torch.load_file(path)
    n_in, hidden = state["rnn.weight_ih_l0"].shape[1], state["rnn.weight_hh_l0"].shape[1]
    n_out = state["head.weight"].shape[0]
    options = {"nonlinearity": nonlinearity} if kind == "RNN" else {}
    net = torch.nn.ModuleDict(
        {
            "rnn": getattr(torch.nn, kind)(n_in, hidden, **options),
            "head": torch.nn.Linear(hidden, n_out),
        }
    ).double()
    net.load_state_dict(state)
    x = torch.nn.functional.one_hot(torch.as_tensor(xs, dtype=torch.long), n_in).double()
    out, _ = net["rnn"](x)  # (T, B, hidden): h_1 ... h_T
    logits = net["head"](out)
    targets = torch.as_tensor(ys, dtype=torch.long).ravel()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, n_out), targets)
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    return logits.detach().numpy(), grads


# %% [markdown]
# minigrad's side: the same loss, `backward()`, and the gradients under the
# PyTorch names (b's gradient is bias_ih's: b sits where bias_ih does).


# %%
def minigrad_run(model, xs, ys):
    model.zero_grad()
    logits, _ = model(xs)
    rnn.sequence_loss(logits, ys).backward()
    params = {"rnn.weight_ih_l0": model.U, "rnn.weight_hh_l0": model.W}
    params |= {"rnn.bias_ih_l0": model.b, "head.weight": model.V, "head.bias": model.c}
    return logits.data, {key: p.grad.data for key, p in params.items()}


def differences(model, path, xs, ys, nonlinearity="tanh"):
    """max |minigrad - PyTorch| of the logits and of every exported parameter's gradient."""
    kind = type(model).__name__
    ours, our_grads = minigrad_run(model, xs, ys)
    theirs, their_grads = pytorch_run(path, xs, ys, kind, nonlinearity)
    out = {"logits": np.abs(ours - theirs).max()}
    out |= {key: np.abs(g - their_grads[key]).max() for key, g in our_grads.items()}
    return out


# %%
if torch is not None:
    for key, diff in differences(model, path, xs, ys).items():
        print(f"max |minigrad - PyTorch| {key:17} {diff:.1e}")
else:
    print("Install PyTorch's CPU wheel and this cell runs:")
    print("  .venv/bin/pip install torch --index-url https://download.pytorch.org/whl/cpu\n")
    print(inspect.getsource(pytorch_run))

# %% [markdown]
# ## Every cell, the same numbers
#
# The same check for the vanilla RNN (tanh and ReLU), the LSTM and the GRU,
# freshly initialised with random biases (so that a mistake in the biases
# would show). Without PyTorch, only PyTorch's equations in numpy.

# %%
rng = np.random.default_rng(2)
ids = rng.integers(0, 6, size=(12, 3))
next_ids = rng.integers(0, 6, size=(12, 3))
cells = {
    "RNN tanh": rnn.RNN(6, 5, 6, "tanh", seed=3),
    "RNN relu": rnn.RNN(6, 5, 6, "relu", seed=3),
    "LSTM": rnn.LSTM(6, 5, 6, seed=3),
    "GRU": rnn.GRU(6, 5, 6, seed=3),
}
largest = {}
for name, cell_model in cells.items():
    cell_model.b.data[:] = rng.normal(0, 0.5, cell_model.b.shape)
    cell_model.c.data[:] = rng.normal(0, 0.5, cell_model.c.shape)
    activation = cell_model.config().get("activation", "tanh")
    cell_path = rnn.to_pytorch(cell_model, FILES / f"{name.replace(' ', '_')}.safetensors")
    kind = type(cell_model).__name__
    cell_tensors = safetensors.numpy.load_file(cell_path)
    numpy_logits = torch_equations(cell_tensors, np.eye(6)[ids], kind, activation)
    largest[name] = {
        "PyTorch's equations in numpy": np.abs(numpy_logits - cell_model(ids)[0].data).max()
    }
    if torch is not None:
        found = differences(cell_model, cell_path, ids, next_ids, activation)
        largest[name]["PyTorch logits"] = found.pop("logits")
        largest[name]["PyTorch gradients"] = max(found.values())
    print(f"{name:9}", "  ".join(f"{k}: {v:.1e}" for k, v in largest[name].items()))

# %% [markdown]
# The largest differences, on a log scale ("0" where the two agree exactly):

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
columns = list(next(iter(largest.values())))
floor, width = 1e-18, 0.8 / len(columns)
for j, column in enumerate(columns):
    values = np.array([largest[name][column] for name in largest])
    positions = np.arange(len(largest)) + (j - (len(columns) - 1) / 2) * width
    bars = ax.bar(positions, np.where(values > 0, values, np.nan), width, label=column)
    for x, value in zip(positions, values, strict=True):
        if value == 0:
            ax.text(x, 2 * floor, "0", ha="center", color=bars.patches[0].get_facecolor())
ax.set_yscale("log")
ax.set_ylim(floor, 1e-13)
ax.set_xticks(np.arange(len(largest)), list(largest))
ax.set_ylabel("max |difference|")
ax.set_title("minigrad against PyTorch's numbers (float64)")
ax.legend(loc="upper left")
fig.tight_layout()
fig.savefig(OUT / "12_differences.png", dpi=100)
plt.close(fig)  # pyplot lets go of it; the last line shows it, once, in a notebook
print("saved", OUT / "12_differences.png")
fig

# %% [markdown]
# ## Back into minigrad
#
# `rnn.from_pytorch` reads the file back: the config and the vocabulary come
# from the metadata, the weights are the same bits, and the model samples as
# before.

# %%
back = rnn.from_pytorch(path)
ours, theirs = dict(model.named_parameters()), dict(back.named_parameters())
same = all(np.array_equal(ours[name].data, theirs[name].data) for name in ours)
print(type(back).__name__, back.config()["hidden_size"], "hidden; same bits:", same)
print(repr(back.sample("The ", 60, temperature=0.8, seed=0)))

# %% [markdown]
# A file saved from PyTorch (`safetensors.torch.save_file(net.state_dict(),
# ...)`) has no minigrad metadata; `from_pytorch` then reads the sizes from
# the shapes (pass `nonlinearity=` for a `torch.nn.RNN`, whose weights do not
# say). What minigrad cannot represent exactly is refused with the tensor's
# name: more than one layer, a bidirectional module, an LSTM with
# `proj_size`, wrong shapes or dtypes, and a GRU whose b_hn is not zero —
# which a GRU trained in PyTorch always has. Here is that refusal:

# %%
trained_in_pytorch = dict(tensors)
trained_in_pytorch["rnn.bias_hh_l0"] = rng.normal(0, 0.1, 3 * H)
safetensors.numpy.save_file(trained_in_pytorch, FILES / "from_pytorch_gru.safetensors")
try:
    rnn.from_pytorch(FILES / "from_pytorch_gru.safetensors")
except ValueError as err:
    print("refused:", err)

# %% [markdown]
# ## Exercise: fold a GRU's two biases into one
#
# Write `gru_bias(bias_ih, bias_hh, H)`: given a PyTorch GRU's two bias
# vectors (3H each for hidden size H; blocks r, z, n), return minigrad's b,
# or raise a `ValueError` when minigrad's GRU cannot compute the same function. The check
# writes a file as PyTorch would, lets `rnn.from_pytorch` read it, and
# compares its b with yours, then tries a bias your function must refuse.


# %%
def check_gru_bias(gru_bias):
    gru_bias = answer_or_solution(gru_bias, "moving_on_to_pytorch", "gru_bias")
    report = Report("check_gru_bias: your b against the b rnn.from_pytorch reads")
    H = 3
    generator = np.random.default_rng(4)
    bias_ih, bias_hh = generator.normal(size=3 * H), generator.normal(size=3 * H)
    bias_hh[2 * H :] = 0.0
    state = rnn.export.state_dict(rnn.GRU(4, H, 4, seed=4))
    state |= {"rnn.bias_ih_l0": bias_ih, "rnn.bias_hh_l0": bias_hh}
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "exercise_gru.safetensors"
        safetensors.numpy.save_file(state, file)
        expected = rnn.from_pytorch(file).b.data
    got = gru_bias(bias_ih, bias_hh, H)
    blocks = {
        "r": slice(0, H),
        "z": slice(H, 2 * H),
        "candidate": slice(2 * H, None),
    }
    for block, rows in blocks.items():
        report.compare(f"b, block {block}", np.asarray(got)[rows], expected[rows])
    bias_hh[2 * H + 1] = 0.25
    try:
        gru_bias(bias_ih, bias_hh, H)
        refused = "a result"
    except ValueError:
        refused = "a ValueError"
    report.condition("b_hn = 0.25 refused", refused == "a ValueError", "a ValueError", refused)
    report.done()


# %% [markdown]
# **Your turn.** Replace `None` with your function and run the check. While
# it is `None`, the check runs on the worked solution
# (`tutorials/solutions/moving_on_to_pytorch.py`) instead.

# %%
gru_bias = None  # your answer here

# %%
check_gru_bias(gru_bias)
