"""The flipbook's HTML page: one SVG, a panel per step, and the script that restyles it.

The picture is shown at its natural size (11-pt text stays 11 pt) inside a
pane that pans (drag) and zooms (buttons, Ctrl + wheel); each step scrolls
the current node into the middle of the pane. Keys: left/right, Home/End,
Space to play; ``page.html#step=5`` opens at step 5. Below 700 px the
panel stacks under the picture. A Content-Security-Policy forbids fetching
anything: styles, script and data are inline.
"""

from __future__ import annotations

import html
import json

STYLE = """
html, body { margin: 0; height: 100%; }
body { font-family: Helvetica, Arial, sans-serif; color: #222; display: flex;
  flex-direction: column; }
header { padding: .4em .8em; border-bottom: 1px solid #ddd; }
h1 { font-size: 1.05em; margin: 0 0 .3em 0; }
nav { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; }
#slider { flex: 1; min-width: 6em; max-width: 24em; }
main { flex: 1; display: flex; min-height: 0; }
#view { flex: 1; overflow: auto; cursor: grab; background: #fff; min-width: 0; }
#view svg { display: block; margin: 24px; }
aside { width: 27em; overflow: auto; padding: 0 .8em; border-left: 1px solid #ddd; }
aside h2 { font-size: 1.05em; }
p.chain code { background: #fff3f3; padding: .15em .3em; display: inline-block; }
.hint { color: #666; font-size: .85em; }
ul.leaves li[hidden] { display: none; }
@media (max-width: 700px) {
  main { flex-direction: column; }
  #view { flex: none; height: 55vh; }
  aside { width: auto; border-left: none; border-top: 1px solid #ddd; }
}
#view .node.done path, #view .node.done polygon, #view .node.done ellipse
  { fill: #d5e8d4; }
#view .node.current path, #view .node.current polygon, #view .node.current ellipse
  { fill: #ffb347; stroke-width: 3; }
#view .node text.grad { visibility: hidden; }
#view .node.done text.grad, #view .node.current text.grad { visibility: visible; }
#view .edge polygon.tail, #view .edge text.glabel { visibility: hidden; }
#view .edge.flow path { stroke: #d62728; stroke-width: 2.5; }
#view .edge.flow polygon.head { visibility: hidden; }
#view .edge.flow polygon.tail { visibility: visible; fill: #d62728; stroke: #d62728; }
#view .edge.flow text.glabel { visibility: visible; fill: #d62728; font-weight: bold; }
#view .edge.passed text.glabel { visibility: visible; fill: #888; }
"""

SCRIPT = """
(function () {
  var frames = JSON.parse(document.getElementById('frames').textContent);
  var panels = document.querySelectorAll('.panel');
  var leaves = document.querySelectorAll('ul.leaves li');
  var view = document.getElementById('view');
  var svg = view.querySelector('svg');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('counter');
  var play = document.getElementById('play');
  var n = frames.length, k = 0, timer = null, zoom = 1;
  var width = svg.width.baseVal.value, height = svg.height.baseVal.value;
  function byId(id) { return svg.getElementById(id); }
  function mark(ids, cls, on) {
    ids.forEach(function (id) { var el = byId(id); if (el) el.classList.toggle(cls, on); });
  }
  function centre(el) {
    var r = el.getBoundingClientRect(), v = view.getBoundingClientRect();
    view.scrollLeft += (r.left + r.width / 2) - (v.left + v.width / 2);
    view.scrollTop += (r.top + r.height / 2) - (v.top + v.height / 2);
    r = el.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) el.scrollIntoView({block: 'nearest'});
  }
  function show(i) {
    k = Math.max(0, Math.min(n - 1, i));
    svg.querySelectorAll('.current, .done, .flow, .passed').forEach(function (el) {
      el.classList.remove('current', 'done', 'flow', 'passed');
    });
    for (var j = 0; j < k; j++) {
      mark(frames[j].current, 'done', true);
      mark(frames[j].edges, 'passed', true);
    }
    mark(frames[k].current, 'done', false);
    mark(frames[k].current, 'current', true);
    mark(frames[k].edges, 'flow', true);
    for (var p = 0; p < n; p++) panels[p].hidden = p !== k;
    leaves.forEach(function (li) { li.hidden = Number(li.dataset.from) > k; });
    slider.value = String(k);
    counter.textContent = 'step ' + (k + 1) + ' of ' + n;
    document.getElementById('prev').disabled = k === 0;
    document.getElementById('next').disabled = k === n - 1;
    try { history.replaceState(null, '', '#step=' + (k + 1)); } catch (e) {}  // sandboxed
    centre(byId(frames[k].current[0]));
  }
  function setZoom(z) {
    zoom = Math.max(0.1, Math.min(4, z));
    svg.style.width = (width * zoom) + 'px';
    svg.style.height = (height * zoom) + 'px';
    centre(byId(frames[k].current[0]));
  }
  function toggle() {
    if (timer) { clearInterval(timer); timer = null; play.textContent = 'play'; return; }
    if (k === n - 1) show(0);
    play.textContent = 'pause';
    timer = setInterval(function () { if (k === n - 1) toggle(); else show(k + 1); }, 900);
  }
  function fromHash() {
    var m = /step=(\\d+)/.exec(location.hash);
    return m ? Number(m[1]) - 1 : 0;
  }
  document.getElementById('prev').addEventListener('click', function () { show(k - 1); });
  document.getElementById('next').addEventListener('click', function () { show(k + 1); });
  play.addEventListener('click', toggle);
  function on(id, action) { document.getElementById(id).addEventListener('click', action); }
  on('zoomin', function () { setZoom(zoom * 1.25); });
  on('zoomout', function () { setZoom(zoom / 1.25); });
  document.getElementById('fit').addEventListener('click', function () {
    setZoom(Math.min(view.clientWidth / width, view.clientHeight / height, 1));
  });
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  window.addEventListener('hashchange', function () { show(fromHash()); });
  document.addEventListener('keydown', function (event) {
    if (event.target === slider && event.key !== ' ') return;  // the slider moves itself
    var keys = {ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: n - 1};
    if (event.key in keys) { show(keys[event.key]); event.preventDefault(); }
    if (event.key === ' ') { toggle(); event.preventDefault(); }
  });
  view.addEventListener('wheel', function (event) {
    if (!event.ctrlKey) return;
    event.preventDefault();
    setZoom(zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
  }, {passive: false});
  var drag = null;
  view.addEventListener('mousedown', function (event) {
    drag = {x: event.clientX, y: event.clientY, left: view.scrollLeft, top: view.scrollTop};
  });
  window.addEventListener('mouseup', function () { drag = null; });
  window.addEventListener('mousemove', function (event) {
    if (!drag) return;
    view.scrollLeft = drag.left - (event.clientX - drag.x);
    view.scrollTop = drag.top - (event.clientY - drag.y);
  });
  svg.style.width = width + 'px';
  svg.style.height = height + 'px';
  show(fromHash());
})();
"""

GENERATOR = "minigrad flipbook"  # in every page's head: how a page is recognised as ours
POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def page(
    title: str, svg: str, frames: list[dict[str, object]], panels: list[str], leaves: str
) -> str:
    """The whole HTML page."""
    n, e = len(frames), html.escape
    data = json.dumps(frames, separators=(",", ":")).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="{GENERATOR}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<title>minigrad flipbook: {e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>Backward, step by step: {e(title)}</h1>
<nav>
<button id="prev" type="button">&larr; prev</button>
<input id="slider" type="range" min="0" max="{n - 1}" value="0" aria-label="step">
<button id="next" type="button">next &rarr;</button>
<button id="play" type="button">play</button>
<span id="counter" aria-live="polite">step 1 of {n}</span>
<button id="zoomout" type="button" aria-label="zoom out">&minus;</button>
<button id="zoomin" type="button" aria-label="zoom in">+</button>
<button id="fit" type="button">fit</button>
</nav>
</header>
<main>
<div id="view">{svg}</div>
<aside>
<p class="hint">Keys: &larr;/&rarr; step, Home/End, Space plays. Orange: the node being
processed; green: done; red: the gradient it sends back, with its value. Drag to pan,
Ctrl + wheel to zoom.</p>
{"".join(panels)}
<h3>Leaf gradients so far</h3>
<ul class="leaves">{leaves}</ul>
</aside>
</main>
<script type="application/json" id="frames">{data}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
