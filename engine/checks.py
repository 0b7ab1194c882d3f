"""Static checks of a chart spec: reachability, finality, names, determinism.

Each finding says what is wrong and where (``transitions[3].guard``), so ``paychart check``
can be used as a linter by chart authors.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping

from .ledger import LEDGER_FIGURES
from .rulebook import Rules
from .spec import ChartSpec


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


def check_spec(spec: ChartSpec, rules: Rules) -> tuple[str, ...]:
    """Every finding about one spec against the guards and effects ``rules`` supplies;
    empty when the chart is sound."""
    findings = _name_findings(spec, rules)
    if findings:  # graph checks on unknown names would only repeat them
        return tuple(findings)
    return tuple(_graph_findings(spec) + _determinism_findings(spec))
