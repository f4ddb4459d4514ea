"""Reading DOT text back: node labels, edges, and the clusters each node sits in."""

import re

NODE = re.compile(r"^\s*([tor]\d+) \[(.*)\]$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+) ")
LABEL = re.compile(r"label=<(.*)>")
BOLD = re.compile(r"<B>(.*?)</B>")


def nodes(source: str) -> dict[str, str]:
    """Node key -> its attribute text."""
    return {m[1]: m[2] for line in source.splitlines() if (m := NODE.match(line))}


def edges(source: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for line in source.splitlines() if (m := EDGE.match(line))]


def title(attrs: str) -> str:
    """The bold first line of a label: a tensor's name or an op's name ('' if none)."""
    m = BOLD.search(attrs)
    return m[1] if m else ""


def by_bold(source: str) -> dict[str, str]:
    """Every bold text of a label -> its node key (a box that holds an op and the tensor
    it makes has two: the op's name and the tensor's)."""
    return {text: k for k, a in nodes(source).items() for text in BOLD.findall(a)}


def cluster_paths(source: str) -> dict[str, tuple[str, ...]]:
    """Node key -> labels of the clusters around it, outermost first."""
    stack: list[str] = []
    out: dict[str, tuple[str, ...]] = {}
    pending = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            pending = True
        elif pending and stripped.startswith("graph ["):
            stack.append(title(stripped))
            pending = False
        elif stripped == "}":
            if stack:
                stack.pop()
        elif m := NODE.match(line):
            out[m[1]] = tuple(stack)
    return out
