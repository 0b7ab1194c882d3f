"""The merchant's order reference each adapter reads (docs/PROVIDERS.md, "Merchant
reference"), on the platforms' published bodies and on our fixtures, and where it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from paychart.adapter import AdapterContext, RawInput
from paychart.adapters import get_adapter

FIXTURES = Path(__file__).parent / "fixtures"

# (provider, channel, body, operation, ref) → the reference of each event, in order.
CASES: list[tuple[str, str, str, str | None, str | None, tuple[str | None, ...]]] = [
    # CARDLINK: orderNumber (callbacks, requests), order_number (status answers)
    ("cardlink", "callback", "cardlink/callback_pay_approved.json", None, None,
     ("10442",)),
    ("cardlink", "callback", "cardlink/callback_payout_approved.json", None, None,
     ("10001",)),
    ("cardlink", "request", "cardlink/request_create_h2h.json", "create", "tok-1",
     ("10442",)),
    ("cardlink", "poll", "cardlink/poll_order.json", "order", None, ("10450",)),
    ("cardlink", "poll", "cardlink/poll_status.json", "status", None, ("10442",)),
    # … and absent from create answers and refund/dispute callbacks
    ("cardlink", "response", "cardlink/response_create_3ds.json", "create", None,
     (None,)),
    ("cardlink", "callback", "cardlink/callback_refund_approved.json", None, None,
     (None,)),
    # the platform: order_id on requests, answers and callbacks
    ("platform", "response", "platform/real/sale_response_success.json", None, None,
     ("ORDER-12345",)),
    ("platform", "response", "platform/real/sale_response_3ds_redirect.json", None, None,
     ("1588856266Intelligent",)),
    ("platform", "callback", "platform/real/sale_callback_async_success.urlencoded.txt",
     None, None, ("1001",)),
    ("platform", "poll", "platform/real/get_trans_status_by_order_response.json", None,
     None, ("1646655381neural",)),
    ("platform", "response", "platform/real/credit2card_response_success.json", None, None,
     ("1613117050",)),
    ("platform", "request", "platform/bodies/request_sale.urlencoded.txt", None,
     "T1", ("ORDER-T-CONTRACT",)),
    # PayLink: tracking_id of the transaction, else of the checkout's order
    ("paylink", "callback", "paylink/real/webhook_payment_successful_docs.json", None, None,
     ("tracking_id_000",)),
    ("paylink", "callback", "paylink/real/webhook_payment_successful_ruby_fixture.json",
     None, None, (None,)),
    ("paylink", "response", "paylink/real/checkout_query_finished_docs.json", None, None,
     (None, None)),
    ("paylink", "response", "paylink/bodies/checkout_attempted.json", None, None,
     ("order-42", "order-42")),
    ("paylink", "response", "paylink/bodies/checkout_open_v2.json", None, None,
     ("order-42",)),
    ("paylink", "response", "paylink/bodies/capture_successful.json", None, None,
     (None,)),
    # payment invoices: attributes.reference_id (not the customer's reference_id)
    ("invoices", "callback", "invoices/real/callback_payment_invoice_charged_back.json",
     None, None, ("Test Order #d49a4e0da458",)),
    ("invoices", "callback", "invoices/real/callback_payment_invoice_process_pending.json",
     None, None, ("e2041fe2-44da-44da-0090-4ffe9d2f25d0",)),
    ("invoices", "request", "invoices/real/request_payment_invoice_token_instant.json",
     None, "cpi_X", ("ORDER1233",)),
    ("invoices", "response", "invoices/real/cardgate_sale_response_googlepay.json", "sale",
     "cpi_X", (None,)),
    ("invoices", "callback", "invoices/callbacks/status_created.json", None, None,
     ("order-000001",)),
    # transaction services: merchantTransactionId
    ("transaction_services", "callback",
     "transaction_services/real/notification_card_NOTI_CARD.json", None, None,
     ("Payout-JPY-1",)),
    ("transaction_services", "response",
     "transaction_services/real/payment_response_DB_paynetics_mock.json", None, None,
     ("29002889643",)),
    ("transaction_services", "response", "transaction_services/real/capture_response_CP.json",
     None, "R1", (None,)),
    ("transaction_services", "callback",
     "transaction_services/callback_payment_capturesuccess.json", None, None,
     ("order-70100",)),
]


def _events(provider: str, channel: str, body: str, operation: str | None,
            ref: str | None) -> tuple[str | None, ...]:
    raw = RawInput(provider, channel, (FIXTURES / body).read_bytes(), ref=ref,
                   operation=operation)
    result = get_adapter(provider).parse(raw, AdapterContext())
    assert result.error is None, result.error
    return tuple(event.reference for event in result.events)


@pytest.mark.parametrize(("provider", "channel", "body", "operation", "ref", "expected"),
                         CASES, ids=[c[2].rsplit("/", 1)[1] for c in CASES])
def test_reference_per_adapter(provider: str, channel: str, body: str, operation: str | None,
                               ref: str | None, expected: tuple[str | None, ...]) -> None:
    assert _events(provider, channel, body, operation, ref) == expected


def test_every_provider_is_covered() -> None:
    """A new adapter needs its reference cases here (and its paragraph in PROVIDERS.md)."""
    covered = {case[0] for case in CASES if any(case[5])}
    assert covered == {"cardlink", "platform", "paylink", "invoices", "transaction_services"}


def test_cardlink_filler_is_no_reference() -> None:
    """``_blank_`` is what CARDLINK sends for a parameter the merchant left out."""
    body = (FIXTURES / "cardlink/callback_pay_approved.json").read_text()
    assert '"orderNumber": "10442"' in body
    raw = RawInput("cardlink", "callback",
                   body.replace('"orderNumber": "10442"', '"orderNumber": "_blank_"').encode())
    result = get_adapter("cardlink").parse(raw, AdapterContext())
    assert result.error is None
    assert result.events[0].reference is None
