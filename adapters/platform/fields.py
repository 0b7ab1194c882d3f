"""Extractors for the platform protocol: form and JSON bodies, money, dates, redirects.

Requests and callbacks are ``application/x-www-form-urlencoded`` with nested keys
(``custom_data[key]``, ``redirect_params[PaReq]``); responses are JSON whose numbers are read
as text, so an amount never passes through a float.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from paychart.errors import InputError, MoneyError
from paychart.event import CustomerAction
from paychart.money import Money

from .vocab import PROVIDER

Fields = Mapping[str, Any]
_NESTED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _error(field: str, reason: str) -> InputError:
    return InputError(field, reason, provider=PROVIDER)


def parse_form(body: bytes) -> dict[str, Any]:
    """A form body as a dict; ``name[key]=v`` pairs become ``{"name": {"key": "v"}}``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _error("body", "form body is not UTF-8") from None
    fields: dict[str, Any] = {}
    try:
        pairs = parse_qsl(text.strip(), keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise _error("body", "not an application/x-www-form-urlencoded body") from None
    for key, value in pairs:
        nested = _NESTED.match(key)
        if nested is not None:
            table = fields.setdefault(nested["name"], {})
            if not isinstance(table, dict):
                raise _error(nested["name"], "given both as a value and as a table")
            table[nested["key"]] = value
        elif key in fields:
            raise _error(key, "given more than once")
        else:
            fields[key] = value
    return fields


def _nbsp_outside_strings(text: str) -> str:
    """The vendor's published samples are indented with U+00A0 (copied from HTML), which
    JSON does not allow as whitespace; outside string literals it is only layout."""
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


def parse_json(body: bytes) -> dict[str, Any]:
    """A JSON object; numbers stay text (``parse_float=str``) so money is never a float."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _error("body", "response body is not UTF-8") from None
    try:
        data = json.loads(_nbsp_outside_strings(text), parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise _error("body", f"not a JSON document ({exc.msg} at {exc.pos})") from None
    if not isinstance(data, dict):
        raise _error("body", "a response must be a JSON object")
    return data


def text(fields: Fields, name: str) -> str | None:
    """A scalar field as text; ``None`` when absent or empty."""
    value = fields.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _error(name, f"expected a value, got {type(value).__name__}")
    return value


def money(fields: Fields, amount_field: str, currency_field: str,
          fallback_currency: str | None) -> tuple[Money | None, list[str]]:
    """Decimal major units ("1.99") to minor units; a missing currency falls back to the one
    the transaction already used, otherwise the amount is dropped with a warning."""
    amount = text(fields, amount_field)
    if amount is None:
        return None, []
    currency = text(fields, currency_field) or fallback_currency
    if currency is None:
        return None, [f"{amount_field} {amount} ignored: no currency known"]
    try:
        return Money.parse(amount, currency), []
    except MoneyError as exc:
        field = currency_field if "currency" in exc.reason else amount_field
        raise _error(field, exc.reason) from None


def sequence(fields: Fields, name: str) -> int | None:
    """``2022-10-26 11:51:53`` as 20221026115153: ordered like the provider's clock."""
    value = text(fields, name)
    if value is None:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return int(datetime.strptime(value, fmt).strftime("%Y%m%d%H%M%S"))
        except ValueError:
            continue
    raise _error(name, f"not a date: {value!r}")


def customer_action(fields: Fields) -> CustomerAction | None:
    """``redirect_url`` + ``redirect_params`` (object, or ``[]`` when empty) + method."""
    url = text(fields, "redirect_url")
    if url is None:
        return None
    params = fields.get("redirect_params")
    if params in (None, "", []):
        pairs: tuple[tuple[str, str], ...] = ()
    elif isinstance(params, dict):
        pairs = tuple((str(k), str(v)) for k, v in params.items())
    else:
        raise _error("redirect_params", "expected an object of parameters")
    method = (text(fields, "redirect_method") or "GET").upper()
    return CustomerAction(url, method, pairs)


def error_reason(fields: Fields) -> str:
    """The ERROR shape: ``error_code``, ``error_message`` and the ``errors[]`` details."""
    code = text(fields, "error_code")
    message = text(fields, "error_message") or "no message"
    parts = [f"platform answered ERROR{' ' + code if code else ''}: {message}"]
    details = fields.get("errors")
    if isinstance(details, list):
        parts += [str(d.get("error_message")) for d in details
                  if isinstance(d, dict) and d.get("error_message")]
    return "; ".join(parts)
