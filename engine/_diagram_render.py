"""Render one chart as Mermaid ``stateDiagram-v2`` (DOT is in ``_diagram_dot``), optionally
with an object's path through it highlighted (taken edges numbered in the order taken).

Mermaid goes through ``transitions``' own mermaid backend (``GraphMachine`` with
``graph_engine="mermaid"``): it draws the states with their tags, the initial arrow, the edge
labels and the node classes. What it cannot express is appended here: final states
(``state --> [*]``, its flat backend ignores ``final``), entries of objects first seen in a
later state, and a valid front-matter title.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import attrs
from transitions.extensions import GraphMachine
from transitions.extensions.states import Tags, add_state_features

from .chart import Chart, Edge
from .spec import CausedBy, StateSpec

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
class Marks:
    """The path resolved against the chart's edges."""

    on_edge: dict[int, list[int]]
    """Edge position in ``chart.edges`` → step numbers that took it."""
    entries: list[Step]
    strays: list[Step]
    """Steps that match no chart edge (a parent moved by a child, or a chart changed since)."""
    visited: set[str]


def path_marks(chart: Chart, highlight: Highlight) -> Marks:
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
    return Marks(dict(on_edge), entries, strays, visited)


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


def wait_lines(state: StateSpec) -> list[str]:
    """What the janitor does for an object waiting in ``state``: ``timer expire at expires_at
    or after 24h`` and ``poll status after 5m 15m 1h``, one line each."""
    lines = []
    if state.timer is not None:
        when = [f"at {state.deadline}"] if state.deadline else []
        when += [f"after {state.after}"] if state.after else []
        lines.append(f"timer {state.timer} {' or '.join(when)}")
    if state.poll:
        lines.append(f"poll {state.query} after {' '.join(state.poll)}")
    return lines


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
    marks = path_marks(chart, highlight) if highlight else None
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


def _mermaid_class(name: str, final: bool, marks: Marks | None,
                   highlight: Highlight | None) -> str:
    if marks is None or highlight is None:
        return "final" if final else "default"
    if name == highlight.current:
        return "current"
    return "visited" if name in marks.visited else "faded"
