"""Payment invoices: the JSON:API ``payment-invoices`` protocol and its CARDGATE card gateway.

Source: seed ``001_8c1730c6689fa4dd.txt`` (tokenization, charge by token, CARDGATE sale) and
docs/PROVIDERS.md §4 (statuses, callbacks, signature). One invoice (``cpi_…``) is one object
of the ``invoices_payment_invoice`` chart; its refunds and chargebacks are statuses of the same
resource. The four channels:

* ``request`` — the merchant's ``POST /payment-invoices`` body. It has no invoice id yet: the
  record's ``ref`` names it, or, logged before its answer, it is a pending attempt under its
  ``reference_id`` that the first invoice resource with that reference binds
  (``paychart.attempts``);
* ``response`` — the API's answer: the invoice resource; with ``operation = "sale"`` (or a
  ``cgi_…`` id) the CARDGATE ``/payment/sale`` answer, applied to the invoice named by ``ref``;
* ``callback`` — the invoice resource, signed in ``X-Signature`` (see ``signature``);
  ``data`` may be a list (a batch): events come out ordered by ``updated``;
* ``poll`` — ``GET /payment-invoices/{id}``: the resource again.

Ordering is by ``attributes.updated`` (the event ``sequence``); the dedupe key is (``id``,
``status``, ``updated``) whatever the channel. The callback is acknowledged with HTTP 200.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from paychart.adapter import AdapterContext, ParseResult
from paychart.attempts import PENDING_ID
from paychart.event import Channel, Event, SignatureStatus

from .cardgate import is_sale_answer, sale_event
from .document import load_document
from .invoice import invoice_events
from .request import create_request
from .signature import verify
from .vocab import CUSTOMER_REFERENCE, OBJECT_KIND, PROVIDER, TEST_MODE, InvoiceStatus, move_of

SALE = "sale"
"""The ``operation`` of a CARDGATE ``/payment/sale`` answer."""


def parse_callback(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """Verify ``X-Signature`` with the secret of the invoice's mode, then one event per
    resource, ordered by ``updated``."""
    document = load_document(body)
    signature = verify(body, headers, context.secrets, document=document)
    return ParseResult.of(*invoice_events(document, Channel.CALLBACK, signature, context),
                          document=document)


def parse_response(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """An API answer: the invoice resource, or the CARDGATE sale answer for invoice ``ref``."""
    document = load_document(body)
    if context.operation == SALE or is_sale_answer(document):
        return ParseResult.of(sale_event(document, context), document=document)
    return ParseResult.of(*invoice_events(document, Channel.RESPONSE,
                                          SignatureStatus.UNCHECKED, context), document=document)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext) -> ParseResult:
    """``GET /payment-invoices/{id}``: the same resource, deduplicated with callbacks."""
    document = load_document(body)
    return ParseResult.of(*invoice_events(document, Channel.POLL, SignatureStatus.UNCHECKED,
                                          context), document=document)


def parse_request(body: bytes, headers: Mapping[str, str],
                  context: AdapterContext) -> ParseResult:
    """A creation request starts the invoice in ``created``; ``ref`` names the invoice id the
    API gave it, since the request itself cannot carry one. Without ``ref`` it is a pending
    attempt under its ``reference_id`` (always given) until the invoice joins that order."""
    document = load_document(body)
    request = create_request(document)
    ref = context.ref or PENDING_ID
    digest = hashlib.sha256(body).hexdigest()[:16]
    facts = [("flow", request.flow), ("instant", str(request.instant).lower()),
             ("reference_id", request.reference_id), ("service", request.service)]
    remember = [("flow", request.flow)]
    if request.test_mode is not None:
        remember.append((TEST_MODE, str(request.test_mode).lower()))
    if request.customer_reference_id is not None:
        remember.append((CUSTOMER_REFERENCE, request.customer_reference_id))
    created = move_of(InvoiceStatus.CREATED)
    assert created is not None  # every status has a move
    return ParseResult.of(Event(
        PROVIDER, OBJECT_KIND, ref, created.trigger, Channel.REQUEST,
        dedupe_key=f"{PROVIDER}/{OBJECT_KIND}/{ref}/request/{digest}", state=created.state,
        money=request.money, received_at=context.received_at, facts=tuple(facts),
        remember=tuple(remember), reference=request.reference_id), document=document)
