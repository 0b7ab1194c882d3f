"""The five decisions, first sightings, children, actions: the orchestrator's contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from paychart import (
    Channel,
    ChartSet,
    Event,
    InputError,
    JournalEntry,
    MemoryStore,
    Money,
    ObjectRecord,
    Orchestrator,
    Outcome,
    SignatureStatus,
    VersionConflictError,
    orchestrator,
)
from paychart.conflicts import RetriesExhaustedError

from .support import event, shop_charts


@pytest.fixture
def engine() -> Orchestrator:
    return Orchestrator(shop_charts())


def state(engine: Orchestrator, object_id: str, kind: str = "payment") -> str | None:
    record = engine.record("shop", kind, object_id)
    return None if record is None else record.state


def paid(engine: Orchestrator, object_id: str = "p1", amount: int = 1000) -> None:
    engine.apply(event(object_id, "start", "pending", channel=Channel.RESPONSE))
    decision = engine.apply(event(object_id, "pay", "paid", amount=amount))
    assert decision.outcome is Outcome.APPLIED


def test_response_creates_in_initial_state_then_moves(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "start", "pending", channel=Channel.RESPONSE))
    assert (d.outcome, d.from_state, d.to_state, d.canonical) == (
        Outcome.APPLIED, "created", "pending", "processing")
    assert not d.history_unknown


def test_response_reporting_the_initial_state_creates_the_object(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "create", "created", channel=Channel.RESPONSE))
    assert (d.outcome, d.from_state, d.to_state) == (Outcome.APPLIED, None, "created")
    assert state(engine, "p1") == "created"


def test_callback_first_sighting_starts_in_reported_state(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "pay", "paid", amount=1000))
    assert (d.outcome, d.from_state, d.to_state, d.history_unknown) == (
        Outcome.APPLIED, None, "paid", True)
    assert "earlier history unknown" in d.reason
    record = engine.record("shop", "payment", "p1")
    assert record is not None
    assert (record.ledger.authorized, record.ledger.captured) == (1000, 1000)


def test_first_sighting_without_a_declared_state_is_rejected(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "pay", None, amount=1000))
    assert d.outcome is Outcome.REJECTED
    assert state(engine, "p1") is None


def test_duplicate_same_key(engine: Orchestrator) -> None:
    paid(engine)
    again = engine.apply(event("p1", "pay", "paid", amount=1000))
    assert again.outcome is Outcome.DUPLICATE
    assert len(list(engine.store.journal())) == 3


def test_declared_self_loop_is_a_transition_not_a_duplicate(engine: Orchestrator) -> None:
    paid(engine)
    first = engine.apply(event("p1", "refund", "paid", amount=300, key="r1"))
    second = engine.apply(event("p1", "refund", "paid", amount=300, key="r2"))
    assert [first.outcome, second.outcome] == [Outcome.APPLIED, Outcome.APPLIED]
    assert second.ledger is not None and second.ledger.refunded == 600
    assert second.canonical == "partially_refunded"
    full = engine.apply(event("p1", "refund", "refunded", amount=400, key="r3"))
    assert (full.to_state, full.canonical) == ("refunded", "refunded")


def test_stale_when_reported_state_was_passed(engine: Orchestrator) -> None:
    paid(engine)
    late = engine.apply(event("p1", "start", "pending", key="late-pending"))
    assert (late.outcome, late.from_state, late.to_state) == (Outcome.STALE, "paid", "paid")
    assert "already passed" in late.reason
    assert state(engine, "p1") == "paid"


def test_stale_by_provider_sequence(engine: Orchestrator) -> None:
    engine.apply(event("p1", "authorize", "held", amount=1000, sequence=20))
    older = engine.apply(event("p1", "decline", "declined", sequence=10))
    assert older.outcome is Outcome.STALE
    assert "older than applied 20" in older.reason
    assert state(engine, "p1") == "held"


def test_rejected_names_guard_figures(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    d = engine.apply(event("p1", "refund", "paid", amount=1500))
    assert d.outcome is Outcome.REJECTED
    assert "10.00 EUR" in d.reason and "15.00 EUR" in d.reason
    assert d.ledger is not None and d.ledger.refunded == 0


def test_rejected_override_disabled_then_applied_when_enabled() -> None:
    charts = shop_charts()
    for options, outcome in (((), Outcome.REJECTED), (("allow_late_approval",), Outcome.APPLIED)):
        engine = Orchestrator(charts, options=options)
        engine.apply(event("p1", "decline", "declined"))
        d = engine.apply(event("p1", "pay", "paid", amount=500))
        assert d.outcome is outcome
        if outcome is Outcome.REJECTED:
            assert "allow_late_approval" in d.reason and "disabled" in d.reason
            assert state(engine, "p1") == "declined"
        else:
            assert any("override `allow_late_approval` used" in w for w in d.warnings)
            assert state(engine, "p1") == "paid"


def test_final_object_without_edge_is_rejected(engine: Orchestrator) -> None:
    engine.apply(event("p1", "decline", "declined"))
    d = engine.apply(event("p1", "void", "voided"))
    assert d.outcome is Outcome.REJECTED
    assert "final" in d.reason


def test_invalid_signature_never_changes_state(engine: Orchestrator) -> None:
    paid(engine)
    forged = event("p1", "chargeback", "chargeback", amount=1000,
                   signature=SignatureStatus.INVALID)
    d = engine.apply(forged)
    assert (d.outcome, d.field) == (Outcome.INVALID, "signature")
    assert state(engine, "p1") == "paid"
    genuine = event("p1", "chargeback", "chargeback", amount=1000)
    assert genuine.dedupe_key == forged.dedupe_key
    assert engine.apply(genuine).outcome is Outcome.APPLIED, "a forgery must not claim the key"


def test_currency_mismatch_is_invalid_naming_the_field(engine: Orchestrator) -> None:
    paid(engine)
    d = engine.apply(event("p1", "refund", "paid", amount=100, currency="USD"))
    assert (d.outcome, d.field) == (Outcome.INVALID, "currency")
    assert "USD" in d.reason and "EUR" in d.reason


def test_unknown_object_kind_is_invalid(engine: Orchestrator) -> None:
    d = engine.apply(event("x", "pay", "paid", kind="voucher"))
    assert (d.outcome, d.field) == (Outcome.INVALID, "object_kind")


def test_adapter_error_is_journaled_as_invalid(engine: Orchestrator) -> None:
    d = engine.invalid(InputError("amount", "not a number: 'ten'", provider="shop"))
    assert (d.outcome, d.field, d.provider) == (Outcome.INVALID, "amount", "shop")
    (entry,) = engine.store.journal()
    assert entry.decision == d and entry.event is None and entry.claimed_key is None


def test_amount_mismatch_on_a_status_edge_is_a_warning(engine: Orchestrator) -> None:
    engine.apply(event("p1", "authorize", "held", amount=1000))
    d = engine.apply(event("p1", "decline", "declined", amount=900))
    assert d.outcome is Outcome.APPLIED
    assert any("differs from authorized" in w for w in d.warnings)


def test_allowed_actions_and_precheck(engine: Orchestrator) -> None:
    engine.apply(event("p1", "authorize", "held", amount=1000))
    assert [str(a) for a in engine.allowed_actions("shop", "payment", "p1")] == [
        "capture up to 10.00 EUR", "void"]
    engine.apply(event("p1", "capture", "paid", amount=1000))
    engine.apply(event("p1", "refund", "paid", amount=700))
    check = engine.precheck("shop", "payment", "p1", "refund", Money(500, "EUR"))
    assert (check.allowed, check.reason) == (False, "refundable is 3.00 EUR")
    assert engine.precheck("shop", "payment", "p1", "refund", Money(300, "EUR")).allowed
    assert not engine.precheck("shop", "payment", "p1", "capture").allowed
    assert "not known" in engine.precheck("shop", "payment", "nope", "refund").reason


def test_child_refund_drives_parent_ledger_and_state(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    part = engine.apply(event("r1", "approve", "approved", kind="refund", amount=400,
                              parent="p1"))
    assert part.outcome is Outcome.APPLIED
    parent = engine.record("shop", "payment", "p1")
    assert parent is not None and parent.ledger.refunded == 400 and parent.state == "paid"
    assert engine.canonical(parent) == "partially_refunded"
    rest = engine.apply(event("r2", "approve", "approved", kind="refund", amount=600,
                              parent="p1"))
    assert rest.parent_move is not None
    assert (rest.parent_move.from_state, rest.parent_move.to_state) == ("paid", "refunded")
    assert state(engine, "p1") == "refunded"


def test_child_refund_beyond_parent_refundable_is_rejected(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    d = engine.apply(event("r1", "approve", "approved", kind="refund", amount=1200, parent="p1"))
    assert d.outcome is Outcome.REJECTED
    assert "parent p1" in d.reason
    assert state(engine, "r1", "refund") is None


def test_child_of_unknown_parent_is_kept_with_a_warning(engine: Orchestrator) -> None:
    d = engine.apply(event("r1", "approve", "approved", kind="refund", amount=100, parent="px"))
    assert d.outcome is Outcome.APPLIED
    assert any("is not known" in w for w in d.warnings)


def test_open_dispute_blocks_the_payment(engine: Orchestrator) -> None:
    paid(engine)
    engine.apply(event("d1", "open", "open", kind="dispute", parent="p1"))
    blocked = engine.apply(event("p1", "refund", "refunded", amount=1000))
    assert blocked.outcome is Outcome.REJECTED
    assert "dispute d1" in blocked.reason
    assert engine.allowed_actions("shop", "payment", "p1") == ()
    lost = engine.apply(event("d1", "lose", "lost", kind="dispute", parent="p1"))
    assert lost.outcome is Outcome.APPLIED
    payment = engine.record("shop", "payment", "p1")
    assert payment is not None
    assert (payment.state, payment.ledger.charged_back) == ("lost", 1000)


def test_remembered_facts_are_kept_for_later_verification(engine: Orchestrator) -> None:
    engine.apply(event("p1", "start", "pending", channel=Channel.REQUEST,
                       remember=(("email", "doe@example.com"), ("card", "411111...1111"))))
    lookup = engine.remembered_for("shop")
    assert lookup("payment", "p1") == {"email": "doe@example.com", "card": "411111...1111"}
    assert lookup("payment", "other") == {}


def test_batched_callback_takes_the_composite_move(engine: Orchestrator) -> None:
    engine.apply(event("p1", "start", "pending", channel=Channel.RESPONSE))
    d = engine.apply(event("p1", "void", "voided"))
    assert (d.outcome, d.from_state, d.to_state) == (Outcome.APPLIED, "pending", "voided")
    assert "composite move: skipped `held`" in d.warnings


def test_no_composite_move_through_a_final_state(engine: Orchestrator) -> None:
    engine.apply(event("p1", "decline", "declined"))
    d = engine.apply(event("p1", "capture", "paid", amount=100))
    assert d.outcome is Outcome.REJECTED
    assert state(engine, "p1") == "declined"


def test_reported_state_chooses_among_edges_of_one_trigger(engine: Orchestrator) -> None:
    """A message saying `refunded` is not taken down the partial-refund self-loop just because
    its amount would fit: the provider's reported state picks the edge."""
    paid(engine, amount=1000)
    d = engine.apply(event("p1", "refund", "refunded", amount=400))
    assert (d.outcome, d.to_state, d.canonical) == (Outcome.APPLIED, "refunded", "refunded")
    assert d.ledger is not None and d.ledger.refunded == 1000
    late_part = engine.apply(event("p1", "refund", "paid", amount=600))
    assert late_part.outcome is Outcome.STALE


def test_first_seen_capture_waits_for_its_authorization(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "capture", "paid", amount=800))
    assert d.outcome is Outcome.APPLIED and d.history_unknown
    assert d.ledger is not None and d.ledger.captured == 0
    assert any("deferred" in w for w in d.warnings)
    late = engine.apply(event("p1", "authorize", "held", amount=1000))
    assert (late.outcome, late.to_state) == (Outcome.APPLIED, "paid")
    assert late.ledger is not None
    assert (late.ledger.authorized, late.ledger.captured) == (1000, 800)
    record = engine.record("shop", "payment", "p1")
    assert record is not None and record.deferred == ()


def test_late_message_fills_in_a_skipped_step(engine: Orchestrator) -> None:
    engine.apply(event("p1", "start", "pending", channel=Channel.RESPONSE))
    engine.apply(event("p1", "void", "voided"))
    composite = engine.record("shop", "payment", "p1")
    assert composite is not None and composite.skipped
    late = engine.apply(event("p1", "authorize", "held", amount=1000))
    assert (late.outcome, late.from_state, late.to_state) == (
        Outcome.APPLIED, "voided", "voided")
    assert "fills in the skipped step" in late.reason
    record = engine.record("shop", "payment", "p1")
    assert record is not None and record.skipped == ()
    assert record.ledger.authorized == 0, "the void since released it, as delivered in order"
    again = engine.apply(event("p1", "authorize", "held", amount=1000, key="other"))
    assert again.outcome is Outcome.STALE


def test_rejected_input_is_decided_again_when_redelivered(engine: Orchestrator) -> None:
    paid(engine)
    engine.apply(event("d1", "open", "open", kind="dispute", parent="p1"))
    refund = event("p1", "refund", "refunded", amount=1000)
    assert engine.apply(refund).outcome is Outcome.REJECTED
    engine.apply(event("d1", "win", "won", kind="dispute", parent="p1"))
    retried = engine.apply(refund)
    assert (retried.outcome, retried.to_state) == (Outcome.APPLIED, "refunded")


def test_unsigned_callback_is_invalid(engine: Orchestrator) -> None:
    d = engine.apply(event("p1", "pay", "paid", amount=100, signature=SignatureStatus.ABSENT))
    assert (d.outcome, d.field) == (Outcome.INVALID, "signature")
    polled = engine.apply(event("p1", "pay", "paid", amount=100, channel=Channel.POLL,
                                signature=SignatureStatus.ABSENT))
    assert polled.outcome is Outcome.APPLIED, "a poll is our own authenticated call"


def test_child_first_seen_without_parent_is_linked_later(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    engine.apply(event("r1", "process", "pending", kind="refund"))
    d = engine.apply(event("r1", "approve", "approved", kind="refund", amount=400, parent="p1"))
    assert d.outcome is Outcome.APPLIED
    payment = engine.record("shop", "payment", "p1")
    assert payment is not None and payment.ledger.refunded == 400


def test_older_message_still_fills_in_a_skipped_step(engine: Orchestrator) -> None:
    engine.apply(event("p1", "start", "pending", channel=Channel.RESPONSE, sequence=1))
    engine.apply(event("p1", "void", "voided", sequence=9))
    late = engine.apply(event("p1", "authorize", "held", amount=1000, sequence=5))
    assert (late.outcome, late.to_state) == (Outcome.APPLIED, "voided")
    assert late.ledger is not None and late.ledger.authorized == 0  # released by the void
    older = engine.apply(event("p1", "start", "pending", sequence=2, key="again"))
    assert older.outcome is Outcome.STALE and "older than applied 9" in older.reason


# -- families, history, versions ------------------------------------------------------------

def test_child_seen_before_its_parent_applies_when_the_parent_arrives(
        engine: Orchestrator) -> None:
    early = engine.apply(event("d1", "lose", "lost", kind="dispute", parent="p1"))
    assert early.outcome is Outcome.APPLIED
    assert any("waits until it is seen" in w for w in early.warnings)
    assert engine.record("shop", "payment", "p1") is None, "a placeholder is not the payment"
    paid_now = engine.apply(event("p1", "pay", "paid", amount=1000))
    assert (paid_now.outcome, paid_now.to_state) == (Outcome.APPLIED, "lost")
    assert paid_now.ledger is not None and paid_now.ledger.charged_back == 1000
    assert any("pending effect of dispute/d1 applied" in w for w in paid_now.warnings)


def test_refund_waits_while_its_payment_is_only_held(engine: Orchestrator) -> None:
    engine.apply(event("p1", "authorize", "held", amount=1000))
    waiting = engine.apply(event("r1", "approve", "approved", kind="refund", amount=1000,
                                 parent="p1"))
    assert waiting.outcome is Outcome.APPLIED
    assert any("cannot take it yet" in w for w in waiting.warnings)
    captured = engine.apply(event("p1", "capture", "paid", amount=1000))
    assert (captured.to_state, captured.canonical) == ("refunded", "refunded")
    assert captured.ledger is not None and captured.ledger.refunded == 1000


def test_child_in_another_currency_than_its_parent_is_rejected(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    d = engine.apply(event("r1", "approve", "approved", kind="refund", amount=100,
                           currency="USD", parent="p1"))
    assert d.outcome is Outcome.REJECTED
    assert "USD" in d.reason and "EUR" in d.reason
    assert engine.record("shop", "refund", "r1") is None


def test_chargeback_after_a_full_refund_is_rejected_not_stale(engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    engine.apply(event("p1", "refund", "refunded", amount=1000))
    d = engine.apply(event("p1", "chargeback", "chargeback", amount=1000))
    assert d.outcome is Outcome.REJECTED
    assert "never passed `chargeback`" in d.reason and "someone must look" in d.reason
    late = engine.apply(event("p1", "pay", "paid", amount=1000, key="late"))
    assert late.outcome is Outcome.STALE, "`paid` was visited: old news"


def test_child_without_a_named_parent_waits_for_the_input_that_names_it(
        engine: Orchestrator) -> None:
    paid(engine, amount=1000)
    unlinked = engine.apply(event("r1", "approve", "approved", kind="refund", amount=400,
                                  key="r1:approved"))
    assert (unlinked.outcome, unlinked.to_state) == (Outcome.APPLIED, "approved")
    payment = engine.record("shop", "payment", "p1")
    assert payment is not None and payment.ledger.refunded == 0
    linked = engine.apply(event("r1", "approve", "approved", kind="refund", amount=400,
                                key="r1:approved", parent="p1"))
    assert linked.outcome is Outcome.APPLIED and "links refund r1" in linked.reason
    payment = engine.record("shop", "payment", "p1")
    assert payment is not None and payment.ledger.refunded == 400
    again = engine.apply(event("r1", "approve", "approved", kind="refund", amount=400,
                               key="r1:approved", parent="p1"))
    assert again.outcome is Outcome.DUPLICATE


def test_journaled_decision_is_exactly_the_returned_one(engine: Orchestrator) -> None:
    returned = engine.apply(event("p1", "pay", "paid", amount=100), reply="OK")
    (entry,) = engine.store.journal()
    assert returned.reply == "OK" and entry.decision == returned


class _Interleaved(MemoryStore):
    """A store where another worker commits right before this worker's first commit."""

    def __init__(self, competitor: Callable[[MemoryStore], object]) -> None:
        super().__init__()
        self.competitor: Callable[[MemoryStore], object] | None = competitor

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        competitor, self.competitor = self.competitor, None
        if competitor is not None:
            competitor(self)
        return super().commit(entry, records, reads)


def test_a_stale_decision_is_redecided_after_a_concurrent_change() -> None:
    charts = shop_charts()
    store = _Interleaved(lambda s: None)
    engine = Orchestrator(charts, store)
    paid(engine, amount=1000)
    store.competitor = lambda s: Orchestrator(charts, s).apply(
        event("p1", "refund", "refunded", amount=1000))
    d = engine.apply(event("p1", "start", "pending", key="late"))
    assert d.outcome is Outcome.STALE
    assert (d.to_state, d.canonical) == ("refunded", "refunded"), "decided on a fresh read"
    assert len(list(store.journal())) == 4


def test_a_child_decided_while_its_parent_was_absent_is_redecided() -> None:
    charts = shop_charts()
    store = _Interleaved(lambda s: Orchestrator(charts, s).apply(
        event("p1", "pay", "paid", amount=1000)))
    engine = Orchestrator(charts, store)
    d = engine.apply(event("r1", "approve", "approved", kind="refund", amount=1000,
                           parent="p1"))
    assert d.parent_move is not None and d.parent_move.to_state == "refunded"
    payment = engine.record("shop", "payment", "p1")
    assert payment is not None and payment.ledger.refunded == 1000


def test_exhausted_retries_name_the_object_that_kept_changing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    charts = shop_charts()
    engine = Orchestrator(charts)
    paid(engine, amount=1000)

    def conflict(entry: object, records: object, reads: object = ()) -> int:
        raise VersionConflictError("shop/payment/p1", 2, 3)

    monkeypatch.setattr(engine.store, "commit", conflict)
    monkeypatch.setattr(orchestrator, "_back_off", lambda attempt: None)
    with pytest.raises(RetriesExhaustedError) as failed:
        engine.apply(event("r1", "approve", "approved", kind="refund", amount=10,
                           parent="p1", key="refund-r1"))
    message = str(failed.value)
    assert "shop/payment/p1 kept changing" in message
    assert "'refund-r1' about shop/refund/r1" in message


def test_cardlink_refund_callback_before_its_response_reaches_the_payment() -> None:
    """The CARDLINK case: a refund callback names no payment (only the refund response does),
    carries its real state, and shares its dedupe key with the response."""
    engine = Orchestrator(ChartSet.bundled())
    key = "cardlink:refund:rf1:approved:500EUR"

    def cardlink(kind: str, object_id: str, trigger: str, state: str, channel: Channel,
                 dedupe: str, parent: str | None = None, amount: int = 500) -> Event:
        return Event("cardlink", kind, object_id, trigger, channel, dedupe, state=state,
                     money=Money(amount, "EUR"), parent_id=parent)

    engine.apply(cardlink("payment", "pay1", "approve", "approved", Channel.RESPONSE,
                          "cardlink:payment:pay1:approved", amount=500))
    callback = engine.apply(cardlink("refund", "rf1", "approve", "approved",
                                     Channel.POLL, key))
    assert callback.outcome is Outcome.APPLIED
    payment = engine.record("cardlink", "payment", "pay1")
    assert payment is not None and payment.ledger.refunded == 0
    response = engine.apply(cardlink("refund", "rf1", "approve", "approved", Channel.RESPONSE,
                                     key, parent="pay1"))
    assert response.outcome is Outcome.APPLIED
    assert response.parent_move is not None and response.parent_move.to_state == "refunded"
    payment = engine.record("cardlink", "payment", "pay1")
    assert payment is not None and (payment.state, payment.ledger.refunded) == ("refunded", 500)
