"""The audit report as one self-contained HTML page: inline CSS, inline SVG, a few lines of
inline JavaScript, nothing fetched, so it opens from an e-mail attachment or an archive."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape

from ._audit_trace import Row, Trail
from ._diagram_dot import to_dot
from ._diagram_render import CAUSE_COLORS
from .decision import Outcome
from .diagrams import GraphvizMissing, render_svg
from .validate import ValidationRun

_CSS = """
body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;
padding:.2rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}th{background:#f3f3f3}
.o-applied{color:#226622}.o-duplicate{color:#666}.o-stale{color:#8a6d00}
.o-rejected,.o-invalid{color:#b00020;font-weight:bold}
.diagram{overflow-x:auto;border:1px solid #eee;cursor:zoom-out}.diagram svg{height:auto}
.diagram.fit{cursor:zoom-in}.diagram.fit svg{max-width:100%}
.warn{color:#8a6d00}.muted{color:#666}code{background:#f6f6f6;padding:0 .2rem}
tr.hidden{display:none}
"""

_ERRORS = """
window.addEventListener('error',function(e){document.documentElement.setAttribute(
  'data-errors',(document.documentElement.getAttribute('data-errors')||'')+e.message+';');});
"""
"""Records any script error on the page itself, so a headless browser test can see it."""

_JS = """
(function(){
  var box=document.getElementById('only-problems');
  box.addEventListener('change',function(){
    document.querySelectorAll('tr.row-applied,tr.row-duplicate').forEach(function(r){
      r.classList.toggle('hidden',box.checked);});});
  document.querySelectorAll('.diagram').forEach(function(d){
    d.addEventListener('click',function(){d.classList.toggle('fit');});});
  document.body.setAttribute('data-script','ok');
})();
"""


def _e(text: object) -> str:
    return escape("" if text is None else str(text))


def _anchor(key: str) -> str:
    return "obj-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "",
           row_classes: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        f'<tr class="{row_classes[i] if i < len(row_classes) else ""}">'
        + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for i, row in enumerate(rows))
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _outcome(row: Row) -> str:
    value = row.decision.outcome.value
    return f'<span class="o-{value}">{value}</span>'


def _move(row: Row) -> str:
    d = row.decision
    if d.outcome is Outcome.APPLIED:
        origin = "(new)" if d.from_state is None else d.from_state
        return f"{_e(origin)} → {_e(d.to_state)}"
    return _e(d.to_state or "")


def _reason(row: Row) -> str:
    d = row.decision
    text = _e(d.reason)
    if d.field:
        text = f"field <code>{_e(d.field)}</code>: {text}"
    if d.warnings:
        text += "".join(f'<br><span class="warn">⚠ {_e(w)}</span>' for w in d.warnings)
    return text


def _object_name(row: Row, known: frozenset[str]) -> str:
    d = row.decision
    key = row.key
    if key is None or key not in known:
        return _e(" ".join(p for p in (d.provider, d.object_kind, d.object_id) if p)
                  or "(unidentified input)")
    return f'<a href="#{_anchor(key)}">{_e(key)}</a>'


def _inline_svg(dot: str) -> str:
    try:
        svg = render_svg(dot)
    except GraphvizMissing as exc:
        return (f'<p class="warn">Diagram not drawn: {_e(exc)}.</p>'
                f"<pre>{_e(dot)}</pre>")
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    return re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)


def _summary(run: ValidationRun, source: str, options: Sequence[str]) -> str:
    summary = run.summary()
    verdict = ("clean" if run.clean else "NEEDS ATTENTION: rejected or invalid inputs")
    parts = [f"<p>Recording <code>{_e(source)}</code>; override options enabled: "
             f"{_e(', '.join(options) or 'none')}.</p>",
             f'<p id="verdict" class="{"" if run.clean else "o-rejected"}">'
             f"Verdict: {_e(verdict)}</p>",
             _table([k.replace("_", " ") for k in summary], [[_e(v) for v in summary.values()]],
                    "summary")]
    if run.unchecked_providers:
        parts.append(f'<p class="warn">Signatures NOT checked (no secrets given) for: '
                     f"{_e(', '.join(sorted(run.unchecked_providers)))}</p>")
    if run.internal_errors:
        parts.append('<p id="internal-errors" class="o-rejected">Internal errors (paychart '
                     "failed on these inputs; each was decided invalid): "
                     + "; ".join(f"line {r.line}: {_e(r.internal_error)}"
                                 for r in run.internal_errors) + "</p>")
    return "\n".join(parts)


def _objects(found: Sequence[Trail]) -> str:
    rows = [[f'<a href="#{_anchor(t.key)}">{_e(t.key)}</a>', _e(t.chart.name),
             _e(t.record.state), _e(t.canonical), _e(t.record.ledger.describe()),
             _e(len(t.rows))] for t in found]
    return _table(["object", "chart", "final state", "canonical status", "ledger",
                   "decisions"], rows, "objects")


def _problems(rows: Sequence[Row], known: frozenset[str]) -> str:
    kept = [r for r in rows if r.decision.outcome is not Outcome.APPLIED]
    if not kept:
        return "<p>Every input was applied.</p>"
    return _table(["line", "received", "channel", "object", "trigger", "decision", "state",
                   "reason"],
                  [[_e(r.line), _e(r.received_at.isoformat() if r.received_at else ""),
                    _e(r.channel), _object_name(r, known), _e(r.decision.trigger), _outcome(r),
                    _e(r.decision.to_state), _reason(r)] for r in kept],
                  "problems", [f"row-{r.decision.outcome.value}" for r in kept])


def _trail(trail: Trail, svg: Callable[[str], str]) -> str:
    steps = {s.number: s for s in trail.highlight.steps}
    rows = []
    for r in trail.rows:
        trigger, move = _e(r.decision.trigger), _move(r)
        if r.key != trail.key and r.step in steps:  # a child's input that moved this object
            d, step = r.decision, steps[r.step]
            trigger = f"{_e(d.object_kind)} {_e(d.object_id)}: {trigger}"
            move = f"{_e(step.origin)} → {_e(step.target)}"
        rows.append([_e(r.step or ""), _e(r.line),
                     _e(r.received_at.isoformat() if r.received_at else "unknown"),
                     _e(r.channel), trigger, _outcome(r), move, _reason(r)])
    extra = [s for s in trail.highlight.steps if s.note]
    notes = "".join(f"<li>step ({s.number}): {_e(s.origin)} → {_e(s.target)} "
                    f"{_e(s.note)}</li>" for s in extra)
    return (f'<section class="object" id="{_anchor(trail.key)}" data-key="{_e(trail.key)}">'
            f"<h3>{_e(trail.key)}</h3>"
            f"<p>Chart <code>{_e(trail.chart.name)}</code>; ended in "
            f"<b>{_e(trail.record.state)}</b>, canonical status <b>{_e(trail.canonical)}</b>;"
            f" ledger: {_e(trail.record.ledger.describe())}.</p>"
            f'<div class="diagram fit" title="click to zoom">'
            f"{svg(to_dot(trail.chart, trail.highlight))}</div>"
            + (f"<ul>{notes}</ul>" if notes else "")
            + "<h4>Timeline</h4>"
            + _table(["step", "line", "received", "channel", "trigger", "decision", "move",
                      "reason"], rows, "timeline",
                     [f"row-{r.decision.outcome.value}" for r in trail.rows])
            + "</section>")


def page(run: ValidationRun, rows: Sequence[Row], found: Sequence[Trail], source: str,
         options: Sequence[str], svg: Callable[[str], str] = _inline_svg) -> str:
    """The whole report."""
    legend = " ".join(f'<span style="color:{color}">■ {cause.value}</span>'
                      for cause, color in CAUSE_COLORS.items())
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>paychart audit: {_e(source)}</title><style>{_CSS}</style>",
        f"<script>{_ERRORS}</script></head><body>",
        f"<h1>paychart audit of <code>{_e(source)}</code></h1>",
        "<h2>Summary</h2>", _summary(run, source, options),
        "<h2>Objects</h2>", _objects(found),
        "<h2>Decisions not applied</h2>",
        '<label><input type="checkbox" id="only-problems"> show only rejected, invalid and '
        "stale rows in the timelines</label>",
        _problems(rows, frozenset(t.key for t in found)),
        "<h2>Paths</h2>",
        f"<p>Each object's path is drawn over its chart: taken edges in red, numbered in the "
        f"order taken; the red-filled state is where it ended; grey edges were not taken. "
        f"Edge colours otherwise say who causes them: {legend}; dashed edges are overrides. "
        f"Click a diagram to see it at full size."
        f"</p>",
        *(_trail(t, svg) for t in found),
        f"<script>{_JS}</script>", "</body></html>", ""])
