"""The JSON:API document around invoice resources (docs/PROVIDERS.md §4).

A body is one resource under ``data``, or a batch when ``data`` is a list; ``included``
carries related resources (the customer, the payment request). Every failure is an
``InputError`` naming the path of the field (``data[1].attributes``).
"""

from __future__ import annotations

from typing import Any

from paychart.adapters._wire import Json
from paychart.errors import InputError

from .fields import WIRE, error, object_or_empty
from .vocab import RESOURCE_TYPE, TEST_MODE


def load_document(body: bytes) -> Json:
    """The JSON document, read by the hardened wire reader (numbers stay text). An API
    error document (``errors`` without ``data``) is invalid with the API's own message."""
    document: Json = WIRE.load_json(body)
    if "errors" in document and "data" not in document:
        raise error("errors", f"the API answered with errors: {_error_text(document['errors'])}")
    return document


def _error_text(errors: object) -> str:
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        for key in ("detail", "title", "code"):
            text = WIRE.text(first, key, "errors[0].", max_len=200)
            if text is not None:
                return text
    return "unreadable error list"


def resources(document: Json) -> list[tuple[str, Json]]:
    """(path, resource) of ``data``: one resource, or a batch when ``data`` is a list."""
    data = document.get("data")
    if isinstance(data, dict):
        return [("data", data)]
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        return [(f"data[{i}]", item) for i, item in enumerate(data)]
    raise error("data", "missing or not a resource (or a list of resources)")


def attributes(resource: Json, path: str) -> Json:
    found = WIRE.table(resource, "attributes", f"{path}.")
    assert found is not None  # table() raises for a missing required object
    return found


def invoice_id(resource: Json, path: str) -> str:
    """The ``cpi_…`` id of a resource that must be a payment invoice."""
    kind = WIRE.text(resource, "type", f"{path}.", max_len=64)
    if kind is not None and kind != RESOURCE_TYPE:
        raise error(f"{path}.type", f"expected {RESOURCE_TYPE!r}, got {kind!r}")
    return WIRE.need_id(resource, "id", f"{path}.")


def test_mode(document: Json) -> bool | None:
    """The one ``test_mode`` of the document (it picks the signing secret); the resources
    of a batch must agree."""
    modes = {WIRE.flag(attributes(resource, path), TEST_MODE, f"{path}.attributes.")
             for path, resource in resources(document)}
    if len(modes) > 1:
        raise error("data", "a batch mixes test-mode and live invoices")
    return modes.pop()


def first_id(document: Json) -> str | None:
    """The id of the first resource, when readable: it names the invoice in a signature
    error raised before the resources are read."""
    try:
        return WIRE.identifier(resources(document)[0][1], "id", required=False)
    except InputError:  # an unreadable id: the error names no invoice
        return None


def included(document: Json, kind: str) -> list[Json]:
    """Resources of one type from ``included`` (customers, payment-requests)."""
    items: Any = document.get("included")
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, dict) and item.get("type") == kind]


def customer_reference(document: Json, attrs: Json, where: str) -> str | None:
    """The customer's ``reference_id``: the resource's ``customer`` or the included one."""
    customer = object_or_empty(attrs, "customer", where)
    found = WIRE.text(customer, "reference_id", f"{where}customer.", max_len=256)
    if found is not None:
        return found
    for n, item in enumerate(included(document, "customers")):
        details = object_or_empty(item, "attributes", f"included.customers[{n}].")
        found = WIRE.text(details, "reference_id", f"included.customers[{n}].attributes.",
                          max_len=256)
        if found is not None:
            return found
    return None


def payment_request_status(document: Json, invoice: str) -> str | None:
    """Status of the included payment request that belongs to this invoice, if any."""
    for n, item in enumerate(included(document, "payment-requests")):
        details = object_or_empty(item, "attributes", f"included.payment-requests[{n}].")
        where = f"included.payment-requests[{n}].attributes."
        if WIRE.text(details, "reference_id", where, max_len=256) == invoice:
            return WIRE.text(details, "status", where, max_len=64)
    return None
