"""Families converge: a parent with its children, delivered shuffled and duplicated, ends in
the same states and ledgers as the ordered delivery (ARCHITECTURE.md, "Families converge").

The ordered deliveries are walks over the charts' edges with the model in ``walks.py``; the
ordered run itself must end where the model says.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
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
    legal, model = family_walk(data, CHARTS, parent, _children(child_names), options,
                               sequenced=parent.provider in PROVIDER_ORDERED)
    engine = Orchestrator(CHARTS, MemoryStore(), options=options)
    decisions = [engine.apply(event) for event in legal]
    assert all(d.outcome is Outcome.APPLIED for d in decisions), [d.reason for d in decisions]
    assert _ends(engine, model, parent) == {
        f"{kind}/{object_id}": (obj.state, obj.ledger)
        for (kind, object_id), obj in model.objects.items()}


PROVIDER_ORDERED = {
    "paylink": "every transaction message (payment, authorization, capture, void, refund, "
    "chargeback) carries the gateway's `updated_at`, read as the provider sequence "
    "(docs/PROVIDERS.md §3, Decisions)",
}
"""Providers whose messages carry their own order; their walks carry it too (rising with the
walk). Without it a chart cycle is ambiguous when reordered: PayLink's `pending` ⇄
`incomplete` says nothing about which side came last, so a message without a readable
`updated_at` (the PHP SDK's webhooks have none) cannot be ordered by any engine, and these
walks do not draw such messages."""

@pytest.mark.parametrize(("parent_name", "child_names"), FAMILIES,
                         ids=[f"{p}+{'+'.join(c)}" for p, c in FAMILIES])
@given(data=st.data())
def test_shuffled_duplicated_family_converges(parent_name: str, child_names: tuple[str, ...],
                                             data: st.DataObject) -> None:
    parent = CHARTS.named(parent_name)
    options = _options(data, parent)
    legal, model = family_walk(data, CHARTS, parent, _children(child_names), options,
                               sequenced=parent.provider in PROVIDER_ORDERED)
    ordered = _deliver(options, legal)
    shuffled = _deliver(options, shuffled_with_duplicates(data, legal))
    assert _ends(shuffled, model, parent, moneyless_currency=False) == _ends(
        ordered, model, parent, moneyless_currency=False)


def journal_digest(family: str, examples: int) -> str:
    """A digest of every decision of ``examples`` shuffled deliveries of ``family`` (drawn
    with a fixed seed): equal in every process when the same inputs decide the same way."""
    parent_name, child_name = family.split("+")
    digest = hashlib.sha256()

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        parent = CHARTS.named(parent_name)
        options = _options(data, parent)
        legal, _ = family_walk(data, CHARTS, parent, _children((child_name,)), options)
        for engine in (_deliver(options, legal),
                       _deliver(options, shuffled_with_duplicates(data, legal))):
            for entry in engine.store.journal():
                decision = entry.decision
                digest.update(repr((decision.outcome, decision.reason, decision.to_state,
                                    decision.ledger, decision.warnings)).encode())

    run()
    return digest.hexdigest()


@pytest.mark.parametrize("family", ["cardlink_payment+cardlink_refund",
                                    "shop_payment+shop_dispute"])
def test_family_decisions_do_not_depend_on_the_hash_seed(family: str) -> None:
    """Same inputs, same decisions, in every process: nothing on the family path may follow
    the iteration order of a set of strings (it changes with ``PYTHONHASHSEED``)."""
    root = Path(__file__).resolve().parents[2]
    code = ("from tests.engine.test_families import journal_digest; "
            f"print(journal_digest({family!r}, 40))")
    digests = set()
    for seed in ("0", "1"):
        done = subprocess.run([sys.executable, "-c", code], cwd=root, check=True,  # noqa: S603
                              capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        digests.add(done.stdout.strip())
    assert len(digests) == 1, digests
