"""The journal's JSON text, written directly (``serialize.event_text``/``decision_text``) for
speed, must be byte-identical to the cattrs structure encoded as compact JSON: the hash chain
covers these bytes, so existing journals verify only while the two agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, Decision, Event, Money, Outcome
from paychart.canonical import Canonical
from paychart.decision import AllowedAction, ParentMove
from paychart.event import CustomerAction, SignatureStatus
from paychart.ledger import Ledger
from paychart.serialize import decision_text, event_text, from_json, to_json

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

# Text with the characters JSON escapes: quotes, backslashes, controls, non-ASCII, surrogates.
text = st.text(st.characters(codec=None), max_size=12) | st.sampled_from(
    ['"', "\\", "\n\t\x00", "é", "💳", "\ud800", "a\u2028b"])
maybe_text = st.none() | text
pairs = st.lists(st.tuples(text, text), max_size=3).map(tuple)
money = st.builds(Money, st.integers(-10**15, 10**15), st.sampled_from(["EUR", "JPY", "KWD"]))
when = st.none() | st.datetimes(timezones=st.sampled_from(
    [UTC, timezone(timedelta(hours=-3, minutes=-30))]) | st.none())
action = st.none() | st.builds(CustomerAction, text, text, pairs)

events = st.builds(
    Event, text, text, text, text, st.sampled_from(Channel), text, state=maybe_text,
    money=st.none() | money, parent_id=maybe_text, sequence=st.none() | st.integers(),
    received_at=when, signature=st.sampled_from(SignatureStatus), customer_action=action,
    facts=pairs, remember=pairs, warnings=st.lists(text, max_size=3).map(tuple),
    confirmed=st.booleans(), confirm_by=maybe_text, reference=maybe_text, refusal=maybe_text)

ledgers = st.builds(Ledger, st.none() | st.sampled_from(["EUR", "USD"]), st.integers(),
                    st.integers(), st.integers(), st.integers())
decisions = st.builds(
    Decision, st.sampled_from(Outcome), text, provider=maybe_text, object_kind=maybe_text,
    object_id=maybe_text, trigger=maybe_text, from_state=maybe_text, to_state=maybe_text,
    canonical=st.none() | st.sampled_from(Canonical), ledger=st.none() | ledgers,
    field=maybe_text, history_unknown=st.booleans(),
    warnings=st.lists(text, max_size=3).map(tuple),
    allowed=st.lists(st.builds(AllowedAction, text, st.none() | money), max_size=3).map(tuple),
    customer_action=action, reply=maybe_text,
    parent_move=st.none() | st.builds(ParentMove, text, text, text, text), facts=pairs,
    confirmed=st.booleans(), confirm_by=maybe_text)


@given(events)
def test_an_events_text_is_its_cattrs_structure_as_compact_json(event: Event) -> None:
    assert event_text(event) == _dumps(to_json(event))


@given(decisions)
def test_a_decisions_text_is_its_cattrs_structure_as_compact_json(decision: Decision) -> None:
    assert decision_text(decision) == _dumps(to_json(decision))


def test_the_text_reads_back_as_the_value() -> None:
    event = Event("shop", "payment", "p1", "refund", Channel.CALLBACK, "k", state="paid",
                  money=Money(250, "EUR"), received_at=datetime(2026, 1, 2, tzinfo=UTC),
                  facts=(("code", "00"),), confirmed=False)
    assert from_json(json.loads(event_text(event)), Event) == event
