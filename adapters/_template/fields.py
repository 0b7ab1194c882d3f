"""Small extractors shared by the parsers, all built on the hardened ``_wire`` readers.

Change: the field names and formats (minor units here; ``WIRE.decimal_amount`` for major
units as text), and which facts are worth keeping on the decision. Never keep a full card
number or a CVV: ``card`` keeps the masked number only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paychart.adapters._wire import Wire, mask_pan
from paychart.money import Money

from .vocab import PROVIDER

WIRE = Wire(PROVIDER)


def money(doc: Mapping[str, Any]) -> Money:
    """``amount`` in integer minor units of ``currency``, positive and bounded."""
    currency = WIRE.currency(doc, "currency")
    assert currency is not None  # required: currency() raises when it is missing
    return WIRE.minor_amount(doc.get("amount"), currency, "amount")


def facts(doc: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Short provider facts worth showing on the decision (a decline reason)."""
    reason = WIRE.text(doc, "reason", max_len=200)
    return (("reason", reason),) if reason else ()


def card(card: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """What the object remembers of the card: its mask, never the number or the CVV."""
    masked = mask_pan(WIRE.text(card, "number", "card.", max_len=32))
    if masked is None:
        WIRE.fail("card.number", "not a card number")
    return (("card", masked),)
