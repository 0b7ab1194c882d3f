"""A late message decided in its place: when every message of an object carries the
provider's sequence, an input older than what was applied is put where the provider says it
belongs and the object's whole history is decided again in that order.

The journal keeps every message an object claimed (applied or stale, in journal order), so
the history is exact: deciding it again in provider order gives the object the state and
ledger the ordered delivery gives (`ARCHITECTURE.md`, "Semantics settled"). Nothing already
journaled changes; only the record moves. Objects of a family (a parent whose children drive
it, or a child) are decided again in a legal order of the whole family instead
(``family_fold.py``): their ledgers hold effects that are not in their own messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import attrs

from .chart import Chart
from .charts import ChartSet
from .decision import Decision
from .event import Event
from .record import ObjectRecord
from .stores.base import Store
from .workset import Workset

Decide = Callable[[Chart, ObjectRecord | None, Event, Workset], Decision]
"""One step of the fold: the first sighting (no record yet) or the decision about a known
object, writing into the fold's own workset."""


def foldable(charts: ChartSet, chart: Chart) -> bool:
    """Whether an object of ``chart`` is its own whole history: no parent, no child charts."""
    return chart.spec.parent is None and not any(
        other.provider == chart.provider and other.spec.parent == chart.object_kind
        for other in charts)


def refolded(chart: Chart, record: ObjectRecord, event: Event, history: Sequence[Event],
             decide: Decide) -> ObjectRecord | None:
    """The record ``event`` and the object's claimed ``history`` make when decided in provider
    order (ties keep arrival order, ``event`` last); ``None`` when a message lacks a sequence
    (the order is unknown)."""
    if event.sequence is None or any(past.sequence is None for past in history):
        return None
    ordered = sorted((*history, event), key=_provider_order)
    scratch = Workset(cast(Store, _Nothing()))
    scratch.seed(record.key, None)
    for message in ordered:
        decide(chart, scratch.get(record.key), message, scratch)
    folded = scratch.get(record.key)
    if folded is None:
        return None
    remembered = dict(folded.remembered)
    remembered.update(record.remembered)  # facts bound from a request stay with the object
    # the clock is the newest message claimed, applied or not: a message older than one the
    # fold refused is decided in its place too
    return attrs.evolve(folded, version=record.version, sequence=_provider_order(ordered[-1]),
                        remembered=tuple(remembered.items()),
                        reference=record.reference or folded.reference,
                        pending=record.pending, unlinked=record.unlinked)


def _provider_order(event: Event) -> int:
    assert event.sequence is not None
    return event.sequence


class _Nothing:
    """The fold's store: an object with no parent and no children reads nothing else."""

    def get(self, key: str) -> ObjectRecord | None:
        return None

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        return ()
