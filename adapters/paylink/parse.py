"""PayLink: a white-labelled card gateway with a hosted checkout ("CTP").

Protocol source: seed ``003_ad3bca129e55361a.txt`` (checkout status query
``GET /ctp/api/checkouts/:token``) and PROVIDERS.md §3; real bodies in
``tests/adapters/fixtures/paylink/real/``.

Two layers, two kinds of chart: the checkout token (``specs/paylink_checkout.toml``) and the
gateway transactions (``paylink_transaction`` for payments and authorizations, and the child
charts ``paylink_capture``, ``paylink_void``, ``paylink_refund``, ``paylink_chargeback``).

Inputs:

* status query responses (channel ``response`` or ``poll``): ``{"checkout": {...}}`` in the
  seed's three shapes (finished, finished with surcharge v1, open with surcharge v2); they
  yield the checkout's event and, when ``gateway_response`` names one, its transaction's;
* notifications (channel ``callback``), both on one URL: ``{"transaction": {...}}`` and the bare
  checkout object (token expiry). Authenticated by HTTP Basic ``shop_id:secret_key``, or by the
  ``Content-Signature`` RSA signature when present and a public key is configured.

The vocabulary and the one (type, status) → edge table are in ``_paylink_fields``. Secrets
table ``[paylink]``: ``shop_id``, ``secret_key``, optional ``public_key`` (PEM).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus
from paychart.rulebook import Rules

from .checkout import checkout_events
from .fields import PROVIDER, table
from .signature import authenticate
from .transaction import transaction_event

__all__ = ["ADAPTER", "PayLinkAdapter", "parse_callback", "parse_poll", "parse_response"]


def parse_callback(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
                   received_at: datetime | None = None) -> tuple[Event, ...]:
    """A notification: authenticate first (``InputError`` on a forged one), then parse."""
    raw = RawInput(PROVIDER, Channel.CALLBACK, body, headers, received_at)
    signature = authenticate(raw, context.secrets)
    return _events(_json(body), Channel.CALLBACK, received_at, signature, context)


def parse_response(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
                   received_at: datetime | None = None) -> tuple[Event, ...]:
    """The answer to the merchant's own call (status query): nothing to authenticate."""
    del headers  # the merchant reached the gateway over TLS itself; no signature is sent
    return _events(_json(body), Channel.RESPONSE, received_at, SignatureStatus.UNCHECKED,
                   context)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
               received_at: datetime | None = None) -> tuple[Event, ...]:
    """A status query made by a poller; same body as a response, but it creates nothing."""
    del headers
    return _events(_json(body), Channel.POLL, received_at, SignatureStatus.UNCHECKED, context)


_PARSERS = {Channel.CALLBACK: parse_callback, Channel.RESPONSE: parse_response,
            Channel.POLL: parse_poll}


class PayLinkAdapter:
    """The ``Adapter`` for PayLink; ``parse`` never raises for bad input."""

    provider = PROVIDER
    rules = Rules()
    signature = SignatureScope(
        "RSA PKCS#1 v1.5 Content-Signature over the raw body, "
        "or HTTP Basic (shop id and secret key) binding no body",
        frozenset({"*"}))
    secrets = SecretsSchema(optional=frozenset({"public_key", "shop_id", "secret_key"}))

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        parser = _PARSERS.get(raw.channel)
        if parser is None:
            return ParseResult(error=InputError("channel", f"PayLink sends no {raw.channel} "
                                                "input", provider=PROVIDER))
        try:
            events = parser(raw.body, raw.headers, context, received_at=raw.received_at)
        except InputError as exc:
            return ParseResult(error=exc)
        return ParseResult(events=events)


ADAPTER = PayLinkAdapter()


def _json(body: bytes) -> Mapping[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("body", f"not JSON: {exc}"[:200], provider=PROVIDER) from None
    if not isinstance(data, dict):
        raise InputError("body", "not a JSON object", provider=PROVIDER)
    return data


def _events(data: Mapping[str, Any], channel: Channel, received_at: datetime | None,
            signature: SignatureStatus, context: AdapterContext) -> tuple[Event, ...]:
    """Dispatch on the body shape: a transaction, a wrapped checkout or a bare checkout."""
    kwargs: dict[str, Any] = {"channel": channel, "received_at": received_at,
                              "signature": signature, "context": context}
    transaction = table(data, "transaction", "body")
    if transaction is not None:
        return (transaction_event(transaction, "transaction", **kwargs),)
    checkout = table(data, "checkout", "body")
    if checkout is not None:
        return checkout_events(checkout, "checkout", **kwargs)
    if "token" in data:
        return checkout_events(data, "body", **kwargs)
    if "errors" in data or "message" in data:
        raise InputError("body", f"gateway error: {str(data.get('message'))[:120]}",
                         provider=PROVIDER)
    raise InputError("body", "neither a transaction nor a checkout", provider=PROVIDER)
