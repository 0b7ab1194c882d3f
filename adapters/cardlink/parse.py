"""CARDLINK Business API: bearer-key REST with JSON, callbacks signed with length-prefixed MD5.

Source: seed ``000_baacd447c95a09f8.txt`` (Payments, Refunds, Payouts, P2P, Disputes, Status,
Notifications, Errors, Payment states) and docs/PROVIDERS.md §1 (the platform's statuses
beyond the seed, the callback signature, the decisions on overrides, two-step holds and
refunds). One parser per channel, each ``(body, headers, context) -> ParseResult``:

* ``parse_callback`` — JSON POSTs to ``callbackUrl`` carrying ``signature``;
* ``parse_response`` — the answer to the merchant call named by ``context.operation``:
  ``create``, ``payout``, ``confirm``, ``decline``, ``refund``, ``dispute``, or the 403 error
  shape;
* ``parse_poll`` — ``status`` (GET /api/v1/payments/[token]), ``order``, ``list``,
  ``disputes``;
* ``parse_request`` — the merchant's own ``create``/``payout``/``refund``/``dispute`` body,
  journaled with the card number masked and the CVV dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paychart.adapter import AdapterContext, ParseResult
from paychart.adapters._wire import card_mask
from paychart.attempts import recall
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus

from .fields import ORDER_NUMBER_MAX, WIRE, money
from .merchant_requests import request
from .report import Report, to_event
from .responses import RESPONSES, TwoStage, error_facts, provider_error
from .signature import verify
from .vocab import CALLBACK_TYPES, Kind, Via

_CALLBACK_FACTS = {"orderNumber": "order_number", "extraReturnParam": "extra_return_param",
                   "gatewayAmount": "gateway_amount", "gatewayCurrency": "gateway_currency"}
_PLATFORM_FILLER = "_blank_"
"""What the platform may send for a missing ``extraReturnParam`` (docs/PROVIDERS.md §1)."""


def _two_stage(context: AdapterContext) -> TwoStage:
    """Whether the payment was created in two-stage mode; with the input's ``order``, from
    the create request awaiting its token too (``paychart.attempts.recall``)."""
    def check(token: str, order: str | None) -> bool:
        kept = recall(context.remembered, Kind.PAYMENT.value, token, order, "two_stage")
        return kept.get("two_stage") == "true"
    return check


def parse_callback(body: bytes, headers: Mapping[str, str], context: AdapterContext
                   ) -> ParseResult:
    """A notification POSTed to ``callbackUrl`` (the platform retries until HTTP 200).

    Every field is read before the signature is checked, so a malformed field is named even
    in a forged body; the status is mapped only once the body is authentic."""
    data = WIRE.load_json(body)
    token = WIRE.need_id(data, "token")
    type_name = WIRE.need(data, "type", max_len=64)
    kind = CALLBACK_TYPES.get(type_name)
    if kind is None:
        raise InputError("type", f"unknown callback type {type_name!r} (one of "
                         f"{', '.join(CALLBACK_TYPES)})", provider=WIRE.provider,
                         object_id=token)
    via, parent = Via.REPORT, None
    if kind is Kind.PAYMENT and _two_stage(context)(token, _order_number(data)):
        via = Via.HOLD
    elif kind is Kind.REFUND:
        parent = context.remembered(Kind.REFUND.value, token).get("payment")
    elif kind is Kind.DISPUTE:
        parent = token
    report = Report(kind, token, WIRE.text(data, "status", max_len=64), "status", via,
                    money(data), parent_id=parent, facts=_callback_facts(data),
                    remember=_callback_remember(data), reference=_order_number(data))
    signature = verify(data, context.secrets)
    if signature is SignatureStatus.INVALID:
        raise InputError("signature", "callback signature does not verify",
                         provider=WIRE.provider, object_kind=kind.value, object_id=token)
    warnings = ("callback carries no `signature`; it is not authenticated",) if (
        signature is SignatureStatus.ABSENT) else ()
    # A refund callback names only the refund's own token: its payment is learned from the
    # refund request or response. When neither was seen, ``parent_id`` is None and the
    # orchestrator keeps the refund's effect pending until an input links it.
    return ParseResult.of(to_event(report, Channel.CALLBACK, context.received_at, signature,
                                   warnings), document=data)


def _callback_facts(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Correlation facts: the merchant's ``orderNumber`` and ``extraReturnParam``, the
    gateway's amount; never the holder's name, the wallet or the recurring token."""
    facts = []
    for key, fact in _CALLBACK_FACTS.items():
        value = WIRE.text(data, key)
        if value is not None and value != _PLATFORM_FILLER:
            facts.append((fact, value[:200]))
    return tuple(facts)


def _order_number(data: Mapping[str, Any]) -> str | None:
    """The merchant's reference as the request gave it (whole, not cut like the fact)."""
    value = WIRE.text(data, "orderNumber")
    return None if value == _PLATFORM_FILLER else value


def _callback_remember(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The card as the platform sanitized it (re-masked in case it is not); never the
    recurring token, which charges the card again, nor the holder's name."""
    mask = card_mask(WIRE.text(data, "sanitizedMask", max_len=64))
    return (("card", mask),) if mask else ()


def _operation_kind(operation: str | None) -> Kind:
    return Kind.PAYOUT if operation == "payout" else Kind.PAYMENT


def _parse_answer(body: bytes, context: AdapterContext, channel: Channel,
                  operation: str | None) -> ParseResult:
    """A response or a poll: the same JSON shapes, told apart by ``operation``."""
    data = WIRE.load_json(body)
    error = provider_error(data)
    if error is not None:
        return ParseResult.of(_refusal(data, error.reason, context, channel, operation),
                              document=data)
    reader = RESPONSES.get(operation or "")
    if reader is None:
        WIRE.fail("operation", f"unknown CARDLINK operation {operation!r} (one of "
                  f"{', '.join(RESPONSES)})")
    reports = reader(data, context.ref, _two_stage(context))
    return ParseResult.of(*(to_event(report, channel, context.received_at)
                            for report in reports), document=data)


_CREATING = frozenset({"create", "payout"})
"""Calls whose refusal leaves no token: the recording's ``ref`` names the ``orderNumber``."""


def _refusal(data: Mapping[str, Any], reason: str, context: AdapterContext, channel: Channel,
             operation: str | None) -> Event:
    """CARDLINK's 403 answer: the call was refused (nothing changed at CARDLINK), decided
    ``rejected`` on the object ``ref`` names with the error codes and kinds. The body names
    no order: a refused ``create``/``payout`` has no token, so its ``ref`` is the request's
    ``orderNumber`` and the refusal lands on that request's pending attempt."""
    kind = _operation_kind(operation)
    creating = operation in _CREATING
    reference = WIRE.text({"ref": context.ref}, "ref", max_len=ORDER_NUMBER_MAX) if (
        creating and context.ref) else None
    ref = WIRE.need_id({"ref": context.ref}, "ref") if context.ref and not creating else ""
    facts = error_facts(data)
    codes = dict(facts).get("error_code", "")
    return Event(WIRE.provider, kind.value, ref, "refused", channel,
                 f"{WIRE.provider}:{kind}:{ref}:refused:{operation or ''}:{codes}",
                 received_at=context.received_at, facts=facts,
                 refusal=reason.removeprefix("CARDLINK error "), reference=reference)


def parse_response(body: bytes, headers: Mapping[str, str], context: AdapterContext
                   ) -> ParseResult:
    """The JSON answer to a merchant call; a 403 error body is the call refused
    (``Event.refusal``: ``rejected`` with code and kind; nothing changed at CARDLINK)."""
    return _parse_answer(body, context, Channel.RESPONSE, context.operation)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext
               ) -> ParseResult:
    """A status query (``status`` when no operation is recorded), on the ``poll`` channel."""
    return _parse_answer(body, context, Channel.POLL, context.operation or "status")


def parse_request(body: bytes, headers: Mapping[str, str], context: AdapterContext
                  ) -> ParseResult:
    """The merchant's own request; its event keeps only the masked card (never the CVV)."""
    data = WIRE.load_json(body)
    report = request(context.operation, data, context.ref)
    return ParseResult.of(to_event(report, Channel.REQUEST, context.received_at), document=data)
