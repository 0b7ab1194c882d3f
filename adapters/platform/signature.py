"""The platform protocol's hash formulas (PROVIDERS.md section 2).

The vendor's reference is PHP: ``strrev`` reverses bytes and ``strtoupper`` upper-cases
ASCII only, so both work on UTF-8 bytes here (``bytes.upper`` leaves non-ASCII alone, unlike
``str.upper``). MD5 by default; SHA-256 when the account's secrets say ``hash = "sha256"``.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import attrs

ALGORITHMS = ("md5", "sha256")
_MASKED_CARD = re.compile(r"^(\d{6})[\d*Xx.\- ]*?(\d{4})$")


@attrs.frozen
class CardDigits:
    """The only card data ever kept: first six and last four digits."""

    first6: str
    last4: str

    @property
    def joined(self) -> str:
        return self.first6 + self.last4


def card_digits(card: str | None) -> CardDigits | None:
    """First six and last four of a full or masked number (``4111111****11111``), if shown."""
    if not card:
        return None
    match = _MASKED_CARD.match(card.strip())
    return CardDigits(match[1], match[2]) if match else None


def _rev(text: str) -> bytes:
    return text.encode("utf-8")[::-1]


def _digest(data: bytes, algorithm: str) -> str:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {algorithm!r} (one of {', '.join(ALGORITHMS)})")
    return hashlib.new(algorithm, data.upper()).hexdigest()


def request_hash(email: str, password: str, card: CardDigits, algorithm: str = "md5") -> str:
    """SALE / RECURRING_SALE / RETRY requests."""
    return _digest(_rev(email) + password.encode("utf-8") + _rev(card.joined), algorithm)


def callback_hash(email: str, password: str, trans_id: str, card: CardDigits,
                  algorithm: str = "md5") -> str:
    """Callbacks (all but CREDIT2CARD) and CAPTURE / CREDITVOID / VOID / GET_TRANS_* requests."""
    data = _rev(email) + password.encode("utf-8") + trans_id.encode("utf-8") + _rev(card.joined)
    return _digest(data, algorithm)


def payout_callback_hash(password: str, trans_id: str, card: CardDigits,
                         algorithm: str = "md5") -> str:
    """CREDIT2CARD callbacks: no payer email."""
    data = password.encode("utf-8") + trans_id.encode("utf-8") + _rev(card.joined)
    return _digest(data, algorithm)


def matches(expected: str, given: str) -> bool:
    """Constant-time comparison of hex digests, case-insensitive as the vendor prints either."""
    return hmac.compare_digest(expected.lower().encode("ascii"),
                               given.strip().lower().encode("ascii", "replace"))
