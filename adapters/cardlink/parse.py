"""CARDLINK Business API: bearer-key REST with JSON, callbacks signed with length-prefixed MD5.

Source: seed ``000_baacd447c95a09f8.txt`` (Payments, Refunds, Payouts, P2P, Disputes, Status,
Notifications, Errors, Payment states) and PROVIDERS.md section 1 (the platform's statuses
beyond the seed, the callback signature found in the vendor's end-to-end tests, and the
decisions on overrides, two-step holds and refunds).

Objects: payment (``type`` ``pay``/``payment``), payout, refund and dispute, each with its own
chart (``specs/cardlink_*.toml``). Amounts are integer minor units on the wire. Inputs:

* callbacks — JSON POSTs carrying ``signature`` (``parse_callback``);
* responses — the answer to a merchant call named by ``RawInput.operation``: ``create``,
  ``payout``, ``confirm``, ``decline``, ``refund``, ``dispute``, plus the 403 error shape
  (``parse_response``);
* polls — ``status`` (GET /api/v1/payments/[token]), ``order``, ``list``, ``disputes``
  (``parse_poll``);
* requests — the merchant's own ``create``/``payout``/``refund``/``dispute`` body, journaled
  with the card number masked and the CVV dropped (``parse_request``).

Secrets: ``[cardlink] private_key`` — the merchant private key, which is both the Bearer
token and the callback signing key.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus
from paychart.rulebook import Rules

from . import responses as responses
from .fields import PROVIDER, Kind, Report, Via, load_json, mask_pan, money, need

SECRET_KEY = "private_key"  # noqa: S105 - the key's name in the secrets file


class Status(enum.StrEnum):
    """CARDLINK's status vocabulary: the seed's five plus ``processing`` and ``refunded``
    from the platform's enum (PROVIDERS.md §1). Anything else is ``invalid``."""

    INIT = "init"
    PENDING = "pending"
    PROCESSING = "processing"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    REFUNDED = "refunded"


TYPES: Mapping[str, Kind] = {"pay": Kind.PAYMENT, "payment": Kind.PAYMENT,
                             "payout": Kind.PAYOUT, "refund": Kind.REFUND,
                             "dispute": Kind.DISPUTE}
"""Callback ``type`` → object; the seed says ``payment``, the platform sends ``pay``."""

S = Status
TABLE: Mapping[tuple[Kind, Via, Status], tuple[str, str]] = {
    # payment status reports: callback, poll, create response
    (Kind.PAYMENT, Via.REPORT, S.INIT): ("create", "init"),
    (Kind.PAYMENT, Via.REPORT, S.PENDING): ("start", "pending"),
    (Kind.PAYMENT, Via.REPORT, S.PROCESSING): ("process", "processing"),
    (Kind.PAYMENT, Via.REPORT, S.APPROVED): ("approve", "approved"),
    (Kind.PAYMENT, Via.REPORT, S.DECLINED): ("decline", "declined"),
    (Kind.PAYMENT, Via.REPORT, S.EXPIRED): ("expire", "expired"),
    (Kind.PAYMENT, Via.REPORT, S.REFUNDED): ("refund", "refunded"),
    # the same in two-stage mode: `approved` is the authorization (PROVIDERS.md Decision)
    (Kind.PAYMENT, Via.HOLD, S.INIT): ("create", "init"),
    (Kind.PAYMENT, Via.HOLD, S.PENDING): ("start", "pending"),
    (Kind.PAYMENT, Via.HOLD, S.PROCESSING): ("process", "processing"),
    (Kind.PAYMENT, Via.HOLD, S.APPROVED): ("hold", "held"),
    (Kind.PAYMENT, Via.HOLD, S.DECLINED): ("decline", "declined"),
    (Kind.PAYMENT, Via.HOLD, S.EXPIRED): ("expire", "expired"),
    (Kind.PAYMENT, Via.HOLD, S.REFUNDED): ("refund", "refunded"),
    # answers to the merchant's two-step calls
    (Kind.PAYMENT, Via.CONFIRM, S.APPROVED): ("confirm", "approved"),
    (Kind.PAYMENT, Via.CONFIRM, S.DECLINED): ("decline", "declined"),
    (Kind.PAYMENT, Via.DECLINE, S.DECLINED): ("decline", "declined"),
    (Kind.PAYMENT, Via.REQUEST, S.INIT): ("create", "init"),
    # payouts
    (Kind.PAYOUT, Via.REPORT, S.INIT): ("create", "init"),
    (Kind.PAYOUT, Via.REPORT, S.PENDING): ("start", "pending"),
    (Kind.PAYOUT, Via.REPORT, S.PROCESSING): ("start", "pending"),
    (Kind.PAYOUT, Via.REPORT, S.APPROVED): ("approve", "approved"),
    (Kind.PAYOUT, Via.REPORT, S.DECLINED): ("decline", "declined"),
    (Kind.PAYOUT, Via.REPORT, S.EXPIRED): ("expire", "expired"),
    (Kind.PAYOUT, Via.REQUEST, S.INIT): ("create", "init"),
    # refunds
    (Kind.REFUND, Via.REPORT, S.PENDING): ("start", "pending"),
    (Kind.REFUND, Via.REPORT, S.PROCESSING): ("start", "pending"),
    (Kind.REFUND, Via.REPORT, S.APPROVED): ("approve", "approved"),
    (Kind.REFUND, Via.REPORT, S.DECLINED): ("decline", "declined"),
    (Kind.REFUND, Via.REQUEST, S.INIT): ("create", "init"),
    # disputes: `processing` is how the dispute list shows a pending dispute
    (Kind.DISPUTE, Via.REPORT, S.PENDING): ("open", "pending"),
    (Kind.DISPUTE, Via.REPORT, S.PROCESSING): ("open", "pending"),
    (Kind.DISPUTE, Via.REPORT, S.APPROVED): ("approve", "approved"),
    (Kind.DISPUTE, Via.REPORT, S.DECLINED): ("decline", "declined"),
    (Kind.DISPUTE, Via.REQUEST, S.PENDING): ("open", "pending"),
}
"""(object, how it was reported, provider status) → (chart trigger, reported chart state).
A status missing here for its object is ``invalid``, never mapped to a default."""

SIGNED_FIELDS = ("token", "type", "status", "extraReturnParam", "orderNumber", "amount",
                 "currency", "gatewayAmount", "gatewayCurrency")
_SIGNED_IF_PRESENT = frozenset({"extraReturnParam", "orderNumber"})


# -- signature ------------------------------------------------------------------------------

def _signed_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signature_base(data: Mapping[str, Any]) -> str:
    """Length-prefixed concatenation of the signed fields, in order (``4ab123pay…``);
    ``extraReturnParam``/``orderNumber`` only when present and non-empty."""
    parts = []
    for name in SIGNED_FIELDS:
        value = _signed_value(data.get(name))
        if name in _SIGNED_IF_PRESENT and value == "":
            continue
        parts.append(f"{len(value)}{value}")
    return "".join(parts)


def sign(data: Mapping[str, Any], private_key: str) -> str:
    """Lowercase hex MD5 of the base string followed by the merchant private key."""
    return hashlib.md5((signature_base(data) + private_key).encode("utf-8")).hexdigest()


def verify(data: Mapping[str, Any], secrets: Mapping[str, str]) -> SignatureStatus:
    """``absent`` without a signature, ``unchecked`` without a key, else compared in
    constant time. Neither the key nor the expected value ever leaves this function."""
    given = data.get("signature")
    if given is None or given == "":
        return SignatureStatus.ABSENT
    key = secrets.get(SECRET_KEY)
    if not key:
        return SignatureStatus.UNCHECKED
    if not isinstance(given, str):
        return SignatureStatus.INVALID
    expected = sign(data, key)
    if hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8")):
        return SignatureStatus.VALID
    return SignatureStatus.INVALID


# -- reports to events ------------------------------------------------------------------------

def _event(report: Report, channel: Channel, received_at: datetime | None,
           signature: SignatureStatus = SignatureStatus.UNCHECKED,
           warnings: tuple[str, ...] = ()) -> Event:
    try:
        status = Status(report.status)
    except ValueError:
        status = None
    mapped = TABLE.get((report.kind, report.via, status)) if status else None
    if mapped is None:
        where = f" in a {report.via.value}" if report.via is not Via.REPORT else ""
        shown = (f"unknown {report.kind.value} status {report.status!r}{where}"
                 if report.status else "missing")
        raise InputError(report.field, shown,
                         provider=PROVIDER, object_kind=report.kind.value,
                         object_id=report.object_id)
    trigger, state = mapped
    amount = report.money
    if report.via is Via.REQUEST:
        dedupe = f"{PROVIDER}:{report.kind}:{report.object_id}:request"
    else:
        figure = f"{amount.amount}{amount.currency}" if amount else "-"
        dedupe = f"{PROVIDER}:{report.kind}:{report.object_id}:{state}:{figure}"
    warnings = report.warnings + warnings
    reported: str | None = state
    if report.unlinked:
        # Applied now, the refund could never reach its payment's ledger (the engine links a
        # child only when it is first seen). Without a state it is rejected, under its own
        # key, and applied with its payment when the refund response or a retry names it.
        reported, dedupe = None, f"{dedupe}:unlinked"
        warnings += (f"{report.kind.value} {report.object_id}: its payment is not known yet "
                     "(no refund response or request seen); not applied, so that the "
                     "refund response or the platform's retry applies it to the payment",)
    return Event(PROVIDER, report.kind.value, report.object_id, trigger, channel, dedupe,
                 state=reported, money=amount, parent_id=report.parent_id,
                 sequence=report.sequence, received_at=received_at, signature=signature,
                 customer_action=report.customer_action, facts=report.facts,
                 remember=report.remember, warnings=warnings)


def _two_stage(context: AdapterContext) -> responses.TwoStage:
    def check(token: str) -> bool:
        return bool(context.remembered(Kind.PAYMENT.value, token).get("two_stage") == "true")
    return check


# -- parsers ----------------------------------------------------------------------------------

def parse_callback(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
                   received_at: datetime | None = None) -> tuple[Event, ...]:
    """A notification POSTed to ``callbackUrl`` (the platform retries until HTTP 200)."""
    data = load_json(body)
    token = need(data, "token")
    type_name = need(data, "type")
    kind = TYPES.get(type_name)
    if kind is None:
        raise InputError("type", f"unknown callback type {type_name!r} (one of "
                         f"{', '.join(TYPES)})", provider=PROVIDER, object_id=token)
    signature = verify(data, context.secrets)
    if signature is SignatureStatus.INVALID:
        raise InputError("signature", "callback signature does not verify",
                         provider=PROVIDER, object_kind=kind.value, object_id=token)
    warnings = ("callback carries no `signature`; it is not authenticated",) if (
        signature is SignatureStatus.ABSENT) else ()
    via, parent, unlinked = Via.REPORT, None, False
    if kind is Kind.PAYMENT and _two_stage(context)(token):
        via = Via.HOLD
    elif kind is Kind.REFUND:
        parent = context.remembered(Kind.REFUND.value, token).get("payment")
        unlinked = parent is None
    elif kind is Kind.DISPUTE:
        parent = token
    report = Report(kind, token, str(data.get("status") or ""), "status", via, money(data),
                    parent_id=parent, facts=_callback_facts(data),
                    remember=_callback_remember(data), unlinked=unlinked)
    return (_event(report, Channel.CALLBACK, received_at, signature, warnings),)


def _callback_facts(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    names = {"orderNumber": "order_number", "extraReturnParam": "extra_return_param",
             "gatewayAmount": "gateway_amount", "gatewayCurrency": "gateway_currency"}
    return tuple((fact, str(data[key])[:200]) for key, fact in names.items()
                 if data.get(key) not in (None, "", "_blank_"))


def _callback_remember(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The card as the platform sanitized it (re-masked in case it is not); never the
    recurring token, which charges the card again, nor the holder's name."""
    mask = data.get("sanitizedMask")
    if not isinstance(mask, str) or not mask:
        return ()
    digits = sum(c.isdigit() for c in mask)
    return (("card", mask if digits <= 10 else (mask_pan(mask) or "")),)


def parse_response(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
                   operation: str | None, ref: str | None = None,
                   received_at: datetime | None = None,
                   channel: Channel = Channel.RESPONSE) -> tuple[Event, ...]:
    """The JSON answer to a merchant call; a 403 error body is ``invalid`` naming code and
    kind (the call changed nothing at CARDLINK)."""
    data = load_json(body)
    error = responses.provider_error(data)
    if error is not None:
        error.object_kind = (Kind.PAYOUT if operation == "payout" else Kind.PAYMENT).value
        error.object_id = ref
        raise error
    parser = responses.RESPONSES.get(operation or "")
    if parser is None:
        raise InputError("operation", f"unknown CARDLINK operation {operation!r} (one of "
                         f"{', '.join(responses.RESPONSES)})", provider=PROVIDER)
    reports = parser(data, ref, _two_stage(context))
    return tuple(_event(report, channel, received_at) for report in reports)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
               operation: str | None = "status", ref: str | None = None,
               received_at: datetime | None = None) -> tuple[Event, ...]:
    """A status query: same shapes as responses, on the ``poll`` channel."""
    return parse_response(body, headers, context, operation=operation or "status", ref=ref,
                          received_at=received_at, channel=Channel.POLL)


def parse_request(body: bytes, headers: Mapping[str, str], context: AdapterContext, *,
                  operation: str | None, ref: str | None = None,
                  received_at: datetime | None = None) -> tuple[Event, ...]:
    """The merchant's own request; its event keeps only the masked card (never the CVV)."""
    report = responses.request(operation, load_json(body), ref)
    return (_event(report, Channel.REQUEST, received_at),)


class CardlinkAdapter:
    """The ``Adapter`` for CARDLINK: dispatch by channel, errors returned, never raised."""

    provider = PROVIDER
    rules = Rules()
    signature = SignatureScope(
        "length-prefixed MD5 of the listed fields and the private key",
        frozenset({"token","type","status","extraReturnParam","orderNumber","amount","currency","gatewayAmount","gatewayCurrency"}))
    secrets = SecretsSchema(required=frozenset({"private_key"}))

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        try:
            if raw.channel is Channel.CALLBACK:
                events = parse_callback(raw.body, raw.headers, context,
                                        received_at=raw.received_at)
            elif raw.channel is Channel.POLL:
                events = parse_poll(raw.body, raw.headers, context, operation=raw.operation,
                                    ref=raw.ref, received_at=raw.received_at)
            elif raw.channel is Channel.RESPONSE:
                events = parse_response(raw.body, raw.headers, context,
                                        operation=raw.operation, ref=raw.ref,
                                        received_at=raw.received_at)
            elif raw.channel is Channel.REQUEST:
                events = parse_request(raw.body, raw.headers, context, operation=raw.operation,
                                       ref=raw.ref, received_at=raw.received_at)
            else:
                raise InputError("channel", f"CARDLINK sends no {raw.channel.value} input",
                                 provider=PROVIDER)
        except InputError as error:
            return ParseResult(error=error)
        return ParseResult(events=events)


ADAPTER = CardlinkAdapter()
