"""Timers and polls of the bundled charts: what is due at chosen clocks, how the schedule
advances, restarts and stops, timers firing once, and the way out of every waiting state."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, ChartSet, Event, Money
from paychart.adapter import AdapterContext, RawInput
from paychart.adapters import get_adapter
from paychart.checks import reachable, successors, waiting_states
from paychart.decision import Outcome
from paychart.due import Due, fire_timers, instant, timer_event
from paychart.orchestrator import Orchestrator
from paychart.spec import ChartSpec, StateSpec, duration
from paychart.stores.sqlite import SQLiteStore

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
CHARTS = ChartSet.bundled()
OPTION = "enable_change_final_status"


def _waiting() -> list[tuple[str, str]]:
    return [(chart.name, name) for chart in CHARTS for name, state in chart.spec.states.items()
            if state.waits]


def spec_of(chart: str) -> ChartSpec:
    return CHARTS.named(chart).spec


def seen(engine: Orchestrator, chart: str, state: str, at: datetime, object_id: str = "o-1",
         *, channel: Channel = Channel.CALLBACK, key: str | None = None,
         trigger: str = "observed", **extra: object) -> Outcome:
    """An input reporting the object in ``state`` (by default with a trigger no chart has, so
    a first sighting starts it there and a later one is ``stale``)."""
    spec = spec_of(chart)
    event = Event(spec.provider, spec.object, object_id, trigger, channel,
                  key or f"{state}@{at.isoformat()}", state=state, received_at=at,
                  **extra)  # type: ignore[arg-type]
    return engine.apply(event).outcome


def due_of(engine: Orchestrator, now: datetime, action: str) -> list[Due]:
    return [item for item in engine.due(now) if item.action == action]


@pytest.mark.parametrize(("chart", "state"), _waiting(), ids=lambda v: str(v))
def test_due_lists_at_chosen_clocks(chart: str, state: str) -> None:
    """Every declared wait of every bundled chart: nothing before its time, then the query
    (attempt 1) or the timer, at exactly the declared moment."""
    declared: StateSpec = spec_of(chart).states[state]
    engine = Orchestrator(CHARTS)
    assert seen(engine, chart, state, T0) is Outcome.APPLIED
    assert engine.due(T0) == ()
    if declared.poll:
        first = T0 + duration(declared.poll[0])
        assert due_of(engine, first - SECOND, "poll") == []
        (poll,) = due_of(engine, first, "poll")
        assert (poll.state, poll.operation, poll.attempt, poll.due_at) == (
            state, declared.query, 1, first)
        assert poll.as_json()["object"] == spec_of(chart).object
    if declared.after is not None:
        fires = T0 + duration(declared.after)
        assert due_of(engine, fires - SECOND, "timer") == []
        (timer,) = due_of(engine, fires, "timer")
        assert (timer.operation, timer.due_at) == (declared.timer, fires)
        assert timer.dedupe_key == f"timer:{state}:{declared.timer}:1"


@pytest.mark.parametrize(("chart", "state"),
                         [(c, s) for c, s in _waiting() if spec_of(c).states[s].deadline],
                         ids=lambda v: str(v))
def test_a_deadline_the_entering_input_carried_outranks_after(chart: str, state: str) -> None:
    declared = spec_of(chart).states[state]
    assert declared.deadline is not None
    engine = Orchestrator(CHARTS)
    deadline = T0 + timedelta(minutes=42)
    seen(engine, chart, state, T0, remember=((declared.deadline, "2026-12-01T12:42:00Z"),))
    assert due_of(engine, deadline - SECOND, "timer") == []
    (timer,) = due_of(engine, deadline, "timer")
    assert timer.due_at == deadline


def test_without_its_deadline_a_deadline_only_timer_never_fires() -> None:
    """CARDLINK payments expire at ``expires_at``; no other moment is documented."""
    engine = Orchestrator(CHARTS)
    seen(engine, "cardlink_payment", "pending", T0)
    assert due_of(engine, T0 + timedelta(days=400), "timer") == []
    assert due_of(engine, T0 + timedelta(days=400), "poll")


def test_poll_answers_advance_the_schedule_and_the_last_wait_repeats() -> None:
    engine = Orchestrator(CHARTS)
    seen(engine, "paylink_checkout", "open", T0)
    at = T0
    for attempt, wait in enumerate(["5m", "15m", "1h", "6h", "1d", "1d"], start=1):
        due_at = at + duration(wait)
        assert due_of(engine, due_at - SECOND, "poll") == []
        (poll,) = due_of(engine, due_at, "poll")
        assert (poll.attempt, poll.due_at) == (attempt, due_at)
        at = due_at + timedelta(minutes=2)  # the poller is a little late
        assert seen(engine, "paylink_checkout", "open", at, channel=Channel.POLL) is (
            Outcome.STALE)


def test_a_move_restarts_the_schedule_and_a_final_state_stops_it() -> None:
    engine = Orchestrator(CHARTS)
    seen(engine, "paylink_checkout", "open", T0)
    seen(engine, "paylink_checkout", "open", T0 + timedelta(minutes=6), channel=Channel.POLL)
    moved = T0 + timedelta(hours=1)
    assert seen(engine, "paylink_checkout", "in_progress", moved, trigger="attempt",
                signature="valid") is Outcome.APPLIED
    (poll,) = due_of(engine, moved + timedelta(minutes=5), "poll")
    assert (poll.state, poll.attempt) == ("in_progress", 1)
    (timer,) = due_of(engine, moved + timedelta(hours=24), "timer")
    assert timer.due_at == moved + timedelta(hours=24)
    ((_, decision),) = fire_timers(engine, engine.due(moved + timedelta(days=2)),
                                   moved + timedelta(days=2))
    assert (decision.outcome, decision.to_state) == (Outcome.APPLIED, "expired")
    assert engine.due(moved + timedelta(days=30)) == ()


def test_a_timer_fired_twice_fires_once() -> None:
    engine = Orchestrator(CHARTS)
    seen(engine, "paylink_checkout", "open", T0)
    now = T0 + timedelta(days=1)
    work = engine.due(now)
    first = fire_timers(engine, work, now)
    assert [d.outcome for _, d in first] == [Outcome.APPLIED]
    assert fire_timers(engine, work, now) == ()  # listed before the first fired: skipped
    assert fire_timers(engine, engine.due(now), now) == ()  # a second run: nothing due
    (item,) = [w for w in work if w.action == "timer"]  # a janitor that read the record
    # before the first fired gets this far:
    assert engine.apply(timer_event(item, now)).outcome is Outcome.DUPLICATE
    timers = [e for e in engine.store.journal() if e.channel == "timer"]
    assert [e.decision.outcome for e in timers] == [Outcome.APPLIED, Outcome.DUPLICATE]
    assert timers[0].claimed_key == "timer:open:expire:1"


def test_timers_fired_concurrently_by_two_janitors_fire_once(tmp_path: object) -> None:
    path = f"{tmp_path}/store.sqlite"
    writer = Orchestrator(CHARTS, SQLiteStore(path))
    for n in range(8):
        seen(writer, "paylink_checkout", "open", T0, object_id=f"ck-{n}")
    now = T0 + timedelta(days=1)
    janitors = [Orchestrator(CHARTS, SQLiteStore(path)) for _ in range(2)]
    lists = [janitor.due(now) for janitor in janitors]
    start = threading.Barrier(2)
    outcomes: list[Outcome] = []

    def run(janitor: Orchestrator, work: tuple[Due, ...]) -> None:
        start.wait()
        outcomes.extend(d.outcome for _, d in fire_timers(janitor, work, now))

    threads = [threading.Thread(target=run, args=pair) for pair in zip(janitors, lists,
                                                                       strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each timer is applied once; the other janitor skipped it (the object had left the
    # state when it looked) or lost the race on the dedupe key.
    assert outcomes.count(Outcome.APPLIED) == 8
    assert set(outcomes) <= {Outcome.APPLIED, Outcome.DUPLICATE}
    states = {r.object_id: r.state for r in writer.store.objects()}
    assert states == {f"ck-{n}": "expired" for n in range(8)}
    applied = [e for e in writer.store.journal()
               if e.channel == "timer" and e.decision.outcome is Outcome.APPLIED]
    assert len(applied) == 8


@pytest.mark.parametrize(("options", "outcome", "state"),
                         [((), Outcome.REJECTED, "expired"),
                          ((OPTION,), Outcome.APPLIED, "approved")])
def test_a_callback_after_the_timer_fired_is_decided_by_the_chart(
        options: tuple[str, ...], outcome: Outcome, state: str) -> None:
    engine = Orchestrator(CHARTS, options=options)
    created = Event("cardlink", "payment", "tok", "create", Channel.REQUEST, "create",
                    state="init", money=Money(1000, "EUR"), received_at=T0,
                    remember=(("expires_at", "2026-12-01T13:00:00+00:00"),))
    assert engine.apply(created).outcome is Outcome.APPLIED
    now = T0 + timedelta(hours=2)
    ((_, fired),) = fire_timers(engine, engine.due(now), now)
    assert fired.to_state == "expired"
    late = Event("cardlink", "payment", "tok", "approve", Channel.CALLBACK, "late-approve",
                 state="approved", money=Money(1000, "EUR"), received_at=now,
                 signature="valid")  # type: ignore[arg-type]
    decision = engine.apply(late)
    assert decision.outcome is outcome
    assert engine.record("cardlink", "payment", "tok").state == state  # type: ignore[union-attr]
    last = list(engine.store.journal())[-1]
    assert (last.channel, last.decision.outcome) == ("callback", outcome)


def test_an_unconfirmed_decision_waits_for_its_confirming_poll() -> None:
    engine = Orchestrator(CHARTS)
    assert seen(engine, "platform_transaction", "SETTLED", T0, confirmed=False,
                confirm_by="GET_TRANS_STATUS", signature="valid") is Outcome.APPLIED
    (confirm,) = engine.due(T0)
    assert (confirm.action, confirm.operation, confirm.state, confirm.due_at) == (
        "confirm", "GET_TRANS_STATUS", "SETTLED", T0)
    seen(engine, "platform_transaction", "SETTLED", T0 + timedelta(minutes=1),
         channel=Channel.POLL)
    assert engine.due(T0 + timedelta(days=1)) == ()


def test_a_timer_is_an_ordinary_input_on_the_timer_channel() -> None:
    item = Due("paylink", "checkout", "ck", "open", "timer", "expire", 1, T0,
               dedupe_key="timer:open:expire:7")
    event = timer_event(item, T0 + SECOND)
    assert (event.channel, event.trigger, event.dedupe_key) == (
        Channel.TIMER, "expire", "timer:open:expire:7")
    assert event.fact("due_at") == T0.isoformat()


def test_deadline_values_iso_or_unix_seconds() -> None:
    assert instant("2026-12-01T12:00:00Z") == T0
    assert instant("2026-12-01T12:00:00") == T0
    assert instant(str(int(T0.timestamp()))) == T0
    assert instant("next tuesday") is None


# -- the way out -------------------------------------------------------------------------------

def _reachable_waiting() -> list[tuple[str, str]]:
    found = []
    for chart in CHARTS:
        spec = chart.spec
        ahead = reachable(successors(spec), spec.initial)
        found += [(chart.name, s) for s in waiting_states(spec) if s in ahead]
    return found


UNWATCHED = {("cardlink_dispute", "pending"), ("cardlink_refund", "init"),
             ("cardlink_refund", "pending")}
"""No status query reaches these (docs/PROVIDERS.md §1, Timers and polls): the loader test
pins this list, so a new unwatched state fails there first."""
WATCHED = [pair for pair in _reachable_waiting() if pair not in UNWATCHED]


def test_the_property_covers_every_reachable_waiting_state_but_the_documented_ones() -> None:
    assert set(_reachable_waiting()) > UNWATCHED
    assert {chart for chart, _state in WATCHED} >= {"cardlink_payment", "paylink_checkout",
                                                    "platform_transaction",
                                                    "invoices_payment_invoice",
                                                    "transaction_services_payment"}


@given(st.sampled_from(WATCHED), st.integers(min_value=0, max_value=60 * 24 * 400))
def test_no_waiting_state_is_left_without_a_way_out(waiting: tuple[str, str],
                                                    minutes: int) -> None:
    """Enter a reachable waiting state, let any amount of time pass and fire every due timer
    until none is left: the object is final, or a status query is due for it."""
    chart, state = waiting
    engine = Orchestrator(CHARTS)
    seen(engine, chart, state, T0)
    now = T0 + timedelta(minutes=minutes)
    for _ in range(len(spec_of(chart).states)):
        if not fire_timers(engine, engine.due(now), now):
            break
        now += timedelta(days=2)
    record = engine.record(spec_of(chart).provider, spec_of(chart).object, "o-1")
    assert record is not None
    if record.state in CHARTS.named(chart).finals:
        return
    later = now + timedelta(days=30)
    assert any(item.action == "poll" for item in engine.due(later)), (chart, record.state)


def test_a_timer_listed_before_its_object_moved_is_not_fired() -> None:
    """`pending` → `expire` exists too: the `init` timer must not expire a payment that moved
    on to `pending` between the listing and the firing."""
    engine = Orchestrator(CHARTS)
    seen(engine, "cardlink_payment", "init", T0, remember=(("expires_at", "2026-12-01T12:30Z"),))
    now = T0 + timedelta(hours=1)
    work = due_of(engine, now, "timer")
    assert [item.state for item in work] == ["init"]
    seen(engine, "cardlink_payment", "pending", now, trigger="start", signature="valid")
    assert fire_timers(engine, work, now) == ()
    assert engine.record("cardlink", "payment", "o-1").state == "pending"  # type: ignore[union-attr]


def test_a_timer_the_chart_refuses_is_recorded_and_tried_again() -> None:
    """A pending dispute blocks its payment's status changes, the expiry timer included: the
    refusal is journaled, and the next run tries again with the next attempt number."""
    engine = Orchestrator(CHARTS)
    seen(engine, "cardlink_payment", "pending", T0, object_id="tok",
         remember=(("expires_at", "2026-12-01T12:30:00Z"),))
    dispute = Event("cardlink", "dispute", "tok", "observed", Channel.CALLBACK, "d",
                    state="pending", parent_id="tok", received_at=T0,
                    signature="valid")  # type: ignore[arg-type]
    assert engine.apply(dispute).outcome is Outcome.APPLIED
    now = T0 + timedelta(hours=1)
    for attempt in (1, 2):
        (timer,) = due_of(engine, now, "timer")
        assert timer.attempt == attempt
        ((_, decision),) = fire_timers(engine, [timer], now)
        assert decision.outcome is Outcome.REJECTED
        assert "blocks status changes" in decision.reason


def test_a_cardlink_payment_request_carries_its_expiry_deadline_to_the_timer() -> None:
    """End to end through the adapter: the create request's ``expires_at`` is the moment the
    payment's expiry timer fires (not a guess: no other moment is documented)."""
    engine = Orchestrator(CHARTS)
    body = json.dumps({"amount": 2500, "currency": "USD", "orderNumber": "ord-7",
                       "expires_at": "2026-12-01T12:30:00Z"}).encode()
    raw = RawInput("cardlink", Channel.REQUEST, body, {"Content-Type": "application/json"},
                   received_at=T0, ref="tok-1", operation="create")
    (decision,) = engine.ingest(raw, get_adapter("cardlink"),
                                AdapterContext(remembered=engine.remembered_for("cardlink")))
    assert decision.outcome is Outcome.APPLIED
    deadline = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert due_of(engine, deadline - SECOND, "timer") == []
    (timer,) = due_of(engine, deadline, "timer")
    assert (timer.state, timer.operation, timer.due_at) == ("init", "expire", deadline)
