"""PayLink vocabulary and the one table from (transaction type, status) to chart edge, plus the
small extractors every PayLink body needs (lenient booleans, timestamps, minor-unit money).

Source: seed ``003_ad3bca129e55361a.txt`` and PROVIDERS.md §3. The gateway prints booleans as
``true`` or ``1`` (its PHP SDK) and timestamps not always in strict ISO 8601 (its Ruby client's
fixtures have ``"2020-11-20T10: 42: 28.786Z"``), so both are read leniently here.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from paychart.errors import InputError, MoneyError
from paychart.money import Money

PROVIDER = "paylink"


class Status(enum.StrEnum):
    """Gateway transaction statuses (PROVIDERS.md §3 point 2)."""

    INCOMPLETE = "incomplete"
    PENDING = "pending"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    EXPIRED = "expired"
    ERROR = "error"


class TransactionType(enum.StrEnum):
    """Gateway transaction types this adapter charts; others (``payout``…) are refused."""

    PAYMENT = "payment"
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    CHARGEBACK = "chargeback"


@attrs.frozen
class Edge:
    """Where a (type, status) lands: object kind, chart trigger and the state reported."""

    kind: str
    trigger: str
    state: str


_T, _P = TransactionType, Status
TRANSACTION = "transaction"
"""Object kind shared by payments and authorizations (see specs/paylink_transaction.toml)."""

TABLE: Mapping[tuple[TransactionType, Status], Edge] = {
    (_T.PAYMENT, _P.INCOMPLETE): Edge(TRANSACTION, "require_action", "incomplete"),
    (_T.PAYMENT, _P.PENDING): Edge(TRANSACTION, "process", "pending"),
    (_T.PAYMENT, _P.SUCCESSFUL): Edge(TRANSACTION, "pay", "successful"),
    (_T.PAYMENT, _P.FAILED): Edge(TRANSACTION, "fail", "failed"),
    (_T.PAYMENT, _P.EXPIRED): Edge(TRANSACTION, "expire", "expired"),
    (_T.PAYMENT, _P.ERROR): Edge(TRANSACTION, "error", "error"),
    (_T.AUTHORIZATION, _P.INCOMPLETE): Edge(TRANSACTION, "require_action", "incomplete"),
    (_T.AUTHORIZATION, _P.PENDING): Edge(TRANSACTION, "process", "pending"),
    (_T.AUTHORIZATION, _P.SUCCESSFUL): Edge(TRANSACTION, "authorize", "authorized"),
    (_T.AUTHORIZATION, _P.FAILED): Edge(TRANSACTION, "fail", "failed"),
    (_T.AUTHORIZATION, _P.EXPIRED): Edge(TRANSACTION, "expire", "expired"),
    (_T.AUTHORIZATION, _P.ERROR): Edge(TRANSACTION, "error", "error"),
    **{(child, status): Edge(child.value, trigger, status.value)
       for child in (_T.CAPTURE, _T.VOID, _T.REFUND, _T.CHARGEBACK)
       for status, trigger in ((_P.INCOMPLETE, "require_action"), (_P.PENDING, "process"),
                               (_P.SUCCESSFUL, "succeed"), (_P.FAILED, "fail"),
                               (_P.EXPIRED, "expire"), (_P.ERROR, "error"))},
}
"""Every (type, status) pair the gateway documents; a pair not here is an ``invalid`` input.
Children share their charts' shape: their states are named after the gateway statuses."""

CHECKOUT_FINISHED: Mapping[tuple[TransactionType, Status], Edge] = {
    (_T.PAYMENT, _P.SUCCESSFUL): Edge("checkout", "succeed", "successful"),
    (_T.AUTHORIZATION, _P.SUCCESSFUL): Edge("checkout", "authorize", "authorized"),
    **{(kind, status): Edge("checkout", trigger, state)
       for kind in (_T.PAYMENT, _T.AUTHORIZATION)
       for status, trigger, state in ((_P.INCOMPLETE, "attempt", "in_progress"),
                                      (_P.PENDING, "attempt", "in_progress"),
                                      (_P.FAILED, "fail", "failed"),
                                      (_P.EXPIRED, "expire", "expired"),
                                      (_P.ERROR, "error", "error"))},
}
"""A finished checkout takes its transaction's outcome (seed: "if not error, it is the gateway
transaction status")."""
CHECKOUT_OPEN = Edge("checkout", "open", "open")
CHECKOUT_ATTEMPTED = Edge("checkout", "attempt", "in_progress")
CHECKOUT_EXPIRED = Edge("checkout", "expire", "expired")

# -- extractors -------------------------------------------------------------------------------

_TRUE = frozenset({True, "true", "1"})  # True == 1, so the integer 1 matches too
_FALSE = frozenset({False, "false", "0", None})  # and False == 0


def flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    """A boolean sent as ``true``/``false``, ``1``/``0`` or their strings; absent is false."""
    value = data.get(key)
    if isinstance(value, str):
        value = value.strip().lower()
    if isinstance(value, (bool, int, str)) or value is None:
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise InputError(f"{where}.{key}", f"not a boolean: {value!r}", provider=PROVIDER)


_LOOSE_COLON = re.compile(r":\s+")


def timestamp(value: object) -> datetime | None:
    """A gateway timestamp, read leniently (spaces after colons, ``Z``, a space for ``T``);
    ``None`` when it cannot be read. Naive times are taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = _LOOSE_COLON.sub(":", value.strip()).replace(" UTC", "Z")
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
    dedupe key; an unreadable timestamp is a warning, never a crash."""
    raw = data.get("updated_at")
    if raw is None:
        return None, "-"
    moment = timestamp(raw)
    if moment is None:
        warnings.append(f"{where}.updated_at {str(raw)[:40]!r} is not a readable timestamp; "
                        "ordering by provider time is unavailable")
        return None, str(raw)[:40]
    millis = int(moment.timestamp() * 1000)
    return millis, str(millis)


def money(data: Mapping[str, Any], where: str, warnings: list[str]) -> Money | None:
    """Minor-unit ``amount`` with ``currency``; missing figures are a warning (the Ruby
    client's fixture sends ``null`` for both)."""
    amount, currency = data.get("amount"), data.get("currency")
    if amount is None or currency is None:
        warnings.append(f"{where} carries no amount and currency")
        return None
    if not isinstance(currency, str):
        raise InputError(f"{where}.currency", f"not a currency code: {currency!r}",
                         provider=PROVIDER)
    try:
        return Money.of_minor(amount, currency)
    except MoneyError as exc:
        field = "amount" if exc.value is amount else "currency"
        raise InputError(f"{where}.{field}", exc.reason + f": {exc.value!r}",
                         provider=PROVIDER) from None


def minor(data: Mapping[str, Any], key: str) -> int | None:
    """An integer minor-unit figure (surcharge parts), ``None`` when absent or not an integer."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def text(data: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    """A string (or number printed as one) field; ``InputError`` when required and missing."""
    value = data.get(key)
    if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    if required:
        raise InputError(f"{where}.{key}", "missing" if value is None else
                         f"not a string: {value!r}", provider=PROVIDER)
    return None


def table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    """A nested JSON object, ``None`` when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(f"{where}.{key}", f"not an object: {type(value).__name__}",
                         provider=PROVIDER)
    return value


def status(data: Mapping[str, Any], where: str) -> Status:
    value = text(data, "status", where, required=True)
    try:
        return Status(value or "")
    except ValueError:
        raise InputError(f"{where}.status", f"unknown status {value!r}",
                         provider=PROVIDER) from None


def transaction_type(value: str | None, field: str) -> TransactionType:
    try:
        return TransactionType(value or "")
    except ValueError:
        raise InputError(field, f"unsupported transaction type {value!r}",
                         provider=PROVIDER) from None
