"""flipbook(): one SVG frame per backward step, the rule with numbers, a real browser."""

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import minigrad as mg
from minigrad.viz import GraphTooLargeError, flipbook
from minigrad.viz.flipbook import CURRENT_FILL, DONE_FILL

SVG = "{http://www.w3.org/2000/svg}"
BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def neuron() -> tuple[mg.Tensor, mg.Tensor, mg.Tensor, mg.Tensor]:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    w = mg.Tensor(-1.5, requires_grad=True, name="w")
    b = mg.Tensor(2.0, requires_grad=True, name="b")
    y = mg.tanh(x * w + b)
    y.name = "y"
    return y, x, w, b


@pytest.fixture
def book(dot: str, tmp_path: Path) -> str:
    y, *_ = neuron()
    return flipbook(y, tmp_path / "book.html").read_text()


def frames(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)]


def node_shapes(svg: ET.Element) -> dict[str, tuple[str, str]]:
    """Node title -> (its class, the geometry of its outline)."""
    out = {}
    for g in svg.iter(f"{SVG}g"):
        if "node" in g.get("class", "").split():
            outline = (f"{SVG}polygon", f"{SVG}ellipse", f"{SVG}path")
            shape = next(el for el in g if el.tag in outline)
            geometry = (
                shape.get("points") or shape.get("d") or f"{shape.get('cx')},{shape.get('cy')}"
            )
            out[g.findtext(f"{SVG}title") or ""] = (g.get("class", ""), geometry)
    return out


def test_one_frame_per_step_with_counter_and_controls(book: str) -> None:
    # x, w, b, x*w, x*w + b, y: six nodes need a gradient, so six steps
    assert len(frames(book)) == 6
    assert "step 1 of 6" in book
    for control in ('id="prev"', 'id="next"', 'id="slider"', "ArrowRight", "ArrowLeft"):
        assert control in book


def test_page_is_self_contained(book: str) -> None:
    assert "Content-Security-Policy" in book and "default-src 'none'" in book
    assert not re.search(r"<(script|img|link|iframe)[^>]*\b(src|href)=", book)
    assert "@import" not in book and "url(" not in book and "@font-face" not in book


def test_current_node_moves_and_done_nodes_accumulate(book: str) -> None:
    shapes = [node_shapes(svg) for svg in frames(book)]
    current = [sorted(t for t, (c, _) in s.items() if "current" in c) for s in shapes]
    tensors = [next(t for t in c if t.startswith("t")) for c in current]
    assert tensors[0] == "t5" and len(set(tensors)) == 6  # root first, each node once
    for k, s in enumerate(shapes):
        done = {t for t, (c, _) in s.items() if "done" in c and t.startswith("t")}
        assert done == set(tensors[:k])
    frame_text = re.findall(r'<div class="frame".*?</div>', book, flags=re.DOTALL)
    assert CURRENT_FILL in frame_text[0] and DONE_FILL in frame_text[1]


def test_every_frame_has_the_same_layout(book: str) -> None:
    geometry = [{t: g for t, (_, g) in node_shapes(svg).items()} for svg in frames(book)]
    assert all(g == geometry[0] for g in geometry)


def test_rule_shows_the_numbers(book: str) -> None:
    t = math.tanh(0.5 * -1.5 + 2.0)
    local = 1 - t * t  # dy/du of y = tanh(u)
    panels = re.findall(r'<section class="panel".*?</section>', book, flags=re.DOTALL)
    tanh_panel = next(p for p in panels if "<b>tanh</b>" in p)
    assert "y = tanh(x);  dy/dx = 1 - y**2" in tanh_panel
    assert "<td>1</td>" in tanh_panel  # incoming dL/dy = 1
    assert f"<td>{local:.4g}</td>" in tanh_panel  # local derivative
    mul_panel = next(p for p in panels if "<b>mul</b>" in p)
    assert f"<td>{local * -1.5:.4g}</td>" in mul_panel  # x receives dL/du * w
    assert f"<td>{local * 0.5:.4g}</td>" in mul_panel  # w receives dL/du * x
    last = panels[-1]
    for name, grad in (("x", local * -1.5), ("w", local * 0.5), ("b", local)):
        assert f"<b>{name}</b>: {grad:.4g}" in last


def test_flipbook_runs_backward_like_backward(dot: str, tmp_path: Path) -> None:
    y, x, w, b = neuron()
    flipbook(y, tmp_path / "b.html")
    t = math.tanh(1.25)
    assert x.grad is not None and x.grad.item() == pytest.approx((1 - t * t) * -1.5)


def test_too_many_steps_are_refused_before_backward(tmp_path: Path) -> None:
    x = mg.Tensor(0.1, requires_grad=True)
    h = x
    for _ in range(149):
        h = h.tanh()
    with pytest.raises(GraphTooLargeError, match=r"150 steps.*max_steps=100"):
        flipbook(h, tmp_path / "b.html")
    assert x.grad is None and not (tmp_path / "b.html").exists()


@pytest.mark.slow
def test_browser_steps_forward_without_network(chromium: Path, book: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = tmp_path / "page.html"
    path.write_text(book)
    url = path.as_uri()
    requests: list[str] = []
    visible = ".frame:not([hidden]) g.node.current title"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            first = page.locator(visible).all_text_contents()
            assert page.inner_text("#counter") == "step 1 of 6"
            page.click("#next")
            page.keyboard.press("ArrowRight")
            assert page.inner_text("#counter") == "step 3 of 6"
            third = page.locator(visible).all_text_contents()
            assert third and third != first
            assert page.locator(".panel:not([hidden]) h2").inner_text().startswith("Step 3")
            page.keyboard.press("ArrowLeft")
            assert page.inner_text("#counter") == "step 2 of 6"
            page.locator("#slider").fill("5")
            assert page.inner_text("#counter") == "step 6 of 6"
        finally:
            browser.close()
    assert requests == [url]
