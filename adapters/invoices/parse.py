"""Payment invoices: the JSON:API ``payment-invoices`` protocol and its CARDGATE card gateway.

Source: seed ``001_8c1730c6689fa4dd.txt`` (tokenization, charge by token, CARDGATE sale) and
PROVIDERS.md section 4 (statuses, callbacks, signature). One invoice (``cpi_…``) is one object
of the ``invoices_payment_invoice`` chart; its refunds and chargebacks are statuses of the same
resource. Inputs:

* ``request`` — the merchant's ``POST /payment-invoices`` body (plain, tokenizing, or charge by
  card token). It has no invoice id yet, so the record's ``ref`` must name it.
* ``response`` — the API's answer: the invoice resource; with ``operation = "sale"`` (or a
  ``cgi_…`` id) the CARDGATE ``/payment/sale`` answer, applied to the invoice named by ``ref``.
* ``callback`` — the invoice resource (with ``included``), signed in ``X-Signature`` =
  base64(SHA-1(secret + raw body + secret)) with the test or live secret chosen by the invoice's
  ``test_mode``. ``data`` may be a list (a batch); events come out ordered by ``updated``.
* ``poll`` — ``GET /payment-invoices/{id}``: the resource again.

Ordering is by ``attributes.updated`` (the event ``sequence``); the dedupe key is (``id``,
``status``, ``updated``) whatever the channel. The callback is acknowledged with HTTP 200.
Secrets (``[invoices]`` table): ``test_secret`` and ``live_secret``. ``parse_callback``,
``parse_response``, ``parse_poll`` and ``parse_request`` take the body bytes and headers;
``ADAPTER.parse`` routes a ``RawInput`` to them and turns an ``InputError`` into ``invalid``.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

import attrs

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus
from paychart.money import Money

from . import resource as res
from .cardgate import create_request, sale_answer
from .resource import OBJECT_KIND, PROVIDER, Json, error
from .rules import RULES


class InvoiceStatus(enum.StrEnum):
    """``attributes.status`` of a payment invoice (PROVIDERS.md 4); CARDGATE uses the same."""

    CREATED = "created"
    PROCESSING = "processing"
    PROCESS_PENDING = "process_pending"
    PROCESSED = "processed"
    PARTIALLY_PROCESSED = "partially_processed"
    PROCESS_ERROR = "process_error"
    PROCESS_FAILED = "process_failed"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    REFUNDING = "refunding"
    REFUND_PENDING = "refund_pending"
    REFUND_ERROR = "refund_error"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUND_FAILED = "refund_failed"
    CHARGED_BACK = "charged_back"
    PARTIALLY_CHARGED_BACK = "partially_charged_back"


@attrs.frozen
class Move:
    """The chart trigger a reported status asks for, and the chart state it reports."""

    trigger: str
    state: str
    failure: bool = False
    """The status is a failure: its ``resolution`` is the failure reason."""
    waits_for_customer: bool = False
    """``flow_data`` of this status is the customer's next page."""


S = InvoiceStatus
MOVES: Mapping[InvoiceStatus, Move] = {
    S.CREATED: Move("create", "created", waits_for_customer=True),
    S.PROCESSING: Move("begin", "processing"),
    S.PROCESS_PENDING: Move("pend", "process_pending", waits_for_customer=True),
    S.PROCESS_ERROR: Move("error", "process_error", failure=True),
    S.PROCESSED: Move("process", "processed"),
    S.PARTIALLY_PROCESSED: Move("process_partially", "partially_processed"),
    S.PROCESS_FAILED: Move("fail", "process_failed", failure=True),
    S.EXPIRED: Move("expire", "expired"),
    S.TERMINATED: Move("terminate", "terminated"),
    S.REFUNDING: Move("begin_refund", "refunding"),
    S.REFUND_PENDING: Move("pend_refund", "refund_pending"),
    S.REFUND_ERROR: Move("refund_error", "refund_error", failure=True),
    S.REFUNDED: Move("refund", "refunded"),
    S.PARTIALLY_REFUNDED: Move("refund_partially", "partially_refunded"),
    S.REFUND_FAILED: Move("fail_refund", "refund_failed", failure=True),
    S.CHARGED_BACK: Move("charge_back", "charged_back"),
    S.PARTIALLY_CHARGED_BACK: Move("charge_back_partially", "partially_charged_back"),
}
"""The one table from provider status to chart move; a status not in it is ``invalid``."""

SIGNATURE_HEADER = "X-Signature"
NO_CONTEXT = AdapterContext()
Fact = tuple[str, str]
SECRET_KEYS = {True: "test_secret", False: "live_secret"}


# -- signature ----------------------------------------------------------------------------

def expected_signature(secret: str, body: bytes) -> str:
    """base64 of the raw 20-byte SHA-1 of ``secret + body + secret`` (PROVIDERS.md 4)."""
    key = secret.encode("utf-8")
    return base64.b64encode(hashlib.sha1(key + body + key).digest()).decode("ascii")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup ignoring case, as HTTP requires."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def verify_signature(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str],
                     test_mode: bool | None, object_id: str | None = None) -> SignatureStatus:
    """``valid`` or ``unchecked`` (no secrets configured); raises ``InputError`` otherwise.
    The secret is chosen by the invoice's ``test_mode``; secrets never appear in errors."""
    if not secrets:
        return SignatureStatus.UNCHECKED
    if test_mode is None:
        raise error("data.attributes.test_mode", "missing; it chooses the signing secret",
                    object_id)
    mode = "test" if test_mode else "live"
    secret = secrets.get(SECRET_KEYS[test_mode])
    if not secret:
        raise error("signature", f"no `{SECRET_KEYS[test_mode]}` configured for {mode}-mode "
                    "callbacks", object_id)
    given = (_header(headers, SIGNATURE_HEADER) or "").strip()
    if not given:
        raise error("signature", f"{SIGNATURE_HEADER} header missing", object_id)
    expected = expected_signature(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise error("signature", f"{SIGNATURE_HEADER} does not verify with the {mode} secret",
                    object_id)
    return SignatureStatus.VALID


# -- the invoice resource -------------------------------------------------------------------

@attrs.frozen
class Envelope:
    """What a backend knows about an input besides its bytes."""

    channel: Channel
    signature: SignatureStatus = SignatureStatus.UNCHECKED
    received_at: datetime | None = None


def _status(attributes: Json, path: str, object_id: str) -> InvoiceStatus:
    value = res.required_text(attributes, "status", path, object_id)
    try:
        return InvoiceStatus(value)
    except ValueError:
        raise error(f"{path}.status", f"unknown status {value!r}", object_id) from None


def _invoice_id(resource: Json, path: str) -> str:
    kind = resource.get("type")
    if kind is not None and kind != res.RESOURCE_TYPE:
        raise error(f"{path}.type", f"expected {res.RESOURCE_TYPE!r}, got {kind!r}")
    return res.required_text(resource, "id", path)


def _test_mode(document: Json) -> bool | None:
    """The one ``test_mode`` of the document; resources of a batch must agree."""
    modes = {res.flag(res.attributes(r, p), "test_mode", f"{p}.attributes")
             for p, r in res.resources(document)}
    if len(modes) > 1:
        raise error("data", "a batch mixes test-mode and live invoices")
    return modes.pop()


def _check_mode(context: AdapterContext, object_id: str, test_mode: bool | None,
                where: str) -> None:
    """An invoice never changes mode: a message that flips it was signed with the wrong
    secret's scope (a test secret must not authenticate a live invoice)."""
    kept = context.remembered(OBJECT_KIND, object_id).get("test_mode")
    if test_mode is not None and kept is not None and kept != str(test_mode).lower():
        mode = "test" if kept == "true" else "live"
        raise error(f"{where}.test_mode", f"the invoice is in {mode} mode; this message "
                    "says otherwise", object_id)


def _figures(attributes: Json, where: str, object_id: str) -> tuple[Money, list[Fact]]:
    """The money the event carries (processed amount once there is one, else the invoice
    amount) and the cumulative figures as minor-unit facts for the chart's rules."""
    currency = res.currency(attributes, where, object_id)
    amount = res.money(attributes, "amount", currency, where, object_id, required=True)
    assert amount is not None
    found = {name: res.money(attributes, name, currency, where, object_id)
             for name in ("processed_amount", "refunded_amount", "charged_back_amount")}
    facts = [*res.minor_fact("amount_minor", amount)]
    for name, value in found.items():
        facts += res.minor_fact(f"{name}_minor", value)
    processed = found["processed_amount"]
    return (processed if processed is not None and processed.amount > 0 else amount), facts


def _kept(document: Json, attributes: Json, where: str, object_id: str) -> list[Fact]:
    """Facts the invoice keeps: mode, moderation, customer, CARDGATE session, card token."""
    kept = list(res.token_facts(attributes, where, object_id))
    for name in ("test_mode", "moderation_required"):
        value = res.flag(attributes, name, where, object_id)
        if value is not None:
            kept.append((name, str(value).lower()))
    customer = res.customer_reference(document, attributes)
    if customer is not None:
        kept.append(("customer_reference_id", customer))
    session = res.gateway_session(attributes, where, object_id)
    if session is not None:
        kept.append(("cardgate_sid", session))
    return kept


def invoice_event(document: Json, path: str, resource: Json, envelope: Envelope,
                  context: AdapterContext) -> Event:
    """One event from one invoice resource (response, callback or poll alike)."""
    object_id = _invoice_id(resource, path)
    attributes = res.attributes(resource, path, object_id)
    where = f"{path}.attributes"
    status = _status(attributes, where, object_id)
    move = MOVES[status]
    money, facts = _figures(attributes, where, object_id)
    updated = res.timestamp(attributes, "updated", where, object_id)
    if updated is None and envelope.channel is Channel.CALLBACK:
        raise error(f"{where}.updated", "missing; callbacks are ordered by it", object_id)
    _check_mode(context, object_id, res.flag(attributes, "test_mode", where, object_id), where)
    resolution = res.text(attributes, "resolution", where, object_id, required=False)
    if resolution is not None:
        facts.append(("resolution", resolution))
        if move.failure and resolution != "ok":
            facts.append(("failure_reason", resolution))
    moderation = res.flag(attributes, "moderation_required", where, object_id)
    if moderation is not None:
        facts.append(("moderation_required", str(moderation).lower()))
    warnings = []
    request_status = res.payment_request_status(document, object_id)
    if request_status is not None and request_status.lower() != status.value:
        warnings.append(f"included payment request is {request_status}, invoice is {status}")
    return Event(
        PROVIDER, OBJECT_KIND, object_id, move.trigger, envelope.channel,
        dedupe_key=f"{PROVIDER}/{OBJECT_KIND}/{object_id}/{status.value}/{updated}",
        state=move.state, money=money, sequence=updated, received_at=envelope.received_at,
        signature=envelope.signature,
        customer_action=(res.customer_action(attributes, where, object_id)
                         if move.waits_for_customer else None),
        facts=(("status", status.value), *facts),
        remember=tuple(_kept(document, attributes, where, object_id)),
        warnings=tuple(warnings))


def _events(document: Json, envelope: Envelope,
            context: AdapterContext) -> tuple[Event, ...]:
    events = [invoice_event(document, path, resource, envelope, context)
              for path, resource in res.resources(document)]
    return tuple(sorted(events, key=lambda e: (e.sequence or 0)))


# -- the four channels --------------------------------------------------------------------

def parse_callback(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext = NO_CONTEXT, *,
                   received_at: datetime | None = None) -> tuple[Event, ...]:
    """A callback: verify ``X-Signature`` with the secret of the invoice's mode, then one
    event per resource, ordered by ``updated``."""
    document = res.load_document(body)
    first = res.resources(document)[0][1].get("id")
    signature = verify_signature(body, headers, context.secrets, _test_mode(document),
                                 first if isinstance(first, str) else None)
    return _events(document, Envelope(Channel.CALLBACK, signature, received_at), context)


def parse_response(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext = NO_CONTEXT, *, ref: str | None = None,
                   operation: str | None = None,
                   received_at: datetime | None = None) -> tuple[Event, ...]:
    """An API answer: the invoice resource, or the CARDGATE sale answer for invoice ``ref``."""
    document = res.load_document(body)
    data = document.get("data")
    if operation == "sale" or (isinstance(data, dict)
                               and str(data.get("id", "")).startswith("cgi_")):
        return (_sale_event(document, context, ref, received_at),)
    return _events(document, Envelope(Channel.RESPONSE, received_at=received_at), context)


def parse_poll(body: bytes, headers: Mapping[str, str],
               context: AdapterContext = NO_CONTEXT, *,
               received_at: datetime | None = None) -> tuple[Event, ...]:
    """``GET /payment-invoices/{id}``: the same resource, deduplicated with callbacks."""
    document = res.load_document(body)
    return _events(document, Envelope(Channel.POLL, received_at=received_at), context)


def parse_request(body: bytes, headers: Mapping[str, str], *, ref: str | None = None,
                  received_at: datetime | None = None) -> tuple[Event, ...]:
    """A creation request starts the invoice in ``created``; ``ref`` names the invoice id the
    API gave it, since the request itself cannot carry one."""
    request = create_request(res.load_document(body))
    if ref is None:
        raise error("ref", "a create request has no invoice id; record the `cpi_…` id the "
                    "response gave as `ref`")
    digest = hashlib.sha256(body).hexdigest()[:16]
    facts = [("flow", request.flow), ("instant", str(request.instant).lower()),
             ("reference_id", request.reference_id), ("service", request.service)]
    remember = [("flow", request.flow)]
    if request.test_mode is not None:
        remember.append(("test_mode", str(request.test_mode).lower()))
    if request.customer_reference_id is not None:
        remember.append(("customer_reference_id", request.customer_reference_id))
    created = MOVES[S.CREATED]
    return (Event(PROVIDER, OBJECT_KIND, ref, created.trigger, Channel.REQUEST,
                  dedupe_key=f"{PROVIDER}/{OBJECT_KIND}/{ref}/request/{digest}",
                  state=created.state, money=request.money, received_at=received_at,
                  facts=tuple(facts), remember=tuple(remember)),)


def _sale_event(document: Json, context: AdapterContext, ref: str | None,
                received_at: datetime | None) -> Event:
    """The CARDGATE sale answer moves the payment invoice named by ``ref``; the gateway
    invoice must be the session that invoice's ``flow_data`` announced, when known."""
    answer = sale_answer(document)
    if ref is None:
        raise error("ref", f"CARDGATE answer for {answer.session} does not name the payment "
                    "invoice; record its `cpi_…` id as `ref`", answer.session)
    try:
        move = MOVES[InvoiceStatus(answer.status)]
    except ValueError:
        raise error("data.attributes.status", f"unknown status {answer.status!r}",
                    answer.session) from None
    announced = context.remembered(OBJECT_KIND, ref).get("cardgate_sid")
    if announced is not None and announced != answer.session:
        raise error("data.id", f"CARDGATE invoice {answer.session} is not the session "
                    f"{announced} of {ref}", ref)
    facts = [("status", answer.status), ("cardgate_invoice", answer.session)]
    for name, value in (("resolution", answer.resolution), ("service", answer.service),
                        ("active_request_status", answer.request_status),
                        ("active_payment_status", answer.payment_status)):
        if value is not None:
            facts.append((name, value))
    if move.failure and answer.resolution not in (None, "ok"):
        facts.append(("failure_reason", str(answer.resolution)))
    warnings = []
    if answer.payment_status == "authorize_required":
        warnings.append(f"CARDGATE {answer.session}: the customer must authorize the payment")
    key = (f"{PROVIDER}/{OBJECT_KIND}/{ref}/cardgate/{answer.session}/{answer.status}/"
           f"{answer.payment_status}")
    return Event(PROVIDER, OBJECT_KIND, ref, move.trigger, Channel.RESPONSE, dedupe_key=key,
                 state=move.state, money=answer.money, received_at=received_at,
                 facts=tuple(facts), remember=(("cardgate_sid", answer.session),),
                 warnings=tuple(warnings))


@attrs.frozen
class InvoicesAdapter:
    """The ``invoices`` provider: routes raw input by channel; never raises for bad input."""

    provider: str = PROVIDER
    rules = RULES
    signature = SignatureScope(
        "X-Signature: HMAC of the raw body with the test or live secret", frozenset({"*"}))
    secrets = SecretsSchema(
        optional=frozenset({"test_secret", "live_secret"}),
        redacted_fields=frozenset({"metadata.token"}))

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        body, headers, at = raw.body, raw.headers, raw.received_at
        try:
            if raw.channel is Channel.CALLBACK:
                events = parse_callback(body, headers, context, received_at=at)
            elif raw.channel is Channel.RESPONSE:
                events = parse_response(body, headers, context, ref=raw.ref,
                                        operation=raw.operation, received_at=at)
            elif raw.channel is Channel.POLL:
                events = parse_poll(body, headers, context, received_at=at)
            elif raw.channel is Channel.REQUEST:
                events = parse_request(body, headers, ref=raw.ref, received_at=at)
            else:
                raise error("channel", f"{raw.channel} input is not part of the "
                            "payment-invoices protocol")
        except InputError as exc:
            return ParseResult(error=exc)
        return ParseResult(events)


ADAPTER = InvoicesAdapter()
