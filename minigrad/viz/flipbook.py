"""Backward, one frame per step: a self-contained HTML page to step through.

``flipbook(root, "backprop.html")`` runs ``root.backward_steps()`` and draws
the graph once per step: the node being processed is orange, nodes already
done are green, and the edges its gradient flows along are red. Beside each
frame, the op's rule with the numbers — the incoming gradient dL/dy, the
local derivative dy/dx (when y is a scalar) and what each input receives,
dL/dx = dL/dy * dy/dx — and the running list of leaf gradients.

Every frame has the same layout: a node's gradient line is in its label from
the first frame, written in the fill colour until the node is reached.
The page needs no network: the SVG frames, styles and script are inline, and
a Content-Security-Policy forbids fetching anything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..engine import BackwardStep, SparseGrad, toposort, unbroadcast
from ..mode import no_grad
from ..tensor import Tensor
from .dot import (
    LABEL_LIMIT,
    GraphTooLargeError,
    Layout,
    dot_source,
    graph_attrs,
    op_node,
    summarize,
    tensor_label,
    tensor_style,
    trace,
)
from .render import render

DEFAULT_MAX_STEPS = 100  # one SVG frame per step: the page grows as steps x graph size
DEFAULT_MAX_NODES = 400
CURRENT_FILL, DONE_FILL, FLOW_COLOUR = "#ffb347", "#d5e8d4", "#d62728"


def flipbook(
    root: Tensor,
    path: str | Path,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_nodes: int = DEFAULT_MAX_NODES,
    values: bool = True,
    rankdir: str = "TB",
    label_limit: int = LABEL_LIMIT,
) -> Path:
    """Run backward from ``root`` and write the step-through page to ``path``.

    Like ``root.backward()``, this accumulates into the leaves' ``.grad``.
    A backward pass of more than ``max_steps`` steps (nodes that need a
    gradient) or a graph of more than ``max_nodes`` nodes is refused first.
    """
    graph = graph_attrs(rankdir)
    count = len(toposort(root))
    if count > max_steps:
        raise GraphTooLargeError(
            f"flipbook: backward would take {count} steps, over the limit max_steps={max_steps} "
            f"(one frame per step); step through a smaller graph, or use draw() for this one"
        )
    layout = trace(root, max_nodes)
    steps = list(root.backward_steps())
    index = {id(t): i for i, t in enumerate(layout.tensors)}
    keys = [index[id(s.node)] for s in steps]
    grad_text = {i: summarize(s.grad.data, label_limit) for i, s in zip(keys, steps, strict=True)}
    sources = [
        _frame(layout, steps[k], keys[k], set(keys[:k]), grad_text, graph, values, label_limit)
        for k in range(len(steps))
    ]
    rendered = [render(source, "svg").decode("utf-8") for source in sources]
    svgs = [re.sub(r'\bid="', f'id="f{k}_', svg) for k, svg in enumerate(rendered)]
    names = {i: _name(t, i) for i, t in enumerate(layout.tensors)}
    panels = [_panel(k, steps, keys, names) for k in range(len(steps))]
    title = f"backward from {names[len(layout.tensors) - 1]}"
    path = Path(path)
    path.write_text(page(title, svgs, [f"t{i}" for i in keys], panels), encoding="utf-8")
    return path


def _frame(
    layout: Layout,
    step: BackwardStep,
    current: int,
    done: set[int],
    grad_text: Mapping[int, str],
    graph: Mapping[str, str],
    values: bool,
    limit: int,
) -> str:
    """DOT text of one frame: current node orange, done nodes green, flow edges red."""
    nodes: dict[str, Mapping[str, str]] = {}
    for i, t in enumerate(layout.tensors):
        state = "current" if i == current else "done" if i in done else ""
        style = tensor_style(t, t is layout.root)
        if state:
            style.update(_state_style(state))
        shown = state or i not in grad_text
        colour = "" if shown else style["fillcolor"]
        label = tensor_label(t, values, grad_text.get(i), limit, grad_colour=colour)
        nodes[f"t{i}"] = {**style, "label": label}
        if t._ctx is not None:
            nodes[f"o{i}"] = {**op_node(t, limit), **(_state_style(state) if state else {})}
    edges = {}
    for edge in layout.edges:
        if edge[2] == current and (edge[3] < 0 or step.input_grads[edge[3]] is not None):
            edges[edge] = {"color": FLOW_COLOUR, "penwidth": "2.2"}
    return dot_source(layout, nodes, edges, graph)


def _state_style(state: str) -> dict[str, str]:
    fill = CURRENT_FILL if state == "current" else DONE_FILL
    return {"fillcolor": fill, "class": state, "penwidth": "2.5" if state == "current" else "1"}


def _name(t: Tensor, i: int) -> str:
    if t.name:
        return t.name
    if t._ctx is not None:
        return f"{t._ctx.name} output (t{i})"
    return f"{'parameter' if t.requires_grad else 'constant'} t{i}"


# ------------------------------------------------------------------ panels
def _panel(k: int, steps: list[BackwardStep], keys: list[int], names: Mapping[int, str]) -> str:
    """The rule of step ``k`` with its numbers, and the leaf gradients so far."""
    step, e = steps[k], html.escape
    me = names[keys[k]]
    parts = [f"<h2>Step {k + 1}: {e(me)}</h2>"]
    if step.op is None:
        parts.append(f"<p>A leaf: accumulate what arrived into <code>{e(me)}.grad</code>.</p>")
    else:
        parts.append(f"<p>op <b>{e(step.op)}</b>: <code>{e(step.formula)}</code></p>")
    rows = [(f"incoming dL/d({me})", _show(step.grad.data))]
    locals_ = _local_derivatives(step)
    for pos, (x, sent) in enumerate(zip(step.inputs, step.input_grads, strict=True)):
        other = _input_name(x, names, keys, steps)
        rows.append((f"input {pos}: {other}", "value " + _show(x.data)))
        local = locals_[pos]
        if local is not None:
            rows.append((f"local d({me})/d({other})", _show(local)))
        receives = "nothing (needs no gradient)" if sent is None else _show(sent.data)
        rows.append((f"{other} receives dL/d({other})", receives))
    table = "".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in rows)
    parts.append(f'<table class="rule">{table}</table>')
    if step.op is not None and step.node.size != 1:
        parts.append("<p class=note>y is not a scalar: the rule applies the Jacobian to dL/dy.</p>")
    parts.append("<h3>Leaf gradients so far</h3>" + _leaves(k, steps, keys, names))
    hidden = "" if k == 0 else " hidden"
    return f'<section class="panel" data-step="{k}"{hidden}>{"".join(parts)}</section>'


def _input_name(
    x: Tensor, names: Mapping[int, str], keys: list[int], steps: list[BackwardStep]
) -> str:
    for i, s in zip(keys, steps, strict=True):
        if s.node is x:
            return names[i]
    return x.name or "a constant"


def _leaves(k: int, steps: list[BackwardStep], keys: list[int], names: Mapping[int, str]) -> str:
    items = []
    for j, (i, s) in enumerate(zip(keys, steps, strict=True)):
        if s.op is None:
            value = _show(s.grad.data) if j <= k else "not reached yet"
            items.append(f"<li><b>{html.escape(names[i])}</b>: {html.escape(value)}</li>")
    return f'<ul class="leaves">{"".join(items)}</ul>'


def _show(array: np.ndarray) -> str:
    return summarize(np.asarray(array), limit=120)


def _local_derivatives(step: BackwardStep) -> list[np.ndarray | None]:
    """dy/dx_i for a scalar y: the op's rule applied to dL/dy = 1."""
    fn, node = step.node._ctx, step.node
    if fn is None or node.size != 1:
        return [None] * len(step.inputs)
    with no_grad():
        raw = fn.backward(Tensor(np.ones(node.shape, dtype=node.dtype)), node)
        out: list[np.ndarray | None] = []
        for x, g in zip(step.inputs, raw, strict=True):
            if g is None or not x.requires_grad:
                out.append(None)
            elif isinstance(g, SparseGrad):
                out.append(g.data)
            else:
                out.append(unbroadcast(g, x.shape, fn.name).data)
    return out


# -------------------------------------------------------------------- page
STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1em; color: #222; }
nav { display: flex; gap: .6em; align-items: center; margin: .5em 0; }
#slider { flex: 1; max-width: 30em; }
main { display: flex; gap: 1.5em; align-items: flex-start; }
#frames { flex: 3; min-width: 0; max-height: 88vh; overflow: auto; }
#frames svg { max-width: 100%; height: auto; }
aside { flex: 2; min-width: 18em; }
table.rule { border-collapse: collapse; }
table.rule th, table.rule td { border: 1px solid #ccc; padding: .2em .5em; text-align: left;
  font-family: monospace; font-weight: normal; }
.hint, .note { color: #666; font-size: .9em; }
"""

SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var panels = document.querySelectorAll('.panel');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('counter');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');
  var n = frames.length, k = 0;
  function show(i) {
    k = Math.max(0, Math.min(n - 1, i));
    for (var j = 0; j < n; j++) { frames[j].hidden = j !== k; panels[j].hidden = j !== k; }
    slider.value = String(k);
    counter.textContent = 'step ' + (k + 1) + ' of ' + n;
    prev.disabled = k === 0;
    next.disabled = k === n - 1;
  }
  prev.addEventListener('click', function () { show(k - 1); });
  next.addEventListener('click', function () { show(k + 1); });
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  document.addEventListener('keydown', function (event) {
    if (event.target === slider) return;  // the slider moves itself on arrow keys
    if (event.key === 'ArrowRight') show(k + 1);
    if (event.key === 'ArrowLeft') show(k - 1);
  });
  show(0);
})();
"""

POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def page(title: str, svgs: list[str], current: list[str], panels: list[str]) -> str:
    """The whole HTML page: controls, one frame per step, one panel per step."""
    n, e = len(svgs), html.escape
    frames = "\n".join(
        f'<div class="frame" data-step="{k}" data-current="{key}"{"" if k == 0 else " hidden"}>'
        f"{svg}</div>"
        for k, (svg, key) in enumerate(zip(svgs, current, strict=True))
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<title>minigrad flipbook: {e(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Backward, step by step: {e(title)}</h1>
<nav>
<button id="prev" type="button">&larr; prev</button>
<input id="slider" type="range" min="0" max="{n - 1}" value="0" aria-label="step">
<button id="next" type="button">next &rarr;</button>
<span id="counter" aria-live="polite">step 1 of {n}</span>
</nav>
<p class="hint">Left/right arrow keys step too. Orange: the node being processed; green: done;
red edges: where its gradient goes. Unseen gradients appear as their nodes are reached.</p>
<main>
<div id="frames">
{frames}
</div>
<aside>
{"".join(panels)}
</aside>
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""
