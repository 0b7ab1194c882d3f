"""The issue's CARDLINK sequences, run through ``validate_file`` as ``paychart validate`` would:
outcome per input, then final state, canonical status and ledger of the objects involved."""

from __future__ import annotations

from pathlib import Path

import pytest

from paychart import Outcome
from paychart.secrets import Secrets
from paychart.validate import ValidationRun, validate_file

FIXTURES = Path(__file__).parent / "fixtures" / "cardlink"
SEQUENCES = FIXTURES / "sequences"
SECRETS = Secrets.load(FIXTURES / "secrets.toml")
OVERRIDE = "enable_change_final_status"

# (outcome, object kind, state after) per decision, in order
Step = tuple[str, str | None, str | None]
# object kind, token → (state, canonical, {ledger figure: value})
Final = dict[tuple[str, str], tuple[str, str, dict[str, int]]]

CASES: list[tuple[str, tuple[str, ...], list[Step], Final]] = [
    ("happy_3ds", (), [
        ("applied", "payment", "init"),        # h2h request, card masked
        ("applied", "payment", "init"),        # create response with the 3-D Secure form
        ("applied", "payment", "pending"),     # `type: payment` alias
        ("applied", "payment", "approved"),
        ("duplicate", "payment", None),        # the poll reports the same status
    ], {("payment", "4f1c2a9e7b3d48a6b1e0c5d29a7f3e11"):
        ("approved", "succeeded", {"captured": 10020, "refunded": 0})}),
    ("decline", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "declined"),
        ("applied", "payment", "init"),
        ("applied", "payment", "declined"),    # host-to-host create answers declined at once
    ], {("payment", "9b2e6d41c0a34f7fa8d15e3c62b97a05"): ("declined", "failed", {"captured": 0}),
        ("payment", "c7a05e3b9d2f4e18b6a4d0f1e93c7b52"): ("declined", "failed", {})}),
    ("expiry", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "pending"),
        ("applied", "payment", "expired"),
        ("duplicate", "payment", None),        # order lookup says expired too
    ], {("payment", "2d8f41b7e6c94a0d93b5f2a1c8e07d64"): ("expired", "expired", {})}),
    ("two_step_confirm", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "init"),
        ("applied", "payment", "held"),        # approved in two-stage mode is the hold
        ("applied", "payment", "approved"),    # confirm response
        ("duplicate", "payment", None),
    ], {("payment", "7e3a9c15f04b4d2e8a6c1b9d5f30e248"):
        ("approved", "succeeded", {"authorized": 4999, "captured": 4999})}),
    ("two_step_decline", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "held"),
        ("applied", "payment", "declined"),    # decline response releases the hold
        ("rejected", "payment", "declined"),   # confirm only from held
    ], {("payment", "e51b7d3a92c64f08b1d4a6e9c7f2035b"):
        ("declined", "failed", {"authorized": 0, "captured": 0})}),
    ("full_refund", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "approved"),
        ("applied", "refund", "approved"),     # and the payment becomes refunded
        ("duplicate", "refund", None),         # refund callback
        ("stale", "payment", "refunded"),      # payment callback `refunded`: nothing newer
    ], {("payment", "a03d5f9e1b7c4e62d8f0b3a5c9e17d44"):
        ("refunded", "refunded", {"captured": 10020, "refunded": 10020}),
        ("refund", "3a1a4fc8f975eb022a1c0ddb3abcded9"): ("approved", "succeeded", {})}),
    ("partial_refund", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "approved"),
        ("applied", "refund", "init"),         # refund request (amount only)
        ("applied", "refund", "pending"),
        ("applied", "refund", "approved"),     # payment stays approved, 30.00 refunded
        ("rejected", "refund", None),          # 75.00 exceeds refundable 70.00
        ("applied", "refund", "declined"),
        ("applied", "refund", "approved"),     # the remaining 70.00: payment refunded
        ("duplicate", "refund", None),
        ("stale", "payment", "refunded"),
    ], {("payment", "5c9e2b7a4d1f4083a6e5d2c7b9f1e036"):
        ("refunded", "refunded", {"captured": 10000, "refunded": 10000}),
        ("refund", "b84e1c6a2f9d4b07e3a5c8d1f6b2e940"): ("approved", "succeeded", {}),
        ("refund", "f6c3e8a1d4b74f29b5e0a7c3d8f1b562"): ("declined", "failed", {})}),
    ("payouts", (), [
        ("applied", "payout", "init"),
        ("applied", "payout", "pending"),
        ("applied", "payout", "approved"),
        ("applied", "payout", "init"),
        ("applied", "payout", "declined"),
    ], {("payout", "c3452f792233e43aeaa819c68766043"): ("approved", "succeeded", {}),
        ("payout", "K9doc43HAPnqSuGdvN5RMX42tE54331"): ("declined", "failed", {})}),
    ("dispute_blocks", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "pending"),
        ("applied", "dispute", "pending"),
        ("stale", "dispute", "pending"),       # the dispute response: already pending
        ("rejected", "payment", "pending"),    # blocked by the pending dispute
        ("applied", "dispute", "declined"),
        ("applied", "payment", "expired"),     # no longer blocked
    ], {("payment", "XsKkj4kmSjNATwoJdoiwwCmEKbT5efZX"): ("expired", "expired", {}),
        ("dispute", "XsKkj4kmSjNATwoJdoiwwCmEKbT5efZX"): ("declined", "dispute_lost", {})}),
    ("stale", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "approved"),
        ("stale", "payment", "approved"),      # late pending
    ], {("payment", "61e0b9d4a7c34f25b8e2d6a1f3c9e074"): ("approved", "succeeded", {})}),
    ("duplicates", (), [
        ("applied", "payment", "approved"),    # first seen by callback
        ("duplicate", "payment", None),
        ("duplicate", "payment", None),
    ], {("payment", "84b2f6e9c1d5403aa7e8b3c6d0f2e519"):
        ("approved", "succeeded", {"captured": 700})}),
    ("forged", (), [
        ("applied", "payment", "init"),
        ("invalid", "payment", None),          # forged `approved`
        ("applied", "payment", "declined"),    # the genuine callback still counts
    ], {("payment", "0d7c3e9a5b1f4628c4a0e6b8d2f7a391"): ("declined", "failed", {})}),
    ("override", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "declined"),
        ("rejected", "payment", "declined"),
    ], {("payment", "b9f4a2d7e3c1450e86b3d9a7c2e0f158"): ("declined", "failed", {})}),
    ("override", (OVERRIDE,), [
        ("applied", "payment", "init"),
        ("applied", "payment", "declined"),
        ("applied", "payment", "approved"),
    ], {("payment", "b9f4a2d7e3c1450e86b3d9a7c2e0f158"):
        ("approved", "succeeded", {"captured": 9900})}),
    ("refund_reverse_order", (), [
        ("applied", "payment", "init"),
        ("applied", "payment", "approved"),
        ("rejected", "payment", "approved"),   # `refunded` before any refund: guard figures
        ("applied", "refund", "approved"),     # refund callback before its response: its
                                               # effect waits until an input names the payment
        ("applied", "refund", "approved"),     # the response links it: payment refunded
    ], {("payment", "3e7b1d9f5a2c4086b4e9d1a7c3f5b820"):
        ("refunded", "refunded", {"captured": 2500, "refunded": 2500}),
        ("refund", "8d2a6f4c1e9b47d3a5c0e8b6d4f2a917"): ("approved", "succeeded", {})}),
    ("errors", (), [                          # the provider refused each call
        ("rejected", "payment", None),
        ("rejected", "payment", None),
        ("rejected", "payout", None),
    ], {}),
]


def run(name: str, options: tuple[str, ...]) -> ValidationRun:
    return validate_file(SEQUENCES / f"{name}.jsonl", secrets=SECRETS, options=options)


@pytest.mark.parametrize(("name", "options", "steps", "finals"), CASES,
                         ids=[f"{c[0]}{'-' + c[1][0] if c[1] else ''}" for c in CASES])
def test_sequence_decisions(name: str, options: tuple[str, ...], steps: list[Step],
                            finals: Final) -> None:
    result = run(name, options)
    seen = [(r.decision.outcome.value, r.decision.object_kind, r.decision.to_state)
            for r in result.results]
    assert seen == steps
    for (kind, token), (state, canonical, figures) in finals.items():
        record = result.orchestrator.record("cardlink", kind, token)
        assert record is not None, (kind, token)
        assert record.state == state
        assert result.orchestrator.canonical(record) == canonical
        for figure, value in figures.items():
            assert record.ledger.figure(figure) == value, figure
    assert len(list(result.orchestrator.store.journal())) == len(result.results)


def _decisions(name: str, options: tuple[str, ...] = ()):
    return [r.decision for r in run(name, options).results]


def test_override_off_is_a_recorded_rejection_naming_the_option() -> None:
    rejected = _decisions("override")[2]
    assert OVERRIDE in rejected.reason
    assert "declined → approved" in rejected.reason


def test_override_on_applies_with_a_warning() -> None:
    applied = _decisions("override", (OVERRIDE,))[2]
    assert any(OVERRIDE in w for w in applied.warnings)


def test_pending_dispute_rejection_names_the_dispute() -> None:
    blocked = _decisions("dispute_blocks")[4]
    assert "dispute XsKkj4kmSjNATwoJdoiwwCmEKbT5efZX" in blocked.reason
    assert "pending" in blocked.reason


def test_forged_callback_is_invalid_on_the_signature() -> None:
    forged = _decisions("forged")[1]
    assert forged.field == "signature"


def test_partial_refund_keeps_payment_approved_and_offers_the_rest() -> None:
    decisions = _decisions("partial_refund")
    after_first = decisions[4]
    assert after_first.outcome is Outcome.APPLIED
    assert after_first.parent_move is None, "a partial refund leaves the payment approved"
    over = decisions[5]
    assert "refund 75.00 EUR exceeds refundable 70.00 EUR" in over.reason
    result = run("partial_refund", ())
    engine = result.orchestrator
    payment = "5c9e2b7a4d1f4083a6e5d2c7b9f1e036"
    assert engine.allowed_actions("cardlink", "payment", payment) == ()


def test_merchant_actions_follow_the_chart() -> None:
    decisions = _decisions("two_step_confirm")
    held = decisions[2]
    assert sorted(a.name for a in held.allowed) == ["confirm", "decline"]
    approved = decisions[3]
    assert [str(a) for a in approved.allowed] == ["refund up to 49.99 USD"]


def test_create_response_carries_the_3ds_redirect() -> None:
    created = _decisions("happy_3ds")[1]
    assert created.customer_action is not None
    assert created.customer_action.method == "POST"
    assert "PaReq" in dict(created.customer_action.params)


def test_the_same_inputs_give_the_same_decisions() -> None:
    for name in ("partial_refund", "dispute_blocks", "two_step_confirm"):
        assert _decisions(name) == _decisions(name)


def test_refund_seen_before_its_payment_link_waits_for_the_response() -> None:
    decisions = _decisions("refund_reverse_order")
    assert "refunded 0.00 EUR is not the captured 25.00 EUR" in decisions[2].reason
    assert any("its payment is not named yet" in w for w in decisions[3].warnings)
    move = decisions[4].parent_move
    assert move is not None
    assert (move.from_state, move.to_state) == ("approved", "refunded")
