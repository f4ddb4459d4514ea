"""Every tutorial runs top to bottom, its exercises are laid out for a learner, and
every exercise check rejects a wrong answer with an "expected ..., got ..." message.

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
EXERCISE = re.compile(r"^# %% \[markdown\]\n# ## Exercise", flags=re.M)


def cells(script: Path) -> list[str]:
    """The code cells of a ``# %%`` script (markdown cells dropped)."""
    parts = re.split(r"^# %%.*$", script.read_text(), flags=re.M)[1:]
    markers = re.findall(r"^# %%.*$", script.read_text(), flags=re.M)
    return [body for marker, body in zip(markers, parts, strict=True) if "[markdown]" not in marker]


def exercises(script: Path) -> list[str]:
    """The text of each exercise section, from its heading to the next one."""
    text = script.read_text()
    starts = [m.start() for m in EXERCISE.finditer(text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=False)]


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
    assert done.stdout.rstrip().endswith("exercise check passed"), done.stdout[-2000:]
    assert unfit_words(done.stdout) == [], f"{script.name} prints a sample unfit to print"
    pictures = [p for p in tmp_path.rglob("*") if p.suffix in PICTURE_SUFFIXES]
    assert pictures, f"{script.name} saved no picture into its working directory"
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
        return OverwritingValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other):
        return OverwritingValue(self.data * other.data, (self, other), (other.data, self.data))

    def tanh(self):
        t = float(np.tanh(self.data))
        return OverwritingValue(t, (self,), (1 - t * t,))

    def backward(self):
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((i, False) for i in node.inputs)
        self.grad = 1.0
        for node in reversed(order):
            for inp, local in zip(node.inputs, node.local_grads, strict=True):
                inp.grad = local * node.grad  # "a used twice" keeps only one use


def wrong_sum_to_shape(grad, shape):
    return grad.sum(axis=tuple(range(grad.ndim - len(shape))))  # size-1 axes not summed


def wrong_log_cosh(x):
    return x.abs()  # the sharp |x| that log cosh smooths


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


def wrong_rnn_step(x, h_prev, U, W, b, V, c):
    h = (x @ U.T + h_prev @ W + b).tanh()  # W instead of Wᵀ
    return h, (h @ V.T + c).softmax(axis=-1)


def wrong_bptt():
    from solutions.unrolling_and_bptt import bptt

    def no_recurrence(params, xs, targets):
        loss, grads = bptt(params, xs, targets)
        grads["W"] = grads["W"] * 0.5  # a gradient that does not match the loss
        return loss, grads

    return no_recurrence


def wrong_clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum((g**2).sum() for g in grads)))
    return [g * max_norm / norm for g in grads], norm  # also scales short gradients up


def wrong_greedy(model, vocab, prefix, n):
    import minigrad as mg

    with mg.no_grad():
        logits, _ = model(vocab.encode(prefix).reshape(-1, 1))
    best = int(logits.data[-1, 0].argmax())
    return vocab.decode(np.array([best] * n))  # the choice never fed back


def wrong_gru_step(x, h_prev, U, W, b, n):
    a, m = x @ U.T + b, h_prev @ W.T
    r = (a[:, :n] + m[:, :n]).sigmoid()
    z = (a[:, n : 2 * n] + m[:, n : 2 * n]).sigmoid()
    candidate = (a[:, 2 * n :] + r * m[:, 2 * n :]).tanh()
    return z * candidate + (1 - z) * h_prev  # the update gate the wrong way round


def wrong_gru_bias(bias_ih, bias_hh, hidden):
    return bias_ih + bias_hh  # b_hn folded in, where minigrad's GRU has no place for it


WRONG_ANSWERS: dict[str, Any] = {
    "check_two_layer": lambda: wrong_two_layer,
    "check_hand_gradients": lambda: wrong_hand_gradients,
    "check_value_engine": lambda: OverwritingValue,
    "check_sum_to_shape": lambda: wrong_sum_to_shape,
    "check_log_cosh": lambda: wrong_log_cosh,
    "check_momentum_descent": lambda: wrong_momentum_descent,
    "check_rnn_step": lambda: wrong_rnn_step,
    "check_bptt": wrong_bptt,
    "check_clip_by_global_norm": lambda: wrong_clip_by_global_norm,
    "check_greedy": lambda: wrong_greedy,
    "check_gru_step": lambda: wrong_gru_step,
    "check_gru_bias": lambda: wrong_gru_bias,
}
CHECKS = [
    (script, check)
    for script in SCRIPTS
    for section in exercises(script)
    for check in re.findall(r"^def (check_\w+)\(", section, flags=re.M)
]


@pytest.mark.parametrize("script, check", CHECKS, ids=[c for _, c in CHECKS])
def test_check_rejects_a_wrong_answer(
    script: Path, check: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the tutorial's first cell and its check cell, then feed the check a wrong answer."""
    assert check in WRONG_ANSWERS, f"no wrong answer for {check} in this test"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(sys, "path", [str(TUTORIALS), *sys.path])
    code = cells(script)
    check_cell = next(c for c in code if f"def {check}(" in c)
    namespace: dict[str, Any] = {"__name__": "tutorial"}
    exec(compile(code[0] + check_cell, str(script), "exec"), namespace)
    with pytest.raises(AssertionError) as caught:
        namespace[check](WRONG_ANSWERS[check]())
    message = str(caught.value)
    said = ("expected" in message and "got" in message) or (
        "analytic" in message and "numeric" in message
    )
    assert said, f"{check}: the failure does not say expected vs got:\n{message}"
