"""Attempts and the merchant's reference: what the orchestrator keeps so orders can group.

An attempt is one provider object (with its children) made for one merchant order. The
order's reference comes from the merchant (CARDLINK ``orderNumber``, the platform
``order_id``…), so the record keeps the first one an input carried; a later input naming
another reference does not move the object to another order.

A merchant request sent before the provider's id exists (the platform's SALE, whose
``trans_id`` only its answer gives) is an adapter event about ``PENDING_ID``: the orchestrator
names it ``pending <reference> #<n>``, one object per request (two requests with one
reference are two attempts), keeping the facts it carries (masked card digits, payer email).
The first answer or callback that names a provider id for that reference, and is about a
new object, *binds* the oldest unbound pending attempt: the facts carry over to the provider's
object, and the pending attempt gives up its reference (it leaves the order; the provider's
object is the attempt now). Provider ids never hold whitespace (``Wire.identifier``), so
these names cannot collide with one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from .decision import Decision
from .event import Event, object_key
from .record import ObjectRecord
from .stores.base import Store
from .verdicts import Verdicts
from .workset import Workset

PENDING_ID = "pending"
"""The object id an adapter gives a request that has no provider id yet (with a reference)."""
_PENDING = "pending "
_AWAITING = "awaiting "
BOUND_TO = "bound_to"
"""The fact a bound pending attempt keeps: the provider id it became."""

Get = Callable[[str], ObjectRecord | None]


def with_reference(record: ObjectRecord, event: Event) -> ObjectRecord | None:
    """``record`` carrying ``event``'s reference, or ``None`` when nothing changes."""
    if event.reference is None or record.reference is not None:
        return None
    return attrs.evolve(record, reference=event.reference)


def awaiting(reference: str) -> str:
    """The id an adapter asks ``AdapterContext.remembered`` with for the facts of the request
    awaiting its provider id under ``reference`` (a callback that comes before any answer)."""
    return _AWAITING + reference


def awaited_reference(object_id: str) -> str | None:
    """The reference of an ``awaiting`` id, ``None`` for any other id."""
    return object_id.removeprefix(_AWAITING) if object_id.startswith(_AWAITING) else None


def is_pending(object_id: str) -> bool:
    return object_id.startswith(_PENDING)


def named(event: Event, get: Get) -> Event:
    """A request about ``PENDING_ID`` as the next free pending attempt of its reference
    (read through ``get``, the decision's workset, so a concurrent request taking the same
    name makes the commit conflict and the name is chosen again)."""
    if event.object_id != PENDING_ID or event.reference is None:
        return event
    number = 1
    while True:
        object_id = f"{_PENDING}{event.reference} #{number}"
        if get(object_key(event.provider, event.object_kind, object_id)) is None:
            return attrs.evolve(event, object_id=object_id)
        number += 1


def oldest_unbound(candidates: Iterable[ObjectRecord], get: Get, object_kind: str,
                   reference: str) -> ObjectRecord | None:
    """The first pending attempt of ``reference`` (of ``object_kind``) not bound yet."""
    found = []
    for candidate in candidates:
        if candidate.object_kind != object_kind or not is_pending(candidate.object_id):
            continue
        current = get(candidate.key)
        if current is not None and current.reference == reference:
            found.append(current)
    return min(found, key=_number, default=None)


def _number(record: ObjectRecord) -> int:
    return int(record.object_id.rsplit("#", 1)[1])


def bind(event: Event, record: ObjectRecord, pending: ObjectRecord
         ) -> tuple[ObjectRecord, ObjectRecord, str]:
    """The provider's new object with the pending attempt's facts (its own win), the pending
    attempt bound (no reference, ``bound_to`` the provider id), and the note saying so."""
    carried = {**dict(pending.remembered), **dict(record.remembered)}
    bound = attrs.evolve(pending, reference=None,
                         remembered=(*pending.remembered, (BOUND_TO, event.object_id)))
    note = (f"binds the merchant's request journaled as {pending.object_id}: its facts are "
            f"kept for {event.object_kind} {event.object_id}")
    return attrs.evolve(record, remembered=tuple(carried.items())), bound, note


def settle_attempt(event: Event, record: ObjectRecord, ws: Workset, store: Store
                   ) -> tuple[ObjectRecord, list[str]]:
    """After an applied decision: the record keeps the event's reference, and a provider
    object this decision created binds the oldest unbound pending attempt of that reference.
    Writes go into ``ws``; returns the record and the notes for the decision."""
    updated = with_reference(record, event) or record
    notes = []
    if (event.reference is not None and not is_pending(event.object_id)
            and ws.version(event.key) == 0):
        pending = oldest_unbound(store.by_reference(event.provider, event.reference), ws.get,
                                 event.object_kind, event.reference)
        if pending is not None:
            updated, bound, note = bind(event, updated, pending)
            ws.put(bound)
            notes.append(note)
    if updated is not record:
        ws.put(updated)
    return updated, notes


def refused(event: Event, verdicts: Verdicts, get: Get) -> Decision:
    """The provider refused the merchant's call (``Event.refusal``): ``rejected`` on the
    object the call was about, with the provider's code and message; nothing changes. An
    answer that names no object (the call created none) is journaled about none."""
    assert event.refusal is not None
    record = get(event.key) if event.object_id else None
    decision = verdicts.rejected(event, record, f"refused by {event.provider}: "
                                 f"{event.refusal}")
    return attrs.evolve(decision, object_id=event.object_id or None, facts=event.facts)
