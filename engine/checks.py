"""Static checks of a chart spec: reachability, finality, names, determinism.

Each finding says what is wrong and where (``transitions[3].guard``), so ``paychart check``
can be used as a linter by chart authors.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from .ledger import LEDGER_FIGURES
from .rulebook import Rules
from .spec import CausedBy, ChartSpec, duration


def successors(spec: ChartSpec, *, with_overrides: bool = True) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for transition in spec.transitions:
        if transition.override and not with_overrides:
            continue
        for origin in transition.origins:
            graph[origin].add(transition.target)
    return graph


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Every state reachable from ``start`` (``start`` included)."""
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _name_findings(spec: ChartSpec, rules: Rules) -> list[str]:
    findings = []
    if spec.initial not in spec.states:
        findings.append(f"initial state `{spec.initial}` is not declared")
    for i, t in enumerate(spec.transitions):
        where = f"transitions[{i}]"
        findings += [f"unknown state `{o}` at {where}.from" for o in t.origins
                     if o not in spec.states]
        if t.target not in spec.states:
            findings.append(f"unknown state `{t.target}` at {where}.to")
        if t.guard is not None and t.guard not in rules.guards:
            findings.append(f"unknown guard `{t.guard}` at {where}.guard")
        for key, name in (("effect", t.effect), ("parent_effect", t.parent_effect)):
            if name is not None and name not in rules.effects:
                findings.append(f"unknown effect `{name}` at {where}.{key}")
        if t.override is not None and t.override not in spec.options:
            findings.append(f"undeclared option `{t.override}` at {where}.override "
                            "(declare it under [options])")
        if (t.parent_effect or t.parent_trigger) and spec.parent is None:
            findings.append(f"{where} acts on a parent but the chart declares no `parent`")
    for i, action in enumerate(spec.actions):
        where = f"actions[{i}]"
        findings += [f"unknown state `{o}` at {where}.from" for o in action.origins
                     if o not in spec.states]
        if action.limit is not None and action.limit not in LEDGER_FIGURES:
            findings.append(f"unknown ledger figure `{action.limit}` at {where}.limit "
                            f"(one of {', '.join(LEDGER_FIGURES)})")
    return findings


def _graph_findings(spec: ChartSpec) -> list[str]:
    findings = []
    graph = successors(spec)
    from_initial = reachable(graph, spec.initial)
    findings += [f"unreachable state `{s}`" for s in spec.states if s not in from_initial]
    finals = spec.finals
    if not finals:
        findings.append("no final state")
    for state in spec.states:
        if state not in finals and not reachable(graph, state) & finals:
            findings.append(f"non-final state `{state}` cannot reach a final state")
    for i, t in enumerate(spec.transitions):
        for origin in t.origins:
            if origin in finals and t.override is None:
                findings.append(f"final state `{origin}` has an outgoing edge "
                                f"(transitions[{i}], trigger `{t.trigger}`); "
                                "declare it as an override or make the state non-final")
    return findings


def _determinism_findings(spec: ChartSpec) -> list[str]:
    """Edges sharing (origin, trigger) are told apart first by their target (the state the
    input reports), then by distinct guards or overrides; among edges to the same target an
    unconditional one must come last (any edge after it could never be taken)."""
    findings = []
    edges: dict[tuple[str, str, str], list[tuple[int, str | None]]] = defaultdict(list)
    for i, t in enumerate(spec.transitions):
        condition = t.guard if t.override is None else f"{t.guard}|{t.override}"
        for origin in t.origins:
            edges[(origin, t.trigger, t.target)].append((i, condition))
    for (origin, trigger, _target), found in edges.items():
        if len(found) < 2:
            continue
        conditions = [c for _, c in found]
        unconditional = [i for i, c in found if c is None]
        if len(set(conditions)) < len(conditions) or (unconditional and
                                                       unconditional[0] != found[-1][0]):
            indexes = ", ".join(f"transitions[{i}]" for i, _ in found)
            findings.append(f"non-deterministic trigger `{trigger}` from `{origin}` ({indexes})")
    return findings


def _duration_finding(text: str, where: str) -> list[str]:
    try:
        duration(text)
    except ValueError as exc:
        return [f"{exc} at {where}"]
    return []


def _timer_findings(spec: ChartSpec) -> list[str]:
    """Timers and polls: durations parse, a timer has its moment and an edge from the state,
    a poll names its query, final states wait for nothing."""
    findings = []
    for name, state in spec.states.items():
        where = f"states.{name}"
        if state.after is not None:
            findings += _duration_finding(state.after, f"{where}.after")
        for i, wait in enumerate(state.poll):
            findings += _duration_finding(wait, f"{where}.poll[{i}]")
        if state.timer is None and (state.after or state.deadline):
            findings.append(f"{where} declares when a timer fires but no `timer` trigger")
        if state.timer is not None:
            if not (state.after or state.deadline):
                findings.append(f"timer `{state.timer}` at {where}.timer needs `after` or "
                                "`deadline`")
            if not any(t.trigger == state.timer and name in t.origins and t.override is None
                       for t in spec.transitions):
                findings.append(f"timer `{state.timer}` at {where}.timer has no edge from "
                                f"`{name}` (add a transition with by = \"timer\")")
        if bool(state.poll) != (state.query is not None):
            findings.append(f"{where} needs both `poll` (the waits) and `query` (the status "
                            "query), or neither")
        if state.waits and state.final:
            findings.append(f"final state `{name}` declares a timer or a poll; nothing is "
                            "waited for after the end")
        if state.waits and not state.wait_source:
            findings.append(f"{where} declares a timer or a poll without `wait_source` (where "
                            "the documentation supports it)")
    return findings


_LEAVES_FOR_THE_MERCHANT = frozenset({CausedBy.MERCHANT})


def waiting_states(spec: ChartSpec) -> tuple[str, ...]:
    """Non-final states that only the provider's side can move on (every edge leaving them is
    caused by the provider, the issuer, the customer or a timer): without a timer or a poll an
    object there waits for a callback that may never come."""
    found = []
    for name, state in spec.states.items():
        if state.final:
            continue
        leaving = [t for t in spec.transitions if name in t.origins and t.target != name]
        if leaving and not any(t.caused_by in _LEAVES_FOR_THE_MERCHANT for t in leaving):
            found.append(name)
    return tuple(found)


def unwatched_warnings(spec: ChartSpec) -> tuple[str, ...]:
    """Warnings, not findings: a state waiting on the provider with neither a timer nor a
    poll may be right (a dispute stage the card scheme ends weeks later, with no status query
    documented), so the chart author says why in docs/PROVIDERS.md instead of the loader
    refusing the chart."""
    return tuple(f"`{name}` waits on the provider with neither a timer nor a poll"
                 for name in waiting_states(spec) if not spec.states[name].waits)


def check_spec(spec: ChartSpec, rules: Rules) -> tuple[str, ...]:
    """Every finding about one spec against the guards and effects ``rules`` supplies;
    empty when the chart is sound."""
    findings = _name_findings(spec, rules)
    if findings:  # graph checks on unknown names would only repeat them
        return tuple(findings)
    return tuple(_graph_findings(spec) + _determinism_findings(spec) + _timer_findings(spec))
