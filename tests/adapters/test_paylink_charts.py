"""PayLink charts against the adapter: static checks, cited sources, and every edge the
adapter's one status table (``vocab.MOVES``) can ask for exists in the chart it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from paychart.adapter import RawInput, StatusMove
from paychart.adapters.paylink import ADAPTER
from paychart.adapters.paylink.vocab import (
    CHARGED,
    CHECKOUT,
    MOVES,
    NOT_MAPPED,
    VOCABULARY,
    CheckoutReport,
    Status,
    TransactionType,
    object_kind,
)
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel
from paychart.loader import load_spec
from paychart.orchestrator import Orchestrator

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
CB = Channel.CALLBACK


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


SPECS = sorted((Path(__file__).parents[2] / "specs").glob("paylink_*.toml"))


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_chart_passes_static_checks_and_cites_its_sources(path: Path) -> None:
    spec = load_spec(path)
    assert spec.provider == "paylink"
    assert all(t.source for t in spec.transitions)
    assert any("docs/PROVIDERS.md §3" in note for note in spec.notes)


def test_charts_cover_every_kind_the_adapter_emits() -> None:
    assert {load_spec(p).object for p in SPECS} == {m.object_kind for m in MOVES}


@pytest.mark.parametrize("move", MOVES, ids=lambda m: f"{m.object_kind}-{m.status}-{m.via}")
def test_every_move_is_an_edge_into_its_state_or_the_opening_report(move: StatusMove) -> None:
    """An edge (trigger → state) exists, or the row reports the chart's initial state with a
    trigger that has no edge from it (the engine then creates the object: ``open``)."""
    chart = ChartSet.bundled().get("paylink", move.object_kind)
    assert move.state is not None
    assert move.state in chart.canonical
    opening = move.state == chart.initial and (chart.initial, move.trigger) not in chart.table
    assert opening or (move.trigger, move.state) in chart.entry_edge


def test_checkout_chart_records_the_providers_decision() -> None:
    spec = load_spec(Path(__file__).parents[2] / "specs" / "paylink_checkout.toml")
    assert any(note.startswith("docs/PROVIDERS.md §3 Decision: the checkout chart is driven by the "
                               "flags") for note in spec.notes)


def test_refund_of_an_unknown_capture_keeps_its_parent_uid() -> None:
    engine = Orchestrator(ChartSet.bundled())
    (decision,) = engine.ingest(RawInput("paylink", CB, payload(
        "bodies/refund_successful.json")), ADAPTER)
    assert decision.outcome is Outcome.APPLIED
    assert any("parent paylink/transaction/cap-1 is not known" in w for w in decision.warnings)


def test_the_status_table_is_exhaustive() -> None:
    """Every (type, status) of a transaction and every (report, status) of a finished
    checkout has exactly one row; every documented word has a move."""
    transactions = {(m.object_kind, m.via, m.status) for m in MOVES if m.object_kind != CHECKOUT}
    assert transactions == {(object_kind(t), t.value if t in CHARGED else "", s.value)
                            for t in TransactionType for s in Status}
    finished = {(m.via, m.status) for m in MOVES if m.object_kind == CHECKOUT
                and m.via.startswith("finished")}
    assert finished == {(r.value, s.value) for r in (CheckoutReport.FINISHED_PAYMENT,
                                                      CheckoutReport.FINISHED_AUTHORIZATION)
                        for s in Status}
    assert {m.via for m in MOVES if m.object_kind == CHECKOUT} == {r.value for r in
                                                                   CheckoutReport}
    assert {m.status for m in MOVES} | set(NOT_MAPPED) == VOCABULARY
    assert len({(m.object_kind, m.status, m.via) for m in MOVES}) == len(MOVES)
