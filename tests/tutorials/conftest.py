"""A stand-in checkout and a fresh shell, for running the tutorials' commands as a learner would."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A directory that looks like the checkout (links to its .venv, tutorials, Makefile,
    pyproject.toml), so a command run in it writes only under tmp_path."""
    for name in (".venv", "tutorials", "Makefile", "pyproject.toml", "scripts"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def fresh_shell(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with bash -e in a bare environment: no venv activated, no PYTHONPATH."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    env["MPLBACKEND"] = "Agg"
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def shell() -> Callable[[str, Path], subprocess.CompletedProcess[str]]:
    """``shell(script, cwd)``: run a script as a learner's fresh shell would."""
    return fresh_shell
