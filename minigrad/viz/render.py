"""The ``Graph`` that ``draw`` returns: DOT text rendered by the ``graphviz`` package.

DOT text needs no binary; turning it into SVG/PNG/PDF runs Graphviz's ``dot``
through ``graphviz.Source(...).pipe``. Without ``dot`` on the PATH, rendering
raises ``GraphvizNotFoundError`` with the ways to install it, and
``Graph.source`` still gives the text.
"""

from __future__ import annotations

from pathlib import Path

import graphviz

from ..errors import MinigradError
from ..safe_file import Owner, check_target, write_atomically

SAVE_FORMATS = ("svg", "png", "pdf", "dot")

INSTALL_HINT = (
    "Install it with `make system-deps` (in the minigrad checkout), or "
    "`sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS), `conda install -c conda-forge graphviz` (conda). "
    "Without it, `.source` still works: it is the DOT text, and "
    "`.save('graph.dot')` writes it to a file."
)


class RenderError(MinigradError, RuntimeError):
    """Graphviz's ``dot`` failed to render the DOT text."""


class GraphvizNotFoundError(RenderError):
    """Graphviz's ``dot`` is not on the PATH."""


def render(source: str, fmt: str) -> bytes:
    """``dot -T<fmt>`` of DOT text, run by ``graphviz.Source.pipe``."""
    try:
        out: bytes = graphviz.Source(source).pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"rendering to {fmt} needs Graphviz's `dot` program, which is not on the PATH. "
            + INSTALL_HINT
        ) from None
    except graphviz.CalledProcessError as err:
        message = (err.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"dot -T{fmt} failed (exit {err.returncode}): {message}") from None
    except ValueError as err:  # an unknown format
        raise RenderError(f"dot cannot render to {fmt!r}: {err}") from None
    return out


# A picture's suffix says what it is, so saving again replaces the file of that
# name, as matplotlib's savefig does; devices, FIFOs and directories are refused.
PICTURE = Owner("save", "a picture", wrote=lambda path: True)


def save_picture(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (minigrad.safe_file): never a partial file."""
    write_atomically(check_target(path, PICTURE, overwrite=False), lambda f: f.write(data))
    return path


class Graph:
    """A drawn graph: ``.source`` (DOT text), ``.pipe(fmt)``, ``.save(path)``, Jupyter display."""

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
        data = self.source.encode("utf-8") if fmt == "dot" else self.pipe(fmt)
        return save_picture(path, data)

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
