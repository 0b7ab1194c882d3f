"""The issue's PayLink sequences, run through ``validate_file`` as recorded traffic.

Each JSONL file under ``fixtures/paylink/sequences`` is written by ``make_fixtures.py`` with real
HTTP Basic credentials and RSA signatures for the test secrets; the expectations below are the
decisions the charts must make (outcome per decision, final state, canonical status, ledger).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paychart.decision import Outcome
from paychart.inputs import parse_record
from paychart.record import ObjectRecord
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_file, validate_records

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
SEQUENCES = FIXTURES / "sequences"
SECRETS = Secrets.load(FIXTURES / "secrets.toml")

A, D, S, R, X = "applied", "duplicate", "stale", "rejected", "invalid"


def ledger_of(authorized: int = 0, captured: int = 0, refunded: int = 0,
              charged_back: int = 0) -> dict[str, int]:
    return {"authorized": authorized, "captured": captured, "refunded": refunded,
            "charged_back": charged_back}


Objects = dict[str, tuple[str, str, dict[str, int] | None]]
# name: (outcome per decision in order, {object key: (state, canonical, ledger or None)})
EXPECTED: dict[str, tuple[list[str], Objects]] = {
    "checkout_paid": ([A, A, A, A, A, D], {
        "checkout/tok-1": ("successful", "succeeded", None),
        "transaction/pay-1": ("successful", "succeeded", ledger_of(10300, 10300)),
    }),
    "checkout_expired": ([A, A, D], {"checkout/tok-2": ("expired", "expired", None)}),
    "payment_failed": ([A], {"transaction/pay-2": ("failed", "failed", ledger_of())}),
    "authorization_capture_refunds": ([A, A, A, A, R], {
        "transaction/auth-1": ("refunded", "refunded", ledger_of(1000, 600, 600)),
        "capture/cap-1": ("successful", "succeeded", None),
        "refund/ref-1": ("successful", "refunded", None),
        "refund/ref-2": ("successful", "refunded", None),
    }),
    "authorization_voided": ([A, A, S], {
        "transaction/auth-2": ("voided", "canceled", ledger_of()),
        "void/void-2": ("successful", "canceled", None),
    }),
    "payment_chargeback": ([A, A], {
        "transaction/pay-3": ("charged_back", "disputed", ledger_of(500, 500, 0, 500)),
        "chargeback/cb-3": ("successful", "disputed", None),
    }),
    "late_failed": ([A, S], {
        "transaction/pay-4": ("successful", "succeeded", ledger_of(500, 500)),
    }),
    "duplicates": ([A, D, D, A, D], {
        "transaction/pay-1": ("successful", "succeeded", ledger_of(10300, 10300)),
        "checkout/tok-1": ("successful", "succeeded", None),
    }),
    # the last notification carries good HTTP Basic but no Content-Signature while the shop
    # has a public key: a downgrade, so invalid and pay-5 is never created
    "authentication": ([X, A, X, X], {
        "transaction/pay-6": ("successful", "succeeded", ledger_of(700, 700)),
    }),
}


def run(name: str) -> ValidationRun:
    return validate_file(SEQUENCES / f"{name}.jsonl", secrets=SECRETS)


def record(result: ValidationRun, key: str) -> ObjectRecord:
    found = result.orchestrator.store.get(f"paylink/{key}")
    assert found is not None, f"{key} was never created"
    return found


def test_every_sequence_file_has_expectations() -> None:
    assert {p.stem for p in SEQUENCES.glob("*.jsonl")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sequence_decisions_and_final_objects(name: str) -> None:
    outcomes, objects = EXPECTED[name]
    result = run(name)
    assert [r.decision.outcome.value for r in result.results] == outcomes
    for key, (state, canonical, ledger) in objects.items():
        found = record(result, key)
        assert found.state == state, key
        assert result.orchestrator.canonical(found) == canonical, key
        if ledger is not None:
            figures = found.ledger
            assert {name: getattr(figures, name) for name in ledger} == ledger, key
    assert {o.key.removeprefix("paylink/") for o in result.objects()} == set(objects)


def test_partial_refunds_show_partially_refunded_between_the_two_parts() -> None:
    result = validate_file(SEQUENCES / "authorization_capture_refunds.jsonl", secrets=SECRETS)
    refunds = [r.decision for r in result.results if r.decision.object_kind == "refund"]
    first, second = refunds[0].parent_move, refunds[1].parent_move
    assert first is not None and (first.object_id, first.from_state, first.to_state) == (
        "auth-1", "captured", "captured")
    assert second is not None and (second.object_id, second.from_state, second.to_state) == (
        "auth-1", "captured", "refunded")
    assert refunds[2].outcome is Outcome.REJECTED
    assert "exceeds refundable 0.00 USD" in refunds[2].reason


def test_partial_refund_state_is_partially_refunded() -> None:
    lines = (SEQUENCES / "authorization_capture_refunds.jsonl").read_text().splitlines()
    result = validate_records([parse_record(text, n) for n, text in enumerate(lines[:3], 1)],
                              secrets=SECRETS)
    authorization = record(result, "transaction/auth-1")
    assert authorization.state == "captured"
    assert result.orchestrator.canonical(authorization) == "partially_refunded"
    assert (authorization.ledger.captured, authorization.ledger.refunded) == (600, 200)
    assert [a.name for a in result.orchestrator.allowed_actions(
        "paylink", "transaction", "auth-1")] == ["refund"]


def test_refund_of_a_capture_keeps_the_capture_uid() -> None:
    result = run("authorization_capture_refunds")
    refund = record(result, "refund/ref-1")
    assert refund.parent == "paylink/transaction/auth-1"
    capture = record(result, "capture/cap-1")
    assert dict(capture.remembered)["authorization_uid"] == "auth-1"


def test_invalid_inputs_name_the_failing_header() -> None:
    result = run("authentication")
    invalid = [r.decision for r in result.results if r.decision.outcome is Outcome.INVALID]
    # the shop has a public key: without Content-Signature, HTTP Basic is never consulted
    assert [d.field for d in invalid] == ["Content-Signature"] * 3
    for decision in invalid:
        assert "test-only-secret" not in decision.reason


def test_stale_late_failed_names_the_provider_order() -> None:
    decision = run("late_failed").results[1].decision
    assert decision.outcome is Outcome.STALE
    assert "older than applied" in decision.reason
    assert decision.to_state == "successful"


def test_without_secrets_nothing_is_authenticated() -> None:
    """No secrets: every notification is ``unchecked``; the tampered body is then only a
    report of a state pay-6 already has."""
    result = validate_file(SEQUENCES / "authentication.jsonl")
    assert [r.decision.outcome.value for r in result.results] == [A, A, S, D]
    assert result.unchecked_providers == {"paylink"}
