"""Every tutorial runs top to bottom, its exercises are laid out for a learner, and
every exercise check rejects a wrong answer with a table: ✓ for each part the
wrong answer gets right, ✗ with "expected ..., got ..." for each part it gets wrong.

An exercise is: the task, a ``check_<name>`` function, an answer cell
``<name> = None  # your answer here`` and the cell ``check_<name>(<name>)``.
The worked solution lives in ``tutorials/solutions/``, out of the notebook;
the check falls back to it (and says so) only while the answer is still None.

Each tutorial runs as a subprocess in a fresh temporary directory (its pictures
land there, never in the repository) with ``MPLBACKEND=Agg`` and
``MINIGRAD_FAST=1``, which only shrinks training loops. Whatever a tutorial
prints passes the word filter (tests/wordfilter.py).
"""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wordfilter import unfit_words

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
PICTURE_SUFFIXES = {".svg", ".png", ".html"}
# What a tutorial writes goes under figures/ (pictures) or out/ (other files) of the
# directory it runs in.
EXERCISE = re.compile(r"^# %% \[markdown\]\n# ## Exercise", flags=re.M)
HEADING = re.compile(r"^# ## ", flags=re.M)
ROW = re.compile(r"^  ([✓✗])  (.+?)(?: {2,}|$)", flags=re.M)


def cells(script: Path) -> list[str]:
    """The code cells of a ``# %%`` script (markdown cells dropped)."""
    parts = re.split(r"^# %%.*$", script.read_text(), flags=re.M)[1:]
    markers = re.findall(r"^# %%.*$", script.read_text(), flags=re.M)
    return [body for marker, body in zip(markers, parts, strict=True) if "[markdown]" not in marker]


def exercises(script: Path) -> list[str]:
    """The text of each exercise section, from its heading to the next heading."""
    text = script.read_text()
    sections = []
    for match in EXERCISE.finditer(text):
        after = HEADING.search(text, match.end())
        section = text[match.start() : after.start() if after else len(text)]
        sections.append(re.sub(r"# %% \[markdown\]\s*$", "", section))
    return sections


def test_every_tutorial_is_found() -> None:
    assert len(SCRIPTS) >= 10, [p.name for p in SCRIPTS]
    numbers = [int(p.name[:2]) for p in SCRIPTS]
    assert numbers == list(range(1, len(SCRIPTS) + 1)), numbers


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_tutorial_runs(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg", "MINIGRAD_FAST": "1"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-3000:]}\n{done.stderr}"
    passed = done.stdout.count("exercise check passed")
    assert passed == len(exercises(script)), done.stdout[-2000:]
    assert unfit_words(done.stdout) == [], f"{script.name} prints a sample unfit to print"
    pictures = [p for p in tmp_path.rglob("*") if p.suffix in PICTURE_SUFFIXES]
    assert pictures, f"{script.name} saved no picture into its working directory"
    written = {p.relative_to(tmp_path).parts[0] for p in tmp_path.iterdir()}
    allowed = {"figures", "out", ".hypothesis"}  # .hypothesis: Hypothesis's own cache
    assert written <= allowed, f"{script.name} wrote {sorted(written - allowed)} beside itself"
    assert all(p.stat().st_size > 0 for p in pictures)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_exercise_layout(script: Path) -> None:
    sections = exercises(script)
    assert sections, f"{script.name}: no exercise"
    assert "## Solution" not in script.read_text(), f"{script.name}: a solution in the notebook"
    for section in sections:
        checks = re.findall(r"^def (check_\w+)\((\w+)\):", section, flags=re.M)
        assert len(checks) == 1, f"{script.name}: expected one check per exercise, got {checks}"
        check, name = checks[0]
        module = script.stem[3:]
        flat = re.sub(r"\s+", " ", section)
        fallback = rf'answer_or_solution\( ?{name}, "{module}", "{name}" ?\)'
        assert re.search(fallback, flat), (
            f"{script.name}: {check} does not fall back to the solution"
        )
        assert re.search(rf"^{name} = None  # your answer here", section, flags=re.M), (
            f"{script.name}: no answer cell '{name} = None  # your answer here'"
        )
        last_cell = section.rsplit("# %%", 1)[1].strip()
        assert last_cell == f"{check}({name})", last_cell
        solution = TUTORIALS / "solutions" / f"{module}.py"
        assert re.search(rf"^(def|class) {name}\b", solution.read_text(), flags=re.M), (
            f"{solution.name} has no {name}"
        )


def wrong_two_layer(x, w1, b1, w2, b2):
    return (x @ w1 + b1).tanh() @ w2 + b2  # the last tanh forgotten


def wrong_hand_gradients(a, b):
    s = a * b + a
    return (1 - np.tanh(s) ** 2) * b, (1 - np.tanh(s) ** 2) * a  # one use of a forgotten


class OverwritingValue:
    """A scalar engine whose backward assigns instead of accumulating."""

    def __init__(self, data, inputs=(), local_grads=()):
        self.data, self.grad = float(data), 0.0
        self.inputs, self.local_grads = inputs, local_grads

    def __add__(self, other):
        return type(self)(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return type(self)(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = float(np.tanh(self.data))
        return type(self)(t, (self,), (1 - t * t,))

    def order(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((i, False) for i in node.inputs)
        return order

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for inp, local in zip(node.inputs, node.local_grads, strict=True):
                inp.grad = local * node.grad  # "a used twice" keeps only one use


class RecursiveValue(OverwritingValue):
    """A right engine, but its topological sort calls itself once per node."""

    def order(self):
        order, seen = [], set()

        def visit(node):
            if id(node) not in seen:
                seen.add(id(node))
                for i in node.inputs:
                    visit(i)
                order.append(node)

        visit(self)
        return order

    def backward(self):
        self.grad = 1.0
        for node in reversed(self.order()):
            for inp, local in zip(node.inputs, node.local_grads, strict=True):
                inp.grad += local * node.grad


def wrong_mean_backward(grad, shape, axis, keepdims):
    if not keepdims and axis is not None:
        grad = np.expand_dims(grad, axis)
    return np.broadcast_to(grad / np.prod(shape), shape)  # divided by every element, not n


def wrong_log_cosh():
    import minigrad as mg

    class LogCosh(mg.Function):
        def forward(self, x):
            a = np.abs(x)
            return a + np.log1p(np.exp(-2 * a)) - np.log(2.0)

        def backward(self, grad, out, x):
            return (x.tanh(),)  # the incoming gradient forgotten

    return LogCosh.apply


def wrong_momentum_descent(loss_fn, params, steps, lr, mu):
    losses = []
    for _ in range(steps):  # plain gradient descent: the velocity forgotten
        for p in params:
            p.zero_grad()
        loss = loss_fn()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad.data
        losses.append(loss.item())
    return losses


def wrong_step_loss(ids, h_prev, targets, U, W, b, V, c):
    h = (U.T[ids] + h_prev @ W.T + b).tanh()
    o = h @ V.T + c
    log_y = o - o.exp().sum(axis=-1, keepdims=True).log()  # no maximum subtracted
    return h, -log_y[np.arange(len(ids)), targets].mean()


def wrong_bptt(params, xs, targets):
    """BPTT with the term Wᵀ δa_{t+1} left out of δh_t."""
    U, W, V, b, c = (params[name] for name in ("U", "W", "V", "b", "c"))
    T, B = xs.shape
    rows, inputs = np.arange(B), np.eye(U.shape[1])[xs]
    hs, probs, loss = [np.zeros((B, W.shape[0]))], [], 0.0
    for t in range(T):
        hs.append(np.tanh(inputs[t] @ U.T + hs[-1] @ W.T + b))
        o = hs[-1] @ V.T + c
        p = np.exp(o - o.max(axis=1, keepdims=True))
        probs.append(p / p.sum(axis=1, keepdims=True))
        loss -= np.log(probs[-1][rows, targets[t]]).sum() / (T * B)
    grads = {name: np.zeros_like(value) for name, value in params.items()}
    for t in reversed(range(T)):
        do = probs[t].copy()
        do[rows, targets[t]] -= 1
        do /= T * B
        da = (do @ V) * (1 - hs[t + 1] ** 2)
        grads["V"] += do.T @ hs[t + 1]
        grads["c"] += do.sum(axis=0)
        grads["W"] += da.T @ hs[t]
        grads["U"] += da.T @ inputs[t]
        grads["b"] += da.sum(axis=0)
    return loss, grads


def wrong_clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    return [g * max_norm / norm for g in grads], norm  # also scales short gradients up


def wrong_gradient_profile(W, hs, dh_last, activation):
    derivative = 1 - hs**2  # tanh's derivative, for ReLU too
    dh, norms = dh_last, [np.linalg.norm(dh_last)]
    for t in range(len(hs) - 1, 0, -1):
        dh = (dh * derivative[t]) @ W
        norms.append(np.linalg.norm(dh))
    return np.array(norms[::-1])


def wrong_greedy(model, vocab, prefix, n):
    import minigrad as mg

    with mg.no_grad():
        logits, _ = model(vocab.encode(prefix).reshape(-1, 1))
    best = int(logits.data[-1, 0].argmax())
    return vocab.decode(np.array([best] * n))  # the choice never fed back


def wrong_gru_step(x, h_prev, U, W, b, H):
    a, m = x @ U.T + b, h_prev @ W.T
    r = (a[:, :H] + m[:, :H]).sigmoid()
    z = (a[:, H : 2 * H] + m[:, H : 2 * H]).sigmoid()
    candidate = (a[:, 2 * H :] + r * m[:, 2 * H :]).tanh()
    return z * candidate + (1 - z) * h_prev  # the update gate the wrong way round


def wrong_lstm_step_backward():
    from solutions.lstm_and_gru import lstm_step_backward

    def forgets_the_forget_gate(x, h_prev, c_prev, U, W, b, dh, dc):
        grads = lstm_step_backward(x, h_prev, c_prev, U, W, b, dh, dc)
        H = h_prev.shape[1]
        a = x @ U.T + h_prev @ W.T + b
        f = 1 / (1 + np.exp(-a[:, H : 2 * H]))
        grads["c_prev"] = grads["c_prev"] / f  # δc_{t-1} = δc_t, the factor f forgotten
        return grads

    return forgets_the_forget_gate


def wrong_gru_bias(bias_ih, bias_hh, H):
    return bias_ih + bias_hh  # b_hn folded in, where minigrad's GRU has no place for it


# For each check: a wrong answer, and the rows of its table that must say ✓ or ✗
# (a row name starting with the given prefix). None: a check without a table.
WRONG_ANSWERS: dict[str, tuple[Any, dict[str, str] | None]] = {
    "check_two_layer": (
        lambda: wrong_two_layer,
        {"value": "✗", "tanh nodes": "✗", "add nodes": "✓", "matmul nodes": "✓"},
    ),
    "check_hand_gradients": (lambda: wrong_hand_gradients, {"dL/db": "✓", "dL/da": "✗"}),
    "check_value_engine": (
        lambda: OverwritingValue,
        {"L =": "✓", "dL/dc": "✓", "dL/db": "✗", "dL/da": "✗", "x + x": "✗"},
    ),
    "check_mean_backward": (
        lambda: wrong_mean_backward,
        {"(3, 4), axis=None": "✓", "(3, 4), axis=1": "✗", "(2, 3, 4)": "✗"},
    ),
    "check_log_cosh": (
        wrong_log_cosh,
        {"log_cosh(z)": "✓", "log_cosh(1000)": "✓", "gradcheck": "✗", "Hypothesis": "✗"},
    ),
    "check_momentum_descent": (lambda: wrong_momentum_descent, {"losses": "✗"}),
    "check_step_loss": (
        lambda: wrong_step_loss,
        {"loss L": "✓", "h_t": "✓", "dL/d": "✓", "softmax": "✓", "logits near 1000": "✗"},
    ),
    "check_bptt": (
        lambda: wrong_bptt,
        {"loss L": "✓", "dV": "✓", "dc": "✓", "dW": "✗", "dU": "✗", "db": "✗"},
    ),
    "check_gradient_profile": (lambda: wrong_gradient_profile, {"tanh": "✓", "relu": "✗"}),
    "check_clip_by_global_norm": (
        lambda: wrong_clip_by_global_norm,
        {"gradient 0, max_norm=0.5": "✓", "norm before": "✓", "gradient 0, max_norm=1e+06": "✗"},
    ),
    "check_greedy": (
        lambda: wrong_greedy,
        {"30 characters": "✓", "character 1": "✓", "characters 2": "✗"},
    ),
    "check_lstm_step_backward": (
        wrong_lstm_step_backward,
        {"dL/dc_prev": "✗", "dL/dh_prev": "✓", "dL/dW": "✓", "dL/dU": "✓", "dL/dx": "✓"},
    ),
    "check_gru_step": (lambda: wrong_gru_step, {"h_t": "✗", "dL/dU": "✗"}),
    "check_gru_bias": (
        lambda: wrong_gru_bias,
        {"b, block r": "✓", "b, block z": "✓", "b, block candidate": "✓", "b_hn": "✗"},
    ),
}
CHECKS = [
    (script, check)
    for script in SCRIPTS
    for section in exercises(script)
    for check in re.findall(r"^def (check_\w+)\(", section, flags=re.M)
]


def run_check(script: Path, check: str, answer: Any) -> str:
    """Run the tutorial's first cell and its check cell, then the check on ``answer``."""
    code = cells(script)
    check_cell = next(c for c in code if f"def {check}(" in c)
    namespace: dict[str, Any] = {"__name__": "tutorial"}
    exec(compile(code[0] + check_cell, str(script), "exec"), namespace)
    with pytest.raises(AssertionError) as caught:
        namespace[check](answer)
    return str(caught.value)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "path", [str(TUTORIALS), *sys.path])
    return tmp_path


@pytest.mark.parametrize("script, check", CHECKS, ids=[c for _, c in CHECKS])
def test_check_rejects_a_wrong_answer(script: Path, check: str, in_tmp: Path) -> None:
    """The check fails a wrong answer and says, part by part, what is right and what is not."""
    assert check in WRONG_ANSWERS, f"no wrong answer for {check} in this test"
    make_answer, marks = WRONG_ANSWERS[check]
    message = run_check(script, check, make_answer())
    said = ("expected" in message and "got" in message) or (
        "analytic" in message and "numeric" in message
    )
    assert said, f"{check}: the failure does not say expected vs got:\n{message}"
    if marks is None:
        return
    rows = ROW.findall(message)
    assert rows, f"{check}: no ✓/✗ table in the failure:\n{message}"
    for prefix, mark in marks.items():
        matching = [m for m, name in rows if name.startswith(prefix)]
        assert matching, f"{check}: no row {prefix!r} in\n{message}"
        assert set(matching) == {mark}, f"{check}: rows {prefix!r} should say {mark}:\n{message}"


def test_a_sequence_check_names_the_first_wrong_step(in_tmp: Path) -> None:
    """Plain gradient descent equals momentum for two steps (the velocity starts as g)."""
    script = TUTORIALS / "05_gradient_descent.py"
    message = run_check(script, "check_momentum_descent", wrong_momentum_descent)
    assert "first wrong at step 3:" in message, message


def test_a_recursive_engine_gets_the_hint(in_tmp: Path) -> None:
    """A recursive topological sort is right on small graphs and told how to go deeper."""
    script = TUTORIALS / "02_backward_step_by_step.py"
    message = run_check(script, "check_value_engine", RecursiveValue)
    marks = dict((name.split("  ")[0], mark) for mark, name in ROW.findall(message))
    assert [marks[n] for n in marks if n.startswith("dL/d")] == ["✓", "✓", "✓"], message
    assert marks["x + x + ... + x, 3001 terms: dx"] == "✗", message
    assert "RecursionError" in message and "iterative topological sort" in message, message
