"""The parsers, one per channel the protocol has: callbacks, and the merchant's create request.

Change: the fields each parser reads (through ``fields.py`` and ``WIRE``, never ``json`` or
``dict`` access on raw input), the dedupe key (what makes two deliveries the same message),
and ``PARSERS``. Keep the shape ``(body, headers, context) -> ParseResult``: raise
``InputError`` for bad input (``ProviderAdapter.parse`` turns it into a result) and never
encode orchestrator policy here. Hand the document back (``document=doc``) when it is
``WIRE.load_json(body)`` of the body as received and left unchanged: the journal redacts it
instead of parsing the body again.
"""

from __future__ import annotations

from collections.abc import Mapping

from paychart.adapter import AdapterContext, Parser, ParseResult
from paychart.event import Channel, Event, SignatureStatus

from . import fields, signature
from .fields import WIRE
from .vocab import CREATE, PAYMENT, PROVIDER, move_for


def parse_callback(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """One JSON callback about one payment; ``reply`` is what the provider wants back."""
    doc = WIRE.load_json(body)
    authenticity = signature.verify(doc, context.secrets)
    object_id = WIRE.need_id(doc, "id")
    status = WIRE.need(doc, "status", max_len=64)
    move = move_for(PAYMENT, status)
    event = Event(
        provider=PROVIDER, object_kind=PAYMENT, object_id=object_id, trigger=move.trigger,
        channel=Channel.CALLBACK, dedupe_key=f"{WIRE.need_id(doc, 'event_id')}:{status}",
        state=move.state, money=fields.money(doc), sequence=WIRE.integer(doc, "sequence"),
        received_at=WIRE.timestamp(doc, "created_at") or context.received_at,
        signature=authenticity, facts=fields.facts(doc))
    return ParseResult.of(event, reply="OK", document=doc)


def parse_request(body: bytes, headers: Mapping[str, str],
                  context: AdapterContext) -> ParseResult:
    """The merchant's own create-payment request: it starts the object in ``created``. The
    card is kept only masked (the journal keeps the redacted body, never the number)."""
    doc = WIRE.load_json(body)
    object_id = WIRE.need_id(doc, "id")
    card = WIRE.table(doc, "card", required=False)
    remember = fields.card(card) if card is not None else ()
    event = Event(
        provider=PROVIDER, object_kind=PAYMENT, object_id=object_id, trigger=CREATE,
        channel=Channel.REQUEST, dedupe_key=f"request:{object_id}", state="created",
        money=fields.money(doc), received_at=context.received_at,
        signature=SignatureStatus.UNCHECKED, remember=remember)
    return ParseResult.of(event, document=doc)


PARSERS: Mapping[Channel, Parser] = {Channel.CALLBACK: parse_callback,
                                     Channel.REQUEST: parse_request}
