"""The work due on objects waiting on a provider: status queries, timeouts, confirmations.

What a schedule depends on (when the object entered its state, the deadline its entering input
carried, the polls made since) is read from the journal, which holds every input with its
decision and arrival time: the records and the stores' rows stay as they are, and a replay
rebuilds exactly the same schedule. A state is entered when an applied decision puts the object
in a state other than the one it was in (a child's edge that moves its parent counts for the
parent); self-loops and fill-ins keep the schedule running, so the answers "still pending" of
polls advance it instead of restarting it. Final states wait for nothing, except a
confirmation: a decision the signature could not confirm is confirmed by its status query
(``Decision.confirm_by``) until any poll answer about the object arrives.

A timer fires through the ordinary decision path, as an input on the ``timer`` channel whose
dedupe key names the object's state entry (``timer:STATE:TRIGGER:JOURNAL-SEQ``): two janitors,
or the same one run twice, fire it once; the second is a ``duplicate`` or, once the object left
the state, no longer due at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

import attrs

from .attempts import is_pending
from .charts import ChartSet
from .decision import Decision, Outcome
from .errors import UnknownChartError
from .event import Channel, Event, object_key
from .journal import JournalEntry
from .record import ObjectRecord
from .spec import StateSpec, duration
from .stores.base import Store

POLL, TIMER, CONFIRM = "poll", "timer", "confirm"


@attrs.frozen(slots=True)
class Due:
    """One piece of work due on one object; ``due_at`` is ``None`` when the journal does not
    say when the object entered its state (a poll is then due at once, a timeout never)."""

    provider: str
    object_kind: str
    object_id: str
    state: str
    action: str
    operation: str
    """The status query to make (poll, confirm) or the trigger to fire (timer)."""
    attempt: int
    due_at: datetime | None
    dedupe_key: str | None = None
    """For a timer: the key that makes firing it idempotent."""

    def as_json(self) -> dict[str, object]:
        return {"provider": self.provider, "object": self.object_kind, "id": self.object_id,
                "state": self.state, "action": self.action, "operation": self.operation,
                "attempt": self.attempt,
                "due_at": None if self.due_at is None else self.due_at.isoformat()}


@attrs.define
class _Trace:
    """What the journal says about one object's current stay in its state."""

    state: str | None = None
    entered_seq: int = 0
    entered_at: datetime | None = None
    facts: dict[str, str] = attrs.Factory(dict)
    polls: int = 0
    last_poll_at: datetime | None = None
    timer_inputs: int = 0
    """Timer inputs decided during this stay (a timer the chart refused is tried again: its
    ``attempt`` says how often)."""
    unconfirmed: tuple[str, datetime | None] | None = None
    """(status query, decided at) of the last decision the signature could not confirm."""

    def enter(self, state: str, entry: JournalEntry, at: datetime | None) -> None:
        event = entry.event
        self.state, self.entered_seq, self.entered_at = state, entry.seq, at
        self.facts = {} if event is None else {**dict(event.remember), **dict(event.facts)}
        self.polls, self.last_poll_at, self.timer_inputs = 0, None, 0


def utc(moment: datetime) -> datetime:
    """Naive instants are UTC (the journal keeps what the input envelope said)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def instant(text: str) -> datetime | None:
    """A deadline field's value: ISO 8601 (``Z`` included) or unix seconds; ``None`` when it
    is neither (an unreadable deadline leaves the ``after`` timeout, if any, to decide)."""
    text = text.strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text), UTC)
        return utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError, OSError):
        return None


def traces(entries: Iterable[JournalEntry], charts: ChartSet) -> dict[str, _Trace]:
    """One pass over the journal: every object's current stay, by store key."""
    found: dict[str, _Trace] = {}
    for entry in entries:
        decision = entry.decision
        if None in (decision.provider, decision.object_kind, decision.object_id):
            continue
        assert decision.provider and decision.object_kind and decision.object_id
        key = object_key(decision.provider, decision.object_kind, decision.object_id)
        trace = found.setdefault(key, _Trace())
        at = None if entry.received_at is None else utc(entry.received_at)
        applied = decision.outcome is Outcome.APPLIED
        moved = applied and decision.to_state is not None and decision.to_state != trace.state
        if moved:
            assert decision.to_state is not None
            trace.enter(decision.to_state, entry, at)
        elif entry.channel == Channel.POLL.value:
            trace.polls += 1
            trace.last_poll_at = at
        elif entry.channel == Channel.TIMER.value:
            trace.timer_inputs += 1
        if entry.channel == Channel.POLL.value or (moved and decision.confirmed):
            trace.unconfirmed = None
        if applied and not decision.confirmed and decision.confirm_by:
            trace.unconfirmed = (decision.confirm_by, at)
        if applied and decision.parent_move is not None:
            _parent_entered(found, charts, decision, entry, at)
    return found


def _parent_entered(found: dict[str, _Trace], charts: ChartSet, decision: Decision,
                    entry: JournalEntry, at: datetime | None) -> None:
    move = decision.parent_move
    assert move is not None and decision.provider and decision.object_kind
    chart = charts.find(decision.provider, decision.object_kind)
    if chart is None or chart.spec.parent is None:
        return
    trace = found.setdefault(object_key(decision.provider, chart.spec.parent, move.object_id),
                             _Trace())
    if move.to_state != trace.state:
        trace.enter(move.to_state, attrs.evolve(entry, event=None), at)


def _timer(record: ObjectRecord, state: StateSpec, trace: _Trace, now: datetime,
           ids: tuple[str, str, str]) -> Due | None:
    if state.timer is None:
        return None
    fires_at = None
    if state.deadline is not None:
        text = trace.facts.get(state.deadline) or dict(record.remembered).get(state.deadline)
        fires_at = None if text is None else instant(text)
    if fires_at is None and state.after is not None and trace.entered_at is not None:
        fires_at = trace.entered_at + duration(state.after)
    if fires_at is None or fires_at > now:
        return None
    return Due(*ids, record.state, TIMER, state.timer, trace.timer_inputs + 1, fires_at,
               dedupe_key=f"timer:{record.state}:{state.timer}:{trace.entered_seq}")


def _poll(record: ObjectRecord, state: StateSpec, trace: _Trace, now: datetime,
          ids: tuple[str, str, str]) -> Due | None:
    if not state.poll or state.query is None:
        return None
    made = trace.polls
    wait = duration(state.poll[min(made, len(state.poll) - 1)])
    since = trace.last_poll_at if made and trace.last_poll_at else trace.entered_at
    due_at = None if since is None else since + wait
    if due_at is not None and due_at > now:
        return None
    return Due(*ids, record.state, POLL, state.query, made + 1, due_at)


def due(store: Store, charts: ChartSet, now: datetime) -> tuple[Due, ...]:
    """Every poll, timeout and confirmation due at ``now``, earliest first."""
    now = utc(now)
    stays = traces(store.journal(), charts)
    work: list[Due] = []
    for record in store.objects():
        if is_pending(record.object_id):
            continue  # a request the provider has not answered: no id to poll or time out
        try:
            chart = charts.named(record.chart)
        except UnknownChartError:
            continue
        state = chart.spec.states.get(record.state)
        trace = stays.get(record.key)
        if state is None or trace is None:
            continue
        if trace.state != record.state:  # moved by a path the journal does not name
            trace = _Trace(record.state, trace.entered_seq, None, trace.facts)
        ids = (chart.provider, record.object_kind, record.object_id)
        if trace.unconfirmed is not None:
            operation, at = trace.unconfirmed
            work.append(Due(*ids, record.state, CONFIRM, operation, 1, at))
        if record.state in chart.finals:
            continue
        work += [found for found in (_timer(record, state, trace, now, ids),
                                     _poll(record, state, trace, now, ids)) if found]
    return tuple(sorted(work, key=_order))


def _order(item: Due) -> tuple[datetime, str, str, str]:
    at = item.due_at or datetime.min.replace(tzinfo=UTC)
    return (at, item.provider, item.object_kind, item.object_id)


class Applies(Protocol):
    """What ``fire_timers`` needs of an orchestrator: its decision path and its records."""

    def apply(self, event: Event) -> Decision: ...

    def record(self, provider: str, object_kind: str,
               object_id: str) -> ObjectRecord | None: ...


def timer_event(item: Due, now: datetime) -> Event:
    """The input a due timer becomes: channel ``timer``, keyed by its state entry."""
    assert item.action == TIMER and item.dedupe_key is not None
    facts: tuple[tuple[str, str], ...] = ()
    if item.due_at is not None:
        facts = (("due_at", item.due_at.isoformat()),)
    return Event(item.provider, item.object_kind, item.object_id, item.operation,
                 Channel.TIMER, item.dedupe_key, received_at=utc(now), facts=facts)


def fire_timers(orchestrator: Applies, work: Iterable[Due],
                now: datetime) -> tuple[tuple[Due, Decision], ...]:
    """Apply every due timer through the normal decision path (journaled like any input).

    A timer whose object left the state since the list was made is not fired: its trigger
    may have an edge from the new state too, where it means nothing. (A move between this
    read and the decision remains possible; the timer then meets the new state.)"""
    fired = []
    for item in work:
        if item.action != TIMER:
            continue
        record = orchestrator.record(item.provider, item.object_kind, item.object_id)
        if record is None or record.state != item.state:
            continue
        fired.append((item, orchestrator.apply(timer_event(item, now))))
    return tuple(fired)


def summary(work: Iterable[Due]) -> Mapping[str, int]:
    """How many of each action are due (the janitor's text output ends with it)."""
    counts: dict[str, int] = {POLL: 0, TIMER: 0, CONFIRM: 0}
    for item in work:
        counts[item.action] += 1
    return counts


