"""Every tutorial runs top to bottom, in fast mode, and its exercise check passes.

Each exercise is laid out as task, check function, an empty answer cell, then a
separate solution cell and the check run on the solution.

Each runs as a subprocess in a fresh temporary directory (its pictures land
there, never in the repository) with ``MPLBACKEND=Agg`` and ``MINIGRAD_FAST=1``,
which only shrinks training loops.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).resolve().parents[2] / "tutorials"
SCRIPTS = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
PICTURE_SUFFIXES = {".svg", ".png", ".html"}


def test_every_tutorial_is_found() -> None:
    assert len(SCRIPTS) >= 9, [p.name for p in SCRIPTS]


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
    pictures = [p for p in tmp_path.rglob("*") if p.suffix in PICTURE_SUFFIXES]
    assert pictures, f"{script.name} saved no picture into its working directory"
    assert all(p.stat().st_size > 0 for p in pictures)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_exercise_layout(script: Path) -> None:
    text = script.read_text()
    exercise = text.index("# ## Exercise")
    solution = text.index("# %% [markdown]\n# ## Solution (try it yourself first)")
    checks = re.findall(r"^def (check_\w+)\(", text[exercise:solution], flags=re.M)
    assert len(checks) == 1, f"{script.name}: expected one check function before the solution"
    assert "# your answer here" in text[exercise:solution], f"{script.name}: no answer cell"
    last_cell = text.rsplit("# %%", 1)[1].strip()
    assert last_cell == f"{checks[0]}({checks[0].removeprefix('check_')})", last_cell
