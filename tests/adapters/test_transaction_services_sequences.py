"""Transaction services REST: the issue's sequences decided end to end through
``validate_file`` (fixtures written by ``fixtures/transaction_services/make_fixtures.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from paychart import AdapterContext, Channel, ChartSet, RawInput, SignatureStatus
from paychart.adapters.transaction_services import ADAPTER
from paychart.secrets import Secrets
from paychart.validate import validate_file

FIXTURES = Path(__file__).parent / "fixtures" / "transaction_services"
SEQUENCES = FIXTURES / "sequences"
CHART_FILES = sorted((Path(__file__).parents[2] / "specs").glob("transaction_services_*.toml"))
SECRETS = AdapterContext(secrets={"secure_key": "ts-test-secure-key"})
PROVIDER = "transaction_services"


def charts() -> ChartSet:
    return ChartSet.from_paths(CHART_FILES)


def raw(body: str) -> RawInput:
    return RawInput(PROVIDER, Channel.CALLBACK, body.encode(),
                    {"Content-Type": "application/json"})


# -- the sequences, decided by validate_file ----------------------------------------

def run(name: str) -> Any:
    return validate_file(SEQUENCES / f"{name}.jsonl",
                         secrets=Secrets.load(FIXTURES / "secrets.toml"), charts=charts())


def outcomes(result: Any) -> list[str]:
    return [r.decision.outcome.value for r in result.results]


def final(result: Any, object_id: str, kind: str = "payment") -> tuple[str, str, Any]:
    engine = result.orchestrator
    record = engine.record(PROVIDER, kind, object_id)
    assert record is not None
    return record.state, engine.canonical(record), record.ledger


def figures(ledger: Any) -> tuple[Any, ...]:
    return (ledger.currency, ledger.authorized, ledger.captured, ledger.refunded,
            ledger.charged_back)


def test_sequence_preauth_capture_settled() -> None:
    result = run("preauth_capture_settled")
    assert outcomes(result) == ["applied", "duplicate", "applied", "duplicate", "applied"]
    assert [r.decision.to_state for r in result.results if r.decision.outcome == "applied"] == [
        "authsuccessful", "capturesuccess", "settled"]
    state, canonical, ledger = final(result, "70001")
    assert (state, canonical) == ("settled", "succeeded")
    assert figures(ledger) == ("EUR", 10000, 10000, 0, 0)


def test_sequence_partial_capture() -> None:
    result = run("partial_capture")
    assert outcomes(result) == ["applied", "applied", "applied", "rejected"]
    assert "refundable 60.00 EUR" in result.results[3].decision.reason
    state, canonical, ledger = final(result, "70002")
    assert (state, canonical) == ("capturesuccess", "succeeded")
    assert figures(ledger) == ("EUR", 10000, 6000, 0, 0)
    assert result.results[2].decision.warnings == ()


def test_sequence_cancel() -> None:
    result = run("cancel")
    assert outcomes(result) == ["applied", "applied", "applied", "stale", "rejected"]
    assert result.results[2].decision.to_state == "authcancelled"
    assert "final" in result.results[4].decision.reason
    state, canonical, ledger = final(result, "70003")
    assert (state, canonical) == ("authcancelled", "canceled")
    assert figures(ledger) == ("EUR", 0, 0, 0, 0)


def test_sequence_debit_then_two_partial_refunds() -> None:
    result = run("debit_two_partial_refunds")
    assert outcomes(result) == ["applied"] * 5 + ["rejected"]
    assert [r.decision.to_state for r in result.results] == [
        "capturesuccess", "partialrefund", "markedforreversal", "partialrefund",
        "partialrefund", "partialrefund"]
    assert [r.decision.ledger.refunded for r in result.results] == [
        0, 3000, 3000, 5000, 5000, 5000]
    assert "refundable 50.00 EUR" in result.results[5].decision.reason
    state, canonical, ledger = final(result, "70004")
    assert (state, canonical) == ("partialrefund", "partially_refunded")
    assert figures(ledger) == ("EUR", 10000, 10000, 5000, 0)
    assert [str(a) for a in result.results[-1].decision.allowed] == ["refund up to 50.00 EUR"]


def test_sequence_chargeback_and_its_reversal() -> None:
    result = run("chargeback_reversal")
    assert outcomes(result) == ["applied"] * 8
    assert [r.decision.canonical.value for r in result.results] == [
        "succeeded", "succeeded", "disputed", "succeeded",
        "succeeded", "partially_refunded", "disputed", "partially_refunded"]
    state, canonical, ledger = final(result, "70005")
    assert (state, canonical) == ("settled", "succeeded")
    assert figures(ledger) == ("EUR", 10000, 10000, 0, 0)
    state, canonical, ledger = final(result, "70006")
    assert (state, canonical) == ("partialrefund", "partially_refunded")
    assert figures(ledger) == ("EUR", 8000, 8000, 3000, 0)
    assert result.results[6].decision.ledger.charged_back == 5000


def test_sequence_payout_in_jpy() -> None:
    result = run("payout_jpy")
    assert outcomes(result) == ["applied", "applied"]
    assert result.results[1].decision.from_state == "payoutstarted"
    state, canonical, ledger = final(result, "18608029", "payout")
    assert (state, canonical) == ("payoutsuccessful", "succeeded")
    assert figures(ledger) == ("JPY", 100, 100, 0, 0)


def test_sequence_payout_notification_checksum_is_valid() -> None:
    line = (SEQUENCES / "payout_jpy.jsonl").read_text().splitlines()[1]
    body = json.loads(line)["body"]
    result = ADAPTER.parse(raw(body), SECRETS)
    assert result.error is None, result.error
    (event,) = result.events
    assert event.signature is SignatureStatus.VALID


def test_sequence_short_and_long_status_disagree() -> None:
    """The long status is not covered by the checksum; the signed short `N` contradicts it."""
    result = run("status_disagreement")
    assert outcomes(result) == ["applied", "invalid"]
    reason = result.results[1].decision.reason
    assert "`N`" in reason
    assert "`settled`" in reason
    assert final(result, "70007")[0] == "capturesuccess"


def test_sequence_duplicates() -> None:
    result = run("duplicates")
    assert outcomes(result) == ["applied", "duplicate", "duplicate", "applied", "duplicate"]
    assert result.results[0].decision.history_unknown
    state, canonical, ledger = final(result, "70008")
    assert (state, canonical) == ("settled", "succeeded")
    assert figures(ledger) == ("EUR", 4200, 4200, 0, 0)


def test_sequence_wrong_checksum() -> None:
    result = run("wrong_checksum")
    assert outcomes(result) == ["invalid", "applied"]
    assert result.results[0].decision.field == "checksum"
    assert final(result, "70009")[0] == "capturesuccess"


def test_sequence_late_authstarted_is_stale() -> None:
    result = run("stale_authstarted")
    assert outcomes(result) == ["applied", "stale", "stale"]
    assert "older" in result.results[1].decision.reason
    assert "already passed" in result.results[2].decision.reason
    assert final(result, "70010")[:2] == ("capturesuccess", "succeeded")


def test_sequence_three_d_secure() -> None:
    result = run("three_d_secure")
    assert outcomes(result) == ["applied", "applied"]
    first = result.results[0].decision
    assert (first.to_state, first.canonical.value) == ("authstarted_3D", "requires_action")
    assert first.customer_action is not None
    assert first.customer_action.url == "https://acs.example/challenge"
    assert final(result, "70011")[0] == "authsuccessful"


def test_sequence_recurring_links_the_repeated_payment() -> None:
    result = run("recurring")
    assert outcomes(result) == ["applied", "applied"]
    repeated = result.orchestrator.record(PROVIDER, "payment", "70013")
    assert dict(repeated.remembered)["initial_payment_id"] == "70012"
    initial = result.orchestrator.record(PROVIDER, "payment", "70012")
    assert dict(initial.remembered)["recurring_type"] == "INITIAL"


def test_every_sequence_is_deterministic() -> None:
    for path in sorted(SEQUENCES.glob("*.jsonl")):
        first = [r.decision for r in run(path.stem).results]
        second = [r.decision for r in run(path.stem).results]
        assert first == second, path.name
