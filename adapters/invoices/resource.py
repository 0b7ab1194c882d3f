"""Extractors for the payment-invoices JSON:API documents (PROVIDERS.md section 4).

Small, typed readers over untrusted JSON: every failure is an ``InputError`` naming the path of
the field (``data.attributes.amount``), so the ``invalid`` decision says what was wrong. The
platform serializes empty objects as ``[]`` (``metadata``, ``flow_data``, ``payload``,
``relationships``), so "an object or an empty list" is accepted wherever an object may be.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from paychart.errors import InputError, MoneyError
from paychart.event import CustomerAction
from paychart.money import Money

PROVIDER = "invoices"
OBJECT_KIND = "payment_invoice"
RESOURCE_TYPE = "payment-invoices"

Json = dict[str, Any]


def error(field: str, reason: str, object_id: str | None = None) -> InputError:
    return InputError(field, reason, provider=PROVIDER, object_kind=OBJECT_KIND,
                      object_id=object_id)


def load_document(body: bytes) -> Json:
    """The JSON document; decimals stay ``Decimal`` so no amount ever passes through a float."""
    try:
        document = json.loads(body.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise error("body", "not UTF-8") from None
    except ValueError as exc:
        raise error("body", f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise error("body", "a JSON:API document must be an object")
    if "errors" in document and "data" not in document:
        raise error("errors", f"the API answered with errors: {_error_text(document['errors'])}")
    return document


def _error_text(errors: object) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("detail") or first.get("title") or first.get("code") or "?")[:200]
    return "unreadable error list"


def object_or_empty(value: object, field: str, object_id: str | None = None) -> Json:
    """An object, with ``null`` and the platform's ``[]`` for "empty object" read as ``{}``."""
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise error(field, f"expected an object, got {type(value).__name__}", object_id)
    return value


def resources(document: Json) -> list[tuple[str, Json]]:
    """(path, resource) of ``data``: one resource, or a batch when ``data`` is a list."""
    data = document.get("data")
    if isinstance(data, dict):
        return [("data", data)]
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        return [(f"data[{i}]", item) for i, item in enumerate(data)]
    raise error("data", "missing or not a resource (or a list of resources)")


def attributes(resource: Json, path: str, object_id: str | None = None) -> Json:
    value = resource.get("attributes")
    if not isinstance(value, dict):
        raise error(f"{path}.attributes", "missing or not an object", object_id)
    return value


def text(data: Json, key: str, path: str, object_id: str | None = None, *,
         required: bool = True) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise error(f"{path}.{key}", "missing", object_id)
        return None
    if not isinstance(value, str):
        raise error(f"{path}.{key}", f"expected a string, got {type(value).__name__}",
                    object_id)
    return value


def required_text(data: Json, key: str, path: str, object_id: str | None = None) -> str:
    value = text(data, key, path, object_id)
    assert value is not None  # text() raises for a missing required field
    return value


def flag(data: Json, key: str, path: str, object_id: str | None = None) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise error(f"{path}.{key}", f"expected true or false, got {value!r}", object_id)
    return value


def timestamp(data: Json, key: str, path: str, object_id: str | None = None) -> int | None:
    """Unix seconds (``created``, ``updated``); ``None`` when absent."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise error(f"{path}.{key}", f"expected unix seconds, got {value!r}", object_id)
    return value


def money(data: Json, key: str, currency: str, path: str, object_id: str | None = None,
          *, required: bool = False) -> Money | None:
    """A major-unit amount (JSON number or decimal string) as exact minor units."""
    value = data.get(key)
    if value is None:
        if required:
            raise error(f"{path}.{key}", "missing", object_id)
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise error(f"{path}.{key}", f"expected an amount, got {value!r}", object_id)
    shown = format(value, "f") if isinstance(value, Decimal) else str(value)
    try:
        amount = Money.parse(shown, currency)
    except MoneyError as exc:
        raise error(f"{path}.{key}", exc.reason + f": {shown}", object_id) from None
    if amount.amount < 0:
        raise error(f"{path}.{key}", f"negative amount {shown}", object_id)
    return amount


def currency(data: Json, path: str, object_id: str | None = None) -> str:
    code = required_text(data, "currency", path, object_id)
    try:
        Money(0, code.upper())
    except MoneyError as exc:
        raise error(f"{path}.currency", exc.reason + f": {code}", object_id) from None
    return code.upper()


def customer_action(attrs: Json, path: str, object_id: str) -> CustomerAction | None:
    """``flow_data`` names the page the customer must open next (hosted payment page)."""
    flow = object_or_empty(attrs.get("flow_data"), f"{path}.flow_data", object_id)
    url = text(flow, "action", f"{path}.flow_data", object_id, required=False)
    if url is None:
        return None
    method = text(flow, "method", f"{path}.flow_data", object_id, required=False) or "GET"
    params = object_or_empty(flow.get("params"), f"{path}.flow_data.params", object_id)
    return CustomerAction(url, method.upper(),
                          tuple((str(k), str(v)) for k, v in sorted(params.items())))


def gateway_session(attrs: Json, path: str, object_id: str) -> str | None:
    """The CARDGATE invoice id (``flow_data.metadata.sid``) a sale will be initiated for.
    The bearer ``token`` beside it is a credential and is deliberately not read."""
    flow = object_or_empty(attrs.get("flow_data"), f"{path}.flow_data", object_id)
    meta = object_or_empty(flow.get("metadata"), f"{path}.flow_data.metadata", object_id)
    return text(meta, "sid", f"{path}.flow_data.metadata", object_id, required=False)


_DIGITS = re.compile(r"\d+")


def card_mask(card: Json) -> str | None:
    """First six and last four digits only, whatever the provider sent in ``mask``."""
    mask = card.get("mask")
    first, last = card.get("first"), card.get("last")
    if isinstance(mask, str):
        digits = _DIGITS.findall(re.sub(r"[\s-]", "", mask))
        if len(digits) >= 2 and len(digits[0]) >= 6 and len(digits[-1]) >= 4:
            first, last = first or digits[0][:6], last or digits[-1][-4:]
        elif len(digits) == 1 and len(digits[0]) >= 12:  # a full number: never keep it
            first, last = digits[0][:6], digits[0][-4:]
    if not (isinstance(first, str) and isinstance(last, str)):
        return None
    if not (re.fullmatch(r"\d{6}", first[:6]) and re.fullmatch(r"\d{4}", last[-4:])):
        return None
    return f"{first[:6]}******{last[-4:]}"


def token_facts(attrs: Json, path: str, object_id: str) -> tuple[tuple[str, str], ...]:
    """The card token of a tokenizing payment (``payload.token``) kept with the card mask
    and brand, so a later charge by token can be shown to the merchant as that card."""
    payload = object_or_empty(attrs.get("payload"), f"{path}.payload", object_id)
    token = text(payload, "token", f"{path}.payload", object_id, required=False)
    if token is None:
        return ()
    card = object_or_empty(payload.get("payment_card"), f"{path}.payload.payment_card",
                           object_id)
    kept = [("card_token", token)]
    mask = card_mask(card)
    if mask is not None:
        kept.append(("card_mask", mask))
    brand = card.get("brand")
    if isinstance(brand, str) and brand:
        kept.append(("card_brand", brand))
    return tuple(kept)


def included(document: Json, kind: str) -> list[Json]:
    """Resources of one type from ``included`` (customers, payment-requests)."""
    items = document.get("included")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and item.get("type") == kind]


def customer_reference(document: Json, attrs: Json) -> str | None:
    """The customer's ``reference_id``: the request's ``customer`` or the included customer."""
    customer = attrs.get("customer")
    if isinstance(customer, dict) and isinstance(customer.get("reference_id"), str):
        return str(customer["reference_id"])
    for item in included(document, "customers"):
        found = item.get("attributes")
        if isinstance(found, dict) and isinstance(found.get("reference_id"), str):
            return str(found["reference_id"])
    return None


def payment_request_status(document: Json, invoice_id: str) -> str | None:
    """Status of the included payment request that belongs to this invoice, if any."""
    for item in included(document, "payment-requests"):
        found = item.get("attributes")
        if (isinstance(found, dict) and found.get("reference_id") == invoice_id
                and isinstance(found.get("status"), str)):
            return str(found["status"])
    return None


def minor_fact(name: str, amount: Money | None) -> tuple[tuple[str, str], ...]:
    return () if amount is None else ((name, str(amount.amount)),)

