"""Graphviz DOT of one chart, optionally with an object's path drawn over it.

Written here rather than through transitions' Graphviz backends, which need the
``graphviz``/``pygraphviz`` packages and cannot colour edges by who causes them, keep an
override dashed beside a regular edge, or number a path. Big charts stay readable because
edges are bundled before drawing:

- one trigger reaching the same state from three or more states (``terminate`` from
  everywhere) is one note naming those states, with a single arrow to the target;
- the remaining edges between the same two states are one arrow with a stacked label, one
  line per edge, each line in its cause's colour (overrides stay separate and dashed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape

import attrs

from ._diagram_render import (
    CAUSE_COLORS,
    FADED,
    TAKEN,
    Highlight,
    Marks,
    edge_label,
    numbers,
    path_marks,
    wait_lines,
)
from .chart import Chart, Edge
from .spec import CausedBy

FAN_IN = 3
"""Origins from which one labelled edge into one state is drawn through a junction."""


class _Html(str):
    """A DOT HTML-like label: written as ``<…>``, not quoted."""


def _q(text: str) -> str:
    """A DOT double-quoted string (``\\n`` stays a DOT line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(values: dict[str, str]) -> str:
    return "[" + ", ".join(f"{key}={f'<{value}>' if isinstance(value, _Html) else _q(value)}"
                           for key, value in values.items()) + "]"


@attrs.frozen
class _Bundle:
    """Chart edges drawn as one arrow: their positions in ``chart.edges``."""

    origin: str
    target: str
    positions: tuple[int, ...]


def bundles(chart: Chart) -> tuple[list[_Bundle], list[_Bundle]]:
    """Fan-ins (``origin`` is the junction's name) and bundles of parallel edges."""
    fans: dict[tuple[str, str, str | None], list[int]] = defaultdict(list)
    for position, edge in enumerate(chart.edges):
        fans[(edge.target, edge_label(edge), edge.override)].append(position)
    fan_ins: list[_Bundle] = []
    rest: list[int] = []
    for (target, _label, _override), positions in fans.items():
        if len({chart.edges[p].origin for p in positions}) >= FAN_IN:
            fan_ins.append(_Bundle(f"__fan{len(fan_ins)}", target, tuple(positions)))
        else:
            rest += positions
    pairs: dict[tuple[str, str, bool], list[int]] = defaultdict(list)
    for position in sorted(rest):
        edge = chart.edges[position]
        pairs[(edge.origin, edge.target, bool(edge.override))].append(position)
    parallel = [_Bundle(origin, target, tuple(positions))
                for (origin, target, _o), positions in pairs.items()]
    return fan_ins, parallel


def to_dot(chart: Chart, highlight: Highlight | None = None) -> str:
    """The chart as a Graphviz digraph: states with canonical status, finals double-bordered,
    edges coloured by who causes them, overrides dashed and named, guards in brackets."""
    marks = path_marks(chart, highlight) if highlight else None
    title = highlight.title if highlight else f"{chart.name}: {chart.spec.description}"
    graph = {"rankdir": "LR", "label": title, "labelloc": "t", "fontname": "Helvetica",
             "nodesep": "0.5", "ranksep": "1.1"}
    node = {"shape": "box", "style": "rounded,filled", "fillcolor": "white",
            "fontname": "Helvetica", "fontsize": "16"}
    start = {"shape": "point", "width": "0.15", "label": ""}
    out = [f"digraph {_q(chart.name)} {{", f"  graph {_attrs(graph)};",
           f"  node {_attrs(node)};",
           f"  edge {_attrs({'fontname': 'Helvetica', 'fontsize': '12'})};",
           f"  __start {_attrs(start)};"]
    for name, state in chart.spec.states.items():
        style = _node_style(name, state.final, state.canonical.value, marks, highlight)
        waits = wait_lines(state)
        if waits:  # the janitor's work on this state, under its name and status
            style["label"] = "\n".join([style["label"], *waits])
        out.append(f"  {_q(name)} {_attrs(style)};")
    if not (marks and marks.entries):
        out.append(f"  __start -> {_q(chart.initial)};")
    fan_ins, parallel = bundles(chart)
    for fan in fan_ins:
        out += _fan_in(chart, fan, marks)
    for bundle in parallel:
        out.append(f"  {_q(bundle.origin)} -> {_q(bundle.target)} "
                   f"{_attrs(_bundle_style(chart, bundle, marks))};")
    for step in (marks.entries if marks else []):
        why = "first seen,\nhistory unknown" if step.history_unknown else "created"
        out.append(f"  __start -> {_q(step.target)} "
                   f"{_attrs(_taken(f'({step.number}) {why}', dashed=step.history_unknown))};")
    for step in (marks.strays if marks else []):
        label = f"({step.number}) {step.trigger or ''}\n{step.note}".strip()
        out.append(f"  {_q(step.origin or '__start')} -> {_q(step.target)} "
                   f"{_attrs(_taken(label, dashed=True))};")
    out += _legend(chart.edges, bool(fan_ins))
    out.append("}")
    return "\n".join(out) + "\n"


def _node_style(name: str, final: bool, canonical: str, marks: Marks | None,
                highlight: Highlight | None) -> dict[str, str]:
    style = {"label": f"{name}\n«{canonical}»" + ("\nfinal" if final else "")}
    if final:
        style.update(peripheries="2", fillcolor="#eeeeee")
    if marks is not None and highlight is not None:
        if name == highlight.current:
            style.update(fillcolor="#f4a6a0", color=TAKEN, penwidth="2.5")
        elif name in marks.visited:
            style.update(fillcolor="#fde0dd", color=TAKEN)
        else:
            style.update(color=FADED, fontcolor="#888888")
    return style


def _colour(edge: Edge, marks: Marks | None, taken: bool) -> str:
    if taken:
        return TAKEN
    return FADED if marks is not None else CAUSE_COLORS[edge.caused_by]


def _fan_in(chart: Chart, fan: _Bundle, marks: Marks | None) -> list[str]:
    """One note naming every origin, with one arrow from it to the target: a trigger legal
    from many states would otherwise draw a line across the chart from each of them."""
    on_edge = marks.on_edge if marks else {}
    first = chart.edges[fan.positions[0]]
    taken = sorted(n for p in fan.positions for n in on_edge.get(p, ()))
    colour = _colour(first, marks, bool(taken))
    origins = [chart.edges[p].origin for p in fan.positions]
    visited = marks.visited if marks else set()
    names = [f"<B>{escape(o)}</B>" if taken and o in visited else escape(o) for o in origins]
    rows = [", ".join(names[i:i + 3]) for i in range(0, len(names), 3)]
    label = "<BR/>".join([escape(line) for line in edge_label(first).split("\n")]
                         + ["<I>from any of:</I>", *rows])
    text = "#999999" if colour == FADED else colour
    note = {"shape": "note", "style": "filled", "fillcolor": "#fafafa", "color": colour,
            "fontcolor": text, "fontsize": "12", "label": _Html(label)}
    style = {"color": colour, "fontcolor": colour}
    if first.override:
        style["style"] = note["style"] = "dashed"
    if taken:
        style.update(label=numbers(taken), penwidth="2.5")
        note["penwidth"] = "2.5"
    return [f"  {fan.origin} {_attrs(note)};",
            f"  {fan.origin} -> {_q(fan.target)} {_attrs(style)};"]


def _bundle_style(chart: Chart, bundle: _Bundle, marks: Marks | None) -> dict[str, str]:
    on_edge = marks.on_edge if marks else {}
    edges = [chart.edges[p] for p in bundle.positions]
    taken = [n for p in bundle.positions for n in on_edge.get(p, ())]
    colour = _colour(edges[0], marks, bool(taken))
    if len(edges) == 1:
        label = edge_label(edges[0])
        style = {"label": f"{numbers(taken)}\n{label}" if taken else label,
                 "color": colour, "fontcolor": colour}
    else:
        lines = []
        for position, edge in zip(bundle.positions, edges, strict=True):
            mine = on_edge.get(position, [])
            text = escape((numbers(mine) + " " if mine else "") + edge_label(edge, sep=" "))
            lines.append(f'<FONT COLOR="{_colour(edge, marks, bool(mine))}">{text}</FONT>')
        if not taken and marks is None and len({e.caused_by for e in edges}) > 1:
            colour = "#444444"
        style = {"label": _Html('<BR ALIGN="LEFT"/>'.join(lines) + '<BR ALIGN="LEFT"/>'),
                 "color": colour}
    if edges[0].override:
        style["style"] = "dashed"
    if taken:
        style["penwidth"] = "2.5"
    return style


def _taken(label: str, *, dashed: bool) -> dict[str, str]:
    style = {"label": label, "color": TAKEN, "fontcolor": TAKEN, "penwidth": "2.5"}
    if dashed:
        style["style"] = "dashed"
    return style


def _legend(edges: Sequence[Edge], fans: bool) -> list[str]:
    causes = [c for c in CausedBy if any(e.caused_by is c for e in edges)]
    rows = "".join(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{CAUSE_COLORS[c]}">── {c.value}'
                   f"</FONT></TD></TR>" for c in causes)
    if any(e.override for e in edges):
        rows += '<TR><TD ALIGN="LEFT">- - override (needs option)</TD></TR>'
    rows += '<TR><TD ALIGN="LEFT">[guard] / effect</TD></TR>'
    if fans:
        rows += '<TR><TD ALIGN="LEFT">note: a trigger from any state listed</TD></TR>'
    table = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">'
             f'<TR><TD ALIGN="LEFT"><B>caused by</B></TD></TR>{rows}</TABLE>>')
    return ["  subgraph cluster_legend {",
            f"    graph {_attrs({'label': 'legend', 'style': 'dashed', 'color': '#999999'})};",
            f"    __legend [shape=plaintext, style=\"\", label={table}];",
            "  }"]
