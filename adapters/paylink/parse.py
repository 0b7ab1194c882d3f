"""PayLink: a white-labelled card gateway with a hosted checkout ("CTP").

Protocol source: seed ``003_ad3bca129e55361a.txt`` (checkout status query
``GET /ctp/api/checkouts/:token``) and docs/PROVIDERS.md §3; real bodies in
``tests/adapters/fixtures/paylink/real/``.

Two layers, two kinds of chart: the checkout token (``specs/paylink_checkout.toml``) and the
gateway transactions (``paylink_transaction`` for payments and authorizations, and the child
charts ``paylink_capture``, ``paylink_void``, ``paylink_refund``, ``paylink_chargeback``).

Inputs, all JSON:

* notifications (``parse_callback``), both on one URL: ``{"transaction": {...}}`` and the bare
  checkout object (token expiry), authenticated by ``signature.verify``;
* status query answers (``parse_response`` for the merchant's own call, ``parse_poll`` for a
  poller's): ``{"checkout": {...}}`` in the seed's three shapes (finished, finished with
  surcharge v1, open with surcharge v2), or a gateway ``{"transaction": {...}}``. A checkout
  yields its own event and, when ``gateway_response`` names one, its transaction's.

PayLink sends no request a merchant would journal (the hosted checkout takes the card), so
there is no ``parse_request``. The table from status to chart edge is ``vocab.MOVES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from paychart.adapter import AdapterContext, ParseResult
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus

from .checkout import checkout_events
from .fields import WIRE, section, text
from .signature import CONFIRM_BY, binds_body, verify
from .transaction import Envelope, transaction_event
from .vocab import PROVIDER

__all__ = ["parse_callback", "parse_poll", "parse_response"]


def parse_callback(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """A notification: authenticate first (``InputError`` on a forged one), then parse."""
    signature = verify(body, headers, context.secrets)
    data = WIRE.load_json(body)
    events = _events(data, Envelope(Channel.CALLBACK, signature, context))
    if signature is SignatureStatus.VALID and not binds_body(context.secrets):
        events = tuple(_unconfirmed(event) for event in events)
    return ParseResult.of(*events, document=data)


def _unconfirmed(event: Event) -> Event:
    """HTTP Basic authenticated the sender, not the body: status and amount await a query."""
    return attrs.evolve(
        event, confirmed=False, confirm_by=CONFIRM_BY,
        warnings=(*event.warnings, f"HTTP Basic binds no byte of the body: status and amount "
                  f"are unconfirmed until a `{CONFIRM_BY}` query reports them"))


def parse_response(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """The answer to the merchant's own status query: reached over TLS, nothing is signed."""
    del headers
    data = WIRE.load_json(body)
    return ParseResult.of(*_events(data, Envelope(Channel.RESPONSE, SignatureStatus.UNCHECKED,
                                                  context)), document=data)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext) -> ParseResult:
    """A status query made by a poller; same body as a response."""
    del headers
    data = WIRE.load_json(body)
    return ParseResult.of(*_events(data, Envelope(Channel.POLL, SignatureStatus.UNCHECKED,
                                                  context)), document=data)


def _events(data: Mapping[str, Any], envelope: Envelope) -> tuple[Event, ...]:
    """Dispatch on the body shape: a transaction, a wrapped checkout or a bare checkout."""
    transaction = section(data, "transaction", "body")
    if transaction is not None:
        event = transaction_event(transaction, "transaction", envelope)
        ref = envelope.context.ref
        if ref is not None and ref != event.object_id:
            event = _with_warning(event, f"the answer is about transaction {event.object_id}, "
                                         f"not the queried {ref[:80]!r}")
        return (event,)
    checkout = section(data, "checkout", "body")
    if checkout is not None:
        return checkout_events(checkout, "checkout", envelope)
    if "token" in data:
        return checkout_events(data, "body", envelope)
    if "errors" in data or "message" in data:
        raise InputError("body", f"gateway error: {(text(data, 'message', 'body') or '')[:120]}",
                         provider=PROVIDER)
    raise InputError("body", "neither a transaction nor a checkout", provider=PROVIDER)


def _with_warning(event: Event, warning: str) -> Event:
    return attrs.evolve(event, warnings=(*event.warnings, warning))
