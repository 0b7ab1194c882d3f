"""The notification checksum of transaction services REST (docs/PROVIDERS.md §5, checksum).

``checksum`` is lowercase hex ``md5(paymentId|merchantTransactionId|amount|transactionStatus|
secureKey)``: pipe-joined, the short status, the amount as sent, except for a currency
without decimals (JPY), where the platform rounds the amount to an integer inside the
checksum while the JSON still shows "100.00". md5 is the platform's choice, not ours.

It does NOT cover the long ``status`` (which drives the chart), ``currency``, ``result``,
``timestamp`` or the card: only the short status ties a notification's outcome to the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from typing import Any

from paychart.adapter import SecretsSchema, SignatureScope
from paychart.errors import InputError

from .fields import WIRE, payment_id, read_amount

SECRET_KEY = "secure_key"  # noqa: S105 - the name of the secret, not its value
CHECKSUM = "checksum"

SCOPE = SignatureScope(
    "lowercase hex md5 of paymentId|merchantTransactionId|amount|transactionStatus|secure_key "
    "(amount rounded to an integer for currencies without decimals)",
    frozenset({"paymentId", "merchantTransactionId", "amount", "transactionStatus"}))

SECRETS = SecretsSchema(
    required=frozenset({SECRET_KEY}),
    # the authToken answer's bearer token and the standard checkout's payment token
    redacted_fields=frozenset({"AuthToken", "authToken", "token"}))

_HEX_MD5 = re.compile(r"[0-9a-fA-F]{32}")


def is_md5_hex(checksum: str) -> bool:
    return _HEX_MD5.fullmatch(checksum) is not None


def compute_checksum(payment: str, merchant_transaction_id: str, amount_text: str,
                     short_status: str, secure_key: str) -> str:
    """The platform's checksum over the covered fields, as it renders them."""
    joined = "|".join((payment, merchant_transaction_id, amount_text, short_status,
                       secure_key))
    return hashlib.md5(joined.encode("utf-8")).hexdigest()


def checksum_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; the platform sends lowercase hex, case is not significant."""
    return hmac.compare_digest(given.strip().lower().encode("ascii", "replace"),
                               expected.encode("ascii"))


def expected_checksum(doc: Mapping[str, Any], amount_text: str, secure_key: str) -> str:
    """The checksum ``doc`` should carry; ``amount_text`` is the amount as the checksum
    spells it (``fields.Amount.checksum_text``)."""
    return compute_checksum(payment_id(doc) or "",
                            WIRE.text(doc, "merchantTransactionId") or "", amount_text,
                            WIRE.text(doc, "transactionStatus") or "", secure_key)


def verify(doc: Mapping[str, Any], amount_text: str, secure_key: str) -> bool:
    """Whether ``doc``'s checksum is the one ``secure_key`` gives; never reveals either."""
    given = WIRE.text(doc, CHECKSUM)
    if given is None or not is_md5_hex(given):
        return False
    return checksum_matches(given, expected_checksum(doc, amount_text, secure_key))


def _as_sent(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _checksum_amount(doc: Mapping[str, Any]) -> str:
    """The amount as the platform spells it in the checksum; as sent when unreadable."""
    try:
        currency = WIRE.currency(doc, "currency", required=False)
        if currency is not None and doc.get("amount") not in (None, ""):
            return read_amount(doc["amount"], currency).checksum_text
    except InputError:
        pass
    return _as_sent(doc, "amount")


def sign(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str]
         ) -> tuple[bytes, Mapping[str, str]]:
    """``body`` as the platform sends it with ``secrets``: the ``checksum`` field set over
    the covered fields as they stand, readable or not (so hostile bodies can be signed)."""
    unsigned, headers = unsign(body, headers)
    doc: dict[str, Any] = json.loads(unsigned, parse_float=str, parse_int=str)
    plain: dict[str, Any] = json.loads(unsigned)
    plain[CHECKSUM] = compute_checksum(
        _as_sent(doc, "paymentId") or _as_sent(doc, "trackingid"),
        _as_sent(doc, "merchantTransactionId"), _checksum_amount(doc),
        _as_sent(doc, "transactionStatus"), secrets[SECRET_KEY])
    return json.dumps(plain, ensure_ascii=False).encode("utf-8"), headers


def unsign(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, Mapping[str, str]]:
    """``body`` without its ``checksum`` field (the headers carry no signature)."""
    doc: dict[str, Any] = json.loads(body)
    doc.pop(CHECKSUM, None)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8"), headers
