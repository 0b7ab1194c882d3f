"""The platform charts and rules: what docs/PROVIDERS.md §2 decides, checked on the specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from paychart.adapters.platform.rules import RULES
from paychart.adapters.platform.vocab import (
    MOVES,
    NOT_MAPPED,
    STATUS_QUERY,
    VOCABULARY,
    Action,
    Result,
    Status,
    route,
)
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel, Event
from paychart.ledger import Ledger, LedgerRefusal
from paychart.loader import load_spec
from paychart.money import Money
from paychart.orchestrator import Orchestrator
from paychart.rulebook import GuardInput

GUARDS, EFFECTS = RULES.guards, RULES.effects

SPECS = Path(__file__).parents[2] / "specs"
TRANSACTION = load_spec(SPECS / "platform_transaction.toml")
PAYOUT = load_spec(SPECS / "platform_payout.toml")


def test_finals_are_the_decided_ones():
    assert TRANSACTION.finals == {"DECLINED", "REVERSAL", "REFUND", "VOID", "ARBITRATION_WON",
                                  "ARBITRATION_LOST", "ARBITRATION_REVERSAL"}
    assert PAYOUT.finals == {"SETTLED", "DECLINED"}


def test_seed_statuses_and_newer_ones_are_states():
    seed = {"3DS", "PENDING", "SETTLED", "REVERSAL", "REFUND", "CHARGEBACK",
            "SECOND_PRESENTMENT", "SECOND_CHARGEBACK", "ARBITRATION", "ARBITRATION_REVERSAL",
            "ARBITRATION_WON", "ARBITRATION_LOST", "DECLINED"}
    assert seed | {"REDIRECT", "PREPARE", "VOID", "NEW"} == set(TRANSACTION.states)


@pytest.mark.parametrize(("state", "canonical"), [
    ("SETTLED", "succeeded"), ("PENDING", "authorized"), ("3DS", "requires_action"),
    ("CHARGEBACK", "disputed"), ("SECOND_PRESENTMENT", "disputed"),
    ("SECOND_CHARGEBACK", "disputed"), ("ARBITRATION", "disputed"),
    ("ARBITRATION_WON", "dispute_won"), ("ARBITRATION_LOST", "dispute_lost"),
    ("REFUND", "refunded"), ("DECLINED", "failed"), ("PREPARE", "processing"),
])
def test_canonical(state, canonical):
    assert TRANSACTION.states[state].canonical.value == canonical


def test_every_edge_cites_its_source_and_decisions_are_noted():
    assert all(t.source.strip() for t in TRANSACTION.transitions + PAYOUT.transitions)
    notes = " ".join(TRANSACTION.notes)
    for decided in ("CHARGEBACK_REVERSAL returns to SETTLED",
                    "SECOND_PRESENTMENT_REVERSAL to CHARGEBACK",
                    "SECOND_CHARGEBACK_REVERSAL to SECOND_PRESENTMENT",
                    "ARBITRATION_REVERSAL is the seed's own status"):
        assert decided in notes


@pytest.mark.parametrize(("trigger", "origin", "target"), [
    ("chargeback_reversal", "CHARGEBACK", "SETTLED"),
    ("second_presentment_reversal", "SECOND_PRESENTMENT", "CHARGEBACK"),
    ("second_chargeback_reversal", "SECOND_CHARGEBACK", "SECOND_PRESENTMENT"),
    ("arbitration_reversal", "ARBITRATION", "ARBITRATION_REVERSAL"),
    ("capture_declined", "PENDING", "PENDING"),
    ("void_success", "SETTLED", "VOID"),
])
def test_decided_edges(trigger, origin, target):
    assert any(t.trigger == trigger and origin in t.origins and t.target == target
               for t in TRANSACTION.transitions)


def test_undefined_only_moves_a_new_transaction_to_prepare():
    undefined = [t for t in TRANSACTION.transitions if t.target == "PREPARE"]
    assert [(t.trigger, t.origins) for t in undefined] == [("sale_undefined", ("NEW",))]


# -- rules ----------------------------------------------------------------------------------------

def _event(amount: int | None) -> Event:
    return Event("platform", "transaction", "T", "x", Channel.CALLBACK, "k",
                 money=None if amount is None else Money(amount, "USD"))


HELD = Ledger("USD", authorized=1000)
SETTLED = Ledger("USD", authorized=1000, captured=1000)


def test_one_capture_only():
    guard = GUARDS["platform_not_captured"]
    assert guard(GuardInput(HELD, _event(500))) is None
    refusal = guard(GuardInput(Ledger("USD", 1000, 500), _event(500)))
    assert refusal is not None
    assert "one capture only" in refusal


def test_capture_at_most_the_hold():
    capture = EFFECTS["platform_capture"]
    assert capture(HELD, _event(600)) == Ledger("USD", 1000, 600)
    assert capture(HELD, _event(None)) == Ledger("USD", 1000, 1000)
    with pytest.raises(LedgerRefusal, match="exceeds the hold"):
        capture(HELD, _event(1001))


def test_capture_of_a_hold_of_unknown_amount_settles_the_capture():
    assert EFFECTS["platform_capture"](Ledger("USD"), _event(700)) == Ledger("USD", 700, 700)


def test_reversal_is_whole_only():
    guard = GUARDS["platform_reverses_all"]
    assert guard(GuardInput(HELD, _event(1000))) is None
    assert guard(GuardInput(HELD, _event(None))) is None
    refusal = guard(GuardInput(HELD, _event(999)))
    assert refusal is not None
    assert "not the full hold" in refusal


def test_refund_rest_fills_the_ledger_but_never_beyond_it():
    rest = EFFECTS["platform_refund_rest"]
    partly = Ledger("USD", 1000, 1000, 300)
    assert rest(partly, _event(200)).refunded == 1000
    assert rest(partly, _event(None)).refunded == 1000
    with pytest.raises(LedgerRefusal, match="exceeds refundable"):
        rest(partly, _event(701))
    assert rest(Ledger("USD"), _event(500)) == Ledger("USD")  # settled amount not known yet


def test_void_unsettles_and_refuses_after_refunds():
    void = EFFECTS["platform_void"]
    assert void(SETTLED, _event(1000)) == Ledger("USD", 1000, 0)
    with pytest.raises(LedgerRefusal):
        void(Ledger("USD", 1000, 1000, 100), _event(1000))


def test_later_dispute_steps_restate_the_amount():
    restate = EFFECTS["platform_dispute_amount"]
    disputed = Ledger("USD", 1000, 1000, 0, 1000)
    assert restate(disputed, _event(400)).charged_back == 400
    assert restate(disputed, _event(None)) == disputed
    with pytest.raises(LedgerRefusal):
        restate(disputed, _event(1001))


# -- late and early messages ------------------------------------------------------------------

def _msg(trigger: str, state: str, amount: int | None, key: str,
         channel: Channel = Channel.CALLBACK) -> Event:
    return Event("platform", "transaction", "T-1", trigger, channel, key, state=state,
                 money=None if amount is None else Money(amount, "USD"))


def test_capture_before_its_authorization_still_settles():
    engine = Orchestrator(ChartSet.bundled())
    steps = [_msg("capture_declined", "PENDING", None, "a", Channel.RESPONSE),
             _msg("capture_settled", "SETTLED", 600, "b", Channel.RESPONSE),
             _msg("sale_authorized", "PENDING", 1000, "c")]
    decisions = [engine.apply(step) for step in steps]
    assert [d.outcome for d in decisions[:2]] == [Outcome.APPLIED, Outcome.APPLIED]
    record = engine.record("platform", "transaction", "T-1")
    assert record is not None and record.state == "SETTLED"
    assert record.ledger.captured == 600


def test_capture_above_the_hold_is_rejected():
    engine = Orchestrator(ChartSet.bundled())
    engine.apply(_msg("sale_authorized", "PENDING", 1000, "a", Channel.RESPONSE))
    decision = engine.apply(_msg("capture_settled", "SETTLED", 1200, "b", Channel.RESPONSE))
    assert decision.outcome is Outcome.REJECTED
    assert "12.00 USD exceeds the hold 10.00 USD" in decision.reason


def test_payout_flow():
    engine = Orchestrator(ChartSet.bundled())
    first = engine.apply(Event("platform", "payout", "P-1", "payout_undefined",
                               Channel.RESPONSE, "p1", state="PREPARE"))
    second = engine.apply(Event("platform", "payout", "P-1", "payout_settled",
                                Channel.CALLBACK, "p2", state="SETTLED"))
    assert second.canonical is not None
    assert (first.to_state, second.to_state, second.canonical.value) == (
        "PREPARE", "SETTLED", "succeeded")


# -- the status table against the charts --------------------------------------------------------

def test_every_status_word_has_a_move_or_a_reason():
    moved = {move.status for move in MOVES}
    assert moved | set(NOT_MAPPED) == VOCABULARY
    assert not moved & set(NOT_MAPPED)


@pytest.mark.parametrize("move", MOVES, ids=lambda m: f"{m.object_kind}:{m.via}:{m.status}")
def test_every_move_is_an_edge_of_its_chart(move):
    chart = {"transaction": TRANSACTION, "payout": PAYOUT}[move.object_kind]
    assert any(t.trigger == move.trigger and t.target == move.state
               for t in chart.transitions), move


def test_the_parser_routes_by_moves():
    """Each row of MOVES is what ``route`` answers for the message it describes."""
    for move in MOVES:
        status = Status(move.status)
        if move.via == STATUS_QUERY:
            got = route(Action.GET_TRANS_STATUS, Result.SUCCESS, status)
        else:
            action, result = move.via.split("/")
            got = route(Action(action), Result(result), status)
        assert (got.kind, got.trigger, got.state) == (move.object_kind, move.trigger,
                                                      move.state)
