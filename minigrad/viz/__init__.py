"""See the graph: ``draw`` renders it with Graphviz, ``flipbook`` steps through backward.

``draw(root)`` returns a ``Graph`` (``.source`` DOT text, ``.save("g.svg")``,
inline display in Jupyter); ``flipbook(root, "backprop.html")`` writes one
self-contained page that steps through backward, and ``flipbook(root)``
returns it as a ``Flipbook`` shown inline (``.save(path)`` writes it).
Start reading in dot.py; layout.py decides what is drawn where, names.py
names every tensor, formula.py writes an op's rule in those names,
labels.py makes text safe, heat.py holds the gradient colours, shared.py
the side column of shared weights, collapse.py the one-box-per-scope view,
render.py the calls to Graphviz; flipbook.py, chain.py and page.py build
the step-through.
"""

from .dot import GraphTooLargeError, draw
from .expr import ExpressionError, parse_expression
from .flipbook import Flipbook, flipbook
from .render import Graph, GraphvizNotFoundError, RenderError

__all__ = [
    "ExpressionError",
    "Flipbook",
    "Graph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "RenderError",
    "draw",
    "flipbook",
    "parse_expression",
]
