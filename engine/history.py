"""What an object has been through: the states it visited (what ``stale`` is judged by),
steps skipped by a composite move or before a first sighting, filled in by their late
messages, and ledger effects deferred until then."""

from __future__ import annotations

import weakref
from collections.abc import Collection

import attrs

from .chart import Chart, Edge
from .checks import reachable, successors
from .event import Event
from .ledger import Ledger, LedgerRefusal
from .money import Money
from .money_rules import OVERWRITING_EFFECTS, SETTLED_FIGURES, SETTLING_EFFECTS
from .record import ObjectRecord
from .rulebook import Effect

Deferred = tuple[tuple[int, int | None], ...]

_BITS: weakref.WeakKeyDictionary[Chart, dict[str, int]] = weakref.WeakKeyDictionary()
_BEHIND: weakref.WeakKeyDictionary[Chart, dict[str, int]] = weakref.WeakKeyDictionary()
_AHEAD: weakref.WeakKeyDictionary[Chart, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary())
_MOVED_PAST: weakref.WeakKeyDictionary[Chart, dict[tuple[str, str], int]] = (
    weakref.WeakKeyDictionary())
"""``moved_past`` per (origin, target): a pure function of the chart, asked by every edge."""
_AHEAD_ALL: weakref.WeakKeyDictionary[Chart, dict[str, frozenset[str]]] = (
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
    moves = _MOVED_PAST.get(chart)
    if moves is None:
        moves = _MOVED_PAST[chart] = {}
    mask = moves.get((origin, target))
    if mask is None:
        mask = moves[(origin, target)] = _moved_past(chart, origin, target)
    return mask


def _moved_past(chart: Chart, origin: str, target: str) -> int:
    ahead, bits = _ahead(chart), state_bits(chart)
    mask = bits[target]
    for state in ahead[origin]:
        if (state not in (origin, target) and target in ahead[state]
                and origin not in ahead[state] and state not in ahead[target]):
            mask |= bits[state]
    return mask


def jumped_edges(chart: Chart, origin: str, target: str,
                 options: Collection[str]) -> tuple[int, ...]:
    """The enabled ledger edges of every way from ``origin`` to ``target`` that a composite
    move jumps over: from ``origin`` or a state strictly between, into a state strictly
    between (override edges too). The chart cannot say which way the object went, so each
    is skipped; the late message of any one fills it in (``pending → refunded`` skips the
    sale and also the authorization and capture; the late capture names the way)."""
    ahead = _ahead_all(chart)
    between = {s for s in ahead[origin] if s not in (origin, target) and target in ahead[s]
               and origin not in ahead[s] and s not in ahead[target]}
    return tuple(sorted({e.index for e in chart.edges if e.effect is not None
                         and (e.override is None or e.override in options)
                         and (e.origin == origin or e.origin in between)
                         and e.target in between and e.target != e.origin}))


def visited(chart: Chart, record: ObjectRecord) -> int:
    """The record's visited mask (records written before masks existed assume the chart's
    history of their current state)."""
    return record.visited or passed_before(chart, record.state)


def has_passed(chart: Chart, record: ObjectRecord, state: str) -> bool:
    return bool(visited(chart, record) & bit(chart, state))


def may_return(chart: Chart, record: ObjectRecord, state: str) -> bool:
    """Whether ``state`` leads back to a state ``record`` has passed (round a cycle: a
    payment charged back may be `paid` again)."""
    passed = visited(chart, record)
    bits = state_bits(chart)
    return any(passed & bits[ahead] for ahead in _ahead_all(chart)[state])


def fill_skipped(chart: Chart, record: ObjectRecord,
                 event: Event) -> tuple[Edge, ObjectRecord] | None:
    """The skipped step ``event`` is the late message of, and the record once its ledger
    effect (and any deferred effect it unblocks) applied; ``None`` if it fills nothing."""
    for index in record.skipped:
        edge = chart.edge_by_index[index]
        if edge.trigger != event.trigger or event.state not in (None, edge.target):
            continue
        remaining = tuple(i for i in record.skipped if i != index and (
            edge.origin == edge.target or chart.edge_by_index[i].target != edge.target))
        try:
            ledger = edge.effect(record.ledger, event) if edge.effect else record.ledger
        except LedgerRefusal:
            if event.money is None or not earlier_missing(chart, remaining, edge):
                continue  # not the message that step was waiting for, or just late
            # its own money, and an earlier step still missing may make room: it waits,
            # ahead of the effects deferred since (it came before them)
            return edge, attrs.evolve(record, skipped=remaining, deferred=(
                (index, event.money.amount), *record.deferred))
        if ledger == record.ledger:
            continue  # nothing to fill in: the message is just late
        ledger, deferred = retry_deferred(
            chart, resettled(chart, record, edge, record.ledger, ledger, event, settle=False),
            record.deferred, event, remaining)
        ledger = resettled(chart, record, edge, record.ledger, ledger, event, overwrite=False)
        return edge, attrs.evolve(record, ledger=ledger, skipped=remaining, deferred=deferred)
    return None


def earlier_missing(chart: Chart, skipped: tuple[int, ...], edge: Edge) -> bool:
    """Whether a skipped ledger step that leads to ``edge`` is still missing."""
    ahead = _ahead_all(chart)
    return any(chart.edge_by_index[i].effect is not None
               and edge.origin in ahead[chart.edge_by_index[i].target] for i in skipped)


def resettled(chart: Chart, record: ObjectRecord, filled: Edge, before: Ledger,
              ledger: Ledger, event: Event, *, overwrite: bool = True,
              settle: bool = True) -> Ledger:
    """``ledger`` (``before`` with ``filled``'s late effect) as of ``filled``'s place in the
    object's history: the settling effects (``SETTLING_EFFECTS``) of the edges taken after it
    apply again, and figures a later edge set to its own amount (``OVERWRITING_EFFECTS``) keep
    that amount (as do figures a late authorization or sale would overwrite that are already
    set: every step applied so far came after the skipped one). A late authorization whose
    hold the object already gave back nets to the released figure, as in the delivery where
    it came first. The deferred effects apply between the two parts (``overwrite`` first,
    ``settle`` after them): they too came before the settling edges."""
    kept = {figure: getattr(before, figure)
            for figure in OVERWRITING_EFFECTS.get(filled.spec.effect or "", ())
            if overwrite and getattr(before, figure)}  # set by a later step: it stands
    ledger = attrs.evolve(ledger, **kept) if kept else ledger
    redone = {index for index, amount in record.deferred if amount is None}
    for later in steps_after(chart, record, filled):
        name = later.spec.effect or ""
        if overwrite and name in OVERWRITING_EFFECTS and later.index not in redone:
            ledger = attrs.evolve(ledger, **{figure: getattr(before, figure)
                                             for figure in OVERWRITING_EFFECTS[name]})
        elif settle and name in SETTLING_EFFECTS and later.effect is not None:
            try:
                ledger = later.effect(ledger, attrs.evolve(event, money=None))
            except LedgerRefusal:
                continue
    return ledger


def steps_after(chart: Chart, record: ObjectRecord, filled: Edge) -> list[Edge]:
    """The ledger-moving edges the object took after the skipped ``filled``: from states
    after its target, through states the object visited, on towards its current state, and
    in no cycle with it, the current state or itself (a chargeback reversal leads back
    before a chargeback: which came last is unknown, and nothing is redone)."""
    ahead, passed = _ahead_all(chart), visited(chart, record)
    return [later for later in chart.edges if later.effect is not None
            and later is not filled and later.origin in ahead[filled.target]
            and filled.origin not in ahead[later.target]
            and later.origin not in ahead[later.target]
            and record.state in ahead[later.target] and later.origin not in ahead[record.state]
            and passed & bit(chart, later.origin) and passed & bit(chart, later.target)]


def _ahead_all(chart: Chart) -> dict[str, frozenset[str]]:
    """Reachability with override edges too (an object may have taken one)."""
    ahead = _AHEAD_ALL.get(chart)
    if ahead is None:
        graph = successors(chart.spec, with_overrides=True)
        ahead = _AHEAD_ALL[chart] = {s: frozenset(reachable(graph, s))
                                     for s in chart.spec.states}
    return ahead


def retry_deferred(chart: Chart, ledger: Ledger, deferred: Deferred, event: Event,
                   skipped: tuple[int, ...] = ()) -> tuple[Ledger, Deferred]:
    """Apply the deferred ledger effects that the filled-in step now allows, in order. A
    settling effect taken while others waited (``Moves.take``) applies again only once every
    effect deferred before it has applied, and a cycle's settling edge only once the skipped
    steps into its origin filled in: it came after them."""
    waiting: list[tuple[int, int | None]] = []
    for index, amount in deferred:
        edge = chart.edge_by_index[index]
        assert edge.effect is not None
        before = any(chart.edge_by_index[i].target == edge.origin for i in skipped)
        derived = edge.spec.effect in SETTLING_EFFECTS or (
            amount is None and edge.spec.effect in OVERWRITING_EFFECTS)
        if (waiting or before) and derived:
            waiting.append((index, amount))
            continue
        money = (Money(amount, ledger.currency) if amount is not None and ledger.currency
                 else None)
        try:
            ledger = edge.effect(ledger, attrs.evolve(event, money=money))
        except LedgerRefusal:
            waiting.append((index, amount))
    return ledger, tuple(waiting)


def in_cycle(chart: Chart, edge: Edge) -> bool:
    """Whether ``edge`` leads back to where it started (a chargeback reversal, `paid` again)."""
    return edge.origin in _ahead_all(chart)[edge.target]


def absorbed(chart: Chart, record: ObjectRecord, effect: Effect, event: Event) -> Ledger | None:
    """The ledger after a late effect the current ledger refuses because a settling edge
    the object took since has set the figure it moves (a refund child approved before its
    payment was reported refunded, seen after it): as of its place, before that edge, it
    fits with the figure unset, and the settling edge sets it again. ``None`` when no such
    edge was taken or the effect does not fit even so."""
    ahead = _ahead_all(chart)
    settling = [e for e in chart.edges if e.effect is not None
                and e.spec.effect in SETTLED_FIGURES and not in_cycle(chart, e)
                and has_passed(chart, record, e.origin) and has_passed(chart, record, e.target)
                and record.state in ahead[e.target]]
    if not settling:
        return None
    unset = {SETTLED_FIGURES[e.spec.effect or ""] for e in settling}
    ledger = record.ledger
    ledger = Ledger(ledger.currency, ledger.authorized, ledger.captured,
                    0 if "refunded" in unset else ledger.refunded,
                    0 if "charged_back" in unset else ledger.charged_back)
    try:
        ledger = effect(ledger, event)
        for edge in settling:
            assert edge.effect is not None
            ledger = edge.effect(ledger, attrs.evolve(event, money=None))
    except LedgerRefusal:
        return None
    return ledger if ledger.holds_invariants() else None
