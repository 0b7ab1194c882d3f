"""The card token a tokenizing payment returns (``payload``), kept with the card's mask.

Seed ``001_8c1730c6689fa4dd.txt``: after a successful payment with ``tokenize`` the callback's
``payload`` holds ``token`` and ``payment_card`` (``mask``, ``first``, ``last``, ``brand``,
holder, expiry). Only the token, a first-six/last-four mask and the brand are kept: never a
full card number, never the holder or expiry.
"""

from __future__ import annotations

import re

from paychart.adapters._wire import Json, card_mask

from .fields import WIRE, object_or_empty
from .vocab import CARD_BRAND, CARD_MASK, CARD_TOKEN

_SIX, _FOUR = re.compile(r"[0-9]{6}"), re.compile(r"[0-9]{4}")


def _mask(card: Json, where: str) -> str | None:
    """The provider's ``mask`` (masked again when it holds a full number), else one made of
    ``first`` and ``last``; ``None`` when neither is a card's digits."""
    mask = card_mask(WIRE.text(card, "mask", where, max_len=64))
    if mask is not None:
        return mask
    first = WIRE.text(card, "first", where, max_len=32) or ""
    last = WIRE.text(card, "last", where, max_len=32) or ""
    if _SIX.fullmatch(first[:6]) and _FOUR.fullmatch(last[-4:]):
        return card_mask(f"{first[:6]}******{last[-4:]}")
    return None


def token_facts(attrs: Json, where: str) -> tuple[tuple[str, str], ...]:
    """``card_token`` with ``card_mask`` and ``card_brand``, so a later charge by token can
    be shown to the merchant as that card; nothing when the payload has no token."""
    payload = object_or_empty(attrs, "payload", where)
    here = f"{where}payload."
    token = WIRE.identifier(payload, "token", here, required=False)
    if token is None:
        return ()
    card = object_or_empty(payload, "payment_card", here)
    kept = [(CARD_TOKEN, token)]
    mask = _mask(card, f"{here}payment_card.")
    if mask is not None:
        kept.append((CARD_MASK, mask))
    brand = WIRE.text(card, "brand", f"{here}payment_card.", max_len=64)
    if brand is not None:
        kept.append((CARD_BRAND, brand))
    return tuple(kept)
