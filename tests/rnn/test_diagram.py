"""rnn.diagram: the folded unit, the unrolled network and BPTT, read back from the rendered SVG."""

import colorsys
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad.errors import ShapeError
from rnn import bptt, reference
from rnn.diagram import DiagramError, shown_steps

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"
SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def render(*args, **kwargs):
    return ET.fromstring(rnn.diagram(*args, **kwargs).pipe("svg"))


def texts(group):
    return [t.text for t in group.iter(f"{SVG}text") if t.text]


def nodes(root):
    """title -> (x, y, texts) of every drawn node (x, y: the mean of its text anchors)."""
    out = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            anchors = [(float(t.get("x")), float(t.get("y"))) for t in g.iter(f"{SVG}text")]
            x, y = np.mean(anchors, axis=0) if anchors else (np.nan, np.nan)
            out[g.find(f"{SVG}title").text] = (x, y, texts(g))
    return out


def edges(root, kind="edge"):
    """'tail->head' -> the edge's <g> element (kind="node": node name -> its <g>)."""
    return {
        g.find(f"{SVG}title").text.replace("&#45;&gt;", "->"): g
        for g in root.iter(f"{SVG}g")
        if g.get("class") == kind
    }


def number(text):
    return float(text.split()[-1])


def tooltip(group):
    """The exact values behind a label: the numbers after each '=' of the hover text."""
    link = group.find(f".//{SVG}a")
    return [float(v) for v in re.findall(r"= ([-\d.e+]+)", link.get(XLINK + "title"))]


SHOWN = 0.05  # labels show 2 significant digits; the tooltips hold 6


def width_pt(root):
    return float(root.get("width").removesuffix("pt"))


def toy(T, B=1, vocab=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, (T, B)), rng.integers(0, vocab, (T, B))


MODELS = {
    "RNN": lambda: rnn.RNN(3, 2, 3, seed=0),
    "LSTM": lambda: rnn.LSTM(3, 2, 3, seed=0),
    "GRU": lambda: rnn.GRU(3, 2, 3, seed=0),
}


# ---------------------------------------------------------------- time order
def expected_steps(T):
    return list(range(1, T + 1)) if T <= 8 else [1, 2, 3, None, T - 2, T - 1, T]


@pytest.mark.parametrize("T", [1, 3, 4, 8, 12, 20])
@pytest.mark.parametrize("view", ["unrolled", "bptt"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_time_runs_left_to_right_in_three_rows(T, view, kind):
    xs, ys = toy(T)
    drawn = nodes(render(MODELS[kind](), xs, ys, view=view))
    steps = expected_steps(T)
    shown = [t for t in steps if t is not None]
    assert {n for n in drawn if n[0] in "xy" and n[1:].isdigit()} == {
        f"{row}{t}" for row in "xy" for t in shown
    }
    h_row = ["h0", *(f"h{t}" if t else "hgap" for t in steps)]
    xs_of = [drawn[n][0] for n in h_row]
    assert xs_of == sorted(xs_of) and len(set(xs_of)) == len(xs_of), h_row
    for row in "xy":
        positions = [drawn[f"{row}{t}"][0] for t in shown]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
    for t in shown:  # rows from the bottom: x_t, then h_t, then y_t, then L
        x, h, y = (drawn[f"{row}{t}"] for row in "xhy")
        assert x[1] > h[1] > y[1] > drawn["L"][1]
        assert abs(x[0] - h[0]) < 40 and abs(y[0] - h[0]) < 40  # one column per step
        assert h[2][0].translate(SUB).startswith(f"h{t}")
    if None in steps:
        assert drawn["hgap"][2] == [f"⋯ {T - 6} steps ⋯"]


def test_a_slice_draws_those_steps_after_the_state_they_start_from():
    xs, ys = toy(12)
    drawn = nodes(render(MODELS["RNN"](), xs, ys, view="bptt", steps=slice(4, 9)))
    row = [f"h{t}" for t in range(4, 10)]
    assert {n for n in drawn if n.startswith("h") and n[1:].isdigit()} == set(row)
    assert [drawn[n][0] for n in row] == sorted(drawn[n][0] for n in row)
    everything = nodes(render(MODELS["RNN"](), xs, ys, steps=slice(None)))
    assert {f"h{t}" for t in range(13)} <= set(everything) and "hgap" not in everything


@pytest.mark.parametrize(
    ("T", "steps", "want"),
    [
        (5, None, [1, 2, 3, 4, 5]),
        (20, 4, [1, 2, None, 19, 20]),
        (20, 5, [1, 2, 3, None, 19, 20]),
        (6, 10, [1, 2, 3, 4, 5, 6]),
        (10, slice(2, 5), [3, 4, 5]),
        (10, slice(-2, None), [9, 10]),
    ],
)
def test_which_steps_are_shown(T, steps, want):
    assert shown_steps(T, steps) == want


# ---------------------------------------------------------------- the numbers
def test_unrolled_nodes_show_the_models_own_values():
    model = rnn.RNN(3, 2, 3, seed=4)
    xs, ys = toy(5, seed=4)
    drawn = nodes(render(model, xs, ys))
    logits, hs = model(xs)
    probs = np.exp(logits.data) / np.exp(logits.data).sum(axis=-1, keepdims=True)
    for t in range(1, 6):
        shown = [float(v) for v in drawn[f"h{t}"][2][1].strip("[]").split()]
        np.testing.assert_allclose(shown, hs.data[t - 1, 0], atol=0.006)
        assert drawn[f"x{t}"][2][1] == str(xs[t - 1, 0])
        y = drawn[f"y{t}"][2][1]
        assert y.startswith(f"p({ys[t - 1, 0]})")
        assert number(y) == pytest.approx(probs[t - 1, 0, ys[t - 1, 0]], abs=0.006)
    assert number(drawn["L"][2][1]) == pytest.approx(rnn.sequence_loss(logits, ys).item(), abs=6e-4)


def test_big_states_show_their_norm():
    model = rnn.RNN(20, 32, 20, seed=1)
    xs, ys = toy(4, B=3, vocab=20, seed=1)
    drawn = nodes(render(model, xs, ys))
    logits, hs = model(xs)
    probs = np.exp(logits.data) / np.exp(logits.data).sum(axis=-1, keepdims=True)
    for t in range(1, 5):
        label = drawn[f"h{t}"][2][1]
        assert label.startswith("‖h‖")
        assert number(label) == pytest.approx(np.linalg.norm(hs.data[t - 1]), rel=SHOWN)
        y = drawn[f"y{t}"][2][1]
        p_target = probs[t - 1, np.arange(3), ys[t - 1]].mean()
        assert y.startswith("mean p ") and number(y) == pytest.approx(p_target, abs=0.006)
        assert drawn[f"x{t}"][2][1] == " ".join(str(i) for i in xs[t - 1])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_bptt_states_show_the_hidden_gradient_norms(kind):
    model = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind](5, 4, 5, seed=2)
    xs, ys = toy(6, B=2, vocab=5, seed=2)
    root = render(model, xs, ys, view="bptt")
    drawn = nodes(root)
    groups = edges(root, kind="node")
    want = bptt.hidden_grad_norms(model, xs, ys)
    for t in range(1, 7):
        line = drawn[f"h{t}"][2][1]
        assert number(line) == pytest.approx(want[t - 1], rel=SHOWN)
        assert tooltip(groups[f"h{t}"])[0] == pytest.approx(want[t - 1], rel=1e-5)
    assert model.W.grad is None  # the model's own gradients stay untouched


def test_bptt_arrows_carry_the_terms_of_the_hand_derivation():
    """y_t -> h_t carries V^T δo_t, h_t -> h_t-1 carries W^T δa_t, W|_t is δa_t^T h_t-1."""
    model = rnn.RNN(5, 4, 5, seed=3)
    xs, ys = toy(6, B=2, vocab=5, seed=3)
    params = {k: getattr(model, k).data for k in "UWVbc"}
    cache = reference.forward(params, xs, ys)
    n = ys.size
    root = render(model, xs, ys, view="bptt")
    drawn, shares = edges(root), edges(root, kind="node")
    da_next = np.zeros((2, 4))
    for t in range(6, 0, -1):
        do = (cache.ps[t - 1] - np.eye(5)[ys[t - 1]]) / n
        dh = do @ params["V"] + da_next @ params["W"]
        da = dh * (1 - cache.hs[t] ** 2)
        want = {
            f"y{t}->L": [np.linalg.norm(do)],
            f"h{t}->y{t}": [np.linalg.norm(do @ params["V"])],
            f"h{t - 1}->h{t}": [np.linalg.norm(da @ params["W"])],
        }
        for name, values in want.items():
            np.testing.assert_allclose(tooltip(drawn[name]), values, rtol=1e-5, atol=1e-12)
            shown = texts(drawn[name])
            assert number(shown[0]) == pytest.approx(values[0], rel=SHOWN, abs=1e-12)
        assert texts(drawn[f"h{t - 1}->h{t}"])[1] == "W"
        share = tooltip(shares[f"w{t}"])
        np.testing.assert_allclose(share, [np.linalg.norm(da.T @ cache.hs[t - 1])], rtol=1e-5)
        da_next = da
    contributions = np.linalg.norm(bptt.contributions(model, xs, ys)["W"], axis=(1, 2))
    drawn_shares = [tooltip(shares[f"w{t}"])[0] for t in range(1, 7)]
    np.testing.assert_allclose(drawn_shares, contributions, rtol=1e-5, atol=1e-12)


def arrowhead_near_tail(edge, drawn, tail, head):
    """True if the edge's arrowhead polygon is closer to ``tail``'s node than to ``head``'s."""
    points = edge.find(f".//{SVG}polygon").get("points").split()
    tip = np.mean([[float(v) for v in p.split(",")] for p in points], axis=0)
    dist = {name: np.hypot(*(tip - np.array(drawn[name][:2]))) for name in (tail, head)}
    return dist[tail] < dist[head]


def test_gradient_arrows_point_backwards_and_forward_arrows_forwards():
    model = MODELS["RNN"]()
    xs, ys = toy(4)
    for view, backwards in (("unrolled", False), ("bptt", True)):
        root = render(model, xs, ys, view=view)
        drawn, drawn_edges = nodes(root), edges(root)
        for name in ["y2->L", "h2->y2", "h1->h2", "h0->h1"]:
            tail, head = name.split("->")
            assert arrowhead_near_tail(drawn_edges[name], drawn, tail, head) == backwards, name


def stroke(edge):
    path = edge.find(f".//{SVG}path")
    colour = path.get("stroke").lstrip("#")
    lightness = colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)))[1]
    return lightness, float(path.get("stroke-width", "1"))


def test_shade_and_width_follow_the_gradient_norm():
    """Darker and wider for a larger norm, on a log scale: a tenfold smaller gradient shows."""
    model = rnn.RNN(5, 8, 5, seed=0)
    model.W.data *= 0.02  # a contracting recurrence: little gradient goes back along W
    xs, ys = toy(8, vocab=5)
    root = render(model, xs, ys, view="bptt")
    red = [e for e in edges(root).values() if e.find(f".//{SVG}a") is not None]
    assert len(red) == 8 * 3  # L -> y_t, y_t -> h_t, h_t -> h_t-1
    looks = sorted((tooltip(e)[0], *stroke(e)) for e in red)
    assert looks[-1][0] > 30 * looks[0][0]  # the values span more than a decade
    for (v1, light1, width1), (v2, light2, width2) in zip(looks, looks[1:], strict=False):
        assert light1 >= light2 and width1 <= width2, (v1, v2)
    (_, light_small, width_small), (_, light_large, width_large) = looks[0], looks[-1]
    assert light_small - light_large > 0.2 and width_large - width_small > 1


# ---------------------------------------------------------------- folded
@pytest.mark.parametrize(
    ("make", "shapes"),
    [
        (rnn.RNN, {"U": "128×65", "W": "128×128", "V": "65×128"}),
        (rnn.LSTM, {"U": "512×65", "W": "512×128", "V": "65×128"}),
        (rnn.GRU, {"U": "384×65", "W": "384×128", "V": "65×128"}),
    ],
)
def test_folded_view_has_the_three_weights_with_their_shapes(make, shapes):
    root = render(make(65, 128, 65, seed=0), *toy(3, vocab=65), view="folded")
    drawn = edges(root)
    into = "c" if make is rnn.LSTM else "h"  # an LSTM's input enters the gates that write c
    assert texts(drawn[f"x->{into}"]) == [f" U ({shapes['U']}) "]
    assert texts(drawn["h:n->h:s"]) == [f" W ({shapes['W']}) "]  # the loop round h
    assert texts(drawn["h->y"]) == [f" V ({shapes['V']}) "]
    assert set(nodes(root)) == {"x", "h", "y", "L"} | ({"c"} if make is rnn.LSTM else set())


# ---------------------------------------------------------------- legible
LAYOUTS = [("folded", 1)] + [(view, T) for view in ("unrolled", "bptt") for T in (1, 4, 8, 20)]


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize(("view", "T"), LAYOUTS)
@pytest.mark.parametrize("hidden", [2, 128])
def test_fits_the_page_with_11pt_text(kind, view, T, hidden):
    """Natural width at most 1100 pt (shown in an 800 px column) and no text under 11 pt."""
    make = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind]
    root = render(make(65, hidden, 65, seed=0), *toy(T, vocab=65), view=view)
    assert width_pt(root) <= 1100
    sizes = {float(t.get("font-size")) for t in root.iter(f"{SVG}text")}
    assert min(sizes) >= 11


# ---------------------------------------------------------------- inputs
def test_dense_inputs_and_an_initial_state():
    model = rnn.RNN(3, 2, 3, seed=0)
    xs = np.random.default_rng(0).normal(size=(3, 1, 3))
    h0 = rnn.RNN(3, 2, 3).cell.zero_state(1)
    h0.data[:] = [[0.5, -0.25]]
    drawn = nodes(render(model, xs, toy(3)[1], view="unrolled", h0=h0))
    assert drawn["h0"][2][1] == "[0.50 -0.25]"
    assert drawn["x1"][2][1] == "[" + " ".join(f"{v:.2f}" for v in xs[0, 0]) + "]"
    assert "L" not in nodes(render(model, xs))  # no targets, no loss node
    dense = mg.Tensor(xs, requires_grad=True)
    h0.requires_grad = True
    render(model, dense, toy(3)[1], view="bptt", h0=h0)
    assert dense.grad is None and h0.grad is None and model.U.grad is None  # .grad left alone


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"view": "rolled"}, DiagramError, "view must be one of folded, unrolled, bptt"),
        ({"view": "bptt", "targets": None}, DiagramError, "needs targets"),
        ({"targets": np.zeros((2, 1), int)}, ShapeError, "targets must have the shape (T, B)"),
        ({"xs": np.zeros((4,), int)}, ShapeError, "expected token ids (T, B)"),
        ({"steps": 1}, DiagramError, "steps=1 must be >= 2"),
        ({"steps": slice(0, 4, 2)}, DiagramError, "consecutive steps"),
        ({"steps": "all"}, TypeError, "steps must be None, an int or a slice"),
        ({"model": "RNN"}, TypeError, "model must be an rnn.RNN, rnn.LSTM or rnn.GRU, got str"),
    ],
)
def test_bad_input_gives_a_clear_error(kwargs, error, message):
    xs, ys = toy(4)
    args = {"model": MODELS["RNN"](), "xs": xs, "targets": ys, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        rnn.diagram(**args)
