"""Requests before the provider id for every provider (issue 14): CARDLINK's create and the
platform's SALE logged before their answer are pending attempts bound when the object joins
the order, a refusal of such a request lands on its attempt, and ``amount_mismatch`` compares
the captured total with the amount the merchant asked for."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paychart import ChartSet, Orchestrator
from paychart._cli_order import order_text
from paychart.adapter import RawInput
from paychart.adapters import get_adapter
from paychart.attempts import BOUND_TO, REFUSED, REQUESTED
from paychart.decision import Decision
from paychart.event import SignatureStatus
from paychart.inputs import read_records
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_records
from tests.adapters.fixtures.cardlink._cardlink_common import callback

FIXTURES = Path(__file__).parents[1] / "adapters" / "fixtures"
CARDLINK = FIXTURES / "cardlink"
SECRETS = Secrets.load(CARDLINK / "secrets.toml")
HAPPY = [json.loads(line) for line in
         (CARDLINK / "sequences" / "happy_3ds.jsonl").read_text().splitlines()]
"""Create request (ref given), its 3-D Secure answer, pending and approved callbacks, a poll."""
TOKEN = "4f1c2a9e7b3d48a6b1e0c5d29a7f3e11"
ORDER = "10442"
CHARTS = ChartSet.bundled()


def _without_ref(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "ref"}


def run(lines: list[dict[str, Any]], tmp_path: Path, secrets: Secrets = SECRETS
        ) -> ValidationRun:
    path = tmp_path / "traffic.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return validate_records(read_records(path), secrets=secrets)


def ingest(orchestrator: Orchestrator, provider: str, channel: str, body: bytes,
           ref: str | None = None, operation: str | None = None) -> Decision:
    raw = RawInput(provider, channel, body, ref=ref, operation=operation)
    (decision,) = orchestrator.ingest(raw, get_adapter(provider))
    return decision


def signed(token: str, status: str, amount: int, currency: str, order: str) -> bytes:
    return json.dumps(callback(token, "pay", status, amount, currency,
                               orderNumber=order)).encode()


# -- CARDLINK: request → answer → callbacks ------------------------------------------------------

def test_cardlink_create_logged_before_its_answer_binds_at_the_first_callback(
        tmp_path: Path) -> None:
    """The answer names the token but no order; the first callback gives it ``orderNumber``
    and binds the request: same outcomes as with ``ref``, every callback verified."""
    (tmp_path / "named").mkdir()
    named = run(HAPPY, tmp_path / "named")
    logged = run([_without_ref(HAPPY[0]), *HAPPY[1:]], tmp_path)
    outcomes = [r.decision.outcome.value for r in logged.results]
    assert outcomes == [r.decision.outcome.value for r in named.results]
    assert outcomes[:4] == ["applied"] * 4
    assert logged.results[0].decision.object_id == f"pending {ORDER} #1"
    assert logged.results[1].decision.object_id == TOKEN
    assert any(f"binds the merchant's request journaled as pending {ORDER} #1" in w
               for w in logged.results[2].decision.warnings)
    assert [r.authenticity for r in logged.results[2:4]] == [SignatureStatus.VALID] * 2
    orchestrator = logged.orchestrator
    payment = orchestrator.record("cardlink", "payment", TOKEN)
    assert payment is not None and payment.reference == ORDER
    kept = dict(payment.remembered)
    assert kept["card"] == "461761******3933" and kept[REQUESTED] == "10020 EUR"
    assert "4617611794313933" not in repr(payment) and "739" not in kept.values()
    pending = orchestrator.record("cardlink", "payment", f"pending {ORDER} #1")
    assert pending is not None and pending.reference is None
    assert dict(pending.remembered) == {BOUND_TO: TOKEN}
    order = orchestrator.order(ORDER)
    assert order is not None and [a.record.object_id for a in order.attempts] == [TOKEN]
    assert order.status == "paid" and order.anomalies == ()
    assert logged.clean


def test_a_two_stage_create_tells_a_callback_before_any_answer_it_is_a_hold() -> None:
    """``needConfirmation`` is only in the request: the callback finds it on the pending
    attempt of its ``orderNumber`` and reads ``approved`` as the hold."""
    orchestrator = Orchestrator(CHARTS)
    request = ingest(orchestrator, "cardlink", "request",
                     (CARDLINK / "request_create_two_stage.json").read_bytes(),
                     operation="create")
    assert request.object_id == "pending 10447 #1"
    held = ingest(orchestrator, "cardlink", "callback", signed("b" * 32, "approved", 4999,
                                                               "USD", "10447"))
    assert (held.outcome.value, held.trigger, held.to_state) == ("applied", "hold", "held")
    payment = orchestrator.record("cardlink", "payment", "b" * 32)
    assert payment is not None and dict(payment.remembered)["two_stage"] == "true"


def test_a_pending_attempt_is_nothing_to_poll_but_its_bound_payment_is() -> None:
    """The provider knows no `pending 10442 #1`: the janitor lists no poll for it; once an
    answer binds it, the payment's own state is polled."""
    orchestrator = Orchestrator(CHARTS)
    later = datetime(2030, 1, 1, tzinfo=UTC)
    ingest(orchestrator, "cardlink", "request",
           (CARDLINK / "request_create_h2h.json").read_bytes(), operation="create")
    assert orchestrator.due(later) == ()
    ingest(orchestrator, "cardlink", "callback", signed(TOKEN, "pending", 10020, "EUR", ORDER))
    assert [(d.object_id, d.action) for d in orchestrator.due(later)] == [(TOKEN, "poll")]


def test_a_create_without_ref_or_order_number_is_invalid() -> None:
    orchestrator = Orchestrator(CHARTS)
    body = json.loads((CARDLINK / "request_create_h2h.json").read_text())
    del body["orderNumber"]
    decision = ingest(orchestrator, "cardlink", "request", json.dumps(body).encode(),
                      operation="create")
    assert decision.outcome.value == "invalid" and decision.field == "ref"


# -- refusals on their attempt ---------------------------------------------------------------

ALREADY = json.dumps({"success": False, "result": 1, "status": 403, "errors": [
    {"code": "order_number_already_exists", "kind": "processing_error"}]}).encode()


def test_a_refused_create_is_a_failed_attempt_and_the_next_request_binds_instead() -> None:
    orchestrator = Orchestrator(CHARTS)
    request = (CARDLINK / "request_create_h2h.json").read_bytes()
    ingest(orchestrator, "cardlink", "request", request, operation="create")
    refused = ingest(orchestrator, "cardlink", "response", ALREADY, ref=ORDER,
                     operation="create")
    assert refused.outcome.value == "rejected" and refused.object_id == f"pending {ORDER} #1"
    assert "order_number_already_exists" in refused.reason
    assert dict(refused.facts)["error_code"] == "order_number_already_exists"
    first = orchestrator.record("cardlink", "payment", f"pending {ORDER} #1")
    assert first is not None and first.reference == ORDER
    assert dict(first.remembered)[REFUSED].startswith("403: order_number_already_exists")
    order = orchestrator.order(ORDER)
    assert order is not None and order.status == "failed"
    assert [a.canonical for a in order.attempts] == ["failed"]
    (shown,) = order.to_json()["attempts"]
    assert shown["refused"].startswith("403: order_number_already_exists")
    assert "refused: 403: order_number_already_exists" in order_text(order)
    ingest(orchestrator, "cardlink", "request", request, operation="create")
    ingest(orchestrator, "cardlink", "callback", (CARDLINK / "callback_pay_approved.json")
           .read_bytes())
    second = orchestrator.record("cardlink", "payment", f"pending {ORDER} #2")
    assert second is not None and dict(second.remembered) == {BOUND_TO: TOKEN}
    assert BOUND_TO not in dict(first.remembered)
    order = orchestrator.order(ORDER)
    assert order is not None and order.status == "paid" and order.anomalies == ()
    assert sorted(a.canonical for a in order.attempts) == ["failed", "succeeded"]


def test_a_refused_sale_lands_on_the_request_its_ref_names(tmp_path: Path) -> None:
    """The platform's ERROR body names no order: the recording's ``ref`` (with operation
    SALE) names the request's ``order_id``."""
    platform = FIXTURES / "platform"
    sale = json.loads((platform / "sequences" / "late_3ds.jsonl").read_text().splitlines()[0])
    error = (platform / "real" / "sale_response_error_short.json").read_text()
    logged = run([_without_ref(sale), {"provider": "platform", "channel": "response",
                                       "body": error, "ref": "ORDER-T-3DS",
                                       "operation": "SALE"}],
                 tmp_path, Secrets.load(platform / "secrets.toml"))
    request, refused = (r.decision for r in logged.results)
    assert refused.outcome.value == "rejected" and refused.object_id == request.object_id
    assert refused.reason.startswith("refused by platform: ERROR: Error description")
    order = logged.orchestrator.order("ORDER-T-3DS")
    assert order is not None and order.status == "failed"
    assert not logged.clean


def test_a_refusal_nothing_links_stays_unattached() -> None:
    orchestrator = Orchestrator(CHARTS)
    ingest(orchestrator, "cardlink", "request",
           (CARDLINK / "request_create_h2h.json").read_bytes(), operation="create")
    refused = ingest(orchestrator, "cardlink", "response", ALREADY, operation="create")
    assert refused.outcome.value == "rejected" and refused.object_id is None
    pending = orchestrator.record("cardlink", "payment", f"pending {ORDER} #1")
    assert pending is not None and REFUSED not in dict(pending.remembered)


# -- the amount asked for ------------------------------------------------------------------------

def test_amount_mismatch_compares_the_capture_with_the_amount_requested() -> None:
    """The callback approves 50.00 of the 100.20 asked for: the authorization equals the
    capture, so only the request tells the order is short."""
    orchestrator = Orchestrator(CHARTS)
    ingest(orchestrator, "cardlink", "request",
           (CARDLINK / "request_create_h2h.json").read_bytes(), operation="create")
    short = ingest(orchestrator, "cardlink", "callback",
                   signed(TOKEN, "approved", 5000, "EUR", ORDER))
    assert short.outcome.value == "applied"
    order = orchestrator.order(ORDER)
    assert order is not None and order.totals[0].captured == 5000
    assert order.totals[0].authorized == 5000
    assert order.anomalies == ("amount_mismatch",)


def test_a_partial_capture_the_merchant_asked_for_is_no_mismatch(tmp_path: Path) -> None:
    """SALE of 10.00, then the merchant's CAPTURE of 6.00 answered: the capture call asked
    for 6.00, so the order is not short; a callback settling 6.00 on its own would be."""
    platform = FIXTURES / "platform"
    lines = [json.loads(line) for line in
             (platform / "sequences" / "auth_capture.jsonl").read_text().splitlines()][:3]
    order = _order(run(lines, tmp_path, Secrets.load(platform / "secrets.toml")),
                   "ORDER-T-AUTH")
    assert order.totals[0].captured == 600 and order.anomalies == ()
    sale, authorized, captured = lines
    answered_only_by_callback = {**captured, "channel": "poll", "operation": "status"}
    order = _order(run([sale, authorized, answered_only_by_callback], tmp_path,
                       Secrets.load(platform / "secrets.toml")), "ORDER-T-AUTH")
    assert order.totals[0].captured == 600 and order.anomalies == ("amount_mismatch",)


def _order(run: ValidationRun, reference: str) -> Any:
    (order,) = [o for o in run.orders() if o.reference == reference]
    return order


def test_without_a_request_the_first_sighting_is_what_was_asked_for() -> None:
    orchestrator = Orchestrator(CHARTS)
    ingest(orchestrator, "cardlink", "callback", signed(TOKEN, "pending", 10020, "EUR", ORDER))
    ingest(orchestrator, "cardlink", "callback", signed(TOKEN, "approved", 10020, "EUR", ORDER))
    payment = orchestrator.record("cardlink", "payment", TOKEN)
    assert payment is not None and dict(payment.remembered)[REQUESTED] == "10020 EUR"
    order = orchestrator.order(ORDER)
    assert order is not None and order.anomalies == ()


# -- PayLink: a checkout and its transaction are one attempt --------------------------------------

def test_an_attempted_checkout_whose_transaction_paid_is_not_open_after_paid() -> None:
    """The checkout still reports its payment ``incomplete`` when the webhook says it paid:
    one attempt (the checkout listed under its transaction), paid, no anomaly."""
    orchestrator = Orchestrator(CHARTS)
    paylink = FIXTURES / "paylink"
    checkout = (paylink / "bodies" / "checkout_attempted.json").read_bytes()
    assert [d.outcome.value for d in orchestrator.ingest(
        RawInput("paylink", "poll", checkout), get_adapter("paylink"))] == ["applied"] * 2
    webhook = json.loads((paylink / "real" / "webhook_payment_successful_docs.json").read_text())
    webhook["transaction"].update(uid="pay-try", id="pay-try", tracking_id="order-42",
                                  amount=10300)
    paid = ingest(orchestrator, "paylink", "callback", json.dumps(webhook).encode())
    assert paid.outcome.value == "applied" and paid.canonical is not None
    assert paid.canonical.value == "succeeded"
    order = orchestrator.order("order-42")
    assert order is not None
    (attempt,) = order.attempts
    assert attempt.record.object_id == "pay-try"
    assert [child.object_kind for child, canonical in attempt.children] == ["checkout"]
    assert order.status == "paid" and order.anomalies == ()


def test_a_checkout_with_no_transaction_yet_is_still_open_after_another_paid() -> None:
    """Nothing links an open checkout (no gateway response) to a transaction of its order:
    it may still charge the customer, so the anomaly stays."""
    orchestrator = Orchestrator(CHARTS)
    paylink = FIXTURES / "paylink"
    ingest(orchestrator, "paylink", "poll", (paylink / "bodies" / "checkout_open_v2.json")
           .read_bytes())
    webhook = json.loads((paylink / "real" / "webhook_payment_successful_docs.json").read_text())
    webhook["transaction"].update(tracking_id="order-42", amount=10300)
    ingest(orchestrator, "paylink", "callback", json.dumps(webhook).encode())
    order = orchestrator.order("order-42")
    assert order is not None and order.anomalies == ("open_after_paid",)


def test_a_status_answer_before_the_callbacks_reads_the_pending_two_stage_flag() -> None:
    orchestrator = Orchestrator(CHARTS)
    ingest(orchestrator, "cardlink", "request",
           (CARDLINK / "request_create_two_stage.json").read_bytes(), operation="create")
    answer = json.loads((CARDLINK / "poll_status.json").read_text())
    answer["payment"].update(order_number="10447", amount=4999, currency="USD")
    held = ingest(orchestrator, "cardlink", "poll", json.dumps(answer).encode(),
                  operation="status")
    assert (held.outcome.value, held.to_state) == ("applied", "held")
    assert any("binds the merchant's request journaled as pending 10447 #1" in w
               for w in held.warnings)
