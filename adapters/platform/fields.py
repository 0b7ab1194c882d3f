"""Platform readers built on ``adapters/_wire.py``: the body shapes and fields only it has.

Requests and callbacks are ``application/x-www-form-urlencoded`` with nested keys
(``custom_data[key]``, ``redirect_params[PaReq]``); responses are JSON whose numbers stay
text, so an amount never passes through a float. The vendor's published JSON is indented with
U+00A0, which this module turns into a space outside strings before ``Wire.load_json`` reads
it. Dates are the platform's ``2022-10-26 11:51:53``, amounts decimal major units.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from paychart.adapters._wire import Wire
from paychart.event import CustomerAction
from paychart.money import Money

from .vocab import PROVIDER

WIRE = Wire(PROVIDER)
Fields = Mapping[str, Any]
_NESTED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?")
"""ASCII digits only: ``strptime`` alone would take "٢٠٢٢" for 2022."""
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def load_form(body: bytes) -> dict[str, Any]:
    """A form body as a dict; ``name[key]=v`` pairs become ``{"name": {"key": "v"}}``."""
    fields: dict[str, Any] = {}
    for key, value in WIRE.load_form(body).items():
        nested = _NESTED.match(key)
        if nested is None:
            if isinstance(fields.get(key), dict):
                WIRE.fail(key, "given both as a value and as a table")
            fields[key] = value
            continue
        table = fields.setdefault(nested["name"], {})
        if not isinstance(table, dict):
            WIRE.fail(nested["name"], "given both as a value and as a table")
        table[nested["key"]] = value
    return fields


def _nbsp_outside_strings(text: str) -> str:
    """The vendor's published samples are indented with U+00A0 (copied from HTML), which
    JSON does not allow as whitespace; outside string literals it is only layout."""
    if "\u00a0" not in text:
        return text
    out, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "\u00a0":
            char = " "
        out.append(char)
    return "".join(out)


def load_json(body: bytes) -> dict[str, Any]:
    """A JSON object read by ``Wire.load_json`` (depth, duplicate keys, surrogates, number
    length), once U+00A0 indentation is made a space."""
    data: dict[str, Any] = WIRE.load_json(_nbsp_outside_strings(WIRE.decode(body)))
    return data


def text(fields: Fields, name: str) -> str | None:
    """A scalar field as text; ``None`` when absent or empty."""
    return WIRE.text(fields, name)


def identifier(fields: Fields, name: str) -> str | None:
    """An id (``trans_id``): bounded, no whitespace or control characters."""
    return WIRE.identifier(fields, name, required=False)


def money(fields: Fields, amount_field: str, currency_field: str,
          fallback_currency: str | None) -> tuple[Money | None, list[str]]:
    """Decimal major units ("1.99") to positive minor units; a missing currency falls back to
    the one the transaction already used, otherwise the amount is dropped with a warning."""
    amount = text(fields, amount_field)
    if amount is None:
        return None, []
    currency = WIRE.currency(fields, currency_field, required=False, fallback=fallback_currency)
    if currency is None:
        return None, [f"{amount_field} {amount} ignored: no currency known"]
    value, _ = WIRE.decimal_amount(amount, currency, amount_field, positive=True)
    return value, []


def sequence(fields: Fields, name: str) -> int | None:
    """``2022-10-26 11:51:53`` as 20221026115153: ordered like the provider's clock."""
    value = text(fields, name)
    if value is None:
        return None
    if _DATE.fullmatch(value):
        for fmt in _DATE_FORMATS:
            try:
                return int(datetime.strptime(value, fmt).strftime("%Y%m%d%H%M%S"))
            except ValueError:
                continue
    raise WIRE.error(name, f"not a date: {value[:40]!r}")


def customer_action(fields: Fields) -> CustomerAction | None:
    """``redirect_url`` + ``redirect_params`` (object, or ``[]`` when empty) + method."""
    url = text(fields, "redirect_url")
    if url is None:
        return None
    params = fields.get("redirect_params")
    if params in (None, "", []):
        pairs: tuple[tuple[str, str], ...] = ()
    elif isinstance(params, dict):
        pairs = tuple((WIRE.need({"redirect_params": key}, "redirect_params"),
                       WIRE.text(params, key, "redirect_params.") or "") for key in params)
    else:
        WIRE.fail("redirect_params", "expected an object of parameters")
    method = (text(fields, "redirect_method") or "GET").upper()
    return CustomerAction(url, method, pairs)


def error_reason(fields: Fields) -> str:
    """The ERROR shape: ``error_code``, ``error_message`` and the ``errors[]`` details."""
    code = text(fields, "error_code")
    message = text(fields, "error_message") or "no message"
    parts = [f"platform answered ERROR{' ' + code if code else ''}: {message}"]
    details = fields.get("errors")
    if isinstance(details, list):
        parts += [shown for detail in details if isinstance(detail, dict)
                  and (shown := text(detail, "error_message")) is not None]
    return "; ".join(parts)
