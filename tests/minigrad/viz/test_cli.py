"""The `graph` subcommand: example inputs, outputs, refusals and error exits."""

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from minigrad.viz import ExpressionError, cli


def main(argv: list[str]) -> int:
    """What `python -m minigrad graph ...` does, with only this subcommand registered."""
    parser = argparse.ArgumentParser(prog="python -m minigrad")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["graph", *argv])
    return int(args.run(args))


def test_help_explains_every_flag(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    flags = ("-o", "--values", "--heat", "--flipbook", "--force", "--input", "--seed", "--rankdir")
    for flag in flags:
        assert flag in text
    assert "0.5, -1.5, 2.0" in text and "never passed to eval" in text


def test_example_values_and_overrides() -> None:
    env = cli.parse_inputs(["x", "w", "b"], [], seed=0)
    assert [env[n].item() for n in "xwb"] == [0.5, -1.5, 2.0]
    assert all(env[n].requires_grad and env[n].name == n for n in "xwb")
    env = cli.parse_inputs(["x", "w", "W"], ["x=3", "w=1,2,-1", "W=randn:2x3"], seed=1)
    assert env["x"].item() == 3.0
    np.testing.assert_array_equal(env["w"].data, [1.0, 2.0, -1.0])
    np.testing.assert_array_equal(env["W"].data, np.random.default_rng(1).standard_normal((2, 3)))


@pytest.mark.parametrize(
    ("spec", "message"),
    [("x", "NAME=VALUE"), ("z=1", "no input 'z'"), ("x=abc", "a number"), ("x=2x3", "randn")],
)
def test_bad_inputs(spec: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        cli.parse_inputs(["x"], [spec], seed=0)


def test_a_random_input_too_big_to_draw_is_refused_before_allocating(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.MAX_RANDOM_ELEMENTS == 1000 * 1000
    assert cli.parse_inputs(["W"], ["W=randn:1000x1000"], seed=0)["W"].shape == (1000, 1000)
    with pytest.raises(
        ExpressionError, match=r"W=randn:1000x1001: shape \(1000, 1001\) has 1,001,000"
    ):
        cli.parse_inputs(["W"], ["W=randn:1000x1001"], seed=0)
    assert main(["sum(W)", "--input", "W=randn:100000x100000"]) == 2  # 80 GB of float64
    err = capsys.readouterr().err
    assert "W=randn:100000x100000: shape (100000, 100000) has 10,000,000,000 elements" in err
    assert "at most 1,000,000" in err


def test_dot_text_goes_to_stdout_without_output(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["tanh(x * w + b)", "--values"]) == 0
    out = capsys.readouterr().out
    t = math.tanh(0.5 * -1.5 + 2.0)
    assert out.startswith("digraph minigrad {")
    assert f"data {t:.4g}" in out and f"grad {(1 - t * t) * -1.5:.4g}" in out


def test_svg_with_values_and_heat(dot: str, tmp_path: Path, svg_texts) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "graph.svg"
    assert main(["tanh(x * w + b)", "-o", str(out), "--values", "--heat"]) == 0
    texts = svg_texts(out.read_bytes())
    t = math.tanh(1.25)
    assert "tanh" in texts and f"grad {1 - t * t:.4g}" in texts
    assert "‖grad‖" in texts and "log scale" in texts


def test_flipbook_and_picture_together(dot: str, tmp_path: Path) -> None:
    book, picture = tmp_path / "b.html", tmp_path / "g.png"
    assert main(["sum(relu(W @ x))", "--input", "W=randn:3x2", "--input", "x=1,-1",
                 "--flipbook", str(book), "-o", str(picture)]) == 0  # fmt: skip
    assert "step 1 of" in book.read_text()
    assert picture.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('touch MARKER')", "not allowed"),
        ("__import__('os')", "not allowed"),
        ("x.__class__", "attribute access"),
        ("x[0]", "indexing"),
        ("x * w", "wrap it in sum"),
    ],
)
def test_refusals_exit_2_with_a_message(  # type: ignore[no-untyped-def]
    expression: str, message: str, capsys, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    extra = ["--input", "w=1,2"] if expression == "x * w" else []
    assert main([expression, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad graph: error:") and message in err
    assert not (tmp_path / "MARKER").exists()


def test_flipbook_never_replaces_a_file_it_did_not_write(  # type: ignore[no-untyped-def]
    dot: str, tmp_path: Path, capsys
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# mine")
    assert main(["x * 2", "--flipbook", str(readme)]) == 2
    assert "*.html" in capsys.readouterr().err and readme.read_text() == "# mine"
    notes = tmp_path / "notes.html"
    notes.write_text("<html>my notes</html>")
    assert main(["x * 2", "--flipbook", str(notes)]) == 2
    assert "not a flipbook page" in capsys.readouterr().err
    assert notes.read_text() == "<html>my notes</html>"
    assert main(["x * 2", "--flipbook", str(notes), "--force"]) == 0
    assert "step 1 of" in notes.read_text()
    assert main(["x * 3", "--flipbook", str(notes)]) == 0  # its own page: replaced


def test_unknown_suffix_exits_2(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert main(["x * 2", "-o", str(tmp_path / "g.jpg")]) == 2
    assert ".svg" in capsys.readouterr().err


def test_missing_dot_exits_1_and_says_how_to_install(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from test_cli import main\n"
        "sys.exit(main(['tanh(x * w + b)', '-o', sys.argv[2]]))\n"
    )
    here = str(Path(__file__).parent)
    out = tmp_path / "g.svg"
    env = {**os.environ, "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", script, here, str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    assert "make system-deps" in done.stderr and "brew" in done.stderr
    assert not out.exists()


def test_python_dash_m_minigrad_graph(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "minigrad", "graph"]
    done = subprocess.run([*command, "x * w"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("digraph minigrad {")
    done = subprocess.run([*command, "__import__('os')"], capture_output=True, text=True)
    assert done.returncode == 2 and "not allowed" in done.stderr


def test_a_literal_too_large_for_a_float_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["x * " + "9" * 400]) == 2
    assert "out of range" in capsys.readouterr().err
