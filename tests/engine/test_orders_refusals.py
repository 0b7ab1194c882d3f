"""A provider's authenticated refusal of a merchant call (issue 14, item 2) is ``rejected``
with the provider's code and message on the object the call was about, not ``invalid``,
which stays for input that cannot be parsed or authenticated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paychart import ChartSet, Orchestrator
from paychart.adapter import RawInput
from paychart.adapters import get_adapter
from paychart.decision import Decision

FIXTURES = Path(__file__).parents[1] / "adapters" / "fixtures"
CHARTS = ChartSet.bundled()
TOKEN = "4f1c2a9e7b3d48a6b1e0c5d29a7f3e11"
ALREADY = json.dumps({"success": False, "result": 1, "status": 403, "errors": [
    {"code": "order_number_already_exists", "kind": "processing_error"}]}).encode()


def ingest(orchestrator: Orchestrator, provider: str, channel: str, body: bytes,
           ref: str | None = None, operation: str | None = None) -> Decision:
    raw = RawInput(provider, channel, body, ref=ref, operation=operation)
    (decision,) = orchestrator.ingest(raw, get_adapter(provider))
    return decision


def test_a_cardlink_refund_refused_for_the_balance_is_rejected_on_its_payment() -> None:
    orchestrator = Orchestrator(CHARTS)
    paid = ingest(orchestrator, "cardlink", "callback",
                  (FIXTURES / "cardlink/callback_pay_approved.json").read_bytes())
    assert paid.outcome.value == "applied"
    before = orchestrator.record("cardlink", "payment", TOKEN)
    refused = ingest(orchestrator, "cardlink", "response",
                     (FIXTURES / "cardlink/response_error_403_balance.json").read_bytes(),
                     ref=TOKEN, operation="refund")
    assert refused.outcome.value == "rejected" and refused.field is None
    assert refused.reason == ("refused by cardlink: 403: amount_less_than_balance "
                              "(kind processing_error)")
    assert (refused.object_kind, refused.object_id, refused.to_state) == (
        "payment", TOKEN, "approved")
    assert dict(refused.facts) == {"error_code": "amount_less_than_balance",
                                   "error_kind": "processing_error"}
    assert orchestrator.record("cardlink", "payment", TOKEN) == before
    entry = list(orchestrator.store.journal())[-1]
    assert entry.decision == refused and entry.event is not None
    assert entry.event.refusal is not None and entry.claimed_key is None


def test_a_create_refused_before_any_token_is_rejected_about_no_object() -> None:
    orchestrator = Orchestrator(CHARTS)
    refused = ingest(orchestrator, "cardlink", "response", ALREADY, operation="create")
    assert refused.outcome.value == "rejected" and refused.object_id is None
    assert "order_number_already_exists (kind processing_error)" in refused.reason
    again = ingest(orchestrator, "cardlink", "response", ALREADY, operation="create")
    assert again.outcome.value == "rejected"  # a second refusal is decided, not a duplicate


@pytest.mark.parametrize(("body", "code", "message"), [
    ("error_response_validation.json", "100000", "Request data is invalid."),
    ("sale_response_error_short.json", None, "Error description"),
])
def test_platform_error_answers_are_rejected_with_code_and_message(
        body: str, code: str | None, message: str) -> None:
    orchestrator = Orchestrator(CHARTS)
    refused = ingest(orchestrator, "platform", "response",
                     (FIXTURES / "platform/real" / body).read_bytes())
    assert refused.outcome.value == "rejected"
    assert refused.reason.startswith(f"refused by platform: ERROR{' ' + code if code else ''}"
                                     f": {message}")
    assert dict(refused.facts).get("error_code") == code
    assert dict(refused.facts)["error_message"] == message


def test_an_error_answer_names_the_transaction_of_ref() -> None:
    orchestrator = Orchestrator(CHARTS)
    refused = ingest(orchestrator, "platform", "response",
                     (FIXTURES / "platform/real/sale_response_error_short.json").read_bytes(),
                     ref="T-1")
    assert (refused.object_kind, refused.object_id) == ("transaction", "T-1")


def test_unreadable_or_unauthenticated_input_stays_invalid() -> None:
    orchestrator = Orchestrator(CHARTS)
    callback = ingest(orchestrator, "platform", "callback",
                      b"action=SALE&result=ERROR&error_message=nope&trans_id=T-1")
    assert callback.outcome.value == "invalid" and callback.field == "result"
    broken = ingest(orchestrator, "cardlink", "response", b"{not json", operation="create")
    assert broken.outcome.value == "invalid"
