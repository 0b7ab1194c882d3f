"""The issue's platform sequences, run through ``validate_file`` as recorded traffic.

Each JSONL file under ``fixtures/platform/sequences`` is written by ``make_fixtures.py`` with real
hashes for the test secrets; the expectations below are the decisions the charts must make.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paychart.adapter import AdapterContext, RawInput
from paychart.adapters.platform import ADAPTER
from paychart.charts import ChartSet
from paychart.decision import Decision, Outcome
from paychart.event import Channel
from paychart.ledger import Ledger
from paychart.money import Money
from paychart.orchestrator import Orchestrator
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_file

FIXTURES = Path(__file__).parent / "fixtures" / "platform"
SEQUENCES = FIXTURES / "sequences"
SECRETS = Secrets.load(FIXTURES / "secrets.toml")
SHA256 = Secrets.load(FIXTURES / "secrets_sha256.toml")

A, D, S, R, X = "applied", "duplicate", "stale", "rejected", "invalid"
KEPT = frozenset({S, R})
"""Either way nothing changes: a repeated status query over an object first seen by a poll
(the engine may try it as a late message for a skipped step and refuse it)."""


def ledger_of(authorized: int = 0, captured: int = 0, refunded: int = 0,
              charged_back: int = 0) -> dict[str, int]:
    return {"authorized": authorized, "captured": captured, "refunded": refunded,
            "charged_back": charged_back}


# name: (outcomes per input, trans_id, final state, canonical, ledger)
EXPECTED: dict[str, tuple[list[str | frozenset[str]], str, str, str, dict[str, int]]] = {
    "sale_settled": ([A, A, D, D], "T-SALE", "SETTLED", "succeeded", ledger_of(1000, 1000)),
    "auth_capture": ([A, A, A, D, S], "T-AUTH", "SETTLED", "succeeded", ledger_of(1000, 600)),
    "capture_declined": ([A, A, A, R, A], "T-CAPDECL", "SETTLED", "succeeded",
                         ledger_of(1000, 1000)),
    "reversal": ([A, A, A, R, A], "T-REV", "REVERSAL", "canceled", ledger_of()),
    "refunds": ([A, A, A, A, A, A, D, A], "T-REFUNDS", "REFUND", "refunded",
                ledger_of(1000, 1000, 1000)),
    "refund_above_settled": ([A, A, A, R], "T-OVER", "SETTLED", "partially_refunded",
                             ledger_of(1000, 1000, 300)),
    "void": ([A, A, A, D, S], "T-VOID", "VOID", "canceled", ledger_of(1000, 0)),
    "dispute_won": ([A, A, A, D, A, A, A, A], "T-DISPUTE-WON", "ARBITRATION_WON",
                    "dispute_won", ledger_of(1000, 1000, 0, 0)),
    "dispute_lost": ([A, A, A, D, A, A, A, A], "T-DISPUTE-LOST", "ARBITRATION_LOST",
                     "dispute_lost", ledger_of(1000, 1000, 0, 800)),
    "chargeback_reversal": ([A, A, A, A], "T-CBREV", "SETTLED", "succeeded", ledger_of(1000, 1000)),
    "dispute_reversals": ([A] * 11, "T-REVERSALS", "ARBITRATION_REVERSAL", "dispute_won",
                          ledger_of(1000, 1000)),
    "late_3ds": ([A, A, A, D, S, S], "T-3DS", "SETTLED", "succeeded", ledger_of(1000, 1000)),
    "forged_hash": ([A, A, X, A, X], "T-FORGED", "CHARGEBACK", "disputed",
                    ledger_of(1000, 1000, 0, 1000)),
    "undefined_then_declined": ([A, A, S, A], "T-PREPARE", "DECLINED", "failed", ledger_of()),
    "poll_first": ([A, KEPT, A], "T-POLL", "CHARGEBACK", "disputed",
                   ledger_of(1000, 1000, 0, 1000)),
    "recurring_retry": ([A, A, A, A, R, R], "T-RECUR", "DECLINED", "failed", ledger_of()),
    "sha256_account": ([A, A, A], "T-SHA256", "CHARGEBACK", "disputed",
                       ledger_of(1000, 1000, 0, 250)),
}


def _canonical(decision: Decision) -> str:
    """The canonical status of a decision that moved an object (so has one)."""
    assert decision.canonical is not None
    return decision.canonical.value


def _ledger(decision: Decision) -> Ledger:
    """The ledger of a decision about a known object (so has one)."""
    assert decision.ledger is not None
    return decision.ledger


def run(name: str, options: tuple[str, ...] = ()) -> ValidationRun:
    secrets = SHA256 if name.startswith("sha256") else SECRETS
    return validate_file(SEQUENCES / f"{name}.jsonl", secrets=secrets, options=options)


def test_every_sequence_file_has_expectations():
    assert {p.stem for p in SEQUENCES.glob("*.jsonl")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sequence(name):
    outcomes, trans_id, state, canonical, ledger = EXPECTED[name]
    result = run(name)
    got = [r.decision.outcome.value for r in result.results]
    assert len(got) == len(outcomes)
    for line, (outcome, expected) in enumerate(zip(got, outcomes, strict=True), start=1):
        assert outcome in expected if isinstance(expected, frozenset) else outcome == expected, (
            f"line {line}: {result.results[line - 1].decision}")
        if isinstance(expected, frozenset):
            before, after = result.results[line - 2].decision, result.results[line - 1].decision
            assert (after.to_state, after.ledger) == (before.to_state, before.ledger)
    record = result.orchestrator.record("platform", "transaction", trans_id)
    assert record is not None
    assert record.state == state
    assert result.orchestrator.canonical(record) == canonical
    got_ledger = {k: getattr(record.ledger, k) for k in ledger}
    assert got_ledger == ledger
    assert record.ledger.currency == "USD"
    assert record.ledger.holds_invariants()
    assert result.summary()["inputs"] == len(outcomes)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sequence_is_deterministic_and_idempotent(name, tmp_path):
    """Same inputs, same decisions; every input again afterwards changes nothing."""
    first = [r.decision for r in run(name).results]
    again = [r.decision for r in run(name).results]
    assert first == again
    lines = (SEQUENCES / f"{name}.jsonl").read_text().splitlines()
    doubled = tmp_path / f"{name}.jsonl"
    doubled.write_text("\n".join(lines + lines) + "\n")
    replayed = validate_file(doubled, secrets=SHA256 if name.startswith("sha256") else SECRETS)
    tail = [r.decision.outcome for r in replayed.results[len(first):]]
    assert Outcome.APPLIED not in tail
    once, twice = run(name).objects(), replayed.objects()
    assert [(o.key, o.state, o.ledger) for o in once] == [(o.key, o.state, o.ledger)
                                                         for o in twice]


def test_callbacks_are_answered_ok():
    result = run("dispute_won")
    for item in result.results:
        expected = "OK" if item.raw is not None and item.raw.channel is Channel.CALLBACK else None
        assert item.decision.reply == expected


def test_every_step_of_the_dispute_chain_is_disputed():
    result = run("dispute_lost")
    chain = [r.decision for r in result.results[2:-1] if r.decision.outcome == Outcome.APPLIED]
    assert [d.to_state for d in chain] == ["CHARGEBACK", "SECOND_PRESENTMENT",
                                           "SECOND_CHARGEBACK", "ARBITRATION"]
    assert {_canonical(d) for d in chain} == {"disputed"}
    assert [_ledger(d).charged_back for d in chain] == [1000, 1000, 800, 800]


def test_partial_refunds_show_in_the_ledger_not_the_status():
    decisions = [r.decision for r in run("refunds").results]
    partial = [d for d in decisions if d.trigger == "creditvoid_refund"
               and d.outcome == Outcome.APPLIED]
    assert [(d.to_state, _canonical(d), _ledger(d).refunded) for d in partial] == [
        ("SETTLED", "partially_refunded", 300), ("SETTLED", "partially_refunded", 500),
        ("REFUND", "refunded", 1000)]
    assert [str(a) for a in partial[0].allowed] == ["refund up to 7.00 USD", "void"]


def test_refund_above_settled_is_rejected_with_the_figures():
    last = run("refund_above_settled").results[-1].decision
    assert last.outcome == Outcome.REJECTED
    assert "8.00 USD" in last.reason and "7.00 USD" in last.reason


def test_merchant_precheck_refuses_a_refund_above_refundable():
    orchestrator = run("refund_above_settled").orchestrator
    check = orchestrator.precheck("platform", "transaction", "T-OVER", "refund",
                                  Money(800, "USD"))
    assert not check.allowed and "7.00 USD" in check.reason
    assert orchestrator.precheck("platform", "transaction", "T-OVER", "refund",
                                 Money(700, "USD")).allowed


def test_declined_capture_keeps_the_hold():
    decisions = [r.decision for r in run("capture_declined").results]
    declined = decisions[2]
    assert (declined.trigger, declined.to_state, _canonical(declined)) == (
        "capture_declined", "PENDING", "authorized")
    assert [str(a) for a in declined.allowed] == ["capture up to 10.00 USD",
                                                  "reverse up to 10.00 USD"]
    assert "undefined" in decisions[3].reason


def test_one_capture_only():
    result = run("auth_capture")
    second = result.results[-1].decision
    assert second.outcome == Outcome.STALE
    assert _ledger(second).captured == 600
    assert second.allowed[0].name == "refund"


def test_3ds_redirect_is_surfaced_and_the_late_callback_is_stale():
    decisions = [r.decision for r in run("late_3ds").results]
    redirect = decisions[1]
    assert _canonical(redirect) == "requires_action"
    assert redirect.customer_action is not None
    assert redirect.customer_action.url == "https://acs.example/3ds"
    assert dict(redirect.customer_action.params) == {"PaReq": "eJxVUt1ugjAU", "MD": "T-3DS"}
    assert "older than applied" in decisions[4].reason
    assert "already passed" in decisions[5].reason


def test_forged_hash_does_not_shadow_the_genuine_callback():
    decisions = [r.decision for r in run("forged_hash").results]
    assert decisions[2].field == "signature" and decisions[2].reply is None
    assert decisions[3].trigger == "chargeback"


def test_retry_settles_a_declined_recurring_sale_only_when_enabled():
    result = run("recurring_retry", ("allow_retry_after_decline",))
    assert [r.decision.outcome.value for r in result.results] == ["applied"] * 6
    record = result.orchestrator.record("platform", "transaction", "T-RECUR")
    assert record is not None and record.state == "SETTLED"
    assert dict(record.remembered)["payer_email"] == "doe@example.com"
    assert any("override" in w for w in result.results[-1].decision.warnings)


def test_recurring_request_is_verified_with_the_first_transaction_facts():
    result = run("recurring_retry")
    assert result.results[2].signature is None  # raw input: the decision carries the event
    record = result.orchestrator.record("platform", "transaction", "T-RECUR")
    assert record is not None
    assert dict(record.remembered) == {"payer_email": "doe@example.com",
                                       "card_first6": "411111", "card_last4": "1111",
                                       "currency": "USD", "requested": "1000 USD"}


def test_journal_never_holds_the_card_number_or_cvv():
    result = run("sale_settled")
    for entry in result.orchestrator.store.journal():
        text = json.dumps(entry.payload)
        assert "4111111111111111" not in text
        assert "card_cvv2=000" not in text
    for record in result.objects():
        assert all("4111111111111111" not in v for _, v in record.remembered)


def test_unchecked_without_secrets_and_the_real_callback_starts_a_transaction():
    body = (FIXTURES / "real" / "sale_callback_async_success.urlencoded.txt").read_bytes()
    orchestrator = Orchestrator(ChartSet.bundled())
    (decision,) = orchestrator.ingest(RawInput("platform", Channel.CALLBACK, body), ADAPTER,
                                      AdapterContext())
    assert decision.outcome == Outcome.APPLIED and decision.history_unknown
    assert (decision.to_state, _canonical(decision)) == ("SETTLED", "succeeded")
    assert decision.reply == "OK"
    assert _ledger(decision).currency == "EUR"


def test_callback_for_an_unseen_request_is_invalid_with_secrets(tmp_path):
    """Without the merchant request the payer email is unknown: the hash cannot be checked,
    so the callback is not acted on and the platform retries (no ``OK``)."""
    lines = (SEQUENCES / "dispute_won.jsonl").read_text().splitlines()
    orphan = tmp_path / "orphan.jsonl"
    orphan.write_text(lines[2] + "\n")
    result = validate_file(orphan, secrets=SECRETS)
    (item,) = result.results
    assert item.decision.outcome == Outcome.INVALID
    assert item.decision.field == "signature"
    assert "payer email" in item.decision.reason


def test_a_callback_move_is_unconfirmed_until_its_status_query() -> None:
    """The platform hash binds neither status nor amount: a decision resting on a callback
    says so, and names the poll that confirms it; the merchant's own answers are confirmed."""
    from paychart.secrets import Secrets
    from paychart.validate import validate_file

    fixtures = Path(__file__).parent / "fixtures" / "platform"
    run = validate_file(fixtures / "sequences" / "chargeback_reversal.jsonl",
                        secrets=Secrets.load(fixtures / "secrets.toml"))
    applied = [r for r in run.results if r.decision.outcome.value == "applied"]
    by_channel = {(r.channel, r.decision.confirmed, r.decision.confirm_by) for r in applied}
    assert ("callback", False, "GET_TRANS_STATUS") in by_channel
    assert all(r.decision.confirmed for r in applied if r.channel == "response")
