"""draw(): DOT structure, clusters, labels, heat, escaping, limits and rendering."""

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import Parameter
from minigrad.viz import Graph, GraphTooLargeError, GraphvizNotFoundError, draw
from minigrad.viz.dot import CONST_FILL, PARAM_FILL, escape, summarize
from minigrad.viz.heat import UNKNOWN_FILL, ZERO_FILL, HeatScale, heat_colour

from .helpers import by_bold, cluster_paths, edges, nodes, title


def neuron() -> tuple[mg.Tensor, mg.Tensor, mg.Tensor, mg.Tensor]:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    w = mg.Tensor(-1.5, requires_grad=True, name="w")
    b = mg.Tensor(2.0, requires_grad=True, name="b")
    return mg.tanh(x * w + b), x, w, b


def by_title(source: str) -> dict[str, str]:
    return {title(a): k for k, a in nodes(source).items() if title(a)}


# ------------------------------------------------------------ structure
def test_one_node_per_tensor_and_op_with_data_flow_edges() -> None:
    y, *_ = neuron()
    src = draw(y).source
    keys = nodes(src)
    assert sorted(k[0] for k in keys) == ["o"] * 3 + ["t"] * 6  # 6 tensors, 3 ops
    k = by_title(src)
    out = {a: b for a, b in edges(src) if a.startswith("o")}  # op -> its output
    expected = {
        (k["x"], k["mul"]), (k["w"], k["mul"]), (k["mul"], out[k["mul"]]),
        (out[k["mul"]], k["add"]), (k["b"], k["add"]), (k["add"], out[k["add"]]),
        (out[k["add"]], k["tanh"]), (k["tanh"], out[k["tanh"]]),
    }  # fmt: skip
    assert sorted(edges(src)) == sorted(expected)
    assert "peripheries" in keys[out[k["tanh"]]]  # the root is marked


def test_ops_show_their_rule_in_their_operands_names() -> None:
    y, *_ = neuron()
    y.name = "y"
    src = draw(y).source
    attrs = nodes(src)[by_title(src)["tanh"]]
    assert ">tanh(add1)<" in attrs and "ellipse" in attrs  # the box it reads is add1
    assert 'tooltip="tanh: y = tanh(add1);  dy/d(add1) = 1 - y**2"' in attrs
    assert "<I>add1</I>" in nodes(src)[next(b for a, b in edges(src) if a == by_title(src)["add"])]
    assert ">mul1 + b<" in nodes(src)[by_title(src)["add"]]


def test_parameters_constants_and_intermediates_look_different() -> None:
    p = Parameter(1.0, name="p")
    y = p * 3.0
    src = draw(y).source
    keys = nodes(src)
    const = next(a for a in keys.values() if "<I>const1</I>" in a)
    assert CONST_FILL in const and "dashed" in const
    assert PARAM_FILL in keys[by_title(src)["p"]]
    out = next(a for k, a in keys.items() if k.startswith("t") and "rounded" in a)
    assert "peripheries" in out


def test_values_and_gradients_are_shown() -> None:
    y, x, w, b = neuron()
    y.backward()
    t = math.tanh(0.5 * -1.5 + 2.0)
    src = draw(y).source
    assert f"data {t:.4g}" in src
    assert f"grad {(1 - t * t) * -1.5:.4g}" in nodes(src)[by_title(src)["x"]]
    bare = " ".join(nodes(draw(y, values=False, grads=False).source).values())
    assert "data " not in bare and "grad " not in bare and "<B>x</B>" in bare


def test_steps_give_every_node_its_gradient() -> None:
    y, *_ = neuron()
    src = draw(y, steps=y.backward_steps()).source
    t = math.tanh(1.25)
    add_out = next(b for a, b in edges(src) if a == by_title(src)["add"])
    assert f"grad {1 - t * t:.4g}" in nodes(src)[add_out]


def test_summary_of_big_tensors_is_min_max_norm() -> None:
    a = np.arange(12.0).reshape(3, 4) - 5
    assert summarize(a) == f"min -5  max 6  norm {np.linalg.norm(a):.4g}"
    assert summarize(np.array(0.123456)) == "0.1235"
    assert summarize(np.array([1.0, -2.5])) == "[1, -2.5]"


# ------------------------------------------------------------- clusters
def test_nested_scopes_nest_clusters() -> None:
    x = mg.Tensor(1.0, requires_grad=True, name="x")
    with mg.scope("outer"):
        a = x * 2.0
        a.name = "a"
        with mg.scope("inner"):
            b = a.tanh()
            b.name = "b"
    y = b + 1.0
    y.name = "y"
    src = draw(y).source
    paths, k = cluster_paths(src), by_bold(src)
    assert paths[k["x"]] == ("outer",) and paths[k["y"]] == ()  # x: used in outer only
    assert paths[k["a"]] == ("outer",) and paths[k["mul"]] == ("outer",)
    assert paths[k["b"]] == ("outer", "inner") and paths[k["tanh"]] == ("outer", "inner")
    assert src.count("subgraph cluster_") == 2


def test_shared_weights_stand_in_one_column_with_a_dashed_copy_in_each_step() -> None:
    W = Parameter(0.9, name="W")
    U = Parameter(0.4, name="U")
    h = mg.Tensor(0.0)
    for t in range(1, 4):
        with mg.scope(f"t={t}"):
            h = mg.tanh(W * h + U * float(t))
    src = draw(h).source
    keys, paths = nodes(src), cluster_paths(src)
    for name in ("W", "U"):
        (key,) = [k for k, a in keys.items() if title(a) == name]
        assert paths[key] == ("used in t=1 … t=3",)  # drawn once, in the side column
        copies = [line.split()[0] for line in src.splitlines() if f"label=<<I>{name}</I>>" in line]
        assert len(copies) == 3  # one dashed copy per step, each feeding that step's mul
        fed = [b for a, b in edges(src) if a in copies]
        assert sorted(paths[b] for b in fed) == [("t=1",), ("t=2",), ("t=3",)]
    links = [line for line in src.splitlines() if "ltail=" in line]
    assert len(links) == 1 and 'ltail="cluster_shared"' in links[0]  # one edge, not a fan
    assert src.count("subgraph cluster_") == 4


def test_leaf_made_in_one_scope_and_shared_moves_to_common_ancestor() -> None:
    with mg.scope("model"):
        with mg.scope("init"):
            w = mg.Tensor(2.0, requires_grad=True, name="w")
        with mg.scope("t=1"):
            a = w * 3.0
        with mg.scope("t=2"):
            b = w * a
    paths, k = cluster_paths(draw(b).source), by_title(draw(b).source)
    assert paths[k["w"]] == ("model",)


# ------------------------------------------------------------------ heat
def test_heat_colours_by_log_gradient_norm_with_legend() -> None:
    small = mg.Tensor(1.0, requires_grad=True, name="small")
    big = mg.Tensor(1.0, requires_grad=True, name="big")
    dead = mg.Tensor(-1.0, requires_grad=True, name="dead")
    y = small * 1e-6 + big * 1.0 + mg.relu(dead)
    y.backward()
    src = draw(y, heat=True).source
    keys, k = nodes(src), by_title(src)
    assert heat_colour(0.0) in keys[k["small"]]  # 1e-6: the palest end of the scale
    assert heat_colour(1.0) in keys[k["big"]]  # 1: the darkest end
    assert ZERO_FILL in keys[k["dead"]]  # relu'(-1) = 0
    assert "heat_legend" in src and "log scale" in src
    assert "1e-06" in src  # the legend spans 1e-6 .. 1
    colours = [a for a, _ in edges(src)]
    assert colours and all("color=" in line for line in src.splitlines() if " -> " in line)


def lightness(colour: str) -> float:
    """CIE L* of an sRGB colour '#rrggbb' (the standard sRGB -> XYZ -> L* formulas)."""
    rgb = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def test_heat_lightness_falls_as_the_gradient_norm_grows() -> None:
    scale = HeatScale.of([1e-7, 3.0])
    assert (scale.lo, scale.hi) == (-7, 1)  # whole decades
    norms = np.logspace(-7, 1, 200)
    levels = [lightness(scale.colour(float(n))) for n in norms]
    assert all(b < a for a, b in zip(levels, levels[1:], strict=False))
    assert levels[0] - levels[-1] > 60  # pale for vanishing, dark for large
    # zero and "not reached" are not palette colours and differ from each other
    palette = {scale.colour(float(n)) for n in norms}
    assert ZERO_FILL not in palette and UNKNOWN_FILL not in palette and ZERO_FILL != UNKNOWN_FILL


def test_heat_boxes_and_edges_darken_alike_in_the_bars_colours() -> None:
    h = mg.Tensor(1.0, requires_grad=True, name="h0")
    chain = [h]
    for n in range(1, 6):
        chain.append(chain[-1] * 0.1)  # each step hands back a tenth: a vanishing gradient
        chain[-1].name = f"h{n}"
    src = draw(chain[-1], steps=chain[-1].backward_steps(), heat=True).source
    keys, k = nodes(src), by_title(src)
    fills = [re.search(r'fillcolor="(#[0-9a-f]{6})"', keys[k[f"h{n}"]]) for n in range(6)]
    box_levels = [lightness(m[1]) for m in fills if m]
    assert len(box_levels) == 6 and box_levels == sorted(box_levels, reverse=True)  # h0: palest
    into_mul = [
        re.search(r'[ \[]color="(#[0-9a-f]{6})"', line)
        for n in range(5)
        for line in src.splitlines()
        if re.match(rf"\s*{k[f'h{n}']} -> o", line)
    ]
    edge_colours = [m[1] for m in into_mul if m]
    assert len(edge_colours) == 5
    edge_levels = [lightness(c) for c in edge_colours]
    assert edge_levels == sorted(edge_levels, reverse=True)  # the one sent to h0: palest
    bar = set(re.findall(r'BGCOLOR="(#[0-9a-f]{6})"', src))
    scale = HeatScale.of([1e-5, 1.0])
    assert scale.colour(1e-5) in bar and scale.colour(1.0) in bar
    assert set(edge_colours) <= bar  # each gradient 10x the last: on the bar's decade cells


def test_colour_bar_is_labelled_at_whole_decades() -> None:
    legend = HeatScale(-6, 0).legend()
    labels = re.findall(r'<FONT POINT-SIZE="11">([^<]+)</FONT>', legend)
    assert labels == ["1", "0.1", "0.01", "0.001", "0.0001", "1e-05", "1e-06"]
    assert "not reached" in legend and ">0<" in legend


def test_heat_keeps_ops_neutral_and_styles_zero_and_unreached_apart() -> None:
    x = mg.Tensor(1.0, requires_grad=True, name="x")
    dead = mg.Tensor(-1.0, requires_grad=True, name="dead")
    y = x * 2.0 + mg.relu(dead)
    y.backward()
    src = draw(y, heat=True).source  # no steps: intermediates were not recorded
    keys, k = nodes(src), by_title(src)
    assert "diagonals" in keys[k["dead"]] and ZERO_FILL in keys[k["dead"]]
    unreached = [a for key, a in keys.items() if key.startswith("t") and "dotted" in a]
    assert unreached and all(UNKNOWN_FILL in a for a in unreached)
    ops = [a for key, a in keys.items() if key.startswith("o")]
    assert ops and all('fillcolor="#ffffff"' in a for a in ops)


# -------------------------------------------------------------- escaping
HOSTILE = [
    'say "hi"',
    "back\\slash",
    "trailing\\",
    "{a|b} <c> [d]",
    "first\nsecond",
    "\\N \\G \\E \\L \\n",
    "<b>bold</b> &amp; <!-- x -->",
    ']; evil -> node [label="x',
    "tab\there \x07bell",
]


def test_escape_rules() -> None:
    assert escape('a"b') == "a&quot;b"
    assert escape("end\\") == "end\\\\"
    assert escape("<&>") == "&lt;&amp;&gt;"
    assert escape("a\nb") == 'a<BR ALIGN="CENTER"/>b'
    assert escape("\x07") == "\\\\x07"
    assert escape("abcdefghij", limit=5) == "abcd\u2026"


def test_hostile_names_render_literally(dot: str, svg_texts) -> None:  # type: ignore[no-untyped-def]
    leaves = [mg.Tensor(1.0, requires_grad=True, name=n) for n in HOSTILE]
    y = leaves[0]
    for leaf in leaves[1:]:
        y = y + leaf
    with mg.scope('sc"ope\\'):
        y = y * 2.0
    svg = draw(y).pipe("svg")
    texts = svg_texts(svg)
    expected = [line for n in HOSTILE for line in n.replace("\t", " ").split("\n")]
    expected = [e.replace("\x07", "\\x07") for e in expected]
    for line in expected:
        assert line in texts, line
    assert 'sc"ope\\' in texts


def test_long_labels_are_truncated() -> None:
    y = mg.Tensor(1.0, requires_grad=True, name="n" * 500) * 2.0
    src = draw(y, label_limit=40).source
    assert "n" * 39 + "\u2026" in src and "n" * 41 not in src


# ---------------------------------------------------------------- limits
def chain(n: int) -> mg.Tensor:
    h = mg.Tensor(0.1, requires_grad=True)
    for _ in range(n):
        h = h.tanh()
    return h


def test_over_limit_graph_is_refused_naming_count_and_limit() -> None:
    with pytest.raises(GraphTooLargeError, match=r"21 nodes .*max_nodes=20"):
        draw(chain(10), max_nodes=20)
    assert draw(chain(10), max_nodes=21).node_count == 21


def test_100k_deep_chain_is_counted_without_recursion() -> None:
    deep = chain(100_000)
    assert sys.getrecursionlimit() < 100_000  # a recursive walk could not get through
    with pytest.raises(GraphTooLargeError, match=r"200001 nodes .*max_nodes=2000"):
        draw(deep)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="rankdir"):
        draw(chain(1), rankdir="XY")
    with pytest.raises(TypeError, match="Tensor"):
        draw(np.ones(3))  # type: ignore[arg-type]


# ------------------------------------------------------------- rendering
def test_save_by_suffix(dot: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    y, *_ = neuron()
    g = draw(y)
    assert ET.parse(g.save(tmp_path / "g.svg")).getroot().tag.endswith("svg")
    assert (g.save(tmp_path / "g.png")).read_bytes().startswith(b"\x89PNG")
    assert (g.save(tmp_path / "g.pdf")).read_bytes().startswith(b"%PDF")
    assert (g.save(tmp_path / "g.dot")).read_text() == g.source
    with pytest.raises(ValueError, match=r"\.svg"):
        g.save(tmp_path / "g.jpg")


def test_jupyter_display(dot: str) -> None:
    g = draw(neuron()[0])
    assert g._repr_svg_().lstrip().startswith("<?xml")  # type: ignore[union-attr]
    assert "<svg" in g._repr_mimebundle_()["image/svg+xml"]


INSTALL_WORDS = ("make system-deps", "apt", "brew", "conda", ".source")


def test_missing_dot_says_how_to_install(monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", "")
    g = draw(neuron()[0])
    with pytest.raises(GraphvizNotFoundError) as info:
        g.save(tmp_path / "g.svg")
    assert all(word in str(info.value) for word in INSTALL_WORDS)
    assert g.source.startswith("digraph") and g.save(tmp_path / "g.dot").exists()
    assert g._repr_svg_() is None
    assert "make system-deps" in g._repr_mimebundle_()["text/plain"]


def test_missing_dot_in_a_fresh_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    script = (
        "import minigrad as mg\n"
        "from minigrad.viz import draw\n"
        "g = draw(mg.tanh(mg.Tensor(1.0, requires_grad=True)))\n"
        "print(g.source.splitlines()[0])\n"
        f"g.save({str(tmp_path / 'g.svg')!r})\n"
    )
    env = {**os.environ, "PATH": ""}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stdout.startswith("digraph minigrad {")
    assert "GraphvizNotFoundError" in done.stderr
    assert all(word in done.stderr for word in INSTALL_WORDS)
    assert not (tmp_path / "g.svg").exists()


def test_graph_repr() -> None:
    g = draw(chain(2))
    assert isinstance(g, Graph) and "5 nodes" in repr(g)


def test_surrogates_and_controls_in_scope_and_tensor_names_still_save(
    dot: str, tmp_path, svg_texts
) -> None:  # type: ignore[no-untyped-def]
    with mg.scope("step \udc80 \x07 \x00"):
        y = mg.Tensor(1.0, requires_grad=True, name="w \ud800\x1b") * 2.0
    svg = draw(y).save(tmp_path / "g.svg").read_bytes()
    texts = svg_texts(svg)
    assert "step \\udc80 \\x07 \\x00" in texts and "w \\ud800\\x1b" in texts
    assert 'tooltip="scope step \\\\udc80' in draw(y).source


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="name must be a str or None, got int"):
        mg.Tensor(1.0, name=12345)  # type: ignore[arg-type]
    y = mg.Tensor(1.0, requires_grad=True) * 2.0
    y.name = 12345  # type: ignore[assignment]  # set later: drawn as text, not a crash
    assert "<B>12345</B>" in draw(y).source
