"""The PayLink readers ``adapters/_wire.py`` does not have, built on it.

Every field goes through ``WIRE`` first (so control and bidi characters, non-ASCII digits and
oversized values are refused naming the field); what is PayLink's own is here: timestamps
that are not strict ISO 8601 (the gateway's Ruby client fixtures have
``"2020-11-20T10: 42: 28.786Z"``), money whose absence is a finding rather than an error, and
the card facts worth keeping. Source: docs/PROVIDERS.md §3 ("booleans may arrive as ``true``
or ``1``; timestamps are not always strict ISO 8601").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paychart.adapters._wire import Wire
from paychart.money import Money

from .vocab import PROVIDER

WIRE = Wire(PROVIDER)

_LOOSE_COLON = re.compile(r":\s+")
_STAMP_LENGTH = 64


def lenient_time(value: str) -> datetime | None:
    """A gateway timestamp read leniently (spaces after colons, ``Z``, `` UTC``, a space for
    ``T``); ``None`` when it cannot be read. Naive times are taken as UTC."""
    text = _LOOSE_COLON.sub(":", value.strip()).replace(" UTC", "Z")
    if not text:
        return None
    if len(text) > 10 and text[10] == " ":
        text = f"{text[:10]}T{text[11:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sequence_of(data: Mapping[str, Any], where: str,
                warnings: list[str]) -> tuple[int | None, str]:
    """Epoch milliseconds of ``updated_at`` (the gateway's own ordering) and its text for the
    dedupe key; an unreadable timestamp is a warning, never an error."""
    raw = WIRE.text(data, "updated_at", f"{where}.", max_len=_STAMP_LENGTH)
    if raw is None:
        return None, "-"
    moment = lenient_time(raw)
    if moment is None:
        if raw.strip():
            warnings.append(f"{where}.updated_at {raw[:40]!r} is not a readable timestamp; "
                            "ordering by provider time is unavailable")
        return None, raw[:40]
    millis = int(moment.timestamp() * 1000)
    return millis, str(millis)


def money(data: Mapping[str, Any], where: str) -> Money | None:
    """Minor-unit ``amount`` with ``currency``; ``None`` when either is absent (the Ruby
    client's fixture sends ``null`` for both), which the caller reports as a finding.
    A present amount must be positive and within the currency's bound."""
    amount = data.get("amount")
    currency = WIRE.currency(data, "currency", f"{where}.", required=False)
    if amount is None or currency is None:
        return None
    return WIRE.minor_amount(amount, currency, f"{where}.amount")


def figure(data: Mapping[str, Any], key: str, where: str) -> int | None:
    """A non-negative integer minor-unit figure (a surcharge part), ``None`` when absent."""
    return WIRE.integer(data, key, f"{where}.", minimum=0)


def flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    """A boolean sent as ``true``/``false``, ``1``/``0`` or their text; absent is false."""
    return bool(WIRE.flag(data, key, f"{where}.", default=False))


def text(data: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional free-text field (``message``, ``type``…)."""
    return WIRE.text(data, key, f"{where}.")


def identifier(data: Mapping[str, Any], key: str, where: str) -> str:
    """A required object id (``uid``, ``token``, ``parent_uid``)."""
    return WIRE.need_id(data, key, f"{where}.")


def section(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """A nested object, ``None`` when absent or ``null``."""
    return WIRE.table(data, key, f"{where}.", required=False)


_BIN = re.compile(r"[0-9]{6,8}")
_LAST4 = re.compile(r"[0-9]{4}")
_BRAND = 20


def card_facts(tx: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """Card facts worth keeping for later checks: brand, BIN and last four, never more (the
    reusable ``token`` and the ``stamp`` are not kept)."""
    card = section(tx, "credit_card", where)
    if card is None:
        return []
    card_where = f"{where}.credit_card"
    kept = []
    brand = text(card, "brand", card_where)
    if brand:
        kept.append(("card_brand", brand[:_BRAND]))
    for key, name, pattern in (("bin", "card_bin", _BIN), ("last_4", "card_last4", _LAST4)):
        value = text(card, key, card_where)
        if value and pattern.fullmatch(value):
            kept.append((name, value))
    return kept
