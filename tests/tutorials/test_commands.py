"""The commands of tutorials/README.md work as written, from a fresh shell in the checkout.

Each ``sh`` block of "Running a tutorial as a script" runs verbatim with bash in a
bare environment (no virtualenv activated, no PYTHONPATH), in a stand-in checkout
under tmp_path, and must run tutorial 1 to its passed exercise check.
"""

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[2] / "tutorials" / "README.md"


def blocks(heading: str) -> list[str]:
    section = README.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


SCRIPT_BLOCKS = blocks("## Running a tutorial as a script")


def test_the_readme_shows_both_ways() -> None:
    assert any("make tutorial N=" in b for b in SCRIPT_BLOCKS), SCRIPT_BLOCKS
    assert any(".venv/bin/python" in b for b in SCRIPT_BLOCKS), SCRIPT_BLOCKS


@pytest.mark.parametrize("block", SCRIPT_BLOCKS, ids=lambda b: b.splitlines()[0])
def test_readme_command_runs_as_written(block: str, checkout: Path, shell: Any) -> None:
    stale = shell("make -q .venv/.installed", checkout).returncode != 0
    assert not stale, (
        "pyproject.toml is newer than .venv: run `make venv` first"
    )  # not rebuilt here
    done = shell(block, checkout)
    assert done.returncode == 0, f"{block}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    assert "exercise check passed" in done.stdout, done.stdout[-2000:]
    picture = checkout / "out" / "tutorials" / "figures" / "01_two_layers.svg"
    assert picture.stat().st_size > 0


def test_make_tutorial_without_a_number_says_how(checkout: Path, shell: Any) -> None:
    assert shell("make -q .venv/.installed", checkout).returncode == 0, "run `make venv` first"
    done = shell("make tutorial", checkout)
    assert done.returncode != 0
    assert "usage: make tutorial N=<number>" in done.stdout
    assert "tutorials/12_moving_on_to_pytorch.py" in done.stdout


def test_one_extra_is_named_for_the_tutorials() -> None:
    texts = [README.read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in README.parent.glob("[0-9][0-9]_*.py")]
    named = {extra for text in texts for extra in re.findall(r"pip install -e '\.\[(\w+)\]'", text)}
    assert named == {"learn"}, named
