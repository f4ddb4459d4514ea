"""``python -m minigrad graph "tanh(x * w + b)" -o graph.svg``: draw an expression.

The expression is parsed safely (expr.py: a whitelist, never ``eval``); each
variable becomes a leaf that requires grad, with an example value; backward
runs; then the graph is drawn (``-o``), stepped through (``--flipbook``), or
printed as DOT text when neither is given.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MinigradError
from ..tensor import Tensor
from .dot import DEFAULT_MAX_NODES, RANKDIRS, draw
from .expr import ExpressionError, parse_expression
from .flipbook import flipbook
from .render import RenderError

EXAMPLE_VALUES = (0.5, -1.5, 2.0, 0.8, -0.3, 1.2, -0.7, 1.6)
MAX_RANDOM_ELEMENTS = 10**6  # 8 MB of float64 per input: graphs to look at are small

DESCRIPTION = """\
Parse a small expression over named inputs, give the inputs example values,
run backward and draw the graph with values and gradients.

The expression may use names, numbers, + - * / ** @, unary -, and the
functions tanh sigmoid relu exp log sqrt abs sum mean max min softmax
log_softmax logsumexp maximum minimum matmul transpose mse (with axis=<int>,
keepdims=<bool>). Nothing else is accepted: no attributes, indexing, strings
or other calls; the text is never passed to eval.

Inputs are scalars by default, taking the values 0.5, -1.5, 2.0, 0.8, -0.3,
1.2, -0.7, 1.6 in order of first appearance. Set them with --input:
  --input x=3          a scalar
  --input w=1,2,-1     a vector
  --input W=randn:2x3  a 2x3 matrix of standard normal values (see --seed),
                       at most 1,000,000 of them
The expression must give a single number (wrap it in sum(...) or mean(...)).
"""

EPILOG = """\
examples:
  python -m minigrad graph "tanh(x * w + b)" -o graph.svg --values
  python -m minigrad graph "sum(relu(W @ x))" --input W=randn:3x2 --input x=1,-1 -o g.png --heat
  python -m minigrad graph "tanh(x * w + b)" --flipbook backprop.html
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``graph`` subcommand on an argparse subparsers object."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "graph",
        help="draw the graph of a small expression, or step through its backward pass",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("expression", help='the expression, e.g. "tanh(x * w + b)"')
    parser.add_argument(
        "-o", "--output", metavar="PATH",
        help="write the picture here; the suffix picks the format: .svg .png .pdf .dot "
        "(all but .dot need Graphviz). Without -o and --flipbook, DOT text goes to stdout",
    )  # fmt: skip
    parser.add_argument(
        "--values", action="store_true",
        help="show each tensor's data and gradient in its node (else names, shapes, ops)",
    )  # fmt: skip
    parser.add_argument(
        "--heat", action="store_true",
        help="colour tensors and edges by gradient norm on a log scale, with a legend",
    )  # fmt: skip
    parser.add_argument(
        "--flipbook", metavar="HTML",
        help="also write a self-contained HTML page (.html) that steps through backward node "
        "by node; an existing file is replaced only if it is such a page (see --force)",
    )  # fmt: skip
    parser.add_argument(
        "--force", action="store_true",
        help="let --flipbook replace an existing file that is not a flipbook page",
    )  # fmt: skip
    parser.add_argument(
        "--input", action="append", default=[], metavar="NAME=VALUE",
        help="value of an input: a number (x=3), a list (w=1,2,3), random normal (W=randn:2x3)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of random inputs (default 0)")
    parser.add_argument(
        "--rankdir", choices=RANKDIRS, default="LR", help="direction of the layout (default LR)"
    )
    parser.add_argument(
        "--max-nodes", type=int, default=DEFAULT_MAX_NODES,
        help=f"refuse graphs with more nodes than this (default {DEFAULT_MAX_NODES})",
    )  # fmt: skip
    parser.set_defaults(run=run)
    return parser


def parse_inputs(names: Sequence[str], specs: Sequence[str], seed: int) -> dict[str, Tensor]:
    """A leaf per variable: the example value, or the one given with --input."""
    given: dict[str, str] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name.strip():
            raise ExpressionError(f"--input {spec!r}: expected NAME=VALUE, e.g. x=2.5")
        if name.strip() not in names:
            raise ExpressionError(
                f"--input {spec!r}: the expression has no input {name.strip()!r} "
                f"(its inputs: {', '.join(names) or 'none'})"
            )
        given[name.strip()] = value.strip()
    rng = np.random.default_rng(seed)
    env = {}
    for k, name in enumerate(names):
        data = (
            _value(name, given[name], rng)
            if name in given
            else EXAMPLE_VALUES[k % len(EXAMPLE_VALUES)]
        )
        env[name] = Tensor(data, requires_grad=True, name=name)
    return env


def _value(name: str, text: str, rng: np.random.Generator) -> Any:
    """A number, a list of numbers, or ``randn:AxB...`` (refused before allocating if too big)."""
    dims = re.fullmatch(r"randn:(\d+(?:x\d+)*)", text)
    if dims:
        shape = tuple(int(n) for n in dims[1].split("x"))
        if math.prod(shape) > MAX_RANDOM_ELEMENTS:
            raise ExpressionError(
                f"--input {name}={text}: shape {shape} has {math.prod(shape):,} elements; "
                f"a random input may have at most {MAX_RANDOM_ELEMENTS:,}"
            )
        return rng.standard_normal(shape)
    try:
        numbers = [float(part) for part in text.split(",")]
    except ValueError:
        raise ExpressionError(
            f"--input {name}={text}: expected a number (3), a list (1,2,3) or randn:2x3"
        ) from None
    return numbers[0] if len(numbers) == 1 else numbers


def build(args: argparse.Namespace) -> Tensor:
    """Parse the expression and evaluate it on the inputs; the result must be scalar."""
    expression = parse_expression(args.expression)
    env = parse_inputs(expression.variables, args.input, args.seed)
    result = expression.evaluate(env)
    if result.size != 1:
        raise ExpressionError(
            f"the expression gives shape {result.shape}, but backward starts from a single "
            f"number; wrap it in sum(...) or mean(...)"
        )
    return result


def run(args: argparse.Namespace) -> int:
    """Run the ``graph`` subcommand; 0 on success, 2 for bad input, 1 when rendering fails."""
    try:
        if args.flipbook:
            flipbook(
                build(args), args.flipbook, max_nodes=args.max_nodes, rankdir=args.rankdir,
                overwrite=args.force,
            )  # fmt: skip
            print(f"wrote {args.flipbook}")
        if args.output or not args.flipbook:
            root = build(args)
            graph = draw(
                root, values=args.values, grads=args.values, heat=args.heat,
                max_nodes=args.max_nodes, rankdir=args.rankdir, steps=root.backward_steps(),
            )  # fmt: skip
            if args.output:
                print(f"wrote {graph.save(args.output)}")
            else:
                sys.stdout.write(graph.source)
    except RenderError as err:
        print(f"minigrad graph: error: {err}", file=sys.stderr)
        return 1
    except (MinigradError, ValueError, OSError) as err:
        print(f"minigrad graph: error: {err}", file=sys.stderr)
        return 2
    except OverflowError as err:  # an integer literal too large for a float
        print(f"minigrad graph: error: a number is out of range: {err}", file=sys.stderr)
        return 2
    return 0
