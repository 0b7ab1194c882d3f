"""Transaction services amounts and the notification checksum.

Amounts are decimal strings in major units ("156.00"). The checksum is lowercase hex
``md5(paymentId|merchantTransactionId|amount|transactionStatus|secureKey)`` with the amount as
sent, except for a currency without decimals (JPY), where the platform rounds the amount to an
integer inside the checksum while the JSON still shows "100.00" (PROVIDERS.md section 5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import attrs

from paychart.errors import MoneyError
from paychart.money import Money, exponent

_HEX_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")


@attrs.frozen
class Amount:
    """An amount as money, as the checksum spells it, and what was lost reading it."""

    money: Money
    checksum_text: str
    warning: str | None = None


def read_amount(text: str, currency: str) -> Amount:
    """The amount of a message; ``MoneyError`` when it is not exact money.

    For a currency without minor units a fractional amount ("100000.65" VND, seen in the
    platform's own documentation) is rounded half-up to an integer, as the checksum rule
    does, and the loss is reported; any other currency must be exact.
    """
    currency = currency.strip().upper()
    digits = exponent(currency)
    if digits:
        return Amount(Money.parse(text, currency), text)
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise MoneyError(text, "not a decimal amount") from None
    if not value.is_finite() or not re.fullmatch(r"-?\d+(\.\d+)?", text.strip()):
        raise MoneyError(text, "not a decimal amount")
    whole = int(value.to_integral_value(rounding=ROUND_HALF_UP))
    warning = None
    if value != whole:
        warning = (f"amount {text} has decimals {currency} does not have; "
                   f"read as {whole} {currency}")
    return Amount(Money(whole, currency), str(whole), warning)


def is_md5_hex(checksum: str) -> bool:
    return _HEX_MD5.match(checksum) is not None


def compute_checksum(payment_id: str, merchant_transaction_id: str, amount_text: str,
                     short_status: str, secure_key: str) -> str:
    """The platform's notification checksum (md5 is the platform's choice, not ours)."""
    joined = "|".join((payment_id, merchant_transaction_id, amount_text, short_status,
                       secure_key))
    return hashlib.md5(joined.encode("utf-8")).hexdigest()


def checksum_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; the platform sends lowercase hex, case is not significant."""
    return hmac.compare_digest(given.strip().lower().encode("ascii", "replace"),
                               expected.encode("ascii"))
