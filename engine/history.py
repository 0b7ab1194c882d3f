"""Objects whose history arrives out of order: steps skipped by a composite move or before a
first sighting, filled in by their late messages, and ledger effects deferred until then."""

from __future__ import annotations

import attrs

from .chart import Chart, Edge
from .event import Event
from .ledger import Ledger, LedgerRefusal
from .money import Money
from .record import ObjectRecord

Deferred = tuple[tuple[int, int | None], ...]


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
        return edge, attrs.evolve(record, version=record.version + 1, ledger=ledger,
                                  skipped=remaining, deferred=deferred)
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
