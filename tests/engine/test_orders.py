"""Orders: attempts grouped by the merchant's reference across providers, their status,
totals and anomalies (``paychart.orders``), through ``Orchestrator.order``."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, ChartSet, Orchestrator
from paychart.loader import load_spec
from paychart.orders import ANOMALIES, orders_of

from .support import SHOP_FILES, event

BANKS = ("shop", "bank")
"""Two providers with the same test charts: what "across providers" needs."""


def two_providers() -> ChartSet:
    specs = []
    for provider in BANKS:
        for path in SHOP_FILES:
            spec = load_spec(path)
            specs.append(attrs.evolve(spec, provider=provider,
                                      name=spec.name.replace("shop", provider)))
    return ChartSet(specs)


CHARTS = two_providers()


def engine() -> Orchestrator:
    return Orchestrator(CHARTS)


def pay(orchestrator: Orchestrator, provider: str, object_id: str, reference: str | None,
        amount: int = 1000, currency: str = "EUR") -> None:
    decision = orchestrator.apply(event(object_id, "pay", "paid", amount=amount,
                                        currency=currency, provider=provider,
                                        channel=Channel.RESPONSE, reference=reference))
    assert decision.outcome.value == "applied", decision.reason


def test_reference_is_kept_from_the_first_input_that_carries_it() -> None:
    orchestrator = engine()
    orchestrator.apply(event("p1", "start", "pending", channel=Channel.RESPONSE))
    assert orchestrator.record("shop", "payment", "p1").reference is None  # type: ignore[union-attr]
    orchestrator.apply(event("p1", "authorize", "held", amount=500, reference="A-1"))
    orchestrator.apply(event("p1", "capture", "paid", amount=500, reference="B-2"))
    record = orchestrator.record("shop", "payment", "p1")
    assert record is not None and record.reference == "A-1" and record.state == "paid"
    assert [r.key for r in orchestrator.store.by_reference("shop", "A-1")] == [record.key]
    assert orchestrator.store.by_reference("shop", "B-2") == []
    assert orchestrator.store.by_reference("bank", "A-1") == []


def test_one_paid_attempt_is_a_paid_order_without_anomalies() -> None:
    orchestrator = engine()
    orchestrator.apply(event("p1", "decline", "declined", reference="O-1",
                             channel=Channel.RESPONSE))
    pay(orchestrator, "bank", "b1", "O-1")
    order = orchestrator.order("O-1")
    assert order is not None
    assert order.status == "paid" and order.anomalies == ()
    assert [(a.provider, a.record.object_id, a.canonical) for a in order.attempts] == [
        ("bank", "b1", "succeeded"), ("shop", "p1", "failed")]
    assert order.to_json()["totals"] == {"EUR": {"authorized": 1000, "captured": 1000,
                                                 "refunded": 0, "charged_back": 0}}
    assert orchestrator.order("nobody") is None


def test_a_double_charge_across_two_providers_is_paid_twice() -> None:
    orchestrator = engine()
    pay(orchestrator, "shop", "p1", "O-2")
    pay(orchestrator, "bank", "b1", "O-2")
    order = orchestrator.order("O-2")
    assert order is not None
    assert order.status == "paid"
    assert order.anomalies == ("paid_twice", "amount_mismatch")
    assert order.totals[0].captured == 2000
    # refunding the second charge settles it: captured once, nothing outstanding twice
    orchestrator.apply(event("b1", "refund", "refunded", amount=1000, provider="bank"))
    settled = orchestrator.order("O-2")
    assert settled is not None and "paid_twice" not in settled.anomalies
    assert settled.status == "partially_refunded"


def test_a_waiting_attempt_after_payment_and_currencies_that_differ() -> None:
    orchestrator = engine()
    pay(orchestrator, "shop", "p1", "O-3")
    orchestrator.apply(event("b1", "start", "pending", provider="bank", reference="O-3",
                             channel=Channel.RESPONSE))
    order = orchestrator.order("O-3")
    assert order is not None and order.anomalies == ("open_after_paid",)
    pay(orchestrator, "bank", "b2", "O-3", currency="USD")
    mixed = orchestrator.order("O-3")
    assert mixed is not None
    assert "currency_mismatch" in mixed.anomalies
    assert [t.currency for t in mixed.totals] == ["EUR", "USD"]


def test_children_belong_to_their_parents_order_and_are_not_summed() -> None:
    orchestrator = engine()
    pay(orchestrator, "shop", "p1", "O-4")
    orchestrator.apply(event("r1", "approve", "approved", kind="refund", amount=300,
                             parent="p1", reference="other"))
    order = orchestrator.order("O-4")
    assert order is not None
    (attempt,) = order.attempts
    assert [child.object_id for child, _ in attempt.children] == ["r1"]
    assert order.status == "partially_refunded"
    assert order.totals[0].refunded == 300 and order.totals[0].captured == 1000
    assert orchestrator.order("other") is None  # the refund is in its payment's order
    shown = order.to_json()["attempts"]
    assert [(a["object"], a.get("parent")) for a in shown] == [("payment", None),
                                                                ("refund", "p1")]


@pytest.mark.parametrize(("steps", "expected"), [
    ([("start", "pending")], "open"),
    ([("authorize", "held")], "authorized"),
    ([("decline", "declined")], "failed"),
    ([("authorize", "held"), ("void", "voided")], "failed"),
    ([("pay", "paid"), ("chargeback", "chargeback")], "disputed"),
    ([("pay", "paid"), ("refund", "refunded")], "refunded"),
])
def test_order_status(steps: list[tuple[str, str]], expected: str) -> None:
    orchestrator = engine()
    for trigger, state in steps:
        orchestrator.apply(event("p1", trigger, state, amount=1000, reference="S",
                                 channel=Channel.RESPONSE))
    order = orchestrator.order("S")
    assert order is not None and order.status == expected


# -- properties --------------------------------------------------------------------------------

_STEPS = st.sampled_from([("pay", "paid"), ("authorize", "held"), ("capture", "paid"),
                          ("decline", "declined"), ("refund", "paid"), ("start", "pending"),
                          ("approve", "approved")])
"""Payment steps, and ``approve``: a refund (a child of the payment) with its own reference."""
_INPUTS = st.lists(st.tuples(st.sampled_from(BANKS), st.sampled_from(("x1", "x2", "x3")),
                             st.sampled_from(("R1", "R2", None)), _STEPS,
                             st.sampled_from((100, 250, 1000)),
                             st.sampled_from(("EUR", "EUR", "USD"))), max_size=14)


def _run(inputs: list[tuple[str, str, str | None, tuple[str, str], int, str]]) -> Orchestrator:
    orchestrator = engine()
    for n, (provider, object_id, reference, (trigger, state), amount, currency) in enumerate(
            inputs):
        child = trigger == "approve"
        orchestrator.apply(event(f"r{n}" if child else object_id, trigger, state, amount=amount,
                                 currency=currency, provider=provider, reference=reference,
                                 key=f"k{n}", channel=Channel.RESPONSE,
                                 kind="refund" if child else "payment",
                                 parent=object_id if child else None))
    return orchestrator


@given(_INPUTS)
def test_every_attempt_is_in_at_most_one_order(inputs: list[tuple[str, str, str | None,
                                                             tuple[str, str], int, str]]
                                               ) -> None:
    orchestrator = _run(inputs)
    orders = orders_of(orchestrator.store.objects(), orchestrator.canonical)
    keys = [key for order in orders for a in order.attempts
            for key in (a.record.key, *(child.key for child, _ in a.children))]
    assert len(keys) == len(set(keys))
    for order in orders:
        same = orchestrator.order(order.reference)
        assert same == order  # the index and the full scan agree
        assert set(order.anomalies) <= set(ANOMALIES)
        for attempt in order.attempts:
            assert attempt.record.reference == order.reference


@given(_INPUTS)
def test_order_totals_are_the_sum_of_their_attempts_ledgers(
        inputs: list[tuple[str, str, str | None, tuple[str, str], int, str]]) -> None:
    orchestrator = _run(inputs)
    for order in orders_of(orchestrator.store.objects(), orchestrator.canonical):
        for totals in order.totals:
            ledgers = [a.record.ledger for a in order.attempts
                       if a.record.ledger.currency == totals.currency]
            assert totals.authorized == sum(ledger.authorized for ledger in ledgers)
            assert totals.captured == sum(ledger.captured for ledger in ledgers)
            assert totals.refunded == sum(ledger.refunded for ledger in ledgers)
            assert totals.charged_back == sum(ledger.charged_back for ledger in ledgers)
        outstanding = [a for a in order.attempts if a.outstanding > 0]
        assert ("paid_twice" in order.anomalies) == (len(outstanding) > 1)


def test_a_child_of_a_payment_without_reference_is_in_no_order() -> None:
    """A refund's own ledger is money paid back, never an attempt paying the order."""
    orchestrator = engine()
    pay(orchestrator, "shop", "p1", None)
    orchestrator.apply(event("r1", "approve", "approved", kind="refund", amount=300,
                             parent="p1", reference="R-1"))
    assert orchestrator.order("R-1") is None
    assert orders_of(orchestrator.store.objects(), orchestrator.canonical) == []
