"""``python -m minigrad gradcheck``: the table, the exit codes, and the errors."""

import argparse

import numpy as np
import pytest

from minigrad import Function, Tensor, gradcheck_cli, op_table
from minigrad.op_table import OpCase, OpSpec
from minigrad.testing import arrays


class WrongExp(Function):
    """y = exp(x);  dy/dx = 2 exp(x)  (wrong on purpose)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * 2 * out,)


class FrozenSlopeExp(Function):
    """y = exp(x);  dy/dx = exp(x) from .data: right value, derivative of it lost"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, grad: Tensor, out: Tensor, x: Tensor) -> tuple[Tensor]:
        return (grad * Tensor(out.data),)


def _spec(name: str, op: type[Function]) -> OpSpec:
    return OpSpec(name, op.apply, np.exp, arrays((3,)).map(lambda a: OpCase((a,))))


def _table_rows(text: str) -> dict[str, list[str]]:
    """The table's rows by op name (the lines up to the first blank one)."""
    rows = {}
    for line in text.splitlines()[1:]:
        if not line.strip() or line.startswith("("):
            break
        rows[line.split()[0]] = line.split()[1:]
    return rows


def test_selected_ops_pass(capsys: pytest.CaptureFixture[str]) -> None:
    assert gradcheck_cli.main(["--op", "tanh", "--op", "matmul", "--examples", "3"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "op",
        "cases",
        "max",
        "abs",
        "err",
        "max",
        "rel",
        "err",
        "1st",
        "2nd",
    ]
    rows = _table_rows(out)
    for name in ("tanh", "matmul"):
        cases, max_abs, max_rel, first, second = rows[name]
        assert cases == "3" and (first, second) == ("✓", "✓")
        assert float(max_abs) < 1e-6 and float(max_rel) < 1e-4
    assert "all 2 ops passed (6 cases)" in out


def test_same_seed_same_table(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for _ in range(2):
        gradcheck_cli.main(["--op", "softmax", "--examples", "4", "--seed", "7"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_wrong_gradient_fails_with_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(op_table, "OPS", [_spec("bad_exp", WrongExp), op_table.OPS_BY_NAME["exp"]])
    assert gradcheck_cli.main(["--examples", "2"]) == 1
    out = capsys.readouterr().out
    rows = _table_rows(out)
    assert rows["bad_exp"][3] == "✗" and rows["exp"][3:] == ["✓", "✓"]
    assert float(rows["bad_exp"][1]) > 0.1  # the measured error shows the factor 2
    assert "1 of 2 ops failed" in out and "bad_exp: GradcheckError" in out


def test_wrong_second_derivative_fails_only_the_second_order(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(op_table, "OPS", [_spec("frozen_exp", FrozenSlopeExp)])
    assert gradcheck_cli.main(["--examples", "2"]) == 1
    assert _table_rows(capsys.readouterr().out)["frozen_exp"][3:] == ["✓", "✗"]


def test_unknown_op_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        gradcheck_cli.main(["--op", "tanhh"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "tanhh" in err and all(spec.name in err for spec in op_table.OPS)


def test_examples_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        gradcheck_cli.main(["--examples", "0"])
    assert "positive" in capsys.readouterr().err


def test_add_parser_registers_the_subcommand() -> None:
    parser = argparse.ArgumentParser()
    gradcheck_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["gradcheck", "--op", "exp", "--examples", "5", "--seed", "3"])
    assert (args.op, args.examples, args.seed) == (["exp"], 5, 3)
    assert args.run is gradcheck_cli.run


@pytest.mark.slow
def test_every_op_passes_with_default_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert gradcheck_cli.main([]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert all(name in rows for name in op_table.OPS_BY_NAME)


def test_python_dash_m_minigrad_gradcheck(capsys: pytest.CaptureFixture[str]) -> None:
    from minigrad.__main__ import main

    assert main(["gradcheck", "--op", "exp", "--examples", "2"]) == 0
    assert _table_rows(capsys.readouterr().out)["exp"][0] == "2"


def test_a_negative_seed_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        gradcheck_cli.main(["--op", "tanh", "--seed", "-1"])
    assert caught.value.code == 2
    assert "--seed: expected an integer >= 0, got -1" in capsys.readouterr().err
