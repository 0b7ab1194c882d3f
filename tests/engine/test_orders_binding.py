"""Requests logged before the provider id exists (issue 14, item 2): the platform's SALE
request is a pending attempt under its ``order_id`` until the 3-D Secure answer (or the first
callback) names the ``trans_id``; its masked facts carry over, so the callbacks verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paychart import ChartSet, SQLiteStore
from paychart.attempts import BOUND_TO
from paychart.event import SignatureStatus
from paychart.inputs import read_records
from paychart.replay import replay
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_records

PLATFORM = Path(__file__).parents[1] / "adapters" / "fixtures" / "platform"
SECRETS = Secrets.load(PLATFORM / "secrets.toml")
LATE_3DS = [json.loads(line) for line in
            (PLATFORM / "sequences" / "late_3ds.jsonl").read_text().splitlines()]
"""SALE request, 3-D Secure answer, SETTLED callback, its redelivery, two late callbacks."""
REFERENCE = "ORDER-T-3DS"


def _without_ref(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "ref"}


def run(lines: list[dict[str, Any]], tmp_path: Path) -> ValidationRun:
    path = tmp_path / "traffic.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return validate_records(read_records(path), secrets=SECRETS)


def test_the_fixture_is_the_flow_the_issue_names() -> None:
    assert [line["channel"] for line in LATE_3DS] == ["request", "response", "callback",
                                                      "callback", "callback", "callback"]
    assert LATE_3DS[0]["ref"] == "T-3DS"


def test_request_then_3ds_answer_then_callbacks_all_verify(tmp_path: Path) -> None:
    (tmp_path / "named").mkdir()
    named = run(LATE_3DS, tmp_path / "named")
    logged = run([_without_ref(LATE_3DS[0]), *LATE_3DS[1:]], tmp_path)
    outcomes = [r.decision.outcome.value for r in logged.results]
    assert outcomes == [r.decision.outcome.value for r in named.results]
    assert outcomes == ["applied", "applied", "applied", "duplicate", "stale", "stale"]
    request, answer, settled = (r.decision for r in logged.results[:3])
    assert request.object_id == f"pending {REFERENCE} #1"
    assert any("binds the merchant's request journaled as pending ORDER-T-3DS #1" in w
               for w in answer.warnings)
    assert logged.results[2].authenticity is SignatureStatus.VALID
    assert settled.to_state == "SETTLED"
    orchestrator = logged.orchestrator
    transaction = orchestrator.record("platform", "transaction", "T-3DS")
    assert transaction is not None and transaction.reference == REFERENCE
    kept = dict(transaction.remembered)
    assert (kept["payer_email"], kept["card_first6"], kept["card_last4"]) == (
        "doe@example.com", "411111", "1111")
    pending = orchestrator.record("platform", "transaction", f"pending {REFERENCE} #1")
    assert pending is not None and pending.reference is None
    assert dict(pending.remembered)[BOUND_TO] == "T-3DS"
    order = orchestrator.order(REFERENCE)
    assert order is not None
    assert [a.record.object_id for a in order.attempts] == ["T-3DS"]
    assert order.status == "paid" and order.anomalies == ()


def test_the_first_callback_binds_when_no_answer_was_logged(tmp_path: Path) -> None:
    logged = run([_without_ref(LATE_3DS[0]), LATE_3DS[2]], tmp_path)
    assert [r.decision.outcome.value for r in logged.results] == ["applied", "applied"]
    assert logged.results[1].authenticity is SignatureStatus.VALID
    transaction = logged.orchestrator.record("platform", "transaction", "T-3DS")
    assert transaction is not None and dict(transaction.remembered)["card_last4"] == "1111"


def test_without_the_request_the_callback_still_cannot_verify(tmp_path: Path) -> None:
    alone = run([LATE_3DS[2]], tmp_path)
    (result,) = alone.results
    assert result.decision.outcome.value == "invalid"
    assert "SALE request was not seen" in result.decision.reason


def test_two_requests_with_one_reference_are_two_attempts(tmp_path: Path) -> None:
    second_answer = json.loads(LATE_3DS[1]["body"])
    second_answer["trans_id"] = "T-3DS-2"
    lines = [_without_ref(LATE_3DS[0]), _without_ref(LATE_3DS[0]), LATE_3DS[1],
             {**LATE_3DS[1], "body": json.dumps(second_answer)}]
    logged = run(lines, tmp_path)
    assert [r.decision.object_id for r in logged.results] == [
        f"pending {REFERENCE} #1", f"pending {REFERENCE} #2", "T-3DS", "T-3DS-2"]
    orchestrator = logged.orchestrator
    for number, trans_id in ((1, "T-3DS"), (2, "T-3DS-2")):
        pending = orchestrator.record("platform", "transaction", f"pending {REFERENCE} #{number}")
        assert pending is not None and dict(pending.remembered)[BOUND_TO] == trans_id
    order = orchestrator.order(REFERENCE)
    assert order is not None
    assert sorted(a.record.object_id for a in order.attempts) == ["T-3DS", "T-3DS-2"]


def test_an_unanswered_request_is_an_open_attempt_of_its_order(tmp_path: Path) -> None:
    logged = run([_without_ref(LATE_3DS[0])], tmp_path)
    order = logged.orchestrator.order(REFERENCE)
    assert order is not None and order.status == "open"
    (attempt,) = order.attempts
    assert attempt.record.object_id == f"pending {REFERENCE} #1"
    assert "card_number" not in dict(attempt.record.remembered)


def test_a_request_with_neither_ref_nor_order_id_is_invalid(tmp_path: Path) -> None:
    body = LATE_3DS[0]["body"].replace("order_id=ORDER-T-3DS&", "")
    logged = run([{**_without_ref(LATE_3DS[0]), "body": body}], tmp_path)
    (result,) = logged.results
    assert result.decision.outcome.value == "invalid" and result.decision.field == "order_id"


def test_a_replay_rebuilds_the_pending_attempt_and_its_binding(tmp_path: Path) -> None:
    """The journal holds the named attempt, so re-deciding it binds the same way."""
    path = tmp_path / "traffic.jsonl"
    lines = [_without_ref(LATE_3DS[0]), _without_ref(LATE_3DS[0]), *LATE_3DS[1:]]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    store = SQLiteStore(tmp_path / "store.db", synchronous="OFF")
    validate_records(read_records(path), secrets=SECRETS, store=store)
    report = replay(store, ChartSet.bundled())
    assert report.ok, report.differences
    bound = store.get(f"platform/transaction/pending {REFERENCE} #1")
    waiting = store.get(f"platform/transaction/pending {REFERENCE} #2")
    assert bound is not None and bound.reference is None
    assert waiting is not None and waiting.reference == REFERENCE
    assert [r.object_id for r in store.by_reference("platform", REFERENCE)] == [
        "T-3DS", f"pending {REFERENCE} #2"]
    store.close()
