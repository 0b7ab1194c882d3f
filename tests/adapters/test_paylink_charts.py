"""PayLink charts against the adapter: static checks, cited sources, and every edge the
adapter's one status table can ask for exists in the chart it names."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from paychart.adapter import RawInput
from paychart.adapters.paylink import ADAPTER
from paychart.adapters.paylink.fields import CHECKOUT_FINISHED, Status, TransactionType
from paychart.adapters.paylink.fields import TABLE as EDGE_TABLE
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel
from paychart.loader import load_spec
from paychart.orchestrator import Orchestrator

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
CB = Channel.CALLBACK


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


TABLE_EDGES = [*EDGE_TABLE.values()]
CHECKOUT_EDGES = [*CHECKOUT_FINISHED.values()]
SPECS = sorted((Path(__file__).parents[2] / "specs").glob("paylink_*.toml"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_chart_passes_static_checks_and_cites_its_sources(path: Path) -> None:
    spec = load_spec(path)
    assert spec.provider == "paylink"
    assert all(t.source for t in spec.transitions)
    assert any("PROVIDERS.md §3" in note for note in spec.notes)


def test_charts_cover_every_kind_the_adapter_emits() -> None:
    assert {load_spec(p).object for p in SPECS} == {e.kind for e in TABLE_EDGES} | {"checkout"}
    for edge in TABLE_EDGES:
        chart = ChartSet.bundled().get("paylink", edge.kind)
        assert edge.state in chart.canonical
        assert edge.trigger in chart.triggers
    checkout = ChartSet.bundled().get("paylink", "checkout")
    for edge in CHECKOUT_EDGES:
        assert edge.state in checkout.canonical
        assert edge.trigger in checkout.triggers


def test_checkout_chart_records_the_providers_decision() -> None:
    spec = load_spec(Path(__file__).parents[2] / "specs" / "paylink_checkout.toml")
    assert any(note.startswith("PROVIDERS.md §3 Decision: the checkout chart is driven by the "
                               "flags") for note in spec.notes)


def test_refund_of_an_unknown_capture_keeps_its_parent_uid() -> None:
    engine = Orchestrator(ChartSet.bundled())
    (decision,) = engine.ingest(RawInput("paylink", CB, payload(
        "bodies/refund_successful.json")), ADAPTER)
    assert decision.outcome is Outcome.APPLIED
    assert any("parent paylink/transaction/cap-1 is not known" in w for w in decision.warnings)


def test_the_status_table_is_exhaustive() -> None:
    assert set(EDGE_TABLE) == set(itertools.product(TransactionType, Status))
    assert set(CHECKOUT_FINISHED) == set(itertools.product(
        (TransactionType.PAYMENT, TransactionType.AUTHORIZATION), Status))
