"""Transaction services REST parsers: responses, inquiry answers and JSON notifications.

Protocol: a white-label gateway's REST API (``/transactionServices/REST/v1/payments``,
``/payments/{id}`` for CP/RV/RF/IN, payouts, a bearer token from ``/authToken``), documented in
seed ``004_ff6acabc0a225ce2.txt`` and docs/PROVIDERS.md §5. Notifications are JSON POSTs to
the merchant's ``notificationUrl`` carrying an md5 ``checksum`` (see ``signature``).

The long ``status`` drives the chart; a response without one is read from its result code
and the call it answers (``vocab.MOVES`` rows ``via`` a response); the short
``transactionStatus`` is signed, so on a notification a long status contradicting it is
``invalid``. Every field is read through ``fields.WIRE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paychart.adapter import AdapterContext, ParseResult, StatusMove
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus

from .fields import (
    WIRE,
    Amount,
    customer_action,
    facts,
    payment_id,
    read_amount,
    redirect,
    remember,
    result_code,
    sequence,
)
from .signature import CHECKSUM, SECRET_KEY, is_md5_hex, verify
from .vocab import (
    AGREEING_SHORTS,
    CANCEL_FAILED,
    LONG_STATUS_MOVES,
    MERCHANT_MONEY_MOVES,
    OPERATION_TYPES,
    OPERATIONS,
    PAYOUT,
    PROVIDER,
    RESPONSE_MOVES,
    RESULT_IMPLIES,
    THREE_D_TYPES,
    PaymentType,
    ResultCode,
    ShortStatus,
    response_via,
)

_RESULT_CODES = frozenset(code.value for code in ResultCode)


def parse_callback(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """A notification: the checksum is required whenever the secure key is configured."""
    return _parse(_load(body), context, Channel.CALLBACK)


def parse_response(body: bytes, headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """The answer to PA, DB, CP, RV, RF or PO; ``context.ref`` is the id of the URL."""
    return _parse(_load(body), context, Channel.RESPONSE)


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext) -> ParseResult:
    """The answer to an IN inquiry: a status report like a notification, maybe unsigned."""
    return _parse(_load(body), context, Channel.POLL)


def parse_request(body: bytes, headers: Mapping[str, str],
                  context: AdapterContext) -> ParseResult:
    """A merchant's own request is no provider message: refused, naming what to record."""
    raise _request_error(_load(body))


# -- the one path every channel takes -----------------------------------------------------

def _load(body: bytes) -> dict[str, Any]:
    doc: dict[str, Any] = WIRE.load_json(body)
    return doc


def _parse(doc: dict[str, Any], context: AdapterContext, channel: Channel) -> ParseResult:
    _refuse_non_events(doc)
    warnings: list[str] = []
    payment_type = _payment_type(doc, context)
    move = _move(doc, payment_type, channel)
    if payment_type is PaymentType.PAYOUT and move.object_kind != PAYOUT:
        WIRE.fail("status", f"status `{move.trigger}` is not a payout status")
    kind, trigger = move.object_kind, move.trigger
    object_id, operation_id = _object_id(doc, payment_type, context)
    amount = _amount(doc, context, kind, object_id, warnings)
    if amount is None and payment_type in OPERATION_TYPES and trigger != CANCEL_FAILED:
        warnings.append(f"{payment_type.value} response carries no amount; the whole "
                        "remaining amount is assumed")
    signature = _signature(doc, amount, context, channel, warnings)
    _cross_check(doc, move, channel, warnings)
    timestamp = WIRE.text(doc, "timestamp", max_len=64)
    event = Event(
        provider=PROVIDER, object_kind=kind, object_id=object_id, trigger=trigger,
        channel=channel, dedupe_key=_dedupe_key(doc, kind, object_id, operation_id, trigger,
                                                amount, timestamp),
        state=move.state,
        money=amount.money if amount else None,
        sequence=sequence(timestamp, warnings),
        received_at=context.received_at, signature=signature,
        customer_action=customer_action(doc),
        facts=facts(doc, payment_type, operation_id),
        remember=remember(doc, amount, context.ref, object_id),
        warnings=tuple(warnings),
        reference=WIRE.text(doc, "merchantTransactionId", max_len=256))
    return ParseResult.of(event, document=doc)


def _dedupe_key(doc: Mapping[str, Any], kind: str, object_id: str, operation_id: str | None,
                trigger: str, amount: Amount | None, timestamp: str | None) -> str:
    """What the checksum covers (ids, amount, short code) and the trigger cross-checked
    against it. The uncovered ``timestamp`` only tells apart provider-initiated reports the
    checksum cannot (``settled`` again after a chargeback is reversed); a capture, refund or
    cancel the merchant started is one message whatever its timestamp, so a re-post with a
    new date is a duplicate and cannot move money twice. The channel is not part of it, so
    the callback echoing the merchant's own RF response is that response's duplicate."""
    moment = "" if trigger in MERCHANT_MONEY_MOVES else (timestamp or "")
    return ":".join((PROVIDER, kind, object_id, operation_id or "", trigger,
                     amount.money.to_decimal_string() if amount else "",
                     WIRE.text(doc, "merchantTransactionId", max_len=256) or "",
                     WIRE.text(doc, "transactionStatus", max_len=8) or "", moment))


def _refuse_non_events(doc: Mapping[str, Any]) -> None:
    """The authToken answer and the IN request body are not payment events: say so."""
    if "AuthToken" in doc or "authToken" in doc:
        WIRE.fail("AuthToken", "an authToken response authenticates later API calls; it is "
                  "not a payment event")
    if "authentication.memberId" in doc:
        raise _request_error(doc)


def _request_error(doc: Mapping[str, Any]) -> InputError:
    if WIRE.text(doc, "paymentType", max_len=8) == PaymentType.INQUIRY:
        return WIRE.error("paymentType", "an IN inquiry request is the merchant's own status "
                          "query, not a provider message; record its response on the poll "
                          "channel")
    return WIRE.error("channel", "a merchant request is not a provider message; record the "
                      "response instead")


def _payment_type(doc: Mapping[str, Any], context: AdapterContext) -> PaymentType | None:
    """From the body, else from a result code that names the operation, else the recording."""
    text = WIRE.text(doc, "paymentType", max_len=16)
    if text is not None:
        try:
            return PaymentType(text.upper())
        except ValueError:
            WIRE.fail("paymentType", f"unknown payment type {text!r}")
    code = result_code(doc)
    if code is not None and code in RESULT_IMPLIES:
        return RESULT_IMPLIES[ResultCode(code)]
    if context.operation is not None:
        found = OPERATIONS.get(context.operation.strip().lower())
        if found is None:
            WIRE.fail("operation", f"unknown operation {context.operation[:40]!r}")
        return found
    return None


def _move(doc: Mapping[str, Any], payment_type: PaymentType | None,
          channel: Channel) -> StatusMove:
    """The long status's move when one is sent; otherwise what the result code means as
    the answer to the call (``vocab.MOVES`` rows ``via`` a response)."""
    status = WIRE.text(doc, "status", max_len=64)
    if status is not None:
        move = LONG_STATUS_MOVES.get(status)
        if move is None:
            WIRE.fail("status", f"unknown status {status!r}")
        return move
    if channel is Channel.CALLBACK:
        WIRE.fail("status", "missing from the notification")
    code = result_code(doc)
    if code is None:
        WIRE.fail("result.code", "missing, and no long status")
    if code not in _RESULT_CODES:
        WIRE.fail("result.code", f"unknown result code {code!r}")
    if payment_type is None:
        WIRE.fail("paymentType", f"missing: result {code} alone does not say which "
                  "operation it answers (record the operation)")
    pending_3d = (redirect(doc) is not None
                  or WIRE.text(doc, "transactionStatus", max_len=8) == ShortStatus.PENDING_3D)
    if payment_type in THREE_D_TYPES and pending_3d:
        move = RESPONSE_MOVES.get((response_via(payment_type, three_d=True), code))
        if move is not None:
            return move
    move = RESPONSE_MOVES.get((response_via(payment_type, three_d=False), code))
    if move is None:
        WIRE.fail("result.code", f"result code {code!r} does not answer a "
                  f"{payment_type.value} call without a long status")
    return move


def _object_id(doc: Mapping[str, Any], payment_type: PaymentType | None,
               context: AdapterContext) -> tuple[str, str | None]:
    """(payment id, id the body gives an operation on it when that differs).

    A CP, RV or RF is a call on the payment in the URL (``ref``); a REPEATED recurring
    payment is a new payment made on the INITIAL one's id, so there the body's id wins.
    """
    body_id = payment_id(doc)
    ref = context.ref
    if payment_type in OPERATION_TYPES and ref:
        return ref, (body_id if body_id and body_id != ref else None)
    object_id = body_id or ref
    if object_id is None:
        WIRE.fail("paymentId", "missing")
    return object_id, None


def _cross_check(doc: Mapping[str, Any], move: StatusMove, channel: Channel,
                 warnings: list[str]) -> None:
    """The long status drives the chart but the checksum does not cover it: on a
    notification it must agree with the signed short code, else ``invalid`` naming both. A
    response or inquiry answer comes over the merchant's own TLS call (real ones do
    disagree, ``capturesuccess`` with ``P``): there it is a warning."""
    short = WIRE.text(doc, "transactionStatus", max_len=8)
    if short is None:
        return
    try:
        code = ShortStatus(short)
    except ValueError:
        warnings.append(f"transactionStatus `{short}` is not a known short code")
        return
    expected = AGREEING_SHORTS.get(move.trigger, frozenset({ShortStatus.FAILED}))
    if code not in expected:
        shown = " or ".join(sorted(s.value for s in expected))
        if channel is not Channel.CALLBACK:
            warnings.append(f"short transactionStatus `{short}` disagrees with long status "
                            f"`{move.trigger}` (expects {shown}); the long status is applied")
            return
        WIRE.fail("status", f"long status `{move.trigger}` contradicts the signed short "
                  f"transactionStatus `{short}` (which expects {shown}); the long status is "
                  "not covered by the checksum")


def _amount(doc: Mapping[str, Any], context: AdapterContext, kind: str, object_id: str,
            warnings: list[str]) -> Amount | None:
    value = doc.get("amount")
    if value is None or value == "":
        return None
    currency = WIRE.currency(doc, "currency", required=False,
                             fallback=context.remembered(kind, object_id).get("currency"))
    if currency is None:
        WIRE.fail("currency", f"missing for amount {WIRE.text(doc, 'amount', max_len=40)!r}")
    amount = read_amount(value, currency)
    if amount.warning:
        warnings.append(amount.warning)
    return amount


def _signature(doc: Mapping[str, Any], amount: Amount | None, context: AdapterContext,
               channel: Channel, warnings: list[str]) -> SignatureStatus:
    """Verify the checksum. Required on notifications; a response or inquiry answer comes
    over the merchant's own TLS call, so there it is checked only when present and md5."""
    if not context.secrets:
        return SignatureStatus.UNCHECKED
    key = context.secrets.get(SECRET_KEY)
    if not key:
        WIRE.fail("secrets", f"the {PROVIDER} secrets table has no `{SECRET_KEY}`")
    given = WIRE.text(doc, CHECKSUM, max_len=128)
    callback = channel is Channel.CALLBACK
    if given is None:
        if callback:
            WIRE.fail(CHECKSUM, "missing from the notification")
        return SignatureStatus.ABSENT
    if not is_md5_hex(given):
        if callback:
            WIRE.fail(CHECKSUM, "not an md5 hex digest")
        warnings.append("checksum is not an md5 hex digest (standard checkout signs "
                        "differently); not checked")
        return SignatureStatus.UNCHECKED
    amount_text = amount.checksum_text if amount else (WIRE.text(doc, "amount") or "")
    if not verify(doc, amount_text, key):
        WIRE.fail(CHECKSUM, "does not verify")
    return SignatureStatus.VALID


__all__ = ["parse_callback", "parse_poll", "parse_request",
           "parse_response"]
