"""Families: children driving parents, in any delivery order.

A refund's approval adds to its payment's refunded amount and may end the payment; a lost
dispute charges it back. The parent's change is written in the child's commit, under the
parent's version. A child seen before its parent keeps its effect pending on the parent's key
(a placeholder record) and the effect applies when the parent is seen; an effect the parent
cannot take yet (a capture of a payment still `pending`) waits on the parent until it can.
A child whose event names no parent keeps its effect on itself until an input names it.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterable

import attrs

from .chart import Chart, Edge
from .charts import ChartSet
from .checks import reachable
from .decision import ParentMove
from .event import Event, object_key
from .history import absorbed, has_passed, moved_past, visited
from .ledger import Ledger, LedgerRefusal
from .money import Money
from .record import ChildEffect, ObjectRecord
from .rulebook import GuardInput
from .workset import Workset


@attrs.frozen(slots=True)
class ParentOutcome:
    """What a child's edge did to its parent: a status move and warnings, or a refusal that
    rejects the child's input (currency, or the parent's ledger would break)."""

    move: ParentMove | None = None
    refusal: str | None = None
    warnings: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class _Effect:
    """One attempt to apply a child effect to a parent: the parent after it, or why it must
    wait (``wait``) or cannot apply at all (``refusal``)."""

    record: ObjectRecord | None = None
    move: ParentMove | None = None
    wait: str | None = None
    refusal: str | None = None
    warning: str | None = None


def child_effect(chart: Chart, child: ObjectRecord, edge: Edge, event: Event) -> ChildEffect:
    money = event.money
    return ChildEffect(child=child.key, chart=chart.name, edge=edge.index,
                       amount=None if money is None else money.amount,
                       currency=None if money is None else money.currency)


def drive_parent(charts: ChartSet, ws: Workset, options: Collection[str], chart: Chart,
                 child: ObjectRecord, edge: Edge, event: Event) -> tuple[ObjectRecord,
                                                                         ParentOutcome]:
    """Apply ``edge``'s parent effect and trigger, or keep it pending; returns the child
    (which holds the effect itself while its parent is not named) and what happened."""
    effect = child_effect(chart, child, edge, event)
    if child.parent is None:
        return attrs.evolve(child, unlinked=(*child.unlinked, effect)), ParentOutcome(
            warnings=(f"its {chart.spec.parent} is not named yet; this {chart.object_kind}'s "
                      "effect waits until an input names it",))
    return child, apply_to_parent(charts, ws, options, chart, child.parent, effect, event)


def apply_to_parent(charts: ChartSet, ws: Workset, options: Collection[str], chart: Chart,
                    parent_key: str, effect: ChildEffect, event: Event) -> ParentOutcome:
    parent_chart = charts.parent_of(chart)
    assert parent_chart is not None
    parent = ws.get(parent_key)
    parent_id = parent_key.split("/", 2)[2]
    if parent is None or parent.placeholder:
        for waiting in () if parent is None else parent.pending:
            if _currencies_differ(waiting.currency, effect.currency):
                return ParentOutcome(refusal=_currency_refusal(
                    effect, waiting.currency, parent_chart.object_kind, parent_id))
        holder = parent or ObjectRecord(parent_key, parent_chart.name, parent_chart.initial,
                                        placeholder=True)
        ws.put(attrs.evolve(holder, pending=(*holder.pending, effect)))
        return ParentOutcome(warnings=(f"parent {parent_key} is not known yet; the effect on "
                                       "it waits until it is seen",))
    attempt = _apply(charts, options, parent_chart, parent, effect, event, settling=False)
    if attempt.refusal is not None:
        return ParentOutcome(refusal=attempt.refusal)
    if attempt.wait is not None:
        ws.put(attrs.evolve(parent, pending=(*parent.pending, effect)))
        return ParentOutcome(warnings=(f"{parent_chart.object_kind} {parent_id} cannot take "
                                       f"it yet ({attempt.wait}); the effect waits on it",))
    assert attempt.record is not None
    updated, settled = settle(charts, options, parent_chart, attempt.record, event)
    ws.put(updated)
    warnings = tuple(w for w in (attempt.warning, *settled) if w)
    return ParentOutcome(move=attempt.move, warnings=warnings)


def settle(charts: ChartSet, options: Collection[str], chart: Chart, record: ObjectRecord,
           event: Event) -> tuple[ObjectRecord, list[str]]:
    """Apply the pending child effects ``record`` can take now, repeatedly (a capture can
    make room for a waiting refund), in arrival order; the rest keep waiting."""
    waiting = list(record.pending)
    notes: list[str] = []
    progress = True
    while progress and waiting:
        progress = False
        for effect in list(waiting):
            attempt = _apply(charts, options, chart, record, effect, event, settling=True)
            if attempt.record is None:
                continue
            record = attempt.record
            waiting.remove(effect)
            progress = True
            notes.append(f"pending effect of {effect.child.split('/', 1)[1]} applied"
                         + (f" (`{attempt.move.from_state}` → `{attempt.move.to_state}`)"
                            if attempt.move else ""))
            if attempt.warning:
                notes.append(attempt.warning)
    return attrs.evolve(record, pending=tuple(waiting)), notes


def _apply(charts: ChartSet, options: Collection[str], chart: Chart, parent: ObjectRecord,
           effect: ChildEffect, event: Event, *, settling: bool) -> _Effect:
    edge = charts.named(effect.chart).edge_by_index[effect.edge]
    currency = parent.ledger.currency
    if _currencies_differ(currency, effect.currency):
        reason = _currency_refusal(effect, currency, chart.object_kind, parent.object_id)
        return _Effect(wait=reason) if settling else _Effect(refusal=reason)
    money = (Money(effect.amount, effect.currency)
             if effect.amount is not None and effect.currency else None)
    child_event = attrs.evolve(event, money=money)
    trigger = edge.parent_trigger
    ledger = parent.ledger
    if edge.parent_effect is not None:
        try:
            ledger = edge.parent_effect(ledger, child_event)
        except LedgerRefusal as refusal:
            settled = absorbed(chart, parent, edge.parent_effect, child_event)
            if settled is not None:
                ledger = settled
            elif settling or parent.skipped or not_yet(chart, parent.state, trigger, options):
                return _Effect(wait=str(refusal))  # skipped steps may still make room
            else:
                return _Effect(refusal=f"parent {parent.object_id}: {refusal}")
    state, move, warning = parent.state, None, None
    if trigger is not None:
        def check(parent_edge: Edge) -> str | None:
            assert parent_edge.guard is not None
            return parent_edge.guard(GuardInput(ledger, child_event, parent.remembered))

        resolution = chart.resolve(state, trigger, options, check)
        if resolution.edge is not None:
            state = resolution.edge.target
            move = ParentMove(parent.object_id, trigger, parent.state, state)
        elif passed_place(chart, parent, trigger, ledger, child_event, options):
            pass  # a late child of a place the parent passed: its money, the state stays
        elif not_yet(chart, state, trigger, options):
            return _Effect(wait=f"no `{trigger}` from `{state}` yet")
        elif state in chart.finals:
            warning = (f"{chart.object_kind} {parent.object_id} is final in `{state}` and has "
                       f"no `{trigger}` edge: the money of {effect.child.split('/', 1)[1]} "
                       "is recorded, its status is unchanged; someone must look at it")
    record = attrs.evolve(parent, state=state, ledger=ledger,
                          visited=visited(chart, parent) | moved_past(chart, parent.state, state))
    return _Effect(record=record, move=move, warning=warning)


def blocking_child(charts: ChartSet, chart: Chart,
                   children: Iterable[ObjectRecord]) -> str | None:
    """Why one of ``children`` blocks status changes of its ``chart`` parent (an open
    dispute), if one does."""
    names = {c.name: c for c in charts.blocking_children.get(chart.name, ())}
    for child in children if names else ():
        child_chart = names.get(child.chart)
        if child_chart is not None and child.state in child_chart.blocking_states:
            return (f"{child_chart.object_kind} {child.object_id} is `{child.state}`; "
                    f"it blocks status changes of this {chart.object_kind}")
    return None


def passed_place(chart: Chart, parent: ObjectRecord, trigger: str, ledger: Ledger,
                 event: Event, options: Collection[str]) -> bool:
    """Whether the child's trigger belongs to a state the parent has passed and would not
    have moved it there (a partial refund approved while the payment was `paid`, seen
    after its chargeback): the money applies as of that place, the state stays."""
    for edge in chart.edges:
        if (edge.trigger != trigger or edge.origin == parent.state
                or not has_passed(chart, parent, edge.origin)
                or (edge.override is not None and edge.override not in options)):
            continue
        if edge.guard is not None and edge.guard(
                GuardInput(ledger, event, parent.remembered)) is not None:
            return True
    return False


def not_yet(chart: Chart, state: str, trigger: str | None,
            options: Collection[str] = ()) -> bool:
    """Whether the parent has not yet reached a state where ``trigger`` applies but can (a
    capture of an authorization still `pending`, a refund of a `declined` payment that an
    enabled override may still approve): the child's effect then waits."""
    ahead = _ahead(chart, frozenset(options))[state]
    if trigger is None:
        return state not in chart.finals or bool(ahead)
    if (state, trigger) in chart.table:
        return False
    return any((later, trigger) in chart.table for later in ahead)


def ahead_of(chart: Chart, state: str, options: Collection[str]) -> frozenset[str]:
    """The states ``state`` can lead to over the edges ``options`` enable."""
    return _ahead(chart, frozenset(options))[state]


def _ahead(chart: Chart, options: frozenset[str]) -> dict[str, frozenset[str]]:
    """States reachable from each state (itself excluded) over the edges ``options`` enable."""
    cached = _AHEAD.setdefault(chart, {})
    ahead = cached.get(options)
    if ahead is None:
        graph: dict[str, set[str]] = {}
        for edge in chart.edges:
            if edge.override is None or edge.override in options:
                graph.setdefault(edge.origin, set()).add(edge.target)
        ahead = cached[options] = {s: frozenset(reachable(graph, s) - {s})
                                   for s in chart.spec.states}
    return ahead


_AHEAD: weakref.WeakKeyDictionary[Chart, dict[frozenset[str], dict[str, frozenset[str]]]] = (
    weakref.WeakKeyDictionary())


def _currencies_differ(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def _currency_refusal(effect: ChildEffect, parent_currency: str | None, parent_kind: str,
                      parent_id: str) -> str:
    child = effect.child.split("/", 1)[1]
    return (f"{child} is in {effect.currency} but its {parent_kind} {parent_id} is in "
            f"{parent_currency}")


def link_child(charts: ChartSet, ws: Workset, options: Collection[str], chart: Chart,
               child: ObjectRecord, event: Event) -> ParentOutcome | None:
    """An input naming the parent of a child recorded without one: link it and apply the
    effects it kept. ``None`` when there is nothing to link."""
    if (child.parent is not None or event.parent_id is None or chart.spec.parent is None
            or child.placeholder):
        return None
    parent_key = object_key(event.provider, chart.spec.parent, event.parent_id)
    ws.put(attrs.evolve(child, parent=parent_key, unlinked=()))
    warnings: list[str] = [f"linked to {chart.spec.parent} {event.parent_id}"]
    move = None
    for effect in child.unlinked:
        outcome = apply_to_parent(charts, ws, options, chart, parent_key, effect, event)
        if outcome.refusal is not None:
            ws.discard()
            return outcome
        warnings += outcome.warnings
        move = outcome.move or move
    return ParentOutcome(move=move, warnings=tuple(warnings))
