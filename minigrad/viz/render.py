"""Rendering with Graphviz's ``dot`` program, and the ``Graph`` that ``draw`` returns.

DOT text needs no binary; turning it into SVG/PNG/PDF runs ``dot``. Without
``dot`` on the PATH, rendering raises ``GraphvizNotFoundError`` with the ways
to install it, and ``Graph.source`` still gives the text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..errors import MinigradError

SAVE_FORMATS = ("svg", "png", "pdf", "dot")


class RenderError(MinigradError, RuntimeError):
    """Graphviz's ``dot`` failed to render the DOT text."""


class GraphvizNotFoundError(RenderError):
    """Graphviz's ``dot`` is not on the PATH."""


def dot_binary(fmt: str) -> str:
    """Path of Graphviz's ``dot``, or an error saying how to install it."""
    found = shutil.which("dot")
    if found is None:
        raise GraphvizNotFoundError(
            f"rendering to {fmt} needs Graphviz's `dot` program, which is not on the PATH. "
            "Install it with `make system-deps` (in the minigrad checkout), or "
            "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
            "(macOS), `conda install -c conda-forge graphviz` (conda). "
            "Without it, `.source` still works: it is the DOT text, and "
            "`.save('graph.dot')` writes it to a file."
        )
    return found


def render(source: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>`` on DOT text and return the output."""
    command = [dot_binary(fmt), f"-T{fmt}"]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True)
    except OSError as err:
        raise GraphvizNotFoundError(f"could not run {command[0]}: {err}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"dot -T{fmt} failed (exit {done.returncode}): {message}")
    return done.stdout


def render_many(sources: list[str]) -> list[str]:
    """Render several DOT graphs to SVG with one run of ``dot``; one SVG text each."""
    output = render("".join(sources), "svg").decode("utf-8")
    svgs = re.findall(r"<svg\b.*?</svg>", output, flags=re.DOTALL)
    if len(svgs) != len(sources):
        raise RenderError(f"dot returned {len(svgs)} SVG documents for {len(sources)} graphs")
    return svgs


class Graph:
    """A drawn graph: ``.source`` (DOT text), ``.save(path)``, Jupyter display."""

    def __init__(self, source: str, node_count: int) -> None:
        self.source = source
        self.node_count = node_count

    def pipe(self, fmt: str = "svg") -> bytes:
        """The graph rendered by ``dot`` to ``fmt`` (svg, png, pdf, ...)."""
        return render(self.source, fmt)

    def save(self, path: str | Path) -> Path:
        """Write the graph; the format comes from the suffix: .svg .png .pdf .dot (.gv)."""
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".").replace("gv", "dot")
        if fmt not in SAVE_FORMATS:
            raise ValueError(
                f"Graph.save: cannot tell the format of {str(path)!r} from its suffix; "
                f"use one of {', '.join('.' + f for f in SAVE_FORMATS)}"
            )
        if fmt == "dot":
            path.write_text(self.source, encoding="utf-8")
        else:
            path.write_bytes(self.pipe(fmt))
        return path

    def _repr_svg_(self) -> str | None:
        try:
            return self.pipe("svg").decode("utf-8")
        except GraphvizNotFoundError:
            return None

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        try:
            return {"image/svg+xml": self.pipe("svg").decode("utf-8"), "text/plain": repr(self)}
        except GraphvizNotFoundError as err:
            return {"text/plain": f"{self!r}\n{err}"}

    def __repr__(self) -> str:
        return f"<minigrad.viz.Graph: {self.node_count} nodes; .source has the DOT text>"
