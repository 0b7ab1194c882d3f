"""CARDLINK field readers built on ``adapters/_wire.py``: money, timestamps, checkout links.

Each reads one concept and raises ``InputError`` naming the field path, so every parser
reports a bad payload the same way. Nothing here keeps a card number or a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from paychart.adapters._wire import Wire
from paychart.event import CustomerAction
from paychart.money import Money

from .vocab import PROVIDER

WIRE = Wire(PROVIDER)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
ORDER_NUMBER_MAX = 255
"""The seed's bound on ``orderNumber``, the merchant's own reference, which may hold spaces
("your order number"), so it is read as text, not as an id."""


def money(data: Mapping[str, Any], path: str = "", *, required: bool = True) -> Money | None:
    """``amount`` in integer minor units (a JSON number or its digits, as CARDLINK sends
    both) with ``currency``; positive and bounded per currency."""
    if data.get("amount") is None and not required:
        return None
    amount = WIRE.integer(data, "amount", path, required=True)
    currency = WIRE.currency(data, "currency", path)
    assert amount is not None and currency is not None  # required: the readers raise
    return WIRE.minor_amount(amount, currency, f"{path}amount")


def epoch_ms(data: Mapping[str, Any], key: str, path: str = "") -> int | None:
    """An ISO 8601 provider timestamp as epoch milliseconds (the event's sequence), exact."""
    moment = WIRE.timestamp(data, key, path)
    return None if moment is None else (moment - _EPOCH) // _MILLISECOND


def customer_action(data: Mapping[str, Any]) -> CustomerAction | None:
    """Where the customer goes next: the 3-D Secure form (``redirectRequest``), else the
    checkout (``processingUrl``), else the method selector when several methods are offered."""
    redirect = WIRE.table(data, "redirectRequest", required=False)
    if redirect is not None and redirect.get("url") is not None:
        where = "redirectRequest."
        params = WIRE.table(redirect, "params", where, required=False) or {}
        pairs = tuple((key, WIRE.text(params, key, f"{where}params.") or "") for key in params)
        method = (WIRE.text(redirect, "type", where, max_len=16) or "get").upper()
        return CustomerAction(WIRE.need(redirect, "url", where), method, pairs)
    if not isinstance(data.get("processingUrl"), list):
        url = WIRE.text(data, "processingUrl")
        if url is not None:
            return CustomerAction(url)
    selector = WIRE.text(data, "selectorURL") or WIRE.text(data, "selectorUrl")
    if selector is not None:
        return CustomerAction(selector)
    methods = processing_methods(data)
    return CustomerAction(methods[0][1]) if methods else None


def processing_methods(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(method, url) pairs of a multi-provider ``processingUrl`` array."""
    if not isinstance(data.get("processingUrl"), list):
        return []
    methods = []
    for i, item in enumerate(WIRE.items(data, "processingUrl")):
        if not isinstance(item, dict):
            WIRE.fail(f"processingUrl[{i}]", "not an object")
        for name in item:
            methods.append((WIRE.need_id({"method": name}, "method", f"processingUrl[{i}]."),
                            WIRE.need(item, name, f"processingUrl[{i}].")))
    return methods


def methods_fact(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The checkout methods a multi-provider create offered, as one fact."""
    methods = processing_methods(data)
    return (("methods", ",".join(name for name, _ in methods)),) if methods else ()
