"""The CARDGATE answer to ``POST /payment/sale`` for one gateway invoice (``cgi_…``).

Seed ``001_8c1730c6689fa4dd.txt``: the sale is initiated with the bearer token from the
invoice's ``flow_data.metadata``; the answer is the gateway invoice with the same status words
as the payment invoice, plus ``active_request`` / ``active_payment`` statuses. It moves the
payment invoice the record's ``ref`` names; that invoice's announced session must match.
"""

from __future__ import annotations

from paychart.adapter import AdapterContext
from paychart.adapters._wire import Json
from paychart.event import Channel, Event

from .fields import WIRE, about, error, major_amount, object_or_empty
from .invoice import status_move
from .vocab import CARDGATE_SID, FAILURE_REASON, FAILURES, OBJECT_KIND, PROVIDER, STATUS

AUTHORIZE_REQUIRED = "authorize_required"
"""``active_payment.status`` when the customer must authorize (Google Pay sheet, 3-D Secure)
before the sale can complete."""


def is_sale_answer(document: Json) -> bool:
    """A gateway invoice (``cgi_…``) rather than a payment invoice."""
    data = document.get("data")
    return isinstance(data, dict) and str(data.get("id", "")).startswith("cgi_")


def _nested_status(attrs: Json, key: str, where: str) -> str | None:
    nested = object_or_empty(attrs, key, where)
    return WIRE.text(nested, STATUS, f"{where}{key}.", max_len=64)


def sale_event(document: Json, context: AdapterContext) -> Event:
    """The sale answer as an event of the payment invoice named by ``context.ref``."""
    data = object_or_empty(document, "data")
    session = WIRE.need_id(data, "id", "data.")
    ref = context.ref
    if ref is None:
        raise error("ref", f"CARDGATE answer for {session} does not name the payment "
                    "invoice; record its `cpi_…` id as `ref`", session)
    with about(ref):
        return _sale_event(data, session, ref, context)


def _sale_event(data: Json, session: str, ref: str, context: AdapterContext) -> Event:
    where = "data.attributes."
    attrs = WIRE.table(data, "attributes", "data.")
    assert attrs is not None  # required
    move = status_move(attrs, where)
    money = None
    currency = WIRE.currency(attrs, "currency", where, required=False)
    if currency is not None:
        money = major_amount(attrs, "amount", currency, where)
    announced = context.remembered(OBJECT_KIND, ref).get(CARDGATE_SID)
    if announced is not None and announced != session:
        raise error("data.id", f"CARDGATE invoice {session} is not the session "
                    f"{announced} of {ref}", ref)
    resolution = WIRE.text(attrs, "resolution", where, max_len=256)
    payment_status = _nested_status(attrs, "active_payment", where)
    facts = [(STATUS, move.status), ("cardgate_invoice", session)]
    for name, value in (("resolution", resolution),
                        ("service", WIRE.text(attrs, "service", where, max_len=256)),
                        ("active_request_status", _nested_status(attrs, "active_request",
                                                                 where)),
                        ("active_payment_status", payment_status)):
        if value is not None:
            facts.append((name, value))
    if move.status in FAILURES and resolution not in (None, "ok"):
        facts.append((FAILURE_REASON, str(resolution)))
    warnings = []
    if payment_status == AUTHORIZE_REQUIRED:
        warnings.append(f"CARDGATE {session}: the customer must authorize the payment")
    key = f"{PROVIDER}/{OBJECT_KIND}/{ref}/cardgate/{session}/{move.status}/{payment_status}"
    return Event(PROVIDER, OBJECT_KIND, ref, move.trigger, Channel.RESPONSE, dedupe_key=key,
                 state=move.state, money=money, received_at=context.received_at,
                 facts=tuple(facts), remember=((CARDGATE_SID, session),),
                 warnings=tuple(warnings))
