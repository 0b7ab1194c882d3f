"""What an object has been through: the states it visited (what ``stale`` is judged by),
steps skipped by a composite move or before a first sighting, filled in by their late
messages, and ledger effects deferred until then."""

from __future__ import annotations

import weakref

import attrs

from .chart import Chart, Edge
from .checks import reachable, successors
from .event import Event
from .ledger import Ledger, LedgerRefusal
from .money import Money
from .record import ObjectRecord

Deferred = tuple[tuple[int, int | None], ...]

_BITS: weakref.WeakKeyDictionary[Chart, dict[str, int]] = weakref.WeakKeyDictionary()
_BEHIND: weakref.WeakKeyDictionary[Chart, dict[str, int]] = weakref.WeakKeyDictionary()
_AHEAD: weakref.WeakKeyDictionary[Chart, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary())


def state_bits(chart: Chart) -> dict[str, int]:
    """One bit per state, in the spec's declaration order (stored masks rely on it)."""
    bits = _BITS.get(chart)
    if bits is None:
        bits = _BITS[chart] = {name: 1 << i for i, name in enumerate(chart.spec.states)}
    return bits


def bit(chart: Chart, state: str) -> int:
    return state_bits(chart)[state]


def passed_before(chart: Chart, state: str) -> int:
    """The states an object first seen in ``state`` has necessarily passed (those leading to
    it that it cannot return to), plus ``state``: the history a first sighting assumes."""
    behind = _BEHIND.get(chart)
    if behind is None:
        bits = state_bits(chart)
        behind = _BEHIND[chart] = {
            current: bits[current] | sum(bits[s] for s in bits if chart.is_behind(s, current))
            for current in bits}
    return behind[state]


def _ahead(chart: Chart) -> dict[str, frozenset[str]]:
    ahead = _AHEAD.get(chart)
    if ahead is None:
        graph = successors(chart.spec, with_overrides=False)
        ahead = _AHEAD[chart] = {s: frozenset(reachable(graph, s)) for s in chart.spec.states}
    return ahead


def moved_past(chart: Chart, origin: str, target: str) -> int:
    """``target`` and the states a move from ``origin`` jumps over: those strictly between
    them in the chart's progression (reachable from ``origin`` and leading to ``target``, but
    returning to neither). A direct `init → approved` passes `pending`; `paid → refunded`
    does not pass `chargeback`, which leads back to `paid`."""
    ahead, bits = _ahead(chart), state_bits(chart)
    mask = bits[target]
    for state in ahead[origin]:
        if (state not in (origin, target) and target in ahead[state]
                and origin not in ahead[state] and state not in ahead[target]):
            mask |= bits[state]
    return mask


def visited(chart: Chart, record: ObjectRecord) -> int:
    """The record's visited mask (records written before masks existed assume the chart's
    history of their current state)."""
    return record.visited or passed_before(chart, record.state)


def has_passed(chart: Chart, record: ObjectRecord, state: str) -> bool:
    return bool(visited(chart, record) & bit(chart, state))


def fill_skipped(chart: Chart, record: ObjectRecord,
                 event: Event) -> tuple[Edge, ObjectRecord] | None:
    """The skipped step ``event`` is the late message of, and the record once its ledger
    effect (and any deferred effect it unblocks) applied; ``None`` if it fills nothing."""
    for index in record.skipped:
        edge = chart.edge_by_index[index]
        if edge.trigger != event.trigger or event.state not in (None, edge.target):
            continue
        try:
            ledger = edge.effect(record.ledger, event) if edge.effect else record.ledger
        except LedgerRefusal:
            continue  # not the message that step was waiting for
        if ledger == record.ledger:
            continue  # nothing to fill in: the message is just late
        remaining = tuple(i for i in record.skipped
                          if chart.edge_by_index[i].target != edge.target)
        ledger, deferred = retry_deferred(chart, ledger, record.deferred, event)
        return edge, attrs.evolve(record, ledger=ledger, skipped=remaining, deferred=deferred)
    return None


def retry_deferred(chart: Chart, ledger: Ledger, deferred: Deferred,
                   event: Event) -> tuple[Ledger, Deferred]:
    """Apply the deferred ledger effects that the filled-in step now allows, in order."""
    waiting = []
    for index, amount in deferred:
        effect = chart.edge_by_index[index].effect
        assert effect is not None
        money = (Money(amount, ledger.currency) if amount is not None and ledger.currency
                 else None)
        try:
            ledger = effect(ledger, attrs.evolve(event, money=money))
        except LedgerRefusal:
            waiting.append((index, amount))
    return ledger, tuple(waiting)
