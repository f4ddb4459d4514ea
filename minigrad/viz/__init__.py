"""See the graph: ``draw`` renders it with Graphviz, ``flipbook`` steps through backward.

``draw(root)`` returns a ``Graph`` (``.source`` DOT text, ``.save("g.svg")``,
inline display in Jupyter); ``flipbook(root, "backprop.html")`` writes one
self-contained page with a frame per backward step. Start reading in dot.py;
heat.py holds the gradient colours and render.py the calls to Graphviz.
"""

from .dot import GraphTooLargeError, draw
from .expr import ExpressionError, parse_expression
from .flipbook import flipbook
from .render import Graph, GraphvizNotFoundError, RenderError

__all__ = [
    "ExpressionError",
    "Graph",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "RenderError",
    "draw",
    "flipbook",
    "parse_expression",
]
