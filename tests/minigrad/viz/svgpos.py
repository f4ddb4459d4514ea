"""Positions in rendered SVG: where Graphviz put each node and each text line."""

import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def node_texts(svg: str | bytes) -> dict[str, list[tuple[str, float, float]]]:
    """Node title (its DOT key) -> its text lines as (text, x, y), y growing downwards."""
    out: dict[str, list[tuple[str, float, float]]] = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            texts = [
                ("".join(t.itertext()), float(t.get("x", "0")), float(t.get("y", "0")))
                for t in g.iter(f"{SVG}text")
            ]
            out[g.findtext(f"{SVG}title") or ""] = texts
    return out


def text_position(svg: str | bytes, text: str) -> tuple[float, float]:
    """(x, y) of the one node line that reads exactly ``text``."""
    hits = [(x, y) for lines in node_texts(svg).values() for t, x, y in lines if t == text]
    assert len(hits) == 1, f"{text!r} appears {len(hits)} times"
    return hits[0]


def svg_size_pt(svg: str | bytes) -> tuple[float, float]:
    """The width and height an SVG declares, in points."""
    root = ET.fromstring(svg)
    return _pt(root.get("width", "0")), _pt(root.get("height", "0"))


def _pt(value: str) -> float:
    if value.endswith("pt"):
        return float(value[:-2])
    if value.endswith("px"):
        return float(value[:-2]) * 0.75
    return float(value) * 0.75  # a bare SVG length is in px
