"""Transaction services REST adapter: responses, inquiries and JSON notifications.

Protocol: a white-label gateway's REST API (``/transactionServices/REST/v1/payments``,
``/payments/{id}`` for CP/RV/RF/IN, payouts, a bearer token from ``/authToken``), documented in
seed ``004_ff6acabc0a225ce2.txt`` and PROVIDERS.md section 5. Notifications are JSON POSTs to
the merchant's ``notificationUrl`` signed with
``md5(paymentId|merchantTransactionId|amount|transactionStatus|secureKey)``.

The long ``status`` drives the chart; a response without one is read from its
(paymentType, result code); the short ``transactionStatus`` is only cross-checked.
Secrets table: ``[transaction_services] secure_key = "…"``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from paychart.errors import InputError, MoneyError
from paychart.event import Channel, Event, SignatureStatus

from .fields import (
    customer_action,
    facts,
    field_text,
    find_redirect,
    remember,
    result_code,
    sequence,
)
from .money import (
    Amount,
    checksum_matches,
    compute_checksum,
    is_md5_hex,
    read_amount,
)
from .rules import RULES
from .vocab import (
    AMBIGUOUS,
    CANCEL_FAILED,
    OPERATION_TYPES,
    OPERATIONS,
    PAYMENT,
    PAYOUT,
    RESPONSE_TABLE,
    RESULT_IMPLIES,
    STATUS_TABLE,
    LongStatus,
    PaymentType,
    ResultCode,
    ShortStatus,
)

PROVIDER = "transaction_services"
SECRET_KEY = "secure_key"  # noqa: S105 - the name of the secret, not its value
_3D_TYPES = frozenset({PaymentType.PREAUTH, PaymentType.DEBIT})


@attrs.frozen
class _Envelope:
    """What a message arrived with besides its body."""

    channel: Channel
    headers: Mapping[str, str] = attrs.field(factory=dict)
    received_at: datetime | None = None
    ref: str | None = None
    operation: str | None = None


class TransactionServicesAdapter:
    """Parses every channel of the protocol; never changes state."""

    provider = PROVIDER
    rules = RULES
    signature = SignatureScope(
        "MD5 checksum of paymentId, merchantTransactionId, amount, currency, "
        "short result code and the secure key",
        frozenset({"paymentId","merchantTransactionId","amount","currency","resultCode"}))
    secrets = SecretsSchema(required=frozenset({"secure_key"}))

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        envelope = _Envelope(raw.channel, raw.headers, raw.received_at, raw.ref, raw.operation)
        if raw.channel is Channel.CALLBACK:
            return parse_callback(raw.body, raw.headers, context, envelope)
        if raw.channel is Channel.POLL:
            return parse_poll(raw.body, raw.headers, context, envelope)
        if raw.channel is Channel.RESPONSE:
            return parse_response(raw.body, raw.headers, context, envelope)
        try:
            if raw.channel is Channel.REQUEST:
                return ParseResult(error=_request_error(_load(raw.body)))
            raise InputError("channel", f"{raw.channel.value} input is not part of this "
                             "protocol", provider=PROVIDER)
        except InputError as error:
            return ParseResult(error=error)


def parse_callback(body: bytes, headers: Mapping[str, str], context: AdapterContext,
                   envelope: _Envelope | None = None) -> ParseResult:
    """A notification: the checksum is required whenever the secure key is configured."""
    return _guarded(body, context, envelope or _Envelope(Channel.CALLBACK, headers))


def parse_response(body: bytes, headers: Mapping[str, str], context: AdapterContext,
                   envelope: _Envelope | None = None) -> ParseResult:
    """The answer to PA, DB, CP, RV, RF or PO; ``envelope.ref`` is the id of the URL."""
    return _guarded(body, context, envelope or _Envelope(Channel.RESPONSE, headers))


def parse_poll(body: bytes, headers: Mapping[str, str], context: AdapterContext,
               envelope: _Envelope | None = None) -> ParseResult:
    """The answer to an IN inquiry: a status report like a notification, maybe unsigned."""
    return _guarded(body, context, envelope or _Envelope(Channel.POLL, headers))


# -- the one path every channel takes -----------------------------------------------------

def _guarded(body: bytes, context: AdapterContext, envelope: _Envelope) -> ParseResult:
    """Bad input becomes the error of the result, never an exception."""
    try:
        return _parse(_load(body), context, envelope)
    except InputError as error:
        error.provider = error.provider or PROVIDER
        return ParseResult(error=error)


def _parse(doc: dict[str, Any], context: AdapterContext, envelope: _Envelope) -> ParseResult:
    _refuse_non_events(doc, envelope)
    warnings: list[str] = []
    payment_type = _payment_type(doc, envelope)
    trigger = _trigger(doc, payment_type, envelope)
    kind = STATUS_TABLE[LongStatus(trigger)].object_kind if trigger in STATUS_TABLE else PAYMENT
    if payment_type is PaymentType.PAYOUT and kind != PAYOUT:
        raise InputError("status", f"status `{trigger}` is not a payout status",
                         provider=PROVIDER)
    object_id, operation_id = _object_id(doc, payment_type, envelope)
    short = _cross_check(doc, trigger, warnings)
    amount = _amount(doc, context, kind, object_id, warnings)
    if amount is None and payment_type in OPERATION_TYPES and trigger != CANCEL_FAILED:
        warnings.append(f"{payment_type.value} response carries no amount; the whole "
                        "remaining amount is assumed")
    signature = _signature(doc, amount, short, context, envelope, warnings)
    timestamp = field_text(doc, "timestamp")
    event = Event(
        provider=PROVIDER, object_kind=kind, object_id=object_id, trigger=trigger,
        channel=envelope.channel,
        dedupe_key=":".join((PROVIDER, kind, object_id, operation_id or "", trigger,
                             amount.money.to_decimal_string() if amount else "",
                             timestamp or "")),
        state=trigger if trigger in STATUS_TABLE and trigger not in AMBIGUOUS else None,
        money=amount.money if amount else None,
        sequence=sequence(timestamp, warnings),
        received_at=envelope.received_at, signature=signature,
        customer_action=customer_action(doc),
        facts=facts(doc, payment_type, operation_id),
        remember=remember(doc, amount, envelope.ref, object_id),
        warnings=tuple(warnings))
    return ParseResult(events=(event,))


def _refuse_non_events(doc: dict[str, Any], envelope: _Envelope) -> None:
    """The authToken answer and the IN request body are not payment events: say so."""
    if "AuthToken" in doc or "authToken" in doc:
        raise InputError("AuthToken", "an authToken response authenticates later API calls; "
                         "it is not a payment event", provider=PROVIDER)
    if envelope.channel is Channel.REQUEST or "authentication.memberId" in doc:
        raise _request_error(doc)


def _request_error(doc: dict[str, Any]) -> InputError:
    if doc.get("paymentType") == PaymentType.INQUIRY:
        return InputError("paymentType", "an IN inquiry request is the merchant's own status "
                          "query, not a provider message; record its response on the poll "
                          "channel", provider=PROVIDER)
    return InputError("channel", "a merchant request is not a provider message; record the "
                      "response instead", provider=PROVIDER)


# -- extractors ---------------------------------------------------------------------------

def _load(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("body", "not UTF-8", provider=PROVIDER) from None
    except json.JSONDecodeError as exc:
        raise InputError("body", f"not JSON: {exc.msg}", provider=PROVIDER) from None
    if not isinstance(doc, dict):
        raise InputError("body", "a JSON object is expected", provider=PROVIDER)
    return doc








def _payment_type(doc: Mapping[str, Any], envelope: _Envelope) -> PaymentType | None:
    """From the body, else from a result code that names the operation, else the recording."""
    text = field_text(doc, "paymentType")
    if text is not None:
        try:
            return PaymentType(text.upper())
        except ValueError:
            raise InputError("paymentType", f"unknown payment type {text!r}",
                             provider=PROVIDER) from None
    code = result_code(doc)
    if code is not None and code in RESULT_IMPLIES:
        return RESULT_IMPLIES[ResultCode(code)]
    if envelope.operation is not None:
        found = OPERATIONS.get(envelope.operation.strip().lower())
        if found is None:
            raise InputError("operation", f"unknown operation {envelope.operation!r}",
                             provider=PROVIDER)
        return found
    return None


def _trigger(doc: Mapping[str, Any], payment_type: PaymentType | None,
             envelope: _Envelope) -> str:
    """The long status when sent; otherwise what (paymentType, result code) means."""
    status = field_text(doc, "status")
    if status is not None:
        try:
            return LongStatus(status).value
        except ValueError:
            raise InputError("status", f"unknown status {status!r}", provider=PROVIDER) from None
    if envelope.channel is Channel.CALLBACK:
        raise InputError("status", "missing from the notification", provider=PROVIDER)
    code = result_code(doc)
    if code is None:
        raise InputError("result.code", "missing, and no long status", provider=PROVIDER)
    try:
        result = ResultCode(code)
    except ValueError:
        raise InputError("result.code", f"unknown result code {code!r}",
                         provider=PROVIDER) from None
    if payment_type is None:
        raise InputError("paymentType", f"missing: result {code} alone does not say which "
                         "operation it answers (record the operation)", provider=PROVIDER)
    pending_3d = (find_redirect(doc) is not None
                  or field_text(doc, "transactionStatus") == ShortStatus.PENDING_3D)
    if payment_type in _3D_TYPES and pending_3d and result is not ResultCode.FAILED:
        return LongStatus.AUTHSTARTED_3D.value
    trigger = RESPONSE_TABLE.get((payment_type, result))
    if trigger is None:
        raise InputError("result.code", f"result code {code!r} does not answer a "
                         f"{payment_type.value} call without a long status",
                         provider=PROVIDER)
    return str(trigger)


def _object_id(doc: Mapping[str, Any], payment_type: PaymentType | None,
               envelope: _Envelope) -> tuple[str, str | None]:
    """(payment id, id the body gives an operation on it when that differs).

    A CP, RV or RF is a call on the payment in the URL (``ref``); a REPEATED recurring
    payment is a new payment made on the INITIAL one's id, so there the body's id wins.
    """
    body_id = field_text(doc, "paymentId") or field_text(doc, "trackingid")
    ref = envelope.ref
    if payment_type in OPERATION_TYPES and ref:
        return ref, (body_id if body_id and body_id != ref else None)
    object_id = body_id or ref
    if object_id is None:
        raise InputError("paymentId", "missing", provider=PROVIDER)
    return object_id, None


def _cross_check(doc: Mapping[str, Any], trigger: str, warnings: list[str]) -> str | None:
    """The short code as sent; a disagreement with the long status is a warning."""
    short = field_text(doc, "transactionStatus")
    if short is None:
        return None
    try:
        code = ShortStatus(short)
    except ValueError:
        warnings.append(f"transactionStatus `{short}` is not a known short code")
        return short
    expected = (STATUS_TABLE[LongStatus(trigger)].shorts if trigger in STATUS_TABLE
                else frozenset({ShortStatus.FAILED}))
    if code not in expected:
        shown = " or ".join(sorted(s.value for s in expected))
        warnings.append(f"short transactionStatus `{short}` disagrees with long status "
                        f"`{trigger}` (expects {shown}); the long status is applied")
    return short


def _amount(doc: Mapping[str, Any], context: AdapterContext, kind: str, object_id: str,
            warnings: list[str]) -> Amount | None:
    text = field_text(doc, "amount")
    if text is None:
        return None
    currency = field_text(doc, "currency") or context.remembered(kind, object_id).get("currency")
    if currency is None:
        raise InputError("currency", f"missing for amount {text!r}", provider=PROVIDER)
    try:
        amount = read_amount(text, currency)
    except MoneyError as exc:
        field = "currency" if exc.value == currency.strip().upper() else "amount"
        raise InputError(field, str(exc), provider=PROVIDER) from None
    if amount.warning:
        warnings.append(amount.warning)
    return amount


def _signature(doc: Mapping[str, Any], amount: Amount | None, short: str | None,
               context: AdapterContext, envelope: _Envelope,
               warnings: list[str]) -> SignatureStatus:
    """Verify the checksum. Required on notifications; a response or inquiry answer comes
    over the merchant's own TLS call, so there it is checked only when present and md5."""
    if not context.secrets:
        return SignatureStatus.UNCHECKED
    key = context.secrets.get(SECRET_KEY)
    if not key:
        raise InputError("secrets", f"the {PROVIDER} secrets table has no `{SECRET_KEY}`",
                         provider=PROVIDER)
    given = field_text(doc, "checksum")
    callback = envelope.channel is Channel.CALLBACK
    if given is None:
        if callback:
            raise InputError("checksum", "missing from the notification", provider=PROVIDER)
        return SignatureStatus.ABSENT
    if not is_md5_hex(given):
        if callback:
            raise InputError("checksum", "not an md5 hex digest", provider=PROVIDER)
        warnings.append("checksum is not an md5 hex digest (standard checkout signs "
                        "differently); not checked")
        return SignatureStatus.UNCHECKED
    amount_text = amount.checksum_text if amount else (field_text(doc, "amount") or "")
    expected = compute_checksum(field_text(doc, "paymentId") or field_text(doc, "trackingid") or "",
                                field_text(doc, "merchantTransactionId") or "", amount_text,
                                short or "", key)
    if not checksum_matches(given, expected):
        raise InputError("checksum", "does not verify", provider=PROVIDER)
    return SignatureStatus.VALID












ADAPTER = TransactionServicesAdapter()

__all__ = ["ADAPTER", "TransactionServicesAdapter", "parse_callback", "parse_poll",
           "parse_response"]
