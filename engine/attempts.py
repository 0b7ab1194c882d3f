"""Attempts and the merchant's reference: what the orchestrator keeps so orders can group.

An attempt is one provider object (with its children) made for one merchant order. The
order's reference comes from the merchant (CARDLINK ``orderNumber``, the platform
``order_id``, invoices ``reference_id``…), so the record keeps the first one an input carried;
a later input naming another reference does not move the object to another order.

One mechanism for every provider: a merchant request sent before the provider's id exists
(the platform's SALE, CARDLINK's create or payout, an invoice's creation) is an adapter event
about ``PENDING_ID``: the orchestrator names it ``pending <reference> #<n>``, one object per
request (two requests with one reference are two attempts), keeping the facts it carries
(masked card digits, payer email, the amount asked for). The moment a provider object joins
that order (the first answer or callback that gives it the reference) it *binds* the oldest
unbound pending attempt of its kind: the facts move to the provider's object, and the pending
attempt gives up its reference (it leaves the order; the provider's object is the attempt
now). A provider's refusal of such a request (``Event.refusal`` naming no object, with the
reference) is kept on the pending attempt instead: it stays in the order as refused. Provider
ids never hold whitespace (``Wire.identifier``), so these names cannot collide with one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from .decision import Decision
from .event import Channel, Event, object_key
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
REFUSED = "refused"
"""The fact a pending attempt the provider refused keeps: the provider's code and message."""
REQUESTED = "requested"
"""The amount the merchant asked for, ``<minor units> <currency>``: from the request, or the
first input with money when no request was recorded (what ``amount_mismatch`` compares)."""
SAME_ATTEMPT = "same_attempt"
"""Kept by an object that is another object's attempt seen from elsewhere (a PayLink checkout
and the transaction it made): the other object's store key; orders show them as one."""
_MOVED = frozenset({BOUND_TO, REFUSED})

Get = Callable[[str], ObjectRecord | None]


def awaiting(reference: str, object_id: str | None = None) -> str:
    """The id an adapter asks ``AdapterContext.remembered`` with for the facts of
    ``object_id`` completed, while it has joined no order yet, with those of the request
    awaiting its provider id under ``reference`` (what binding will carry over): a callback
    or answer that comes before its object was bound."""
    return f"{_AWAITING}{object_id or ''} {reference}"


def recall(remembered: Callable[[str, str], Mapping[str, str]], object_kind: str,
           object_id: str, reference: str | None, needed: str) -> Mapping[str, str]:
    """What an adapter's ``AdapterContext.remembered`` keeps for the object; when that lacks
    ``needed`` and the input names the order, completed with the facts of the request
    awaiting its provider id under ``reference`` (the one binding will carry over)."""
    kept = remembered(object_kind, object_id)
    if needed in kept or reference is None:
        return kept
    return remembered(object_kind, awaiting(reference, object_id)) or kept


def _awaited(asked: str) -> tuple[str | None, str] | None:
    """(object id or ``None``, reference) of an ``awaiting`` id, ``None`` for any other id."""
    if not asked.startswith(_AWAITING):
        return None
    object_id, reference = asked.removeprefix(_AWAITING).split(" ", 1)
    return object_id or None, reference


def remembered_facts(store: Store, provider: str, object_kind: str, asked: str
                     ) -> dict[str, str]:
    """The facts ``AdapterContext.remembered`` gives for ``asked`` (an object id, or an
    ``awaiting`` id); a placeholder keeps none."""
    awaited = _awaited(asked)
    object_id, reference = awaited if awaited is not None else (asked, None)
    record = store.get(object_key(provider, object_kind, object_id)) if object_id else None
    if record is not None and record.placeholder:
        record = None
    own = dict(record.remembered) if record is not None else {}
    if reference is None or (record is not None and record.reference is not None):
        return own
    pending = oldest_unbound(store.by_reference(provider, reference), store.get, object_kind,
                             reference)
    return own if pending is None else {**dict(pending.remembered), **own}


def with_reference(record: ObjectRecord, event: Event) -> ObjectRecord | None:
    """``record`` carrying ``event``'s reference, or ``None`` when nothing changes."""
    if event.reference is None or record.reference is not None:
        return None
    return attrs.evolve(record, reference=event.reference)


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


def _unbound(record: ObjectRecord) -> bool:
    """A pending attempt still waiting for its provider id (neither bound nor refused)."""
    return is_pending(record.object_id) and not _MOVED & {name for name, _ in record.remembered}


def oldest_unbound(candidates: Iterable[ObjectRecord], get: Get, object_kind: str,
                   reference: str) -> ObjectRecord | None:
    """The first pending attempt of ``reference`` (of ``object_kind``) not bound yet."""
    found = []
    for candidate in candidates:
        if candidate.object_kind != object_kind or not is_pending(candidate.object_id):
            continue
        current = get(candidate.key)
        if current is not None and current.reference == reference and _unbound(current):
            found.append(current)
    return min(found, key=_number, default=None)


def _number(record: ObjectRecord) -> int:
    return int(record.object_id.rsplit("#", 1)[1])


def bind(event: Event, record: ObjectRecord, pending: ObjectRecord
         ) -> tuple[ObjectRecord, ObjectRecord, str]:
    """The provider's object with the pending attempt's facts (its own win, except the
    amount the request asked for), the pending attempt bound (no reference, only
    ``bound_to`` the provider id: its facts moved), and the note saying so."""
    asked = dict(pending.remembered)
    carried = {**asked, **dict(record.remembered)}
    if REQUESTED in asked:
        carried[REQUESTED] = asked[REQUESTED]
    bound = attrs.evolve(pending, reference=None, remembered=((BOUND_TO, event.object_id),))
    note = (f"binds the merchant's request journaled as {pending.object_id}: its facts are "
            f"kept for {event.object_kind} {event.object_id}")
    return attrs.evolve(record, remembered=tuple(carried.items())), bound, note


def _with_requested(record: ObjectRecord, event: Event) -> ObjectRecord:
    """``record`` keeping the amount asked for: a request's always, an answer to the
    merchant's own call whose amount is now the captured figure (a partial capture the
    merchant asked for), otherwise the first amount an input about the attempt (never a
    child) carried."""
    if record.parent is not None or event.money is None:
        return record
    captures = (event.channel is Channel.RESPONSE
                and record.ledger.captured == event.money.amount)
    if (event.channel is not Channel.REQUEST and not captures
            and any(name == REQUESTED for name, _ in record.remembered)):
        return record  # kept already: every later input with money asks this
    kept = dict(record.remembered)
    kept[REQUESTED] = f"{event.money.amount} {event.money.currency}"
    return attrs.evolve(record, remembered=tuple(kept.items()))


def requested(record: ObjectRecord) -> tuple[int, str] | None:
    """(minor units, currency) the merchant asked for on this attempt, if known."""
    text = dict(record.remembered).get(REQUESTED)
    if text is None:
        return None
    amount, currency = text.split(" ", 1)
    return int(amount), currency


def settle_attempt(event: Event, record: ObjectRecord, ws: Workset, store: Store
                   ) -> tuple[ObjectRecord, list[str]]:
    """After an applied decision: the record keeps the event's reference and the amount
    asked for, and a provider object joining an order binds the oldest unbound pending
    attempt of that reference. Writes go into ``ws``; returns the record and the notes for
    the decision."""
    updated = with_reference(record, event) or record
    notes = []
    if (updated is not record and event.reference is not None
            and event.channel is not Channel.REQUEST and not is_pending(event.object_id)):
        pending = oldest_unbound(store.by_reference(event.provider, event.reference), ws.get,
                                 event.object_kind, event.reference)
        if pending is not None:
            updated, bound, note = bind(event, updated, pending)
            ws.put(bound)
            notes.append(note)
    updated = _with_requested(updated, event)
    if updated is not record:
        ws.put(updated)
    return updated, notes


def refused(event: Event, verdicts: Verdicts, ws: Workset, store: Store
            ) -> tuple[Event, Decision]:
    """The provider refused the merchant's call (``Event.refusal``): ``rejected`` on the
    object the call was about, with the provider's code and message; nothing changes. A
    refusal naming no known object but a reference refuses the oldest unbound pending
    attempt of it, which keeps the refusal (the order shows it refused); the event is
    journaled naming that attempt, so a replay refuses the same one. Without either it is
    journaled about no object."""
    refusal = event.refusal
    assert refusal is not None
    record = ws.get(event.key) if event.object_id else None
    if (record is None or record.placeholder) and event.reference is not None:
        record = oldest_unbound(store.by_reference(event.provider, event.reference), ws.get,
                                event.object_kind, event.reference)
        if record is not None:
            event = attrs.evolve(event, object_id=record.object_id)
    reason = f"refused by {event.provider}: {refusal}"
    decision = verdicts.rejected(event, record, reason)
    if record is not None and _unbound(record):
        ws.put(attrs.evolve(record, remembered=(*record.remembered,
                                                (REFUSED, refusal[:200]))))
        decision = attrs.evolve(decision, warnings=(
            *decision.warnings, f"the merchant's request journaled as {record.object_id} is "
            "refused: it stays in its order as a failed attempt"))
    return event, attrs.evolve(decision, object_id=event.object_id or None, facts=event.facts)
