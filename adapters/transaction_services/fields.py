"""Transaction services REST: the field readers an event is made of, all built on ``WIRE``.

These only read fields (amounts, ids, the 3-D Secure redirect, facts, the card mask); they
decide nothing. Every value comes through ``adapters/_wire.py``, so hostile bytes become an
``InputError`` naming the field.

Amounts are decimal strings in major units ("156.00"). For a currency without minor units a
fractional amount ("100000.65" VND, in the platform's own documentation) is rounded half up,
as the checksum does (docs/PROVIDERS.md §5, JPY rule), and the loss is reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from paychart.adapters._wire import Wire
from paychart.event import CustomerAction
from paychart.money import Money, exponent

from .vocab import PROVIDER, PaymentType

WIRE = Wire(PROVIDER)
_RECURRING = frozenset({"INITIAL", "REPEATED"})
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_ASCII_DIGITS = re.compile(r"[0-9]+")


@attrs.frozen
class Amount:
    """An amount as money, as the checksum spells it, and what was lost reading it."""

    money: Money
    checksum_text: str
    warning: str | None = None


def read_amount(value: object, currency: str, field: str = "amount") -> Amount:
    """The amount of a message, positive and bounded (``InputError`` otherwise). Exact for a
    currency with minor units; rounded half up, with a warning, for one without."""
    whole_units = exponent(currency) == 0
    money, rounded = WIRE.decimal_amount(value, currency, field, round_half_up=whole_units)
    if not whole_units:
        return Amount(money, str(value).strip())
    warning = None
    if rounded is not None:
        warning = (f"amount {str(value).strip()} has decimals {currency} does not have; "
                   f"read as {money.amount} {currency}")
    return Amount(money, str(money.amount), warning)


def payment_id(doc: Mapping[str, Any]) -> str | None:
    """``paymentId``, or the standard checkout's ``trackingid``."""
    return WIRE.identifier(doc, "paymentId", required=False) or WIRE.identifier(
        doc, "trackingid", required=False)


def result_code(doc: Mapping[str, Any]) -> str | None:
    """``result.code``, or the standard checkout's top-level ``resultCode``."""
    result = WIRE.table(doc, "result", required=False)
    if result is not None:
        return WIRE.identifier(result, "code", "result.", required=False)
    return WIRE.identifier(doc, "resultCode", required=False)


def sequence(timestamp: str | None, warnings: list[str]) -> int | None:
    """The platform's ``YYYY-MM-DD HH:MM:SS`` timestamp as epoch seconds (its clock, UTC)."""
    if timestamp is None:
        return None
    moment = None
    if _TIMESTAMP.fullmatch(timestamp):
        try:
            moment = datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            moment = None
    if moment is None:
        warnings.append(f"timestamp {timestamp[:40]!r} is not `YYYY-MM-DD HH:MM:SS`; "
                        "order unknown")
        return None
    return int(moment.timestamp())


def redirect(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The 3-D Secure redirect object, when it names a URL."""
    found = WIRE.table(doc, "redirect", required=False)
    if found is not None and WIRE.text(found, "url", "redirect.") is not None:
        return found
    return None


def customer_action(doc: Mapping[str, Any]) -> CustomerAction | None:
    """The 3-D Secure (ACS) redirect the customer must follow next."""
    found = redirect(doc)
    if found is None:
        return None
    raw_params = found.get("parameters") or []
    params: list[tuple[str, str]] = []
    if isinstance(raw_params, dict):
        params = [(key, WIRE.text(raw_params, key, "redirect.parameters.") or "")
                  for key in raw_params]
    elif isinstance(raw_params, list):
        for item in raw_params:
            if not isinstance(item, dict):
                WIRE.fail("redirect.parameters", "an item is not an object")
            params.append((WIRE.text(item, "name", "redirect.parameters.") or "",
                           WIRE.text(item, "value", "redirect.parameters.") or ""))
    else:
        WIRE.fail("redirect.parameters", "neither a list nor an object")
    method = (WIRE.text(found, "method", "redirect.", max_len=16)
              or ("POST" if params else "GET")).upper()
    return CustomerAction(WIRE.need(found, "url", "redirect."), method, tuple(params))


def facts(doc: Mapping[str, Any], payment_type: PaymentType | None,
          operation_id: str | None) -> tuple[tuple[str, str], ...]:
    result = WIRE.table(doc, "result", required=False) or {}
    found = {
        "result_code": result_code(doc),
        "result_description": (WIRE.text(result, "description", "result.")
                               or WIRE.text(doc, "resultDescription")),
        "payment_type": payment_type.value if payment_type else None,
        "transaction_status": WIRE.text(doc, "transactionStatus", max_len=8),
        "payment_brand": WIRE.text(doc, "paymentBrand", max_len=64),
        "payment_mode": WIRE.text(doc, "paymentMode", max_len=64),
        "recurring_type": WIRE.text(doc, "recurringType", max_len=16),
        "operation_id": operation_id,
        "bank_reference_id": WIRE.identifier(doc, "bankReferenceId", required=False),
        "remark": WIRE.text(doc, "remark"),
    }
    return tuple((k, v) for k, v in found.items() if v is not None)


def _digits(value: str | None) -> str | None:
    return value if value is not None and _ASCII_DIGITS.fullmatch(value) else None


def remember(doc: Mapping[str, Any], amount: Amount | None, ref: str | None,
             object_id: str) -> tuple[tuple[str, str], ...]:
    """Facts kept on the object: ids, currency, the card mask (never a full number)."""
    card = WIRE.table(doc, "card", required=False) or {}
    bin_ = _digits(WIRE.text(card, "bin", "card.", max_len=32)
                   or WIRE.text(doc, "cardBin", max_len=32))
    last4 = _digits(WIRE.text(card, "lastFourDigits", "card.", max_len=32)
                    or WIRE.text(card, "last4Digits", "card.", max_len=32)
                    or WIRE.text(doc, "cardLast4Digits", max_len=32))
    recurring = WIRE.text(doc, "recurringType", max_len=16)
    if recurring is not None and recurring.upper() not in _RECURRING:
        WIRE.fail("recurringType", f"unknown recurring type {recurring!r}")
    initial = WIRE.identifier(doc, "initialPaymentId", required=False)
    if recurring and recurring.upper() == "REPEATED" and initial is None and ref:
        initial = ref if ref != object_id else None
    kept = {
        "merchant_transaction_id": WIRE.text(doc, "merchantTransactionId", max_len=256),
        "currency": amount.money.currency if amount else None,
        "card_bin": bin_[:6] if bin_ else None,
        "card_last4": last4[-4:] if last4 else None,
        "recurring_type": recurring.upper() if recurring else None,
        "initial_payment_id": initial,
    }
    return tuple((k, v) for k, v in kept.items() if v is not None)
