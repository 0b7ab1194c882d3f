"""The merchant's ``POST /payment-invoices`` body: plain checkout, tokenizing payment, or
charge by card token (seed ``001_8c1730c6689fa4dd.txt``).

The request has no invoice id yet: the API's answer gives it (``cpi_…``), and the record's
``ref`` must name it. ``attributes.reference_id`` is the merchant's own order reference.
"""

from __future__ import annotations

import attrs

from paychart.adapters._wire import Json
from paychart.money import Money

from .document import attributes
from .fields import WIRE, error, major_amount, object_or_empty
from .vocab import RESOURCE_TYPE, TEST_MODE


@attrs.frozen
class CreateRequest:
    """A validated invoice creation."""

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
    data = object_or_empty(document, "data")
    kind = WIRE.text(data, "type", "data.", max_len=64)
    if kind != RESOURCE_TYPE:
        raise error("data.type", f"expected {RESOURCE_TYPE!r}, got {kind!r}")
    given = attributes(data, "data")
    where = "data.attributes."
    currency = WIRE.currency(given, "currency", where)
    assert currency is not None  # required
    amount = major_amount(given, "amount", currency, where, required=True, positive=True)
    assert amount is not None  # required
    reference_id = WIRE.need(given, "reference_id", where, max_len=256)
    service = WIRE.need(given, "service", where, max_len=256)
    options = object_or_empty(given, "gateway_options", where)
    cardgate = object_or_empty(options, "cardgate", f"{where}gateway_options.")
    here = f"{where}gateway_options.cardgate."
    tokenize = WIRE.flag(cardgate, "tokenize", here, default=False) or False
    instant = WIRE.flag(cardgate, "instant", here, default=False) or False
    token = WIRE.identifier(given, "token", where, required=False)
    if tokenize and token is not None:
        raise error(f"{where}token", "a tokenizing payment cannot also be charged by token")
    customer = object_or_empty(given, "customer", where)
    customer_ref = WIRE.text(customer, "reference_id", f"{where}customer.", max_len=256)
    flow = "charge_by_token" if token else "tokenize" if tokenize else "checkout"
    if flow != "checkout" and customer_ref is None:
        raise error(f"{where}customer.reference_id",
                    f"required with {'a card token' if token else 'tokenize'}")
    return CreateRequest(flow, amount, reference_id, service, instant,
                         WIRE.flag(given, TEST_MODE, where), customer_ref)
