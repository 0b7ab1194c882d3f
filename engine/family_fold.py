"""A disordered family decided again in a legal order.

A parent and its children (a payment with its refunds and disputes) share no provider order,
so a shuffled delivery is decided step by step: composite moves, fill-ins, deferred and
pending effects (``history.py``, ``parents.py``) recover most of what the ordered delivery
does, not all. Once a family's messages are all there, they can be put in an order where
each is a direct legal edge of its chart, every object starting from its chart's initial
state: the order they happened in is one. Ordering the same edges differently ends every
object in the same state (a walk over a set of edges ends where their in- and out-degrees
say) and, with the money rules adding up along the edges a legal order allows, in the same
ledger. So when a message leaves its family untidy, the family's claimed messages and this
one are searched for such an order; when one is found, its end replaces the family's
records. A message no legal order places must report a state its object already passed: a
late echo, stale in any order. When no order places them all (a predecessor has not arrived
yet) the step-by-step decision stands and the next message tries again. Nothing journaled
changes; only records move (``ARCHITECTURE.md``, "Semantics settled").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

import attrs

from .charts import ChartSet
from .decision import Outcome
from .event import CREATING_CHANNELS, Event, object_key
from .history import bit, has_passed
from .ledger import EMPTY_LEDGER, Ledger
from .moves import Moves
from .parents import blocking_child
from .record import ObjectRecord
from .stores.base import Store
from .workset import Workset

Records = Mapping[str, ObjectRecord]
SEARCH_BUDGET = 5_000
"""Placements tried before the search gives up (the step-by-step decision then stands):
orders of a family's messages are many, and a hostile stream must not make one input cost
more than a bounded amount of work."""
LARGEST_FAMILY = 200
"""Messages beyond which a family is not searched (its step-by-step decision stands)."""


def untidy(record: ObjectRecord) -> bool:
    """Whether ``record`` still holds bookkeeping of a disordered delivery: steps skipped,
    effects deferred or waiting, or a parent known only from its children."""
    return bool(record.skipped or record.deferred or record.pending or record.unlinked
                or record.placeholder)


class FamilyFold:
    """Finds the legal order of one family's messages and the records it ends in."""

    def __init__(self, charts: ChartSet, moves: Moves, store: Store) -> None:
        self.charts = charts
        self.moves = moves
        self.store = store

    def family_of(self, event: Event, record: ObjectRecord | None) -> str | None:
        """The key of the parent whose family ``event`` belongs to, if it is known."""
        chart = self.charts.find(event.provider, event.object_kind)
        if chart is None:
            return None
        if chart.spec.parent is None:
            return event.key
        if record is not None and record.parent is not None:
            return record.parent
        if event.parent_id is None:
            return None
        return object_key(event.provider, chart.spec.parent, event.parent_id)

    def messages(self, parent_key: str, event: Event) -> list[Event] | None:
        """The family's claimed messages and ``event``, parent's first (or in provider order
        when every one carries it; children by key, alike in every store), each child's
        naming the family's parent. ``None`` when
        an object has no message from the merchant's own calls: no legal order can start
        it, and the other histories are not read."""
        histories: list[Sequence[Event]] = []
        keys = [parent_key, event.key] if event.key != parent_key else [parent_key]
        children = sorted(child.key for child in self.store.children(parent_key))
        for key in (*keys, *(child for child in children if child not in keys)):
            history = [*self.store.history(key), *((event,) if key == event.key else ())]
            if not any(message.channel in CREATING_CHANNELS for message in history):
                return None
            histories.append(history)
            if sum(map(len, histories)) > LARGEST_FAMILY:
                return None
        messages = [message for history in histories for message in history]
        messages.remove(event)
        messages.append(event)
        if all(message.sequence is not None for message in messages):
            messages.sort(key=lambda message: cast(int, message.sequence))
        parent_id = parent_key.split("/", 2)[2]
        return [message if message.key == parent_key or message.parent_id is not None
                else attrs.evolve(message, parent_id=parent_id) for message in messages]

    def legal_end(self, messages: Sequence[Event]) -> dict[str, ObjectRecord] | None:
        """The records a legal order of ``messages`` ends in, or ``None`` if none is found."""
        return legal_order(messages, self._place, self._passed)

    def _place(self, records: Records, event: Event) -> dict[str, ObjectRecord] | None:
        """``records`` after ``event`` taken as a direct legal edge, or ``None``."""
        chart = self.charts.find(event.provider, event.object_kind)
        assert chart is not None  # it was decided once
        record = records.get(event.key)
        if record is None:
            if event.channel not in CREATING_CHANNELS:
                return None  # seen first from the provider: its history before is unknown
            parent = (None if chart.spec.parent is None or event.parent_id is None
                      else object_key(event.provider, chart.spec.parent, event.parent_id))
            record = ObjectRecord(event.key, chart.name, chart.initial, version=0,
                                  parent=parent, visited=bit(chart, chart.initial))
            if event.state == chart.initial and not any(
                    edge.trigger == event.trigger and chart.initial in (edge.origin, edge.target)
                    for edge in chart.edges):
                # the merchant's call creating it (a trigger with an edge into the initial
                # state may be that edge: `incomplete → pending`)
                opening = (EMPTY_LEDGER if event.money is None
                           else Ledger(currency=event.money.currency))
                return {**records, event.key: attrs.evolve(
                    record, ledger=opening, sequence=event.sequence,
                    remembered=event.remember)}
        else:
            children = [r for r in records.values() if r.parent == record.key]
            if blocking_child(self.charts, chart, children) is not None:
                return None
        edge = self.moves.resolve(chart, record, event).edge
        if edge is None:
            return None
        ws = Workset(cast(Store, _Scratch(records)))
        if self.moves.take(chart, record, edge, event, ws).outcome is not Outcome.APPLIED:
            return None
        written = ws.writes()
        if any(untidy(moved) for moved in written):
            return None
        return {**records, **{moved.key: moved for moved in written}}

    def _passed(self, records: Records, event: Event) -> bool:
        """Whether ``event`` reports a state its object has passed and carries no money of
        its own: a late echo, stale in any order. (A message with money that no order places
        would lose it: the step-by-step decision keeps it waiting instead.)"""
        record = records.get(event.key)
        if record is None or event.state is None or event.money is not None:
            return False
        chart = self.charts.named(record.chart)
        return event.state in chart.canonical and has_passed(chart, record, event.state)


class _OutOfBudget(Exception):
    pass


def legal_order(messages: Sequence[Event],
                place: Callable[[Records, Event], dict[str, ObjectRecord] | None],
                passed: Callable[[Records, Event], bool], *,
                budget: int = SEARCH_BUDGET) -> dict[str, ObjectRecord] | None:
    """Depth first over the orders of ``messages``, earliest first: the records of the order
    that places the most messages as legal edges, leaving only ones that ``passed``; the
    first found of the most. ``None`` when no such order is found within ``budget``."""
    seen: set[tuple[tuple[int, ...], frozenset[tuple[str, ObjectRecord]]]] = set()
    best: list[tuple[int, dict[str, ObjectRecord]]] = []
    spent = 0

    def search(records: dict[str, ObjectRecord], remaining: tuple[int, ...]) -> bool:
        """Whether an order placing every message was found below this node."""
        nonlocal spent
        node = (remaining, frozenset(records.items()))
        if node in seen:
            return False
        seen.add(node)
        for position, index in enumerate(remaining):
            spent += 1
            if spent > budget:
                raise _OutOfBudget
            moved = place(records, messages[index])
            if moved is not None and search(moved, remaining[:position]
                                            + remaining[position + 1:]):
                return True
        placed = len(messages) - len(remaining)
        if (not best or placed > best[0][0]) and all(
                passed(records, messages[index]) for index in remaining):
            best[:] = [(placed, records)]
        return not remaining

    try:
        search({}, tuple(range(len(messages))))
    except _OutOfBudget:
        return None
    return best[0][1] if best else None


class _Scratch:
    """The search's store: the records of the order being tried, nothing else."""

    def __init__(self, records: Records) -> None:
        self._records = records

    def get(self, key: str) -> ObjectRecord | None:
        return self._records.get(key)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        return [r for r in self._records.values() if r.parent == parent_key]
