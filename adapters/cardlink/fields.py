"""Small CARDLINK extractors shared by the callback and the response parsers.

They read one field each and raise ``InputError`` naming the field path, so every parser
reports a bad payload the same way. Nothing here keeps a card number or a secret.
"""

from __future__ import annotations

import enum
import json
import re
from datetime import datetime
from typing import Any

import attrs

from paychart.errors import InputError, MoneyError
from paychart.event import CustomerAction
from paychart.money import Money

PROVIDER = "cardlink"


class Kind(enum.StrEnum):
    """CARDLINK objects with a lifecycle of their own, each with its own token."""

    PAYMENT = "payment"
    PAYOUT = "payout"
    REFUND = "refund"
    DISPUTE = "dispute"


class Via(enum.StrEnum):
    """How a status reached us, where it changes what the status means.

    ``REPORT`` is a plain status report (callback, poll, create response); ``HOLD`` the same
    in two-stage mode, where ``approved`` is the authorization; ``CONFIRM``/``DECLINE`` the
    answers to the merchant's two-step calls; ``REQUEST`` the merchant's own request.
    """

    REPORT = "report"
    HOLD = "hold"
    CONFIRM = "confirm"
    DECLINE = "decline"
    REQUEST = "request"


@attrs.frozen
class Report:
    """What one payload says about one object, before the status table maps it."""

    kind: Kind
    object_id: str
    status: str
    field: str
    """Path of the status field, for the ``invalid`` reason when the value is unknown."""
    via: Via = Via.REPORT
    money: Money | None = None
    parent_id: str | None = None
    sequence: int | None = None
    facts: tuple[tuple[str, str], ...] = ()
    remember: tuple[tuple[str, str], ...] = ()
    customer_action: CustomerAction | None = None
    warnings: tuple[str, ...] = ()
    unlinked: bool = False
    """A child object whose parent is not known yet: reported without a state to start in."""


def load_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``InputError`` on ``body``."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InputError("body", "not JSON", provider=PROVIDER) from None
    if not isinstance(data, dict):
        raise InputError("body", "not a JSON object", provider=PROVIDER)
    return data


def table(data: dict[str, Any], key: str, path: str = "") -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise InputError(f"{path}{key}", "missing or not an object", provider=PROVIDER)
    return value


def text(data: dict[str, Any], key: str, path: str = "", *, required: bool = True
         ) -> str | None:
    """A string field; numbers are accepted as their decimal text (ids, order numbers)."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InputError(f"{path}{key}", "missing", provider=PROVIDER)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"{path}{key}", f"must be a string, got {type(value).__name__}",
                         provider=PROVIDER)
    return str(value)


def need(data: dict[str, Any], key: str, path: str = "") -> str:
    """A required string field."""
    value = text(data, key, path)
    assert value is not None  # text() raises when a required field is missing
    return value


def money(data: dict[str, Any], path: str = "", *, amount_key: str = "amount",
          currency_key: str = "currency", required: bool = True) -> Money | None:
    """Minor units (integer or digit string, as CARDLINK sends both) plus currency."""
    raw_amount = data.get(amount_key)
    currency = data.get(currency_key)
    if raw_amount is None and not required:
        return None
    if not isinstance(currency, str):
        raise InputError(f"{path}{currency_key}", "missing currency", provider=PROVIDER)
    try:
        return Money.of_minor(raw_amount, currency)
    except MoneyError as exc:
        field = amount_key if "currency" not in exc.reason else currency_key
        raise InputError(f"{path}{field}", exc.reason, provider=PROVIDER) from None


def epoch_ms(data: dict[str, Any], key: str, path: str = "") -> int | None:
    """An ISO 8601 provider timestamp as epoch milliseconds (the event's sequence)."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{path}{key}", "not a timestamp", provider=PROVIDER)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{path}{key}", f"not ISO 8601: {value!r}", provider=PROVIDER) from None
    return int(moment.timestamp() * 1000)


_NOT_DIGIT = re.compile(r"\D")


def mask_pan(pan: object) -> str | None:
    """First six and last four digits of a card number (spaces allowed); never the rest."""
    if not isinstance(pan, str | int) or isinstance(pan, bool):
        return None
    digits = _NOT_DIGIT.sub("", str(pan))
    if len(digits) < 12:
        return None
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def flag(value: object) -> bool:
    """CARDLINK booleans arrive as JSON booleans, 0/1 or "true"/"false"."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


def customer_action(data: dict[str, Any]) -> CustomerAction | None:
    """Where the customer goes next: the 3-D Secure form (``redirectRequest``), else the
    checkout (``processingUrl``), else the method selector when several methods are offered."""
    redirect = data.get("redirectRequest")
    if isinstance(redirect, dict) and isinstance(redirect.get("url"), str):
        params = redirect.get("params")
        pairs = tuple((str(k), str(v)) for k, v in params.items()) if isinstance(
            params, dict) else ()
        method = str(redirect.get("type") or "get").upper()
        return CustomerAction(redirect["url"], method, pairs)
    url = data.get("processingUrl")
    if isinstance(url, str):
        return CustomerAction(url)
    selector = data.get("selectorURL") or data.get("selectorUrl")
    if isinstance(selector, str):
        return CustomerAction(selector)
    methods = processing_methods(data)
    return CustomerAction(methods[0][1]) if methods else None


def processing_methods(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(method, url) pairs of a multi-provider ``processingUrl`` array."""
    urls = data.get("processingUrl")
    if not isinstance(urls, list):
        return []
    return [(str(name), str(url)) for item in urls if isinstance(item, dict)
            for name, url in item.items()]
