"""ARCHITECTURE.md's invariants, for every chart under ``specs/`` and the engine's test charts,
over generated sequences: legal, duplicated, reordered, illegal and malformed."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Chart, ChartSet, Decision, Event, MemoryStore, Orchestrator, Outcome
from paychart.refold import foldable
from paychart.replay import replay

from .support import all_charts
from .walks import legal_walk, noise, shuffled_with_duplicates

CHARTS = all_charts()
NAMES = sorted(chart.name for chart in CHARTS)
FOLDABLE = sorted(chart.name for chart in CHARTS if foldable(CHARTS, chart))
UNCHANGING = (Outcome.STALE, Outcome.DUPLICATE, Outcome.REJECTED, Outcome.INVALID)


def _options(data: st.DataObject, chart: Chart) -> tuple[str, ...]:
    options = sorted(chart.spec.options)
    return tuple(data.draw(st.lists(st.sampled_from(options), unique=True), label="options")
                 if options else ())


def _walk(data: st.DataObject, name: str, *, sequenced: bool = False
          ) -> tuple[Chart, tuple[str, ...], list[Event]]:
    """A chart, override options drawn for it, and a legal sequence found by walking it."""
    chart = CHARTS.named(name)
    options = _options(data, chart)
    legal = legal_walk(data, CHARTS, chart, options, sequenced=sequenced)
    return chart, options, legal


def _deliver_checking(charts: ChartSet, options: Sequence[str],
                      events: Sequence[Event]) -> tuple[Orchestrator, list[Decision]]:
    """Deliver ``events`` one by one, checking the per-decision invariants as we go."""
    engine = Orchestrator(charts, MemoryStore(), options=options)
    decisions = []
    for event in events:
        key = event.key
        before = engine.store.get(key)
        decision = engine.apply(event)
        decisions.append(decision)
        after = engine.store.get(key)
        if decision.outcome is Outcome.STALE and before is not None and after is not None:
            # a stale message may move the object's clock (and bookkeeping), never its
            # state, ledger, parent or the children's effects waiting on it
            assert (after.state, after.ledger, after.parent, after.pending) == (
                before.state, before.ledger, before.parent, before.pending), f"stale changed {key}"
        elif decision.outcome in UNCHANGING:
            assert after == before, f"{decision.outcome} changed {key}"
        if after is not None:
            chart = charts.named(after.chart)
            assert after.state in chart.canonical, f"undeclared state {after.state}"
            assert after.ledger.holds_invariants(), f"{after.ledger} after {decision}"
            if decision.outcome is Outcome.APPLIED and before is not None:
                left_final = before.state in chart.finals and after.state != before.state
                if left_final:
                    used = [o for o in engine.options
                            if any(f"override `{o}` used: `{before.state} → " in w
                                   for w in decision.warnings)]
                    assert used, f"left final `{before.state}` without an enabled override"
    for record in engine.store.objects():
        assert record.ledger.holds_invariants()
    assert len(list(engine.store.journal())) == len(events), "one journal entry per input"
    return engine, decisions


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_legal_sequences_replay_identically(name: str, data: st.DataObject) -> None:
    _, options, legal = _walk(data, name, sequenced=data.draw(st.booleans()))
    engine, decisions = _deliver_checking(CHARTS, options, legal)
    assert all(d.outcome is Outcome.APPLIED for d in decisions), (
        "every step the charts allow is applied", [d.reason for d in decisions])
    again, _ = _deliver_checking(CHARTS, options, legal)
    assert list(engine.store.objects(placeholders=True)) == list(
        again.store.objects(placeholders=True)), "same inputs, same objects"
    assert replay(engine.store, CHARTS).ok


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_every_input_twice_is_every_input_once(name: str, data: st.DataObject) -> None:
    _, options, legal = _walk(data, name)
    once, _ = _deliver_checking(CHARTS, options, legal)
    doubled = [e for event in legal for e in (event, event)]
    twice, decisions = _deliver_checking(CHARTS, options, doubled)
    assert all(d.outcome is Outcome.DUPLICATE for d in decisions[1::2])
    assert list(once.store.objects()) == list(twice.store.objects())


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_reordered_duplicated_delivery_never_ends_behind(name: str, data: st.DataObject) -> None:
    chart, options, legal = _walk(data, name,
                                  sequenced=data.draw(st.booleans(), label="sequenced"))
    ordered, _ = _deliver_checking(CHARTS, options, legal)
    delivered = shuffled_with_duplicates(data, legal)
    shuffled, _ = _deliver_checking(CHARTS, options, delivered)
    for record in ordered.store.objects():
        other = shuffled.store.get(record.key)
        assert other is not None
        assert not chart.is_behind(other.state, record.state), (
            f"{record.key}: shuffled delivery ended in {other.state}, behind {record.state}")


@pytest.mark.parametrize("name", FOLDABLE)
@given(data=st.data())
def test_sequenced_shuffled_delivery_ends_as_the_ordered_one(name: str,
                                                             data: st.DataObject) -> None:
    """An object that is its own whole history, every message carrying the provider's
    order: delivered shuffled with duplicates, then all again (providers retry what was
    refused), it ends in the ordered delivery's state and ledger, not merely not behind."""
    _, options, legal = _walk(data, name, sequenced=True)
    ordered, _ = _deliver_checking(CHARTS, options, legal)
    delivered = shuffled_with_duplicates(data, legal)
    shuffled = Orchestrator(CHARTS, MemoryStore(), options=options)
    for event in [*delivered, *legal]:
        shuffled.apply(event)
    for record in ordered.store.objects():
        other = shuffled.store.get(record.key)
        assert other is not None
        assert (other.state, other.ledger) == (record.state, record.ledger), record.key
    assert replay(shuffled.store, CHARTS).ok


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_illegal_and_malformed_inputs_keep_invariants(name: str, data: st.DataObject) -> None:
    chart, options, legal = _walk(data, name)
    mixed = data.draw(st.permutations(legal + noise(data, chart, legal)), label="mixed")
    first, decisions = _deliver_checking(CHARTS, options, mixed)
    _, again = _deliver_checking(CHARTS, options, mixed)
    assert decisions == again, "the same inputs in the same order give the same decisions"
    for decision, event in zip(decisions, mixed, strict=True):
        if event.object_kind == "no_such_kind":
            assert (decision.outcome, decision.field) == (Outcome.INVALID, "object_kind")
        elif event.signature == "invalid":
            assert decision.outcome in (Outcome.INVALID, Outcome.DUPLICATE)
    assert replay(first.store, CHARTS).ok


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_transitions_machine_and_table_decide_alike(name: str, data: st.DataObject) -> None:
    """The compiled table is the hot path; the shared transitions machine is the reference."""
    chart, options, legal = _walk(data, name)
    mixed = data.draw(st.permutations(legal + noise(data, chart, legal)), label="mixed")
    table = Orchestrator(CHARTS, options=options)
    reference = Orchestrator(CHARTS, options=options, reference=True)
    for event in mixed:
        a, b = table.apply(event), reference.apply(event)
        assert (a.outcome, a.from_state, a.to_state, a.ledger) == (
            b.outcome, b.from_state, b.to_state, b.ledger)


@pytest.mark.parametrize("name", NAMES)
def test_table_agrees_with_transitions_on_every_guard_outcome(name: str) -> None:
    """Exhaustively: every (state, trigger), every pass/fail pattern of its guards, every
    option set touching its edges."""
    chart = CHARTS.named(name)
    for (state, trigger), edges in chart.table.items():
        guarded = [e for e in edges if e.guard is not None]
        overrides = sorted({e.override for e in edges if e.override})
        for mask in range(2 ** len(guarded)):
            passing = {e.index for i, e in enumerate(guarded) if mask >> i & 1}

            def check(edge: object, passing: set[int] = passing) -> str | None:
                return None if getattr(edge, "index", None) in passing else "fails"

            for omask in range(2 ** len(overrides)):
                options = {o for i, o in enumerate(overrides) if omask >> i & 1}
                fast = chart.resolve(state, trigger, options, check).edge
                slow = chart.resolve_reference(state, trigger, options, check)
                assert fast == slow, (state, trigger, passing, options)
