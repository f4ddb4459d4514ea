"""Command line: ``python -m minigrad gradcheck|graph ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys

from . import gradcheck_cli
from .viz import cli as graph_cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minigrad", description="minigrad's command-line tools."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gradcheck_cli.add_parser(commands)
    graph_cli.add_parser(commands)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
