"""Orders over the real adapters: one order across CARDLINK and the platform, and PayLink's
checkout with its transaction as one paid order (the checkout holds no money)."""

from __future__ import annotations

from pathlib import Path

from paychart import ChartSet, Orchestrator
from paychart.adapter import RawInput
from paychart.adapters import get_adapter

FIXTURES = Path(__file__).parents[1] / "adapters" / "fixtures"
CHARTS = ChartSet.bundled()


def ingest(orchestrator: Orchestrator, provider: str, channel: str, body: bytes) -> None:
    (decision,) = orchestrator.ingest(RawInput(provider, channel, body), get_adapter(provider))
    assert decision.outcome.value == "applied", decision.reason


def test_a_double_charge_across_cardlink_and_the_platform() -> None:
    orchestrator = Orchestrator(CHARTS)
    card = (FIXTURES / "cardlink/callback_pay_approved.json").read_text()
    assert '"orderNumber": "10442"' in card
    ingest(orchestrator, "cardlink", "callback",
           card.replace('"orderNumber": "10442"', '"orderNumber": "ORDER-12345"').encode())
    ingest(orchestrator, "platform", "response",
           (FIXTURES / "platform/real/sale_response_success.json").read_bytes())
    order = orchestrator.order("ORDER-12345")
    assert order is not None
    assert [(a.provider, a.canonical) for a in order.attempts] == [
        ("cardlink", "succeeded"), ("platform", "succeeded")]
    assert order.status == "paid"
    assert order.anomalies == ("paid_twice", "currency_mismatch")
    assert {t.currency: t.captured for t in order.totals} == {"EUR": 10020, "USD": 2}


def test_a_paylink_checkout_and_its_transaction_are_one_order_paid_once() -> None:
    orchestrator = Orchestrator(CHARTS)
    body = (FIXTURES / "paylink/bodies/checkout_finished_authorization.json").read_bytes()
    decisions = orchestrator.ingest(RawInput("paylink", "response", body),
                                    get_adapter("paylink"))
    assert [d.outcome.value for d in decisions] == ["applied", "applied"]
    order = orchestrator.order("order-42")
    assert order is not None
    (attempt,) = order.attempts  # the checkout made the transaction: one attempt
    assert attempt.record.object_kind == "transaction"
    assert [child.object_kind for child, _ in attempt.children] == ["checkout"]
    assert order.status == "authorized" and order.anomalies == ()
