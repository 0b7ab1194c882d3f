"""The platform's ``hash``: formulas, what it covers, and its constant-time check.

docs/PROVIDERS.md §2 (hash formulas). The vendor's reference is PHP: ``strrev`` reverses
bytes and ``strtoupper`` upper-cases ASCII only, so both work on UTF-8 bytes here
(``bytes.upper`` leaves non-ASCII alone, unlike ``str.upper``). MD5 by default; SHA-256 when
the account's secrets say ``hash = "sha256"``.

The hash binds the payer email, the password, ``trans_id`` and the card's first six and last
four digits, and nothing else: not the status, the amount or the currency. A dispute callback
carries neither email nor card, so verifying it needs the facts the engine kept from the
merchant's SALE request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

import attrs

from paychart.adapter import SecretsSchema, SignatureScope
from paychart.adapters._wire import card_mask
from paychart.errors import InputError
from paychart.event import SignatureStatus

from .fields import WIRE, Fields, text
from .vocab import PAYOUT, TRANSACTION

ALGORITHMS = ("md5", "sha256")
HASH_FIELD = "hash"

SCOPE = SignatureScope(
    "MD5 (or SHA-256) of upper(strrev(payer email) + password + trans_id + strrev(card "
    "first six + last four)) in the body field `hash`; status, amount and currency are NOT "
    "covered, the email and card digits come from the merchant request when absent",
    frozenset({"trans_id"}))

SECRETS = SecretsSchema(
    required=frozenset({"password"}),
    optional=frozenset({HASH_FIELD}),
    choices={HASH_FIELD: frozenset(ALGORITHMS)},
    redacted_fields=frozenset({"recurring_token"}))
"""``password`` signs every hash; ``hash`` picks the algorithm. A ``recurring_token`` charges
the card again, so it is never journaled."""

_MASKED_CARD = re.compile(r"([0-9]{6})[0-9*Xx.\- ]*?([0-9]{4})")


@attrs.frozen
class CardDigits:
    """The only card data ever kept: first six and last four digits."""

    first6: str
    last4: str

    @property
    def joined(self) -> str:
        return self.first6 + self.last4


def card_digits(card: str | None) -> CardDigits | None:
    """First six and last four of a full or masked number (``4111111****11111``), if shown;
    a full number is masked by ``_wire.card_mask`` before anything else looks at it."""
    masked = card_mask(card.strip()) if card else None
    match = _MASKED_CARD.fullmatch(masked) if masked else None
    return CardDigits(match[1], match[2]) if match else None


def kept_card(kept: Mapping[str, str]) -> CardDigits | None:
    first6, last4 = kept.get("card_first6"), kept.get("card_last4")
    return CardDigits(first6, last4) if first6 and last4 else None


def _rev(value: str) -> bytes:
    return value.encode("utf-8")[::-1]


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


def verify(expected: str, given: str) -> bool:
    """Constant-time comparison of hex digests, case-insensitive as the vendor prints either."""
    return hmac.compare_digest(expected.lower().encode("ascii"),
                               given.strip().lower().encode("ascii", "replace"))


def algorithm(secrets: Mapping[str, str]) -> str:
    """The account's algorithm; an unknown one is named by the allowed values only."""
    chosen = secrets.get(HASH_FIELD, "md5").lower()
    if chosen not in ALGORITHMS:
        raise _error("signature", f"platform secrets: `hash` must be one of "
                     f"{', '.join(ALGORITHMS)}")
    return chosen


def _error(field: str, reason: str, object_id: str | None = None) -> InputError:
    return WIRE.error(field, reason, object_id=object_id)


def verify_callback(fields: Fields, kind: str, trans_id: str, kept: Mapping[str, str],
                    secrets: Mapping[str, str], warnings: list[str]) -> SignatureStatus:
    """A callback's ``hash``, with the email and card digits the engine kept (the callback's
    own masked card when none are kept). Without a password it is ``unchecked``."""
    given = text(fields, HASH_FIELD)
    password = secrets.get("password")
    if not password:
        return SignatureStatus.UNCHECKED if given else SignatureStatus.ABSENT
    if given is None:
        raise _error("signature", "callback carries no `hash`", trans_id)
    chosen = algorithm(secrets)
    email = kept.get("payer_email")
    if kind == TRANSACTION and email is None:
        raise _error("signature", f"cannot verify `hash`: the payer email of transaction "
                     f"{trans_id} is not known (its SALE request was not seen)", trans_id)
    shown = card_digits(text(fields, "card"))
    card = kept_card(kept) or shown
    if card is None:
        raise _error("signature", f"cannot verify `hash`: the card digits of {kind} "
                     f"{trans_id} are not known", trans_id)
    if shown is not None and shown != card:
        warnings.append("callback card digits differ from those of the merchant request")
    if kind == PAYOUT or email is None:
        expected = payout_callback_hash(password, trans_id, card, chosen)
    else:
        expected = callback_hash(email, password, trans_id, card, chosen)
    if not verify(expected, given):
        raise _error("signature", "`hash` does not match the platform formula", trans_id)
    return SignatureStatus.VALID


def verify_request(fields: Fields, email: str, card: CardDigits | None,
                   secrets: Mapping[str, str], trans_id: str) -> SignatureStatus:
    """A merchant SALE / RECURRING_SALE request's ``hash`` (no trans_id in its formula)."""
    given = text(fields, HASH_FIELD)
    password = secrets.get("password")
    if not password or card is None:
        return SignatureStatus.UNCHECKED if given else SignatureStatus.ABSENT
    if given is None:
        raise _error("signature", "request carries no `hash`", trans_id)
    if not verify(request_hash(email, password, card, algorithm(secrets)), given):
        raise _error("signature", "`hash` does not match the platform formula", trans_id)
    return SignatureStatus.VALID


def _pairs(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True)


def sign(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str],
         facts: Mapping[str, str] | None = None) -> tuple[bytes, Mapping[str, str]]:
    """A form body (callback or SALE request) as the platform or merchant signs it: ``hash``
    set from the body's own ``trans_id``, card and email, or the kept ``facts``
    (``payer_email``, ``card_first6``, ``card_last4``) a dispute callback needs."""
    pairs = [(k, v) for k, v in _pairs(body) if k != HASH_FIELD]
    found = dict(pairs)
    kept = facts or {}
    chosen, password = algorithm(secrets), secrets["password"]
    card = (card_digits(found.get("card_number") or found.get("card"))
            or kept_card(kept))
    email = found.get("payer_email") or found.get("mail") or kept.get("payer_email")
    if card is None:
        raise ValueError("cannot sign: no card digits in the body or the facts")
    if "card_number" in found:
        digest = request_hash(email or "", password, card, chosen)
    elif found.get("action") == "CREDIT2CARD":
        digest = payout_callback_hash(password, found.get("trans_id", ""), card, chosen)
    elif email is None:
        raise ValueError("cannot sign a transaction callback without the payer email")
    else:
        digest = callback_hash(email, password, found.get("trans_id", ""), card, chosen)
    return urlencode([*pairs, (HASH_FIELD, digest)]).encode("ascii"), dict(headers)


def unsign(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, Mapping[str, str]]:
    """The body without its ``hash`` field, every other pair byte for byte."""
    kept = [pair for pair in body.split(b"&")
            if pair.split(b"=", 1)[0] not in (HASH_FIELD.encode(), b"")]
    return b"&".join(kept), dict(headers)
