"""Readers this protocol needs beyond ``adapters/_wire.py``, built on it.

* ``object_or_empty``: the platform serializes an empty object as ``[]`` (``metadata``,
  ``flow_data``, ``payload``, ``relationships``), so "an object or an empty list" is read
  wherever an object may be;
* ``major_amount``: amounts are major units sent as JSON numbers (``100``, ``10.55``) or
  decimal strings, read exactly through ``Wire.decimal_amount``;
* ``unix_seconds``: ``created`` / ``updated`` are unix seconds;
* ``about``: errors raised while reading one invoice name that invoice.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from paychart.adapters._wire import Json, Wire
from paychart.errors import InputError
from paychart.money import Money

from .vocab import OBJECT_KIND, PROVIDER

WIRE = Wire(PROVIDER)


@contextmanager
def about(object_id: str | None) -> Iterator[None]:
    """Errors raised inside name the invoice they concern (``object_id`` of the decision)."""
    try:
        yield
    except InputError as exc:
        if exc.object_id is None and object_id is not None:
            exc.object_kind, exc.object_id = OBJECT_KIND, object_id
        raise


def error(field: str, reason: str, object_id: str | None = None) -> InputError:
    return WIRE.error(field, reason, object_kind=OBJECT_KIND if object_id else None,
                      object_id=object_id)


def object_or_empty(data: Mapping[str, Any], key: str, where: str = "") -> Json:
    """A nested object; ``null``, absent and the platform's ``[]`` read as ``{}``."""
    value = data.get(key)
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise error(f"{where}{key}", "expected an object")
    return value


def major_amount(data: Mapping[str, Any], key: str, currency: str, where: str = "", *,
                 required: bool = False, positive: bool = False) -> Money | None:
    """A major-unit amount as exact minor units; more decimals than the currency has, a
    negative amount (or zero where ``positive``) and amounts beyond the per-currency bound
    are refused."""
    value = data.get(key)
    field = f"{where}{key}"
    if value is None:
        if required:
            raise error(field, "missing")
        return None
    if isinstance(value, bool) or not isinstance(value, str):
        # ``Wire.load_json`` keeps numbers as text: anything else is not an amount
        raise error(field, f"expected an amount, got {type(value).__name__}")
    if value.strip().startswith("-"):
        raise error(field, f"negative amount {value.strip()[:40]}")
    money, _ = WIRE.decimal_amount(value, currency, field, positive=False)
    if positive and money.amount == 0:
        raise error(field, "must be positive, got 0")
    return money


def unix_seconds(data: Mapping[str, Any], key: str, where: str = "") -> int | None:
    """Unix seconds (``created``, ``updated``); ``None`` when absent."""
    return WIRE.integer(data, key, where, minimum=0)
