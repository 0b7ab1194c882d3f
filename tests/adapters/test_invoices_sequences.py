"""The issue's payment-invoice sequences, recorded as JSONL and decided by ``validate_file``:
outcome per line, final state, canonical status and ledger of every invoice."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from paychart import Decision, Money, Outcome, SQLiteStore, Store
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_file

FIXTURES = Path(__file__).parent / "fixtures" / "invoices"
SEQUENCES = FIXTURES / "sequences"
A, D, S, R, X = (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.STALE, Outcome.REJECTED,
                 Outcome.INVALID)

# name: (outcome of every decision in order, {invoice: (state, canonical,
#        (authorized, captured, refunded, charged back) in minor units)})
EXPECTED = {
    "created_to_processed": ([A, A, A, A], {
        "cpi_CreatedProc01": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "retry_loop": ([A] * 6, {
        "cpi_RetryLoop0001": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "process_failed": ([A, A, A, R], {
        "cpi_Failed0000001": ("process_failed", "failed", (0, 0, 0, 0))}),
    "partially_processed": ([A, A, R, A, A], {
        "cpi_Partial000001": ("refunded", "refunded", (6025, 6025, 6025, 0))}),
    "partial_then_full_refund": ([A] * 7, {
        "cpi_Refunds000001": ("refunded", "refunded", (10000, 10000, 10000, 0))}),
    "refund_failed": ([A] * 4, {
        "cpi_RefundFail001": ("refund_failed", "succeeded", (10000, 10000, 0, 0))}),
    "chargeback": ([A] * 5, {
        "cpi_Chargeback001": ("charged_back", "dispute_lost", (10000, 10000, 0, 10000)),
        "cpi_PartialCb0001": ("partially_charged_back", "dispute_lost",
                              (10000, 10000, 0, 4000))}),
    "reverse_order": ([A, S, S, S], {
        "cpi_Reverse000001": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "duplicates": ([A, D, A, D, D], {
        "cpi_Dupes00000001": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "bad_signature": ([X, X, X, A, D], {
        "cpi_BadSig0000001": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "test_mode_live_secret": ([X, A, A, X], {
        "cpi_TestMode00001": ("processing", "processing", (0, 0, 0, 0)),
        "cpi_LiveMode00001": ("processing", "processing", (0, 0, 0, 0))}),
    "batched": ([A, A, A, A, R, A, A], {
        "cpi_Batched000001": ("refunded", "refunded", (10000, 10000, 10000, 0)),
        "cpi_Batched000002": ("partially_processed", "succeeded", (5000, 5000, 0, 0)),
        "cpi_Batched000003": ("processed", "succeeded", (10000, 10000, 0, 0))}),
    "moderation": ([A, R, A, A], {
        "cpi_Moderated0001": ("refunded", "refunded", (10000, 10000, 10000, 0))}),
    "cardgate_sale": ([A, A, S, A], {
        "cpi_Sale000000001": ("processed", "succeeded", (1000, 1000, 0, 0))}),
    "real_payloads": ([A, A, A, A], {
        "cpi_RealToken0001": ("process_pending", "requires_action", (0, 0, 0, 0)),
        "cpi_UoIW6RdSYyIRj8vR": ("process_pending", "requires_action", (0, 0, 0, 0)),
        "cpi_i1T5VQhj5IbHHI1P": ("charged_back", "dispute_lost", (5500, 5500, 0, 5500))}),
}


def run(name: str, store: Store | None = None) -> ValidationRun:
    return validate_file(SEQUENCES / f"{name}.jsonl",
                         secrets=Secrets.load(FIXTURES / "secrets.toml"), store=store)


def test_every_sequence_file_is_asserted() -> None:
    assert {p.stem for p in SEQUENCES.glob("*.jsonl")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sequence_decisions(name: str) -> None:
    outcomes, objects = EXPECTED[name]
    result = run(name)
    assert [r.decision.outcome for r in result.results] == outcomes
    assert not result.unchecked_providers
    assert len(list(result.orchestrator.store.journal())) == len(result.results)
    found = {record.object_id: record for record in result.objects()}
    assert set(found) == set(objects)
    for object_id, (state, canonical, figures) in objects.items():
        record = found[object_id]
        assert record.state == state, object_id
        assert result.orchestrator.canonical(record) == canonical, object_id
        ledger = record.ledger
        assert (ledger.authorized, ledger.captured, ledger.refunded,
                ledger.charged_back) == figures, object_id
        assert record.ledger.holds_invariants()


def test_sequences_decide_alike_on_sqlite(tmp_path: Path) -> None:
    for name in ("partial_then_full_refund", "real_payloads"):
        memory = run(name)
        store = SQLiteStore(str(tmp_path / f"{name}.sqlite"))
        on_disk = run(name, store=store)
        assert [r.decision for r in on_disk.results] == [r.decision for r in memory.results]
        store.close()


def _decision(name: str, line: int, index: int = 0) -> Decision:
    return [r.decision for r in run(name).results if r.line == line][index]


def test_create_response_surfaces_the_hosted_page() -> None:
    decision = _decision("created_to_processed", 2)
    assert decision.customer_action is not None
    assert decision.customer_action.url == "https://cardgate.example.io/hpp/cgi_ZzhRb7xLro7cIf0N"


def test_tokenizing_payment_keeps_token_with_mask_only() -> None:
    result = run("created_to_processed")
    kept = dict(result.objects()[0].remembered)
    assert kept["card_token"] == "4c9jHUgeL1SD7g5byDYn9Gc0RC60NN3x"
    assert kept["card_mask"] == "512381******0000"
    assert kept["flow"] == "tokenize"


def test_processed_invoice_offers_refund_of_the_processed_amount() -> None:
    decision = _decision("created_to_processed", 4)
    assert [str(action) for action in decision.allowed] == ["refund up to 100.00 USD"]


def test_failure_reason_is_journaled_with_the_decision() -> None:
    result = run("process_failed")
    entries = list(result.orchestrator.store.journal())
    failed = next(e for e in entries if e.decision.to_state == "process_failed")
    assert failed.event is not None
    assert failed.event.fact("failure_reason") == "issuer_decline"
    assert "final" in entries[-1].decision.reason


def test_partial_refund_then_remaining_refund_bounds() -> None:
    result = run("partial_then_full_refund")
    decisions = [r.decision for r in result.results]
    assert decisions[3].canonical == "partially_refunded"
    assert decisions[4].canonical == "partially_refunded"  # a second refund under way
    engine = result.orchestrator
    assert not engine.precheck("invoices", "payment_invoice", "cpi_Refunds000001",
                               "refund", Money(100, "USD")).allowed


def test_partial_processing_refuses_a_full_processed_report() -> None:
    decision = _decision("partially_processed", 3)
    assert decision.reason == "no edge for `process` from `partially_processed`"


def test_batched_callback_skipping_statuses_is_applied_or_reported() -> None:
    composite = _decision("batched", 3)
    assert (composite.from_state, composite.to_state) == ("process_pending", "refunded")
    reported = _decision("batched", 5)
    assert reported.outcome is Outcome.REJECTED


def test_moderated_invoice_cannot_be_refunded_until_released() -> None:
    assert "under moderation" in _decision("moderation", 2).reason


def test_wrong_signatures_name_the_field() -> None:
    result = run("bad_signature")
    invalid = [r.decision for r in result.results if r.decision.outcome is Outcome.INVALID]
    assert [d.field for d in invalid] == ["signature"] * 3
    assert [d.object_id for d in invalid] == ["cpi_BadSig0000001"] * 3


def test_reverse_order_is_stale_by_updated() -> None:
    assert "older than applied" in _decision("reverse_order", 2).reason


def test_cardgate_answer_on_a_pending_invoice_is_stale_with_its_warning() -> None:
    decision = _decision("cardgate_sale", 3)
    assert decision.warnings == (
        "CARDGATE cgi_7U4hCiGtMAaGJnwN: the customer must authorize the payment",)


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_invoice_fixtures",
                                                  FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generate_writes_the_committed_fixtures_byte_for_byte(tmp_path: Path) -> None:
    _generator().generate(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert Path("secrets.toml") in written and len(written) > 30
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (FIXTURES / relative).read_bytes(), \
            relative
    committed = {p.relative_to(FIXTURES) for folder in ("sequences", "callbacks")
                 for p in (FIXTURES / folder).iterdir()}
    assert committed <= set(written), "a committed fixture the generator no longer writes"


def test_fixtures_are_what_the_generator_writes() -> None:
    module = _generator()
    for name, lines in module.sequences().items():
        assert (SEQUENCES / f"{name}.jsonl").read_text(encoding="utf-8") == \
            "\n".join(lines) + "\n", name
    for name, body in module.status_callbacks().items():
        assert (FIXTURES / "callbacks" / name).read_text(encoding="utf-8") == body, name
