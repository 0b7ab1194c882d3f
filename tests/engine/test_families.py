"""Families converge: a parent with its children, delivered shuffled and duplicated, ends in
the same states and ledgers as the ordered delivery (ARCHITECTURE.md, "Families converge").

The ordered deliveries are walks over the charts' edges with the model in ``walks.py``; the
ordered run itself must end where the model says.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from paychart import Chart, Event, MemoryStore, Orchestrator, Outcome
from paychart.replay import replay

from .support import all_charts
from .walks import FamilyModel, family_walk, shuffled_with_duplicates

CHARTS = all_charts()
PARENTS = sorted({p.name for c in CHARTS if (p := CHARTS.parent_of(c)) is not None})
FAMILIES = [(parent, (child.name,)) for parent in PARENTS for child in CHARTS
            if CHARTS.parent_of(child) is CHARTS.named(parent)]


def _children(names: Sequence[str]) -> list[Chart]:
    return [CHARTS.named(name) for name in names]


def _deliver(options: Sequence[str], events: Sequence[Event]) -> Orchestrator:
    engine = Orchestrator(CHARTS, MemoryStore(), options=options)
    for event in events:
        engine.apply(event)
    assert len(list(engine.store.journal())) == len(events), "one journal entry per input"
    assert replay(engine.store, CHARTS).ok
    return engine


def _ends(engine: Orchestrator, model: FamilyModel, parent: Chart, *,
          moneyless_currency: bool = True) -> dict[str, object]:
    """State and ledger of every object the walk touched. Without ``moneyless_currency``
    the currency of a ledger that holds no money is left out: a status message that carries
    an amount sets it when applied, but not when a shuffled delivery finds it stale (a known
    divergence of the engine, reported; the figures always converge)."""
    ends: dict[str, object] = {}
    for kind, object_id in model.objects:
        record = engine.record(parent.provider, kind, object_id)
        if record is None:
            ends[f"{kind}/{object_id}"] = None
            continue
        ledger = record.ledger
        if not moneyless_currency and not (ledger.authorized or ledger.captured
                                           or ledger.refunded or ledger.charged_back):
            ledger = attrs.evolve(ledger, currency=None)
        ends[f"{kind}/{object_id}"] = (record.state, ledger)
    return ends


def _options(data: st.DataObject, parent: Chart) -> tuple[str, ...]:
    options = sorted(parent.spec.options)
    return tuple(data.draw(st.lists(st.sampled_from(options), unique=True), label="options")
                 if options else ())


@pytest.mark.parametrize(("parent_name", "child_names"), FAMILIES,
                         ids=[f"{p}+{'+'.join(c)}" for p, c in FAMILIES])
@given(data=st.data())
def test_ordered_family_ends_where_the_charts_say(parent_name: str,
                                                 child_names: tuple[str, ...],
                                                 data: st.DataObject) -> None:
    parent = CHARTS.named(parent_name)
    options = _options(data, parent)
    legal, model = family_walk(data, CHARTS, parent, _children(child_names), options)
    engine = Orchestrator(CHARTS, MemoryStore(), options=options)
    decisions = [engine.apply(event) for event in legal]
    assert all(d.outcome is Outcome.APPLIED for d in decisions), [d.reason for d in decisions]
    assert _ends(engine, model, parent) == {
        f"{kind}/{object_id}": (obj.state, obj.ledger)
        for (kind, object_id), obj in model.objects.items()}


DIVERGES = {
    "cardlink_payment+cardlink_refund": "a refund approved while its payment was first seen "
    "in a later state is rejected in the shuffled delivery: its money (refunded 1) is lost; "
    "passes or fails with the interpreter's hash seed, so some ordering in the family path "
    "depends on set iteration",
    "cardlink_payment+cardlink_dispute": "a late message filling in a skipped ledger step "
    "(authorize) applies after the effects taken since, so a first sighting in `declined` "
    "ends with authorized 1 where the ordered delivery has 0",
    "paylink_transaction+paylink_capture": "`pending` ⇄ `incomplete` is a cycle without "
    "provider sequence: reordered, the object ends on the other side of it",
    "paylink_transaction+paylink_refund": "`pending` ⇄ `incomplete` cycle (see capture)",
    "paylink_transaction+paylink_void": "`pending` ⇄ `incomplete` cycle (see capture)",
    "shop_payment+shop_refund": "void then a late authorize: the filled-in authorization "
    "applies after the release, authorized 1 instead of 0",
    "shop_payment+shop_dispute": "a refund to `refunded` reordered with dispute children "
    "loses refunded 1 (the payment is blocked or final when it arrives)",
}
"""Families whose shuffled deliveries do not converge yet, each with its minimal example
(found by this property). Not strict: the cardlink refund case depends on the hash seed, and
a strict mark would make the run flaky; the list is the open work of the concurrency issue."""


def _convergence_cases() -> list[object]:
    cases: list[object] = []
    for parent, children in FAMILIES:
        name = f"{parent}+{'+'.join(children)}"
        reason = DIVERGES.get(name)
        marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
        cases.append(pytest.param(parent, children, id=name, marks=marks))
    return cases


@pytest.mark.parametrize(("parent_name", "child_names"), _convergence_cases())
@settings(phases=(Phase.explicit, Phase.reuse, Phase.generate))  # known divergences: shrinking
@given(data=st.data())                                            # them costs minutes each
def test_shuffled_duplicated_family_converges(parent_name: str, child_names: tuple[str, ...],
                                             data: st.DataObject) -> None:
    parent = CHARTS.named(parent_name)
    options = _options(data, parent)
    legal, model = family_walk(data, CHARTS, parent, _children(child_names), options)
    ordered = _deliver(options, legal)
    shuffled = _deliver(options, shuffled_with_duplicates(data, legal))
    assert _ends(shuffled, model, parent, moneyless_currency=False) == _ends(
        ordered, model, parent, moneyless_currency=False)
