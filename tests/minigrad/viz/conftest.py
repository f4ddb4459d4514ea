"""Fixtures for the rendering tests: Graphviz's dot, Chromium, reading SVG text.

Locally a missing program skips the tests that need it; under CI=true (where
`make system-deps` installs both) it fails them instead.
"""

import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def _require(found: bool, what: str) -> None:
    if found:
        return
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{what} is missing but CI is set: `make system-deps` should install it")
    pytest.skip(f"{what} is not installed (run `make system-deps`)")


@pytest.fixture
def dot() -> str:
    """Path of Graphviz's dot (skip locally / fail in CI when missing)."""
    found = shutil.which("dot")
    _require(found is not None, "Graphviz's dot")
    assert found is not None
    return found


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium (skip locally / fail in CI when missing)."""
    _require(CHROMIUM.exists(), str(CHROMIUM))
    return CHROMIUM


def _texts(svg: str | bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.fixture
def svg_texts() -> Callable[[str | bytes], list[str]]:
    """Function: the text of every <text> element of an SVG document, unescaped."""
    return _texts
