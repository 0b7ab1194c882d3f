"""The main job: a day of CARDLINK traffic validated end to end, faults found and named."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from paychart.secrets import Secrets
from paychart.serialize import to_json
from paychart.validate import ValidationRun, validate_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DAY = EXAMPLES / "cardlink_day.jsonl"
SECRETS = Secrets.load(EXAMPLES / "cardlink_secrets.toml")
KEY = SECRETS.for_provider("cardlink")["private_key"]


@cache
def day(*options: str) -> ValidationRun:
    return validate_file(DAY, secrets=SECRETS, options=options)


def _lines() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DAY.read_text(encoding="utf-8").splitlines()]


def _verifies(body: dict[str, Any]) -> bool:
    """Independent check of the callback signature (docs/PROVIDERS.md §1)."""
    base = ""
    for name in ("token", "type", "status", "extraReturnParam", "orderNumber", "amount",
                 "currency", "gatewayAmount", "gatewayCurrency"):
        value = "" if body.get(name) is None else str(body[name])
        if name in ("extraReturnParam", "orderNumber") and not value:
            continue
        base += f"{len(value)}{value}"
    return hashlib.md5((base + KEY).encode()).hexdigest() == body.get("signature")


def test_the_day_is_what_its_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "day.jsonl"
    script = str(EXAMPLES / "make_cardlink_day.py")
    subprocess.run([sys.executable, script, str(out)],  # noqa: S603 - our own script
                   check=True, capture_output=True)
    assert out.read_bytes() == DAY.read_bytes()


def test_a_few_hundred_inputs_over_all_four_objects() -> None:
    run = day()
    assert 300 <= run.inputs == len(_lines())
    kinds = Counter(r.decision.object_kind for r in run.results)
    assert {"payment", "refund", "payout", "dispute"} <= set(kinds)
    assert len(run.results) == run.inputs  # one decision per input: no input makes two events


def test_invalid_inputs_are_the_forged_or_unsigned_callbacks_and_refusals_are_rejected() -> None:
    """A provider's authenticated refusal of a merchant call (a 403 answer) is a refused
    request, `rejected` with its code; `invalid` stays for what cannot be authenticated."""
    lines = _lines()
    forged = {i for i, line in enumerate(lines, 1) if line["channel"] == "callback"
              and not _verifies(json.loads(line["body"]))}
    errors = {i for i, line in enumerate(lines, 1) if json.loads(line["body"]).get("success")
              is False}
    assert forged
    assert errors
    decided = {r.line: r.decision for r in day().results}
    invalid = {line for line, decision in decided.items() if decision.outcome.value == "invalid"}
    assert invalid == forged
    assert all(decided[line].field == "signature" for line in forged)
    for line in errors:
        assert decided[line].outcome.value == "rejected"
        assert re.search(r"refused by cardlink: 403: \w+ \(kind \w+_error\)",
                         decided[line].reason)


def test_rejections_are_the_planted_faults_with_their_reasons() -> None:
    reasons = [r.decision.reason for r in day().results if r.decision.outcome.value == "rejected"]
    kinds = Counter("override" if "enable_change_final_status" in reason else
                    "dispute" if re.search(r"dispute \w+ is `pending`", reason) else
                    "over-refund" if "exceeds refundable" in reason else
                    "refused" if reason.startswith("refused by cardlink: 403") else reason
                    for reason in reasons)
    assert kinds == {"override": 2, "dispute": 1, "over-refund": 2, "refused": 3}


def test_enabling_the_option_turns_the_override_rejections_into_warnings() -> None:
    plain, enabled = day(), day("enable_change_final_status")
    before = [r for r in plain.results if "enable_change_final_status" in r.decision.reason]
    after = {r.line: r.decision for r in enabled.results}
    for result in before:
        decision = after[result.line]
        assert decision.outcome.value == "applied"
        assert decision.to_state == "approved"
        assert any("enable_change_final_status" in w for w in decision.warnings)


def test_stale_inputs_never_move_an_object_backwards() -> None:
    for result in day().results:
        decision = result.decision
        if decision.outcome.value == "stale":
            assert decision.from_state == decision.to_state
            assert decision.to_state in {"approved", "refunded", "pending"}


def test_ledgers_hold_and_refund_states_match_the_money() -> None:
    run = day()
    for record in run.objects():
        ledger = record.ledger
        assert ledger.holds_invariants(), record.key
        if record.chart == "cardlink_payment" and record.state == "refunded":
            assert ledger.refunded == ledger.captured > 0
        if record.chart == "cardlink_payment" and record.state == "approved":
            assert ledger.refunded < ledger.captured
    canonical = Counter(run.orchestrator.canonical(r) for r in run.objects()
                        if r.chart == "cardlink_payment")
    assert canonical["partially_refunded"] >= 5
    assert canonical["refunded"] >= 5


def test_no_card_number_cvv_or_key_in_the_journal() -> None:
    entries = list(day().orchestrator.store.journal())
    journal = json.dumps([to_json(entry) for entry in entries])
    kept = json.dumps([[e.payload, e.headers, e.event and to_json(e.event.remember),
                        e.event and to_json(e.event.facts)] for e in entries])
    assert re.findall(r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])", kept) == []
    cards = [json.loads(line["body"])["card"] for line in _lines()
             if line["channel"] == "request" and "card" in json.loads(line["body"])]
    assert len(cards) >= 20
    payloads = "\n".join(e.payload or "" for e in entries)
    for card in cards:
        assert card["pan"] not in journal
        if "cvv" in card:
            assert f'"cvv":"{card["cvv"]}"' not in payloads
    assert '"cvv":"[removed]"' in payloads
    assert KEY not in journal
