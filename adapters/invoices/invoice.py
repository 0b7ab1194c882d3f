"""One invoice resource (``cpi_…``) as one event of the ``invoices_payment_invoice`` chart.

The resource is the same whether it comes as an API answer, a callback or a poll
(docs/PROVIDERS.md §4): its status picks the move, its ``updated`` orders it, and its money is
cumulative (``processed_amount``, ``refunded_amount``, ``charged_back_amount``), passed as
minor-unit facts the rules book instead of increments.
"""

from __future__ import annotations

from paychart.adapter import AdapterContext, StatusMove
from paychart.adapters._wire import Json
from paychart.attempts import recall
from paychart.event import Channel, Event, SignatureStatus
from paychart.money import Money

from . import document as doc
from .card import token_facts
from .fields import WIRE, about, error, major_amount, unix_seconds
from .flow import customer_action, gateway_session
from .vocab import (
    AMOUNT_MINOR,
    CARDGATE_SID,
    CUSTOMER_REFERENCE,
    FAILURE_REASON,
    FAILURES,
    FIGURES,
    MODERATION,
    OBJECT_KIND,
    PROVIDER,
    RESOLUTION,
    STATUS,
    TEST_MODE,
    WAITS_FOR_CUSTOMER,
    move_of,
)

Fact = tuple[str, str]


def status_move(attrs: Json, where: str) -> StatusMove:
    """The move of ``attributes.status``; a word the table lacks is ``invalid`` naming it."""
    value = WIRE.need(attrs, STATUS, where, max_len=64)
    move = move_of(value)
    if move is None:
        raise error(f"{where}{STATUS}", f"unknown status {value!r}")
    return move


def _lower(flag: bool | None) -> str | None:
    return None if flag is None else str(flag).lower()


def _figures(attrs: Json, where: str) -> tuple[Money, list[Fact]]:
    """The money the event carries (processed amount once there is one, else the invoice
    amount) and the cumulative figures as minor-unit facts for the chart's rules."""
    currency = WIRE.currency(attrs, "currency", where)
    assert currency is not None  # required
    amount = major_amount(attrs, "amount", currency, where, required=True, positive=True)
    assert amount is not None  # required
    facts = [(AMOUNT_MINOR, str(amount.amount))]
    processed = None
    for attribute, fact in FIGURES:
        figure = major_amount(attrs, attribute, currency, where)
        if figure is not None:
            facts.append((fact, str(figure.amount)))
        if attribute == "processed_amount":
            processed = figure
    return (processed if processed is not None and processed.amount > 0 else amount), facts


def _check_mode(context: AdapterContext, object_id: str, test_mode: bool | None,
                where: str, reference: str | None) -> None:
    """An invoice never changes mode: a message that flips it was signed in the wrong
    secret's scope (a test secret must not authenticate a live invoice). Before the invoice
    is bound, its creation request awaiting the id (under ``reference``) tells the mode."""
    kept = recall(context.remembered, OBJECT_KIND, object_id, reference, TEST_MODE).get(
        TEST_MODE)
    if test_mode is not None and kept is not None and kept != _lower(test_mode):
        mode = "test" if kept == "true" else "live"
        raise error(f"{where}{TEST_MODE}", f"the invoice is in {mode} mode; this message "
                    "says otherwise", object_id)


def _kept(document: Json, attrs: Json, where: str, flags: dict[str, str]) -> list[Fact]:
    """Facts the invoice keeps: mode, moderation, customer, CARDGATE session, card token."""
    kept = [*token_facts(attrs, where), *flags.items()]
    customer = doc.customer_reference(document, attrs, where)
    if customer is not None:
        kept.append((CUSTOMER_REFERENCE, customer))
    session = gateway_session(attrs, where)
    if session is not None:
        kept.append((CARDGATE_SID, session))
    return kept


def invoice_event(document: Json, path: str, resource: Json, channel: Channel,
                  signature: SignatureStatus, context: AdapterContext) -> Event:
    """One event from one invoice resource (response, callback or poll alike)."""
    object_id = doc.invoice_id(resource, path)
    with about(object_id):
        return _event(document, path, resource, object_id, channel, signature, context)


def _event(document: Json, path: str, resource: Json, object_id: str, channel: Channel,
           signature: SignatureStatus, context: AdapterContext) -> Event:
    attrs = doc.attributes(resource, path)
    where = f"{path}.attributes."
    move = status_move(attrs, where)
    money, facts = _figures(attrs, where)
    updated = unix_seconds(attrs, "updated", where)
    if updated is None and channel is Channel.CALLBACK:
        raise error(f"{where}updated", "missing; callbacks are ordered by it")
    flags = {name: value for name in (TEST_MODE, MODERATION)
             if (value := _lower(WIRE.flag(attrs, name, where))) is not None}
    reference = WIRE.text(attrs, "reference_id", where, max_len=256)
    _check_mode(context, object_id, WIRE.flag(attrs, TEST_MODE, where), where, reference)
    resolution = WIRE.text(attrs, RESOLUTION, where, max_len=256)
    if resolution is not None:
        facts.append((RESOLUTION, resolution))
        if move.status in FAILURES and resolution != "ok":
            facts.append((FAILURE_REASON, resolution))
    if MODERATION in flags:
        facts.append((MODERATION, flags[MODERATION]))
    warnings = []
    request_status = doc.payment_request_status(document, object_id)
    if request_status is not None and request_status.lower() != move.status:
        warnings.append(f"included payment request is {request_status}, invoice is "
                        f"{move.status}")
    return Event(
        PROVIDER, OBJECT_KIND, object_id, move.trigger, channel,
        dedupe_key=f"{PROVIDER}/{OBJECT_KIND}/{object_id}/{move.status}/{updated}",
        state=move.state, money=money, sequence=updated, received_at=context.received_at,
        signature=signature,
        customer_action=(customer_action(attrs, where)
                         if move.status in WAITS_FOR_CUSTOMER else None),
        facts=((STATUS, move.status), *facts),
        remember=tuple(_kept(document, attrs, where, flags)),
        warnings=tuple(warnings),
        reference=reference)


def invoice_events(document: Json, channel: Channel, signature: SignatureStatus,
                   context: AdapterContext) -> tuple[Event, ...]:
    """One event per resource of ``data``, ordered by ``updated`` (a batch may be shuffled)."""
    events = [invoice_event(document, path, resource, channel, signature, context)
              for path, resource in doc.resources(document)]
    return tuple(sorted(events, key=lambda event: event.sequence or 0))
