"""The merchant side of payment invoices: the ``POST /payment-invoices`` request and the
CARDGATE ``POST /payment/sale`` answer (seed ``001_8c1730c6689fa4dd.txt``).

Both are read into small typed values; ``adapters/invoices.py`` turns them into events with
the one status table, so the vocabulary stays in one place.
"""

from __future__ import annotations

import attrs

from paychart.money import Money

from . import resource as res
from .resource import Json, error


@attrs.frozen
class CreateRequest:
    """A validated invoice creation: plain checkout, tokenizing payment, or charge by token."""

    flow: str
    """``checkout``, ``tokenize`` or ``charge_by_token``."""
    money: Money
    reference_id: str
    service: str
    instant: bool
    test_mode: bool | None
    customer_reference_id: str | None


def create_request(document: Json) -> CreateRequest:
    """Check what the seed makes mandatory: ``reference_id``, ``currency``, ``amount``,
    ``service``; a customer ``reference_id`` whenever a card is tokenized or charged by token.
    The card token itself is the merchant's and is not kept from the request."""
    path = "data"
    data = res.object_or_empty(document.get("data"), path)
    kind = data.get("type")
    if kind != res.RESOURCE_TYPE:
        raise error("data.type", f"expected {res.RESOURCE_TYPE!r}, got {kind!r}")
    attributes = res.attributes(data, path)
    where = "data.attributes"
    currency = res.currency(attributes, where)
    amount = res.money(attributes, "amount", currency, where, required=True)
    assert amount is not None
    if amount.amount <= 0:
        raise error(f"{where}.amount", f"must be positive, got {amount}")
    reference_id = res.required_text(attributes, "reference_id", where)
    service = res.required_text(attributes, "service", where)
    options = res.object_or_empty(attributes.get("gateway_options"),
                                  f"{where}.gateway_options")
    cardgate = res.object_or_empty(options.get("cardgate"), f"{where}.gateway_options.cardgate")
    tokenize = res.flag(cardgate, "tokenize", f"{where}.gateway_options.cardgate") or False
    instant = res.flag(cardgate, "instant", f"{where}.gateway_options.cardgate") or False
    token = res.text(attributes, "token", where, required=False)
    if tokenize and token is not None:
        raise error(f"{where}.token", "a tokenizing payment cannot also be charged by token")
    customer = res.object_or_empty(attributes.get("customer"), f"{where}.customer")
    customer_ref = res.text(customer, "reference_id", f"{where}.customer", required=False)
    flow = "charge_by_token" if token else "tokenize" if tokenize else "checkout"
    if flow != "checkout" and customer_ref is None:
        raise error(f"{where}.customer.reference_id",
                    f"required with {'a card token' if token else 'tokenize'}")
    return CreateRequest(flow, amount, reference_id, service, instant,
                         res.flag(attributes, "test_mode", where), customer_ref)


@attrs.frozen
class SaleAnswer:
    """The CARDGATE answer to a sale initiation for one gateway invoice (``cgi_…``)."""

    session: str
    status: str
    resolution: str | None
    money: Money | None
    service: str | None
    request_status: str | None
    payment_status: str | None
    """``active_payment.status``: ``authorize_required`` means the customer must authorize
    (Google Pay sheet, 3-D Secure) before the sale can complete."""


def _nested_status(attributes: Json, key: str, where: str, session: str) -> str | None:
    nested = res.object_or_empty(attributes.get(key), f"{where}.{key}", session)
    return res.text(nested, "status", f"{where}.{key}", session, required=False)


def sale_answer(document: Json) -> SaleAnswer:
    data = res.object_or_empty(document.get("data"), "data")
    session = res.required_text(data, "id", "data")
    where = "data.attributes"
    attributes = res.attributes(data, "data", session)
    status = res.required_text(attributes, "status", where, session)
    code = attributes.get("currency")
    amount = None
    if code is not None:
        amount = res.money(attributes, "amount", res.currency(attributes, where, session),
                           where, session)
    return SaleAnswer(session, status,
                      res.text(attributes, "resolution", where, session, required=False),
                      amount, res.text(attributes, "service", where, session, required=False),
                      _nested_status(attributes, "active_request", where, session),
                      _nested_status(attributes, "active_payment", where, session))
