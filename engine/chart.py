"""Compile a spec into a ``Chart``: one shared ``transitions.Machine`` plus a lookup table.

The machine is the reference semantics; the table is the hot path (a dict lookup instead of
transitions' per-trigger bookkeeping) and a property test shows both pick the same edge for
every (state, trigger, guard outcome, options). No machine per payment object: objects are
plain records and are handed to the shared machine only as a throwaway probe.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

import attrs
from transitions import Machine

from .canonical import Canonical
from .checks import reachable, successors
from .rulebook import Effect, Guard, Rules
from .spec import CausedBy, ChartSpec, TransitionSpec


@attrs.frozen(slots=True)
class Edge:
    """One (origin, trigger) → target edge with its guard and effects resolved to code."""

    index: int
    trigger: str
    origin: str
    target: str
    caused_by: CausedBy
    guard_name: str | None
    guard: Guard | None
    effect: Effect | None
    override: str | None
    parent_effect: Effect | None
    parent_trigger: str | None
    spec: TransitionSpec = attrs.field(repr=False, eq=False)


@attrs.frozen(slots=True)
class Resolution:
    """The edge an input takes, or why none: guard failures and disabled overrides."""

    edge: Edge | None
    refusals: tuple[str, ...] = ()


_NO_EDGE = Resolution(None)

GuardCheck = Callable[[Edge], str | None]
"""Evaluates an edge's guard for one input; ``None`` means the guard passes."""


class _Probe:
    """A stand-in model handed to the shared machine for one reference evaluation."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class Chart:
    """A compiled chart, shared by every object of its provider and kind."""

    def __init__(self, spec: ChartSpec, rules: Rules) -> None:
        """``rules`` supplies the code for every guard and effect the spec names (a name it
        lacks is a ``SpecError`` from the chart set, before compiling)."""
        self.spec = spec
        self.name = spec.name
        self.provider = spec.provider
        self.object_kind = spec.object
        self.initial = spec.initial
        self.finals = spec.finals
        self.canonical: Mapping[str, Canonical] = {
            name: state.canonical for name, state in spec.states.items()}
        self.blocking_states = frozenset(
            name for name, state in spec.states.items() if state.blocks_parent)
        edges = [self._edge(rules, i, t, origin) for i, t in enumerate(spec.transitions)
                 for origin in t.origins]
        table: dict[tuple[str, str], tuple[Edge, ...]] = {}
        for edge in edges:
            table[(edge.origin, edge.trigger)] = (*table.get((edge.origin, edge.trigger), ()),
                                                  edge)
        self.edges: tuple[Edge, ...] = tuple(edges)
        self.edge_by_index: dict[int, Edge] = {}
        self.entry_edge: dict[tuple[str, str], Edge] = {}
        """First edge by (trigger, target): how an object first seen in a state got there."""
        for edge in edges:
            self.edge_by_index.setdefault(edge.index, edge)
            self.entry_edge.setdefault((edge.trigger, edge.target), edge)
        self.table = table
        self._unconditional = {key: Resolution(edges[0]) for key, edges in table.items()
                               if len(edges) == 1 and edges[0].guard is None
                               and edges[0].override is None}
        """(state, trigger) with one plain edge: the common case, answered by one lookup."""
        self.triggers = frozenset(edge.trigger for edge in edges)
        self._behind = self._states_behind(spec)
        self.history_edges = self._history_edges(spec)
        self._paths: dict[tuple[str, str, str, frozenset[str]], tuple[Edge, ...] | None] = {}
        self.machine = self._machine(edges)

    @staticmethod
    def _edge(rules: Rules, index: int, t: TransitionSpec, origin: str) -> Edge:
        effects = rules.effects
        return Edge(index=index, trigger=t.trigger, origin=origin, target=t.target,
                    caused_by=t.caused_by, guard_name=t.guard,
                    guard=rules.guards[t.guard] if t.guard else None,
                    effect=effects[t.effect] if t.effect else None, override=t.override,
                    parent_effect=effects[t.parent_effect] if t.parent_effect else None,
                    parent_trigger=t.parent_trigger, spec=t)

    @staticmethod
    def _states_behind(spec: ChartSpec) -> dict[str, frozenset[str]]:
        """For each state, the states it has necessarily passed: those that lead to it in
        the documented lifecycle (overrides excluded) but cannot be reached from it."""
        graph = successors(spec, with_overrides=False)
        ahead = {state: reachable(graph, state) for state in spec.states}
        return {current: frozenset(s for s in spec.states
                                   if s != current and current in ahead[s]
                                   and s not in ahead[current])
                for current in spec.states}

    def _history_edges(self, spec: ChartSpec) -> dict[str, tuple[int, ...]]:
        """For each state, the ledger-moving edges an object first seen there may have taken
        before (edges from states it cannot return to, into the state or into states leading
        to it): late messages for them fill in its ledger instead of being dismissed as
        stale."""
        graph = successors(spec, with_overrides=False)
        ahead = {state: reachable(graph, state) for state in spec.states}
        return {state: tuple(sorted({e.index for e in self.edges if e.effect is not None
                                     and state in ahead[e.target]
                                     and e.origin not in ahead[state]}))
                for state in spec.states}

    def _machine(self, edges: list[Edge]) -> Machine:
        machine = Machine(model=None, states=list(self.spec.states), initial=self.initial,
                          auto_transitions=False, send_event=True,
                          ignore_invalid_triggers=True, name=self.name)
        for edge in edges:
            machine.add_transition(edge.trigger, edge.origin, edge.target,
                                   conditions=[_condition(edge)], after=[_recorder(edge)])
        return machine

    def composite_path(self, current: str, reported: str, trigger: str,
                       options: Collection[str]) -> tuple[Edge, ...] | None:
        """The shortest chain of enabled edges from ``current`` whose last edge is ``trigger``
        into ``reported``: how a batched callback that skipped intermediate statuses is
        applied. ``None`` when the chart allows no such move (or only a direct edge)."""
        key = (current, reported, trigger, frozenset(options))
        if key in self._paths:
            return self._paths[key]
        enabled = [e for e in self.edges if e.override is None or e.override in options]
        finishing = {e.origin: e for e in reversed(enabled)
                     if e.trigger == trigger and e.target == reported}
        found: tuple[Edge, ...] | None = None
        paths: dict[str, tuple[Edge, ...]] = {current: ()}
        frontier = [current]
        while frontier and found is None:
            following = []
            for state in frontier:
                for edge in enabled:
                    if edge.origin == state and edge.target not in paths:
                        paths[edge.target] = (*paths[state], edge)
                        following.append(edge.target)
                        if edge.target in finishing:
                            found = (*paths[edge.target], finishing[edge.target])
                            break
                if found is not None:
                    break
            frontier = following
        self._paths[key] = found
        return found

    def is_behind(self, reported: str, current: str) -> bool:
        """Whether ``reported`` is a state an object in ``current`` has already passed."""
        return reported in self._behind[current]

    def _preferred_target(self, state: str, trigger: str, reported: str | None) -> str | None:
        """The reported state, when some edge for this trigger leads there: the provider's
        word on where the object now is outranks an edge that would contradict it."""
        if reported is None:
            return None
        candidates = self.table.get((state, trigger), ())
        return reported if any(edge.target == reported for edge in candidates) else None

    def resolve(self, state: str, trigger: str, options: Collection[str],
                check: GuardCheck, reported: str | None = None) -> Resolution:
        """The hot path: first edge from ``state`` on ``trigger`` that is enabled and passes,
        among those leading to the ``reported`` state when any does."""
        simple = self._unconditional.get((state, trigger))
        if simple is not None:
            return simple
        candidates = self.table.get((state, trigger))
        if candidates is None:
            return _NO_EDGE
        if reported is not None and len(candidates) > 1:
            preferred = self._preferred_target(state, trigger, reported)
            if preferred is not None:
                candidates = tuple(edge for edge in candidates if edge.target == preferred)
        refusals = []
        for edge in candidates:
            if edge.override is not None and edge.override not in options:
                refusals.append(f"edge `{edge.origin} → {edge.target}` is an override that "
                                f"needs option `{edge.override}` (disabled)")
                continue
            if edge.guard is not None:
                failure = check(edge)
                if failure is not None:
                    refusals.append(f"guard `{edge.guard_name}` failed: {failure}")
                    continue
            return Resolution(edge, tuple(refusals))
        return Resolution(None, tuple(refusals))

    def resolve_reference(self, state: str, trigger: str, options: Collection[str],
                          check: GuardCheck, reported: str | None = None) -> Edge | None:
        """The same decision made by the shared ``transitions`` machine (reference semantics)."""
        event = self.machine.events.get(trigger)
        if event is None:
            return None
        fired: list[Edge] = []
        event.trigger(_Probe(state), options=options, check=check, fired=fired,
                      preferred=self._preferred_target(state, trigger, reported))
        return fired[0] if fired else None


def _condition(edge: Edge) -> Callable[[Any], bool]:
    def condition(event_data: Any) -> bool:
        kwargs = event_data.kwargs
        if kwargs["preferred"] is not None and edge.target != kwargs["preferred"]:
            return False
        if edge.override is not None and edge.override not in kwargs["options"]:
            return False
        return edge.guard is None or kwargs["check"](edge) is None
    return condition


def _recorder(edge: Edge) -> Callable[[Any], None]:
    def record(event_data: Any) -> None:
        event_data.kwargs["fired"].append(edge)
    return record
