"""Transaction services REST: small extractors of the JSON fields an event is made of.

Kept apart from ``transaction_services.py`` so the adapter reads top to bottom: these only
read fields (the 3-D Secure redirect, facts, the card mask), they decide nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paychart.errors import InputError
from paychart.event import CustomerAction

from .money import Amount
from .vocab import PaymentType

PROVIDER = "transaction_services"
_RECURRING = frozenset({"INITIAL", "REPEATED"})


def field_text(doc: Mapping[str, Any], key: str) -> str | None:
    """A scalar field as text; absent, null and empty are all ``None``."""
    value = doc.get(key)
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value).strip() or None


def sub(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """A nested object (``result``, ``card``); anything else reads as empty."""
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def result_code(doc: Mapping[str, Any]) -> str | None:
    result = doc.get("result")
    if isinstance(result, dict):
        return field_text(result, "code")
    return field_text(doc, "resultCode")


def sequence(timestamp: str | None, warnings: list[str]) -> int | None:
    """The platform's ``YYYY-MM-DD HH:MM:SS`` timestamp as epoch seconds (its clock, UTC)."""
    if timestamp is None:
        return None
    try:
        moment = datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        warnings.append(f"timestamp {timestamp!r} is not `YYYY-MM-DD HH:MM:SS`; order unknown")
        return None
    return int(moment.timestamp())


def find_redirect(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    redirect = doc.get("redirect")
    if isinstance(redirect, dict) and field_text(redirect, "url"):
        return redirect
    return None


def customer_action(doc: Mapping[str, Any]) -> CustomerAction | None:
    """The 3-D Secure (ACS) redirect the customer must follow next."""
    redirect = find_redirect(doc)
    if redirect is None:
        return None
    raw_params = redirect.get("parameters") or []
    params: list[tuple[str, str]] = []
    if isinstance(raw_params, dict):
        params = [(str(k), str(v)) for k, v in raw_params.items()]
    elif isinstance(raw_params, list):
        params = [(str(p.get("name", "")), str(p.get("value", ""))) for p in raw_params
                  if isinstance(p, dict)]
    method = (field_text(redirect, "method") or ("POST" if params else "GET")).upper()
    return CustomerAction(str(field_text(redirect, "url")), method, tuple(params))


def facts(doc: Mapping[str, Any], payment_type: PaymentType | None,
           operation_id: str | None) -> tuple[tuple[str, str], ...]:
    result = sub(doc, "result")
    found = {
        "result_code": result_code(doc),
        "result_description": (field_text(result, "description")
                               or field_text(doc, "resultDescription")),
        "payment_type": payment_type.value if payment_type else None,
        "transaction_status": field_text(doc, "transactionStatus"),
        "payment_brand": field_text(doc, "paymentBrand"),
        "payment_mode": field_text(doc, "paymentMode"),
        "recurring_type": field_text(doc, "recurringType"),
        "operation_id": operation_id,
        "bank_reference_id": field_text(doc, "bankReferenceId"),
        "remark": field_text(doc, "remark"),
    }
    return tuple((k, v) for k, v in found.items() if v is not None)


def remember(doc: Mapping[str, Any], amount: Amount | None, ref: str | None,
              object_id: str) -> tuple[tuple[str, str], ...]:
    """Facts kept on the object: ids, currency, the card mask (never a full number)."""
    card = sub(doc, "card")
    bin_ = field_text(card, "bin") or field_text(doc, "cardBin")
    last4 = (field_text(card, "lastFourDigits") or field_text(card, "last4Digits")
             or field_text(doc, "cardLast4Digits"))
    recurring = field_text(doc, "recurringType")
    if recurring is not None and recurring.upper() not in _RECURRING:
        raise InputError("recurringType", f"unknown recurring type {recurring!r}",
                         provider=PROVIDER)
    initial = field_text(doc, "initialPaymentId")
    if recurring and recurring.upper() == "REPEATED" and initial is None and ref:
        initial = ref if ref != object_id else None
    kept = {
        "merchant_transaction_id": field_text(doc, "merchantTransactionId"),
        "currency": amount.money.currency if amount else None,
        "card_bin": bin_[:6] if bin_ and bin_.isdigit() else None,
        "card_last4": last4[-4:] if last4 and last4.isdigit() else None,
        "recurring_type": recurring.upper() if recurring else None,
        "initial_payment_id": initial,
    }
    return tuple((k, v) for k, v in kept.items() if v is not None)
