"""The apply path's shortcuts for ``attrs.evolve`` and per-chart caches must give exactly what
the general forms give: a field forgotten there would silently drop state at commit."""

from __future__ import annotations

import attrs

from paychart import Decision, Money, Orchestrator, Outcome
from paychart.canonical import Canonical
from paychart.decision import AllowedAction, ParentMove, with_reply
from paychart.event import CustomerAction
from paychart.history import _moved_past, moved_past
from paychart.ledger import Ledger
from paychart.record import ChildEffect, ObjectRecord, at_version
from paychart.stores.memory import MemoryStore
from paychart.workset import Workset

from .support import event, shop_charts


def _record_with_every_field_set() -> ObjectRecord:
    effect = ChildEffect("shop/refund/r1", "shop_refund", 3, 100, "EUR")
    return ObjectRecord("shop/payment/p1", "shop_payment", "paid", version=4,
                        ledger=Ledger("EUR", 500, 500, 100, 0), parent="shop/order/o1",
                        sequence=17, remembered=(("requested", "500 EUR"),), skipped=(2,),
                        deferred=((5, None),), visited=0b1011, pending=(effect,),
                        unlinked=(effect,), placeholder=True, reference="order-9")


def test_at_version_keeps_every_other_field() -> None:
    record = _record_with_every_field_set()
    defaults = ObjectRecord(record.key, record.chart, record.state)
    unset = [f.name for f in attrs.fields(ObjectRecord)
             if getattr(record, f.name) == getattr(defaults, f.name)]
    assert unset == ["key", "chart", "state"]  # the test record exercises every other field
    assert at_version(record, 9) == attrs.evolve(record, version=9)


def test_writes_move_each_version_one_past_the_read_and_written_keeps_them() -> None:
    store = MemoryStore()
    ws = Workset(store)
    kept = _record_with_every_field_set()
    ws.seed(kept.key, kept)
    fresh = ObjectRecord("shop/payment/p2", "shop_payment", "created", version=0)
    ws.put(attrs.evolve(kept, state="refunded"))
    ws.put(fresh)
    assert [r.version for r in ws.writes()] == [5, 1]
    assert [r.version for r in ws.written()] == [4, 0]
    assert ws.writes()[0] == attrs.evolve(kept, state="refunded", version=5)


def test_moved_past_is_the_uncached_mask_for_every_pair_of_states() -> None:
    for chart in shop_charts():
        for origin in chart.spec.states:
            for target in chart.spec.states:
                assert moved_past(chart, origin, target) == _moved_past(chart, origin, target)


def test_with_reply_keeps_every_other_field() -> None:
    decision = Decision(
        Outcome.APPLIED, "why", provider="shop", object_kind="payment", object_id="p1",
        trigger="refund", from_state="paid", to_state="refunded", canonical=Canonical.REFUNDED,
        ledger=Ledger("EUR", 5, 5, 5, 0), field="amount", history_unknown=True,
        warnings=("w",), allowed=(AllowedAction("refund", Money(1, "EUR")),),
        customer_action=CustomerAction("https://x"), reply="old",
        parent_move=ParentMove("o1", "pay", "a", "b"), facts=(("code", "1"),),
        confirmed=False, confirm_by="GET_STATUS")
    defaults = Decision(Outcome.APPLIED, "why")
    unset = [f.name for f in attrs.fields(Decision)
             if getattr(decision, f.name) == getattr(defaults, f.name)]
    assert unset == ["outcome", "reason"]  # the test decision exercises every other field
    assert with_reply(decision, "OK") == attrs.evolve(decision, reply="OK")


def test_the_memory_claim_index_keeps_positions_past_one_byte() -> None:
    """Claims pack each digest with its entry's position: an object claiming at position
    300 reads its history back in order, and its redelivery is still a duplicate."""
    store = MemoryStore()
    orchestrator = Orchestrator(shop_charts(), store)
    for n in range(300):
        orchestrator.apply(event(f"p{n}", "pay", "paid", amount=1000, key=f"k{n}"))
    late = event("p7", "refund", "paid", amount=10, key="late")
    assert orchestrator.apply(late).outcome is Outcome.APPLIED
    assert [e.dedupe_key for e in store.history(late.key)] == ["k7", "late"]
    assert orchestrator.apply(late).outcome is Outcome.DUPLICATE
    assert store.seen(late.key, "k7") and not store.seen(late.key, "k8")
