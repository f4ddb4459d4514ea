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


def test_an_ellipsis_of_one_step_says_so():
    drawn = nodes(render(MODELS["RNN"](), *toy(3), view="bptt", steps=2))
    assert drawn["hgap"][2] == ["⋯ 1 step ⋯"]


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
        ({"loss": "first"}, ValueError, "loss must be one of all, last; got 'first'"),
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


# ---------------------------------------------------------------- the sum over time
def backward_of(model, xs, ys, loss):
    """The model's own unroll and backward: W.grad for L (``"all"``) or L^(T) (``"last"``)."""
    logits, _ = model(xs)
    first = len(xs) - 1 if loss == "last" else 0
    rnn.sequence_loss(logits[first:], ys[first:]).backward()
    return model.W.grad.data


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_the_sum_node_is_the_norm_of_W_grad_fed_by_every_step(kind, loss):
    make = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind]
    model = make(5, 4, 5, seed=5)
    xs, ys = toy(6, B=2, vocab=5, seed=5)
    root = render(model, xs, ys, view="bptt", loss=loss)
    drawn, groups = nodes(root), edges(root, kind="node")
    want = np.linalg.norm(backward_of(model, xs, ys, loss))
    assert drawn["Wsum"][2][0] == "∂L/∂W = Σₜ ∂L/∂W|ₜ"
    assert number(drawn["Wsum"][2][1]) == pytest.approx(want, rel=SHOWN)
    assert tooltip(groups["Wsum"]) == pytest.approx([want], rel=1e-5)  # 6 digits
    fed = [name for name in edges(root) if name.startswith("Wsum->w")]
    assert fed == [f"Wsum->w{t}" for t in range(1, 7)]
    shares = [tooltip(groups[f"w{t}"])[0] for t in range(1, 7)]
    assert sum(shares) >= want  # the norms of the parts add up to more than the norm of the sum


def test_the_sum_node_shows_the_matrix_of_the_hand_derivation():
    model = rnn.RNN(4, 3, 4, seed=7)
    xs, ys = toy(5, vocab=4, seed=7)
    params = {k: getattr(model, k).data for k in "UWVbc"}
    dW = reference.backward(params, reference.forward(params, xs, ys))["W"]
    lines = nodes(render(model, xs, ys, view="bptt"))["Wsum"][2][2:]
    shown = np.array([[float(v) for v in line.strip("[]").split()] for line in lines])
    np.testing.assert_allclose(shown, dW, rtol=SHOWN, atol=1e-12)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_the_sum_node_of_a_gated_cell_shows_its_stacked_matrix(kind):
    model = {"LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind](4, 2, 4, seed=7)
    xs, ys = toy(5, vocab=4, seed=7)
    lines = nodes(render(model, xs, ys, view="bptt"))["Wsum"][2][2:]
    shown = np.array([[float(v) for v in line.strip("[]").split()] for line in lines])
    np.testing.assert_allclose(shown, backward_of(model, xs, ys, "all"), rtol=SHOWN, atol=1e-12)


def test_a_slice_sums_the_steps_it_leaves_out():
    model = rnn.RNN(5, 4, 5, seed=3)
    xs, ys = toy(20, vocab=5, seed=3)
    groups = edges(render(model, xs, ys, view="bptt", steps=slice(9, 14)), kind="node")
    parts = bptt.contributions(model, xs, ys)["W"]
    assert tooltip(groups["wbefore"]) == pytest.approx([np.linalg.norm(parts[:9].sum(0))], 1e-5)
    assert tooltip(groups["wafter"]) == pytest.approx([np.linalg.norm(parts[14:].sum(0))], 1e-5)
    assert tooltip(groups["Wsum"]) == pytest.approx([np.linalg.norm(parts.sum(0))], 1e-5)


# ---------------------------------------------------------------- the loss at the last step
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_loss_last_draws_L_T_fed_by_y_T_alone(kind):
    model = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind](5, 4, 5, seed=6)
    xs, ys = toy(7, B=2, vocab=5, seed=6)
    root = render(model, xs, ys, view="bptt", loss="last")
    drawn, groups = nodes(root), edges(root, kind="node")
    want = bptt.hidden_grad_norms(model, xs, ys, only_last=True)
    for t in range(1, 8):
        assert tooltip(groups[f"h{t}"])[0] == pytest.approx(want[t - 1], rel=1e-5)
        assert number(drawn[f"h{t}"][2][1]) == pytest.approx(want[t - 1], rel=SHOWN)
    assert [name for name in edges(root) if name.endswith("->L")] == ["y7->L"]
    logits, _ = model(xs)
    assert drawn["L"][2][0] == "L⁽⁷⁾"
    last = rnn.sequence_loss(logits[-1:], ys[-1:]).item()
    assert number(drawn["L"][2][1]) == pytest.approx(last, abs=6e-4)


# ---------------------------------------------------------------- the LSTM's cell state
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_by_hand(model, xs, ys):
    """c_t, f_t (numpy) and dL/dc_t (the engine, from retain_grad) for t = 0..T."""
    U, W, b = (getattr(model, k).data for k in "UWb")
    n = model.cell.hidden_size
    h, c = model.cell.zero_state(xs.shape[1])
    c.requires_grad = True
    cs, fs, logits = [c], [None], []
    for x_t in xs:
        z = U.T[x_t] + h.data @ W.T + b
        fs.append(sigmoid(z[:, n : 2 * n]))
        h, c = model.cell.step(x_t, (h, c))
        c.retain_grad()
        cs.append(c)
        logits.append(model.head(h))
    rnn.sequence_loss(mg.stack(logits), ys).backward()
    return [c.data for c in cs], fs, [c.grad.data for c in cs]


def test_the_lstm_bptt_view_has_the_cell_state_highway():
    model = rnn.LSTM(5, 4, 5, seed=8)
    xs, ys = toy(6, B=2, vocab=5, seed=8)
    root = render(model, xs, ys, view="bptt")
    drawn, groups, arrows = nodes(root), edges(root, kind="node"), edges(root)
    _, fs, dcs = lstm_by_hand(model, xs, ys)
    for t in range(0, 7):
        assert drawn[f"c{t}"][2][0].translate(SUB) == f"c{t}"
        assert tooltip(groups[f"c{t}"]) == pytest.approx([np.linalg.norm(dcs[t])], rel=1e-5)
    for t in range(1, 7):
        along = fs[t] * dcs[t]  # what c_t sends back to c_{t-1}: f_t ⊙ dL/dc_t
        assert tooltip(arrows[f"c{t - 1}->c{t}"]) == pytest.approx([np.linalg.norm(along)], 1e-5)
        assert texts(arrows[f"c{t - 1}->c{t}"])[1] == "f ⊙"
        from_h = dcs[t] - (fs[t + 1] * dcs[t + 1] if t < 6 else 0)  # the rest comes from h_t
        assert tooltip(arrows[f"c{t}->h{t}"]) == pytest.approx([np.linalg.norm(from_h)], 1e-5)
        x, c, h = (drawn[f"{row}{t}"][1] for row in "xch")
        assert x > c > h  # the cell-state row runs between the inputs and the hidden states


def test_the_lstm_unrolled_and_folded_views_show_the_cell_state():
    model = rnn.LSTM(5, 4, 5, seed=8)
    xs, ys = toy(5, B=1, vocab=5, seed=8)
    cs, _, _ = lstm_by_hand(model, xs, ys)
    drawn = nodes(render(model, xs, ys, view="unrolled"))
    for t in range(1, 6):
        assert number(drawn[f"c{t}"][2][1]) == pytest.approx(np.linalg.norm(cs[t]), rel=SHOWN)
    loops = edges(render(model, xs, ys, view="folded"))
    assert {"h:n->h:s", "c:e->c:w", "c->h"} <= set(loops)


# ---------------------------------------------------------------- the cuts
def reference_terms(model, xs, ys):
    """δo_t V (y_t -> h_t) and δa_t W (step t -> h_{t-1}) for t = 1..T, by hand."""
    params = {k: getattr(model, k).data for k in "UWVbc"}
    cache = reference.forward(params, xs, ys)
    T, n = len(xs), ys.size
    via_y, via_w, da_next = {}, {}, np.zeros_like(cache.hs[0])
    for t in range(T, 0, -1):
        do = (cache.ps[t - 1] - np.eye(params["V"].shape[0])[ys[t - 1]]) / n
        via_y[t] = do @ params["V"]
        da = (via_y[t] + da_next @ params["W"]) * (1 - cache.hs[t] ** 2)
        via_w[t] = da @ params["W"]
        da_next = da
    return via_y, via_w


def test_a_slice_keeps_the_gradient_that_crosses_its_ends():
    model = rnn.RNN(5, 4, 5, seed=9)
    xs, ys = toy(20, vocab=5, seed=9)
    root = render(model, xs, ys, view="bptt", steps=slice(9, 14))  # h_9 .. h_14
    drawn, arrows = nodes(root), edges(root)
    via_y, via_w = reference_terms(model, xs, ys)
    cuts = {
        "h14->hafter": ("hafter", "from h₁₅", via_w[15]),
        "hbefore->h9": ("hbefore", "to h₈", via_w[9]),
        "h9->ybefore": ("ybefore", "from y₉", via_y[9]),
    }
    for name, (stub, text, vector) in cuts.items():
        assert drawn[stub][2] == [text]
        assert tooltip(arrows[name]) == pytest.approx([np.linalg.norm(vector)], rel=1e-5)
        assert number(texts(arrows[name])[0]) == pytest.approx(np.linalg.norm(vector), rel=SHOWN)
    into_h9 = np.linalg.norm(via_y[9] + via_w[10])  # the vector sum of the two arrows into h_9
    assert number(drawn["h9"][2][1]) == pytest.approx(into_h9, rel=SHOWN)
    unrolled = nodes(render(model, xs, ys, view="unrolled", steps=slice(9, 14)))
    assert unrolled["hbefore"][2] == ["from h₈"] and unrolled["hafter"][2] == ["to h₁₅"]


def test_the_ellipsis_names_the_states_its_arrows_come_from_and_go_to():
    model = rnn.RNN(5, 4, 5, seed=9)
    xs, ys = toy(20, vocab=5, seed=9)
    arrows = edges(render(model, xs, ys, view="bptt"))
    _, via_w = reference_terms(model, xs, ys)
    for name, text, vector in (
        ("h3->hgap", "from h₄", via_w[4]),
        ("hgap->h18", "to h₁₇", via_w[18]),
    ):
        assert texts(arrows[name])[1:] == ["W", text]
        assert tooltip(arrows[name]) == pytest.approx([np.linalg.norm(vector)], rel=1e-5)


# ---------------------------------------------------------------- colour and size
def fills(group):
    """The fill colours of an HTML table's cells, left to right."""
    cells = [p for p in group.iter(f"{SVG}polygon") if p.get("fill", "").startswith("#")]
    left = [min(float(pt.split(",")[0]) for pt in p.get("points").split()) for p in cells]
    return [p.get("fill") for _, p in sorted(zip(left, cells, strict=True), key=lambda a: a[0])]


def lightness(colour):
    colour = colour.lstrip("#")
    return colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)))[1]


def test_one_monotone_scale_over_every_decade_present_pale_is_small():
    """Arrows and colour bar share one log scale; 1.9e-8 and 1.7e-7 no longer look alike."""
    model = rnn.RNN(5, 8, 5, seed=0)
    model.W.data *= 0.3
    xs, ys = toy(16, vocab=5)
    root = render(model, xs, ys, view="bptt", loss="last", steps=slice(None))
    red = sorted(
        (tooltip(e)[0], *stroke(e))
        for e in edges(root).values()
        if e.find(f".//{SVG}a") is not None
    )
    red = [r for r in red if r[0] > 0]
    values = np.array([r[0] for r in red])
    decades = np.log10(values.max() / values.min())
    assert decades > 6
    bar = edges(root, kind="node")["bar"]
    cells = [lightness(c) for c in fills(bar)]
    assert cells == sorted(cells, reverse=True) and len(set(cells)) == len(cells)  # pale at left
    low, high = (number(t) for t in texts(bar)[-2:])
    assert low <= values.min() and high == pytest.approx(values.max(), rel=SHOWN)
    span = f"log scale over {int(np.ceil(decades))} decades"
    assert texts(bar)[:2] == ["‖gradient‖: pale = small", span]
    step = (cells[0] - cells[-1]) / np.ceil(decades)  # the change in lightness per decade
    for v1, light1, width1 in red:
        assert cells[-1] - 1e-3 <= light1 <= cells[0] + 1e-3
        for v2, light2, width2 in red:
            if v2 >= 10 * v1:
                assert light1 - light2 > 0.9 * step and width2 > width1, (v1, v2)


@pytest.mark.parametrize("loss", ["all", "last"])
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("hidden", [2, 128])
def test_bptt_at_T8_has_12px_text_in_an_800px_column(kind, hidden, loss):
    make = {"RNN": rnn.RNN, "LSTM": rnn.LSTM, "GRU": rnn.GRU}[kind]
    root = render(make(65, hidden, 65, seed=0), *toy(8, vocab=65), view="bptt", loss=loss)
    view_width = float(root.get("viewBox").split()[2])  # in pt, the unit of font-size
    assert view_width == pytest.approx(width_pt(root), abs=1)  # drawn at scale 1
    smallest = min(float(t.get("font-size")) for t in root.iter(f"{SVG}text"))
    assert smallest * 800 / view_width >= 12  # px when the picture is scaled to 800 px wide


# ---------------------------------------------------------------- hostile vocabularies
@pytest.mark.parametrize("view", ["folded", "unrolled", "bptt"])
def test_control_characters_in_the_vocabulary_are_shown_not_fed_to_graphviz(view):
    text = "ab\x00c\x1b[31md"
    vocab = sorted(set(text))
    model = rnn.RNN(len(vocab), 3, len(vocab), seed=0, vocab=vocab)
    ids = np.array([[vocab.index(ch)] for ch in text])
    shown = texts(render(model, ids[:-1], ids[1:], view=view, steps=slice(None)))
    assert not any("\x00" in s or "\x1b" in s for s in shown)
    if view != "folded":
        assert "\\x00" in shown and "\\x1b" in shown  # the inputs x_t, shown literally


# ---------------------------------------------------------------- the command line
def test_the_graph_command_draws_the_loss_at_the_last_step(tmp_path, capsys):
    from rnn.__main__ import main

    out = tmp_path / "last.svg"
    assert main(["graph", "--view", "bptt", "--loss", "last", "-T", "5", "--out", str(out)]) == 0
    shown = [t.text for t in ET.parse(out).getroot().iter(f"{SVG}text")]
    assert "L⁽⁵⁾" in shown
    assert main(["graph", "--view", "ops", "--loss", "last", "--out", str(tmp_path / "o.svg")]) == 1
    assert "--loss last draws the folded, unrolled or bptt view" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["graph", "--view", "bptt", "--loss", "first"])
    assert "invalid choice: 'first' (choose from 'all', 'last')" in capsys.readouterr().err
