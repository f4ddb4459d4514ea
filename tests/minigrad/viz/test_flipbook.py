"""flipbook(): one SVG restyled per step, the chain rule with numbers, a real browser."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import rnn
from minigrad.viz import Flipbook, GraphTooLargeError, flipbook

BROWSER_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MINUS = "\u2212"


def n4(value: float) -> str:
    """The test's own 4-digit formatting, with a true minus sign."""
    return f"{value:.4g}".replace("-", MINUS)


def neuron() -> tuple[mg.Tensor, mg.Tensor, mg.Tensor, mg.Tensor]:
    x = mg.Tensor(0.5, requires_grad=True, name="x")
    w = mg.Tensor(-1.5, requires_grad=True, name="w")
    b = mg.Tensor(2.0, requires_grad=True, name="b")
    y = mg.tanh(x * w + b)
    y.name = "y"
    return y, x, w, b


def rnn_loss(T: int) -> mg.Tensor:
    model = rnn.RNN(3, 2, 3, seed=0)
    rng = np.random.default_rng(0)
    xs, ys = rng.integers(0, 3, (T, 1)), rng.integers(0, 3, (T, 1))
    return rnn.sequence_loss(model(xs, per_step=True)[0], ys)


@pytest.fixture
def book(dot: str, tmp_path: Path) -> str:
    y, *_ = neuron()
    return flipbook(y, tmp_path / "book.html").read_text()


def frames(page: str) -> list[dict[str, list[str]]]:
    data = re.search(r'<script type="application/json" id="frames">(.*?)</script>', page, re.S)
    assert data
    return json.loads(data[1])


def panels(page: str) -> list[str]:
    return re.findall(r'<section class="panel".*?</section>', page, flags=re.DOTALL)


def test_one_svg_and_one_frame_per_step(book: str) -> None:
    # x, w, b, x*w, x*w + b, y: six nodes need a gradient, so six steps
    assert book.count("<svg") == 1 and len(frames(book)) == 6 and len(panels(book)) == 6
    assert "step 1 of 6" in book
    current = [f["current"][0] for f in frames(book)]
    assert len(set(current)) == 6
    for f in frames(book):
        for key in f["current"] + f["edges"]:
            assert f'id="{key}"' in book


def test_page_is_self_contained(book: str) -> None:
    assert "Content-Security-Policy" in book and "default-src 'none'" in book
    assert not re.search(r"<(script|img|link|iframe)[^>]*\b(src|href)=", book)
    assert "@import" not in book and "url(" not in book and "@font-face" not in book


def test_chain_rule_is_written_with_names_and_numbers(book: str) -> None:
    u = 0.5 * -1.5 + 2.0
    du = 1 - math.tanh(u) ** 2  # dL/du for L = y = tanh(u)
    mul = next(p for p in panels(book) if "<b>mul</b>" in p)
    assert "mul1 = x * w" in mul
    assert f"dL/dx = dL/d(mul1) · d(mul1)/dx = ({n4(du)})·({n4(-1.5)}) = {n4(du * -1.5)}" in mul
    assert f"dL/dw = dL/d(mul1) · d(mul1)/dw = ({n4(du)})·({n4(0.5)}) = {n4(du * 0.5)}" in mul
    tanh = next(p for p in panels(book) if "<b>tanh</b>" in p)
    assert f"= (1)·({n4(du)}) = {n4(du)}" in tanh
    leaves = re.findall(r'<li data-from="\d+"><b>(\w+)</b>: ([^<]+)</li>', book)
    assert dict(leaves) == {"x": n4(du * -1.5), "w": n4(du * 0.5), "b": n4(du)}


def test_a_node_used_three_times_shows_the_sum_of_what_arrived(dot: str, tmp_path: Path) -> None:
    a = mg.Tensor(2.0, requires_grad=True, name="a")
    y = a / 3.0 + a / 3.0 + a / 6.0
    page = flipbook(y, tmp_path / "sum.html").read_text()
    line = re.search(r"a\.grad = ([^<]+)</code>", page)
    assert line
    *terms, total = line[1].split(" = ")[0].split(" + ") + [line[1].split(" = ")[1]]
    assert sorted(terms) == sorted([n4(1 / 3), n4(1 / 3), n4(1 / 6)]) and total == n4(5 / 6)


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


def test_rnn_page_grows_with_nodes_plus_steps(dot: str, tmp_path: Path) -> None:
    size = flipbook(rnn_loss(8), tmp_path / "t8.html").stat().st_size
    assert size < 1_000_000  # one SVG frame per step made this 14.5 MB


def test_hostile_names_do_not_break_the_page(dot: str, tmp_path: Path) -> None:
    huge = "n" * 1_000_000
    a = mg.Tensor(1.0, requires_grad=True, name="bad \udcff \x00" + huge)
    with mg.scope("s\udc80\x07"):
        b = mg.Tensor(2.0, requires_grad=True, name=huge)
        y = a * b
    page = flipbook(y, tmp_path / "h.html").read_text(encoding="utf-8")
    assert "\\udcff" in page and "\\x00" in page
    assert len(page) < 100_000  # names are cut, not repeated whole on every step


@pytest.mark.slow
@pytest.mark.parametrize("which", ["neuron", "rnn"])
def test_browser_keeps_the_current_node_in_view(
    chromium: Path, dot: str, tmp_path: Path, which: str
) -> None:
    from playwright.sync_api import sync_playwright

    root = neuron()[0] if which == "neuron" else rnn_loss(2)
    path = flipbook(root, tmp_path / "page.html")
    expected = [f["current"][0] for f in frames(path.read_text())]
    n = len(expected)
    url = path.as_uri()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            seen = []
            checked_rule = which != "neuron"
            for k in range(n):
                assert page.inner_text("#counter") == f"step {k + 1} of {n}"
                box = page.locator("g.node.current[id^=t]").bounding_box()
                assert box is not None
                assert box["x"] >= 0 and box["y"] >= 0, (k, box)
                assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, (k, box)
                seen.append(page.locator("g.node.current[id^=t]").get_attribute("id"))
                shown = page.inner_text(".panel:not([hidden])")
                assert "dL/d" in shown or ".grad = " in shown
                if which == "neuron" and "op mul" in shown:
                    du = 1 - math.tanh(1.25) ** 2
                    assert f"({n4(du)})·({n4(-1.5)}) = {n4(du * -1.5)}" in shown
                    checked_rule = True
                page.keyboard.press("ArrowRight")
            assert seen == expected  # the box the step is about, on every step
            assert checked_rule
            page.keyboard.press("Home")
            assert page.inner_text("#counter") == f"step 1 of {n}"
            page.keyboard.press("End")
            assert page.inner_text("#counter") == f"step {n} of {n}"
            page.keyboard.press("ArrowLeft")
            assert page.inner_text("#counter") == f"step {n - 1} of {n}"
            assert page.url.endswith(f"#step={n - 1}")
            page.goto(url + "#step=2")
            assert page.inner_text("#counter") == f"step 2 of {n}"
            assert page.locator(".panel:not([hidden]) h2").inner_text().startswith("Step 2")
            page.keyboard.press(" ")
            page.wait_for_timeout(1100)  # one tick of play
            assert page.inner_text("#counter") == f"step 3 of {n}"
            page.keyboard.press(" ")
        finally:
            browser.close()
    assert {r.split("#")[0] for r in requests} == {url}


@pytest.mark.slow
def test_inline_flipbook_steps_inside_a_notebook_page(
    chromium: Path, dot: str, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    book = flipbook(neuron()[0])
    assert isinstance(book, Flipbook) and "srcdoc=" in book._repr_html_()
    n = len(frames(book.html))
    host = tmp_path / "notebook.html"
    host.write_text(
        f"<!DOCTYPE html><html><body><h1>cell output</h1>{book._repr_html_()}</body></html>"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(host.as_uri())
            inner = page.frame_locator("iframe")
            assert inner.locator("#counter").inner_text() == f"step 1 of {n}"
            inner.locator("#next").click()
            assert inner.locator("#counter").inner_text() == f"step 2 of {n}"
            inner.locator("#view").click()
            page.keyboard.press("End")
            assert inner.locator("#counter").inner_text() == f"step {n} of {n}"
            shown = inner.locator(".panel:not([hidden])").inner_text()
            assert shown.startswith(f"Step {n}") and ".grad = " in shown
            assert inner.locator("g.node.current").count() >= 1
            frame_box = page.locator("iframe").bounding_box()
            assert frame_box is not None and frame_box["height"] >= 600
        finally:
            browser.close()


def elements(array: np.ndarray) -> str:
    return "[" + ", ".join(n4(float(v)) for v in np.ravel(array)) + "]"


def sum_of(page: str, target: str) -> str:
    found = re.search(rf"<code>({re.escape(target)} = [^<]*)</code>", page)
    assert found, target
    return found[1]


def test_small_sums_are_written_element_by_element(dot: str) -> None:
    a = mg.Tensor([1.0, -2.0], requires_grad=True, name="a")
    y = (a * 3.0 + a * a).sum()
    page = flipbook(y).html
    # the test's own derivatives: 3 from a * 3, and a from each side of a * a
    parts = [np.full(2, 3.0), np.array([1.0, -2.0]), np.array([1.0, -2.0])]
    total = parts[0] + parts[1] + parts[2]
    line = sum_of(page, "a.grad")
    terms, result = line.split(" = ")[1], line.split(" = ")[2]
    assert sorted(terms.split(" + ")) == sorted(elements(p) for p in parts)
    assert result == elements(total)


def test_big_sums_give_the_norms_with_the_triangle_inequality(dot: str) -> None:
    a = mg.Tensor(np.arange(8.0) - 3, requires_grad=True, name="a")
    y = (a * 2.0 + a * -1.0).sum()  # parts 2 and -1 everywhere: the sum is smaller than both
    line = sum_of(flipbook(y).html, "a.grad")
    total, norms = np.linalg.norm(np.ones(8)), [np.linalg.norm(np.full(8, v)) for v in (2, -1)]
    assert f"‖a.grad‖ = {n4(total)} ≤ " in line
    assert f" = {n4(sum(norms))}" in line and "a norm of a sum is not the sum" in line
    assert sorted(line.split(" ≤ ")[1].split(" = ")[0].split(" + ")) == sorted(map(n4, norms))


def test_a_shared_weight_sums_its_parts_tagged_by_step_in_time_order(dot: str) -> None:
    W = mg.Tensor(0.5, requires_grad=True, name="W")
    h = mg.Tensor(1.0)
    for t in range(1, 4):
        with mg.scope(f"t={t}"):
            h = W * h
    line = sum_of(flipbook(h).html, "W.grad")
    tags = re.findall(r"(t=\d+): ", line)
    assert tags == ["t=1", "t=2", "t=3"]
    # h_3 = W^3: the step-t product sends W^2 (what the other two factors give) to W
    assert line == f"W.grad = t=1: {n4(0.25)} + t=2: {n4(0.25)} + t=3: {n4(0.25)} = {n4(0.75)}"


def test_one_part_is_one_part_and_no_sum(dot: str) -> None:
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    page = flipbook((x * 3.0).sum()).html
    assert sum_of(page, "x.grad") == "x.grad = [3, 3]  (1 part)"
    assert "1 parts" not in page and "sum of 1" not in page
