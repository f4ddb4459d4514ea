"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(source, str(README), "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip()


def test_backward_steps_example_value(capsys: pytest.CaptureFixture[str]) -> None:
    """The walk's printed derivative matches (2a + 1) / (a^2 + a) at a = 2."""
    exec(compile(BLOCKS[1], str(README), "exec"), {"__name__": "__readme__"})
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert float(last.split("=")[1]) == pytest.approx(5 / 6, rel=1e-12)
