"""A disordered family decided again in a legal order (``paychart.family_fold``): what the
step-by-step fill-in lost, the legal order recovers; an in-order delivery is never reordered;
the search is bounded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from paychart import Channel, Event, Ledger, MemoryStore, ObjectRecord, Orchestrator, Outcome
from paychart.family_fold import legal_order

from .support import event, shop_charts

RESPONSE = Channel.RESPONSE
Ends = list[tuple[str, Ledger]]


def _delivered(events: Sequence[Event], options: Sequence[str] = ()) -> Orchestrator:
    engine = Orchestrator(shop_charts(), MemoryStore(), options=options)
    for item in events:
        engine.apply(item)
    return engine


def _ends(engine: Orchestrator, *keys: tuple[str, str]) -> Ends:
    ends = []
    for kind, object_id in keys:
        record = engine.record("shop", kind, object_id)
        assert record is not None, f"{kind} {object_id} never recorded"
        ends.append((record.state, record.ledger))
    return ends


def _both_ways(ordered: Sequence[Event], shuffled: Sequence[Event], *keys: tuple[str, str],
               options: Sequence[str] = ()) -> tuple[Ends, Ends]:
    assert sorted(e.dedupe_key for e in ordered) == sorted(e.dedupe_key for e in shuffled)
    return (_ends(_delivered(ordered, options), *keys),
            _ends(_delivered(shuffled, options), *keys))


def test_an_authorization_after_its_decline_keeps_its_hold() -> None:
    """Seen first `declined` (history unknown), the payment's late authorization reports a
    state counted as passed. An order that places the decline alone and leaves the
    authorization as an echo loses its hold: the order placing both wins."""
    authorize = event("p1", "authorize", "held", amount=5_000, channel=RESPONSE)
    decline = event("p1", "decline", "declined", channel=Channel.POLL)
    refund = event("r1", "decline", "declined", kind="refund", parent="p1",
                   channel=RESPONSE)
    ordered, shuffled = _both_ways([authorize, refund, decline], [decline, refund, authorize],
                                   ("payment", "p1"))
    assert shuffled == ordered
    assert ordered[0][0] == "declined" and ordered[0][1].authorized == 5_000


def test_a_partial_refund_before_its_capture_keeps_its_money() -> None:
    """A payment first seen `paid` by its capture callback refuses a partial refund (nothing
    captured yet): the refund waits instead of being rejected, and the late authorization
    lets the legal order place everything."""
    authorize = event("p1", "authorize", "held", amount=6_000, channel=RESPONSE)
    capture = event("p1", "capture", "paid", amount=2_500)
    refund = event("p1", "refund", "paid", amount=50, channel=Channel.POLL)
    chargeback = event("p1", "chargeback", "chargeback", amount=200)
    shuffled_first = _delivered([capture])
    waiting = shuffled_first.apply(refund)
    assert waiting.outcome is Outcome.APPLIED
    assert any("deferred" in w for w in waiting.warnings)
    ordered, shuffled = _both_ways([authorize, capture, refund, chargeback],
                                   [capture, refund, authorize, chargeback], ("payment", "p1"))
    assert shuffled == ordered
    assert ordered[0][1].refunded == 50


def test_a_second_chargeback_stale_before_the_reversal_takes_its_place_after_it() -> None:
    """Charged back, reversed, charged back again; delivered with the second chargeback
    before the reversal, it changes nothing then (already `chargeback`). The reversal takes
    the payment round the cycle, and the legal order puts the second chargeback after it."""
    pay = event("p1", "pay", "paid", amount=431, channel=RESPONSE)
    first = event("p1", "chargeback", "chargeback", amount=23)
    refund = event("r1", "decline", "declined", kind="refund", parent="p1", channel=RESPONSE)
    reversal = event("p1", "chargeback_reversal", "paid", amount=14_718, channel=Channel.POLL)
    second = event("p1", "chargeback", "chargeback", amount=316, channel=Channel.POLL)
    ordered, shuffled = _both_ways([pay, first, refund, reversal, second],
                                   [first, pay, second, reversal, refund], ("payment", "p1"))
    assert shuffled == ordered
    assert ordered[0][0] == "chargeback"
    assert ordered[0][1].charged_back == 316


def test_a_late_approval_filled_in_after_the_chargeback_keeps_its_figures() -> None:
    """Authorized, declined, approved late (option on), charged back; the chargeback seen
    before the approval jumps `paid`, and the approval filled in later used to keep the
    first authorization's figure. The legal order has the approval's."""
    options = ("allow_late_approval",)
    authorize = event("p1", "authorize", "held", amount=5_403, channel=RESPONSE)
    decline = event("p1", "decline", "declined")
    pay = event("p1", "pay", "paid", amount=100_000, channel=Channel.POLL)
    chargeback = event("p1", "chargeback", "chargeback", amount=622)
    refund = event("r1", "decline", "declined", kind="refund", parent="p1", channel=RESPONSE)
    ordered, shuffled = _both_ways([authorize, decline, pay, chargeback, refund],
                                   [authorize, decline, refund, chargeback, pay],
                                   ("payment", "p1"), options=options)
    assert shuffled == ordered
    assert ordered[0][1].authorized == 100_000


def test_a_decline_from_the_unseen_history_is_kept_for_its_place() -> None:
    """With late approval enabled, a payment first seen `lost` may have been `declined`
    before: that decline is stale (kept in the family's messages), not rejected as news
    after the end, and the legal order later places it where the approval needs it."""
    options = ("allow_late_approval",)
    authorize = event("p1", "authorize", "held", amount=6_155, channel=RESPONSE)
    decline = event("p1", "decline", "declined", amount=5_973)
    pay = event("p1", "pay", "paid")
    chargeback = event("p1", "chargeback", "chargeback", amount=2_440, channel=Channel.POLL)
    lost = event("p1", "chargeback_lost", "lost", channel=Channel.POLL)
    engine = _delivered([lost], options)
    assert engine.apply(decline).outcome is Outcome.STALE
    ordered, shuffled = _both_ways([authorize, decline, pay, chargeback, lost],
                                   [lost, decline, chargeback, pay, authorize],
                                   ("payment", "p1"), options=options)
    assert shuffled == ordered
    assert ordered[0][0] == "lost" and ordered[0][1].captured == 6_155


def test_an_in_order_delivery_is_not_reordered() -> None:
    """A payment first seen by a callback, then a merchant's call: the arrival order is the
    history, and the legal order (which could start with the call) does not replace it."""
    first = event("p1", "start", "pending")
    engine = _delivered([first])
    paid = engine.apply(event("p1", "pay", "paid", amount=700, channel=Channel.RESPONSE))
    assert (paid.outcome, paid.from_state, paid.to_state) == (Outcome.APPLIED, "pending",
                                                              "paid")
    assert "legal order" not in paid.reason


def test_the_search_is_bounded() -> None:
    """Orders of a family's messages are many: a search that finds no order placing them
    gives up after its budget, and the step-by-step decision stands."""
    messages = [event("p1", "start", "pending", key=f"k{n}") for n in range(12)]
    tried = []

    def place(records: object, message: Event) -> dict[str, ObjectRecord] | None:
        tried.append(message)
        if message is messages[-1]:
            return None  # never placeable: every order of the others is tried
        return {f"{len(tried)}": ObjectRecord("shop/payment/p1", "shop_payment", "pending")}

    def never_passed(records: object, message: Event) -> bool:
        return False

    assert legal_order(messages, place, never_passed, budget=500) is None
    assert len(tried) == 500


def test_the_order_placing_most_messages_wins() -> None:
    """Placing a message first can strand others; the search keeps the order that places
    the most (here the second message must come first)."""
    first, second = (event("p1", "start", "pending", key="a"),
                     event("p1", "start", "pending", key="b"))
    record = ObjectRecord("shop/payment/p1", "shop_payment", "pending")

    def place(records: Mapping[str, ObjectRecord],
              message: Event) -> dict[str, ObjectRecord] | None:
        if message is first and "b" in records:
            return {**records, "a": record}
        if message is second and not records:
            return {"b": record}
        return None

    def passed(records: object, message: Event) -> bool:
        return True

    end = legal_order([first, second], place, passed)
    assert end is not None and set(end) == {"a", "b"}
