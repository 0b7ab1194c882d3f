"""Render one chart as Mermaid ``stateDiagram-v2`` and as Graphviz DOT, optionally with an
object's path through it highlighted (taken edges numbered in the order they were taken).

Mermaid goes through ``transitions``' own mermaid backend (``GraphMachine`` with
``graph_engine="mermaid"``): it draws the states with their tags, the initial arrow, the edge
labels and the node classes. What it cannot express is appended here: final states
(``state --> [*]``, its flat backend ignores ``final``), entries of objects first seen in a
later state, and a valid front-matter title. DOT is written here because transitions' Graphviz
backends need the ``graphviz``/``pygraphviz`` Python packages and merge parallel edges into one
styled edge, which cannot show an override edge dashed next to a regular edge between the same
states, who causes each edge by colour, or a numbered path.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from transitions.extensions import GraphMachine
from transitions.extensions.states import Tags, add_state_features

from .chart import Chart, Edge
from .spec import CausedBy

CAUSE_COLORS: dict[CausedBy, str] = {
    CausedBy.PROVIDER: "#1f5fbf",
    CausedBy.CUSTOMER: "#2e8b3a",
    CausedBy.MERCHANT: "#c46a00",
    CausedBy.ISSUER: "#7b3fa8",
    CausedBy.TIMER: "#666666",
}
"""One colour per party causing an edge; the legend of every DOT/SVG diagram repeats it."""

TAKEN = "#d62728"
FADED = "#c8c8c8"


@attrs.frozen
class Step:
    """One applied move of an object: ``origin`` is ``None`` when the input created the object
    (``history_unknown`` when it was first seen in a later state); ``note`` says why a step
    was not the object's own input (a child refund driving its payment)."""

    number: int
    origin: str | None
    target: str
    trigger: str | None
    history_unknown: bool = False
    note: str = ""


@attrs.frozen
class Highlight:
    """An object's path to draw over its chart."""

    steps: tuple[Step, ...]
    current: str | None = None
    title: str = ""


@attrs.frozen
class _Marks:
    """The path resolved against the chart's edges."""

    on_edge: dict[int, list[int]]
    """Edge position in ``chart.edges`` → step numbers that took it."""
    entries: list[Step]
    strays: list[Step]
    """Steps that match no chart edge (a parent moved by a child, or a chart changed since)."""
    visited: set[str]


def _marks(chart: Chart, highlight: Highlight) -> _Marks:
    on_edge: dict[int, list[int]] = defaultdict(list)
    entries, strays, visited = [], [], set()
    for step in highlight.steps:
        visited.add(step.target)
        if step.origin is None:
            entries.append(step)
            continue
        visited.add(step.origin)
        position = _edge_position(chart, step)
        if position is None:
            strays.append(step)
        else:
            on_edge[position].append(step.number)
    return _Marks(dict(on_edge), entries, strays, visited)


def _edge_position(chart: Chart, step: Step) -> int | None:
    fallback = None
    for position, edge in enumerate(chart.edges):
        if edge.origin == step.origin and edge.target == step.target:
            if edge.trigger == step.trigger:
                return position
            if fallback is None and step.trigger is None:
                fallback = position
    return fallback


def edge_label(edge: Edge, *, sep: str = "\n") -> str:
    """``trigger (by) [guard] / effect`` plus the override option: what an auditor reads."""
    parts = [f"{edge.trigger} ({edge.caused_by.value})"]
    if edge.guard_name:
        parts.append(f"[{edge.guard_name}]")
    if edge.spec.effect:
        parts.append(f"/ {edge.spec.effect}")
    if edge.override:
        parts.append(f"override: {edge.override}")
    return sep.join(parts)


def numbers(values: Iterable[int]) -> str:
    return " ".join(f"({n})" for n in values)


# -- Mermaid --------------------------------------------------------------------------------

@add_state_features(Tags)
class _MermaidMachine(GraphMachine):
    """A diagram-only machine: built per rendering, never used to decide anything."""


class _Model:
    state: str = ""


_MERMAID_STYLES: dict[str, dict[str, str]] = {
    "default": {"fill": "white", "color": "black"},
    "final": {"fill": "#e8e8e8", "color": "black", "stroke-width": "3px"},
    "faded": {"fill": "white", "color": "#999999"},
    "visited": {"fill": "#fde0dd", "color": "black"},
    "current": {"fill": "#f4a6a0", "color": "black", "stroke-width": "3px"},
}


def _mermaid_text(text: str) -> str:
    """Mermaid state labels end at ``;`` and treat ``#`` as an entity start; keep them out."""
    return re.sub(r"[;#\"\n{}<>]", " ", text).strip()


def to_mermaid(chart: Chart, highlight: Highlight | None = None) -> str:
    """The chart as ``stateDiagram-v2`` text, deterministic for a given spec."""
    marks = _marks(chart, highlight) if highlight else None
    states: list[dict[str, Any]] = []
    for name, state in chart.spec.states.items():
        tags = [state.canonical.value] + (["final"] if state.final else [])
        states.append({"name": name, "tags": tags})
    model = _Model()
    title = f'title: "{_mermaid_text(highlight.title if highlight else chart.name)}"'
    machine = _MermaidMachine(model=model, states=states, initial=chart.initial,
                              auto_transitions=False, graph_engine="mermaid", title=title,
                              show_state_attributes=True, show_conditions=False)
    machine.style_attributes = copy.deepcopy(machine.style_attributes)
    machine.style_attributes["node"] = dict(_MERMAID_STYLES)
    for position, edge in enumerate(chart.edges):
        label = edge_label(edge, sep=" ")
        if marks is not None and position in marks.on_edge:
            label = f"{numbers(marks.on_edge[position])} {label}"
        machine.add_transition(edge.trigger, edge.origin, edge.target,
                               label=_mermaid_text(label))
    graph = machine.model_graphs[id(model)]
    graph.reset_styling()
    for name, state in chart.spec.states.items():
        graph.set_node_style(name, _mermaid_class(name, state.final, marks, highlight))
    source = graph.get_graph(title=title).draw(None) or ""
    lines = source.rstrip().splitlines()
    if lines and lines[-1].strip() == f"[*] --> {chart.initial}" and marks and marks.entries:
        lines.pop()  # an object that did not start at the initial state gets its own entry
    for name, state in chart.spec.states.items():
        if state.final:
            lines.append(f"  {name} --> [*]")
    for step in (marks.entries if marks else []):
        why = "first seen, history unknown" if step.history_unknown else "created"
        lines.append(f"  [*] --> {step.target}: {_mermaid_text(f'({step.number}) {why}')}")
    for step in (marks.strays if marks else []):
        text = f"({step.number}) {step.trigger or ''} {step.note}"
        lines.append(f"  {step.origin} --> {step.target}: {_mermaid_text(text)}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _mermaid_class(name: str, final: bool, marks: _Marks | None,
                   highlight: Highlight | None) -> str:
    if marks is None or highlight is None:
        return "final" if final else "default"
    if name == highlight.current:
        return "current"
    return "visited" if name in marks.visited else "faded"


# -- DOT ------------------------------------------------------------------------------------

def _q(text: str) -> str:
    """A DOT double-quoted string (``\\n`` stays a DOT line break)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(values: dict[str, str]) -> str:
    return "[" + ", ".join(f"{key}={_q(value)}" for key, value in values.items()) + "]"


def to_dot(chart: Chart, highlight: Highlight | None = None) -> str:
    """The chart as a Graphviz digraph: states with canonical status, finals double-bordered,
    edges coloured by who causes them, overrides dashed and named, guards in brackets."""
    marks = _marks(chart, highlight) if highlight else None
    title = highlight.title if highlight else f"{chart.name}: {chart.spec.description}"
    graph = {"rankdir": "LR", "label": title, "labelloc": "t", "fontname": "Helvetica",
             "nodesep": "0.35"}
    node = {"shape": "box", "style": "rounded,filled", "fillcolor": "white",
            "fontname": "Helvetica"}
    start = {"shape": "point", "width": "0.15", "label": ""}
    out = [f"digraph {_q(chart.name)} {{", f"  graph {_attrs(graph)};",
           f"  node {_attrs(node)};",
           f"  edge {_attrs({'fontname': 'Helvetica', 'fontsize': '10'})};",
           f"  __start {_attrs(start)};"]
    for name, state in chart.spec.states.items():
        style = _node_style(name, state.final, state.canonical.value, marks, highlight)
        out.append(f"  {_q(name)} {_attrs(style)};")
    if not (marks and marks.entries):
        out.append(f"  __start -> {_q(chart.initial)};")
    for position, edge in enumerate(chart.edges):
        out.append(f"  {_q(edge.origin)} -> {_q(edge.target)} "
                   f"{_attrs(_edge_style(edge, marks, position))};")
    for step in (marks.entries if marks else []):
        why = "first seen,\nhistory unknown" if step.history_unknown else "created"
        out.append(f"  __start -> {_q(step.target)} "
                   f"{_attrs(_taken(f'({step.number}) {why}', dashed=step.history_unknown))};")
    for step in (marks.strays if marks else []):
        label = f"({step.number}) {step.trigger or ''}\n{step.note}".strip()
        out.append(f"  {_q(step.origin or '__start')} -> {_q(step.target)} "
                   f"{_attrs(_taken(label, dashed=True))};")
    out += _legend(chart.edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _node_style(name: str, final: bool, canonical: str, marks: _Marks | None,
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


def _edge_style(edge: Edge, marks: _Marks | None, position: int) -> dict[str, str]:
    color = CAUSE_COLORS[edge.caused_by]
    style = {"label": edge_label(edge), "color": color, "fontcolor": color}
    if edge.override:
        style["style"] = "dashed"
    if marks is not None:
        taken = marks.on_edge.get(position)
        if taken:
            return {**style, **_taken(f"{numbers(taken)}\n{style['label']}",
                                      dashed=bool(edge.override))}
        style.update(color=FADED, fontcolor="#999999")
    return style


def _taken(label: str, *, dashed: bool) -> dict[str, str]:
    style = {"label": label, "color": TAKEN, "fontcolor": TAKEN, "penwidth": "2.5"}
    if dashed:
        style["style"] = "dashed"
    return style


def _legend(edges: Sequence[Edge]) -> list[str]:
    causes = [c for c in CausedBy if any(e.caused_by is c for e in edges)]
    rows = "".join(f'<TR><TD ALIGN="LEFT"><FONT COLOR="{CAUSE_COLORS[c]}">── {c.value}'
                   f"</FONT></TD></TR>" for c in causes)
    if any(e.override for e in edges):
        rows += '<TR><TD ALIGN="LEFT">- - override (needs option)</TD></TR>'
    rows += '<TR><TD ALIGN="LEFT">[guard] / effect</TD></TR>'
    table = (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">'
             f'<TR><TD ALIGN="LEFT"><B>caused by</B></TD></TR>{rows}</TABLE>>')
    return ["  subgraph cluster_legend {",
            f"    graph {_attrs({'label': 'legend', 'style': 'dashed', 'color': '#999999'})};",
            f"    __legend [shape=plaintext, style=\"\", label={table}];",
            "  }"]
