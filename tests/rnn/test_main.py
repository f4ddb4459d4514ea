"""``python -m rnn``: the demo in fast mode with its outputs checked, and the other commands."""

import contextlib
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from wordfilter import unfit_words

import minigrad as mg
import rnn
from rnn.__main__ import main, parser
from rnn.data import CharDataset
from rnn.demo import run_demo
from rnn.train import HeldOut, TrainState, Windows, load_model


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    lines = []
    printed = io.StringIO()  # the samples train prints while it trains
    with contextlib.redirect_stdout(printed):
        run_demo(out, fast=True, progress=False, say=lines.append)
    return out, "\n".join([printed.getvalue(), *lines])


def test_demo_learns_and_reports(demo):
    _, text = demo
    first, last, vocab = re.search(
        r"loss: ([\d.]+) at step 1 \(ln (\d+) = [\d.]+\) -> ([\d.]+)", text
    ).group(1, 3, 2)
    assert float(first) == pytest.approx(math.log(int(vocab)), rel=0.05)
    assert float(last) < float(first) - 0.8
    assert "sample before training" in text and "sample after training" in text
    assert "gradcheck of a 5-step unrolled RNN" in text and "passed" in text


def test_demo_prints_samples_while_training_and_every_sample_is_fit_to_print(demo):
    _, text = demo
    steps = [int(n) for n in re.findall(r"----- sample at step (\d+) -----", text)]
    assert steps == [30, 60]
    assert unfit_words(text) == []


def test_demo_writes_every_output_and_prints_its_path(demo):
    out, text = demo
    names = [
        "char_rnn.npz",
        "unrolled_T4.svg",
        "rnn_step_backward.html",
        "rnn_folded.svg",
        "rnn_unrolled.svg",
        "rnn_bptt.svg",
        "loss.png",
        "grad_norms.png",
    ]
    for name in names:
        path = out / name
        assert path.stat().st_size > 0, name
        assert f"wrote {path}" in text, name
    for png in ("loss.png", "grad_norms.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (out / "rnn_step_backward.html").read_text()
    assert html.count("<svg") == 1  # one picture, restyled per backward step
    assert html.count('<section class="panel"') > 5  # a panel per step


def test_demo_graph_has_a_cluster_per_step_and_shared_weights_once(demo):
    out, _ = demo
    svg = (out / "unrolled_T4.svg").read_text()
    clusters = re.findall(r"<title>cluster_\d+</title>", svg)
    assert len(clusters) == 4  # the steps; the shared weights stand in their own column
    for t in range(1, 5):
        assert f"t={t}" in svg
    for weight in "UWV":  # each shared weight is one node (its label starts with the name)
        assert len(re.findall(rf">{weight}<", svg)) == 1  # its bold name, once


def svg_titles_in_x_order(svg, prefix):
    """Node titles starting with ``prefix`` followed by digits, left to right."""
    found = re.findall(
        r'class="node">\s*<title>([^<]+)</title>.*?<text[^>]* x="([\d.-]+)"', svg, re.S
    )
    named = [(float(x), title) for title, x in found if re.fullmatch(rf"{prefix}\d+", title)]
    return [title for _, title in sorted(named)]


def test_demo_draws_the_trained_model_folded_unrolled_and_bptt(demo):
    out, _ = demo
    folded = (out / "rnn_folded.svg").read_text()
    assert "W (64×64)" in folded and "U (64×" in folded  # fast mode: hidden 64
    for view in ("unrolled", "bptt"):
        svg = (out / f"rnn_{view}.svg").read_text()
        assert svg_titles_in_x_order(svg, "h") == [f"h{t}" for t in range(9)]
        assert svg_titles_in_x_order(svg, "x") == [f"x{t}" for t in range(1, 9)]


def test_demo_checkpoint_loads_and_samples(demo):
    out, _ = demo
    model, ckpt = load_model(out / "char_rnn.npz")
    assert ckpt.metadata["step"] == 60
    text = model.sample("The ", 30, seed=0)
    assert len(text) == 30 and set(text) <= set(model.vocab)


def test_train_sample_graph_commands(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    args = [
        "train",
        "--text",
        "zen",
        "--hidden",
        "16",
        "--steps",
        "6",
        "--bptt",
        "8",
        "--batch-size",
        "4",
        "--checkpoint",
        str(ckpt),
        "--no-progress",
    ]
    assert main(args) == 0
    assert (
        main([*args[:-3], "--steps", "9", "--resume", "--checkpoint", str(ckpt), "--no-progress"])
        == 0
    )
    assert mg.load(ckpt).metadata["step"] == 9
    assert (
        main(["sample", "--checkpoint", str(ckpt), "--prefix", "Be", "-n", "12", "--seed", "1"])
        == 0
    )
    assert main(["graph", "-T", "3", "--out", str(tmp_path / "g.dot")]) == 0
    steps = re.findall(r"subgraph cluster_\d+ ", (tmp_path / "g.dot").read_text())
    assert len(steps) == 3  # one cluster per step (the shared weights: a column of their own)
    out = capsys.readouterr().out
    assert "wrote" in out and re.search(r"^Be.{12}$", out, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "--checkpoint", "nowhere.npz"], "no checkpoint file"),
        (["sample", "--checkpoint", "{tmp}"], "is a directory, not a regular file"),
        (["sample", "--checkpoint", "{fifo}"], "is a FIFO, not a regular file"),
        (
            ["sample", "--seed", "-1", "--checkpoint", "{ckpt}"],
            "sample: --seed must be an integer >= 0",
        ),
        (
            ["train", "--text", "zen", "--steps", "1", "--seed", "-1"],
            "train: --seed must be an int",
        ),
        (["graph", "--seed", "-1"], "graph: --seed must be an integer >= 0, got -1"),
        (["train", "--text", "zen", "--steps", str(10**23)], "steps must be at most"),
        (["sample", "--temperature", "0", "--checkpoint", "{ckpt}"], "temperature must be > 0"),
        (["train", "--text", "missing.txt", "--steps", "1"], "no such file"),
        (["train", "--text", "{short}", "--steps", "1", "--validation", "0"], "too short for one"),
        (["train", "--text", "{short}", "--steps", "1"], "--validation 0 trains on all of it"),
        (["train", "--text", "zen", "--steps", "1", "--validation", "1"], "between 0 and 1"),
        (["train", "--text", "zen", "--steps", "1", "--eval-every", "0"], "eval_every must be"),
        (["train", "--text", "zen", "--steps", "1", "--sample-every", "-1"], "sample_every must"),
        (["train", "--text", "zen", "--steps", "1", "--clip", "-1"], "clip must be > 0"),
        (["graph", "-T", "0"], "graph: -T must be from 1 to 1000, got 0"),
        (["graph", "-T", str(10**9)], "graph: -T must be from 1 to 1000, got 1000000000"),
        (["sample", "-n", "-1", "--checkpoint", "{ckpt}"], "sample: -n must be from 0 to 100000"),
        (
            ["sample", "-n", str(10**23), "--checkpoint", "{ckpt}"],
            f"sample: -n must be from 0 to 100000, got {10**23}",
        ),
        (["graph", "--view", "bptt", "--heat"], "use them with --view ops"),
    ],
)
def test_bad_input_gives_a_clear_error(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)  # the default --checkpoint out/char_rnn.npz lands there
    ckpt = tmp_path / "m.npz"
    assert (
        main(
            [
                "train",
                "--text",
                "zen",
                "--hidden",
                "8",
                "--steps",
                "1",
                "--checkpoint",
                str(ckpt),
                "--no-progress",
            ]
        )
        == 0
    )
    short = tmp_path / "short.txt"
    short.write_text("tiny")
    os.mkfifo(tmp_path / "fifo")
    args = [a.format(ckpt=ckpt, short=short, tmp=tmp_path, fifo=tmp_path / "fifo") for a in args]
    assert main([*args, "--no-progress"] if args[0] == "train" else args) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "-n", str(10**23), "--checkpoint", "nowhere.npz"], "sample: -n must be from"),
        (["graph", "-T", str(10**9)], "graph: -T must be from 1 to 1000, got 1000000000"),
    ],
)
def test_absurd_sizes_are_refused_before_any_work(tmp_path, args, message):
    """Once these ran for hours; now they fail at once, before a checkpoint is even read."""
    done = subprocess.run(
        [sys.executable, "-m", "rnn", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(rnn.__file__).resolve().parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_unreadable_text_file(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00 not utf8 \x80")
    assert main(["train", "--text", str(bad), "--steps", "1", "--no-progress"]) == 1
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("view", "model", "expect"),
    [
        ("folded", "rnn", "W (2×2)"),
        ("folded", "lstm", "W (8×2)"),
        ("unrolled", "gru", "<title>h3</title>"),
        ("bptt", "rnn", "<title>h2&#45;&gt;h3</title>"),
        ("ops", "rnn", "cluster"),
    ],
)
def test_graph_views(tmp_path, capsys, view, model, expect):
    out = tmp_path / "g.svg"
    assert main(["graph", "--view", view, "--model", model, "-T", "3", "--out", str(out)]) == 0
    assert expect in out.read_text()
    assert f"wrote {out}" in capsys.readouterr().out


def test_graph_rejects_an_unknown_view(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["graph", "--view", "rolled"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "--view: invalid choice" in err and "rolled" in err
    assert all(view in err for view in ("folded", "unrolled", "bptt", "ops"))


def test_graph_heat_colours_every_tensor(tmp_path):
    """With the backward steps recorded, no tensor is left white (no gradient known)."""
    for heat in (False, True):
        out = tmp_path / f"heat_{heat}.dot"
        assert main(["graph", "-T", "3", "--out", str(out)] + ["--heat"] * heat) == 0
        nodes = re.findall(r"\[shape=\"(\w+)\"[^\]]*fillcolor=\"(#\w+)\"", out.read_text())
        tensors = [fill for shape, fill in nodes if shape != "ellipse"]  # ops are ellipses
        assert len(tensors) > 10
        whites = [fill for fill in tensors if fill == "#ffffff"]
        assert bool(whites) != heat  # plain drawing: white intermediates; heat: none


@pytest.mark.parametrize("command", ["demo", "train", "sample", "graph"])
def test_every_flag_is_explained(command):
    sub = parser()._subparsers._group_actions[0].choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings} has no help"


def test_module_entry_point_runs():
    done = subprocess.run(
        [sys.executable, "-m", "rnn", "demo", "--help"], capture_output=True, text=True, check=True
    )
    assert "--fast" in done.stdout and "--out" in done.stdout


def test_env_var_selects_fast_mode(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RNN_DEMO_FAST", "1")
    assert main(["demo", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "after 60 steps" in capsys.readouterr().out


def _train_args(ckpt, *extra):
    return ["train", "--text", "zen", "--hidden", "8", "--bptt", "8", "--batch-size", "4",
            "--checkpoint", str(ckpt), "--no-progress", *extra]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--lr", "0"], "lr must be > 0, got 0.0"),
        (["--hidden", "100000"], "--hidden 100000 gives a rnn with"),
        (["--hidden", str(10**200)], f"--hidden {10**200} gives a rnn with"),
        (["--hidden", "0"], "--hidden must be >= 1, got 0"),
    ],
)
def test_train_arguments_are_checked_before_training(tmp_path, capsys, extra, message):
    args = _train_args(tmp_path / "m.npz", "--steps", "1")
    assert main([*args, *extra]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.npz").exists()


def test_demo_refuses_zero_steps(tmp_path, capsys):
    assert main(["demo", "--fast", "--steps", "0", "--out", str(tmp_path), "--no-progress"]) == 1
    assert "--steps must be >= 1, got 0" in capsys.readouterr().err


def test_train_replaces_a_text_file_only_with_force(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    assert main(_train_args(notes, "--steps", "1")) == 1
    assert "not a minigrad checkpoint" in capsys.readouterr().err
    assert notes.read_text() == "my notes"
    assert main(_train_args(notes, "--steps", "1", "--force")) == 0
    assert mg.load(notes).metadata["step"] == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hidden", "16"], "--hidden 16 does not match .*trained with --hidden 8"),
        (["--model", "gru"], "--model gru does not match .*trained with --model rnn"),
        (["--bptt", "4"], "--bptt 4 does not match .*trained with --bptt 8"),
        (["--batch-size", "2"], "--batch-size 2 does not match .*with --batch-size 4"),
        (["--text", "recurrence"], "--text recurrence has a vocabulary of \\d+ characters"),
    ],
)
def test_resume_refuses_another_architecture_or_corpus(tmp_path, capsys, extra, message):
    ckpt = tmp_path / "m.npz"
    assert main(_train_args(ckpt, "--steps", "2")) == 0
    before = ckpt.read_bytes()
    resume = ["train", "--resume", "--steps", "3", "--checkpoint", str(ckpt), "--no-progress"]
    assert main([*resume, "--text", "zen", *extra]) == 1
    assert re.search(message, capsys.readouterr().err)
    assert ckpt.read_bytes() == before
    assert main([*resume, "--text", "zen", "--lr", "1e-4"]) == 0  # flags left out: the stored ones
    assert mg.load(ckpt).extras["optimizer"]["lr"] == 1e-4


def test_sample_from_a_hostile_checkpoint_is_a_clear_error(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    assert main(_train_args(ckpt, "--steps", "1")) == 0
    entries = dict(np.load(ckpt))
    document = json.loads(entries["__metadata__"].tobytes())
    document["metadata"]["config"]["hidden_size"] = 10**6  # would allocate terabytes
    entries["__metadata__"] = np.frombuffer(json.dumps(document).encode(), np.uint8)
    np.savez(ckpt, **entries)
    assert main(["sample", "--checkpoint", str(ckpt)]) == 1
    assert "need more weights than the file holds" in capsys.readouterr().err


def test_sigterm_stops_training_cleanly(tmp_path):
    ckpt = tmp_path / "m.npz"
    command = [sys.executable, "-m", "rnn", *_train_args(ckpt, "--steps", "100000")]
    trainer = subprocess.Popen(
        [*command, "--checkpoint-every", "1"], stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    deadline = time.monotonic() + 120
    while not ckpt.exists() and trainer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a few more steps, so the signal lands in training, not in the first save
    trainer.send_signal(signal.SIGTERM)
    _, err = trainer.communicate(timeout=60)
    assert trainer.returncode == 130, err
    assert re.search(r"interrupted; last checkpoint \(intact\): .*m.npz \(step \d+\)", err)
    assert os.listdir(tmp_path) == ["m.npz"]
    assert mg.load(ckpt).metadata["step"] >= 1


def test_a_validation_loss_past_709_is_reported_with_an_inf_perplexity(tmp_path, capsys):
    data = CharDataset.load("zen")
    v = data.vocab.size
    model = rnn.RNN(v, 8, v, seed=0, vocab=data.vocab.to_list())
    model.c.data[0] = 2000.0  # sure of one character: a loss of about 2000 on the others
    ckpt = tmp_path / "m.npz"
    run = TrainState(held_out=HeldOut.of(data.split(0.1)[1]))  # as `train --validation 0.1`
    rnn.save_checkpoint(ckpt, model, mg.optim.Adam(model.parameters()), run, Windows(8, 4))
    resume = ["--resume", "--steps", "1", "--lr", "1e-9", "--eval-every", "1"]
    assert main(_train_args(ckpt, *resume)) == 0
    out = capsys.readouterr().out
    assert re.search(r"step      0: validation loss 1\d\d\d\.\d+, perplexity inf", out)
    assert re.search(r"step      1: validation loss 1\d\d\d\.\d+, perplexity inf", out)


def test_resume_keeps_the_held_out_fraction_of_the_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    assert main(_train_args(ckpt, "--steps", "2", "--validation", "0.2", "--eval-every", "1")) == 0
    before = ckpt.read_bytes()
    resume = ["--resume", "--steps", "3", "--eval-every", "1"]
    for other in ("0.1", "0"):
        assert main(_train_args(ckpt, *resume, "--validation", other)) == 1
        err = capsys.readouterr().err
        assert f"--validation {other} does not match" in err and "(--validation 0.2)" in err
        assert ckpt.read_bytes() == before
    assert main(_train_args(ckpt, *resume)) == 0  # left out: the checkpoint's 0.2
    assert main(_train_args(ckpt, "--resume", "--steps", "4", "--validation", "0.2")) == 0
    steps = [step for step, _ in mg.load(ckpt).metadata["history"]["validation"]]
    assert steps == [0, 1, 2, 3, 4]


def test_a_refused_train_leaves_no_directories_it_made(tmp_path, capsys):
    ckpt = tmp_path / "new" / "deeper" / "m.npz"
    assert main(_train_args(ckpt, "--steps", "1", "--lr", "0")) == 1
    assert "lr must be > 0" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
    assert main(_train_args(ckpt, "--steps", "1")) == 0
    assert mg.load(ckpt).metadata["step"] == 1


def test_resuming_to_fewer_steps_than_done_says_so_and_writes_nothing(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    assert main(_train_args(ckpt, "--steps", "4")) == 0
    before = ckpt.read_bytes()
    capsys.readouterr()
    assert main(_train_args(ckpt, "--resume", "--steps", "2")) == 1
    out, err = capsys.readouterr()
    assert "is already at step 4 and --steps 2 is the total" in err and "wrote" not in out
    assert ckpt.read_bytes() == before


def test_sampling_at_a_tiny_temperature_takes_the_most_likely_characters(tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    assert main(_train_args(ckpt, "--steps", "1")) == 0
    capsys.readouterr()
    sample = ["sample", "--checkpoint", str(ckpt), "--prefix", "Be", "-n", "20", "--seed"]
    assert main([*sample, "1", "--temperature", "1e-320"]) == 0
    coldest = capsys.readouterr().out
    assert main([*sample, "2", "--temperature", "1e-320"]) == 0
    assert capsys.readouterr().out == coldest  # no randomness left: argmax every time
    model, _ = load_model(ckpt)
    ids = [model.vocab.index(ch) for ch in "Be"]
    state, logits = None, None
    for i in ids:
        out = model.unroll(np.array([[i]]), state)
        state, logits = out.state, out.logits.data[-1, 0]
    assert coldest[2] == model.vocab[int(np.argmax(logits))]
