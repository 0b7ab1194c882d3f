"""A stateful hypothesis test of the orchestrator over the SQLite store: any interleaving of
new inputs, redeliveries and forgeries across every chart keeps the invariants, and the
journal replays to exactly the stored objects."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from paychart import Channel, Event, Money, Orchestrator, Outcome, SignatureStatus, SQLiteStore
from paychart.decision import CONSUMES_DEDUPE_KEY
from paychart.replay import replay

from .support import all_charts

CHARTS = all_charts()
CHART_NAMES = sorted(chart.name for chart in CHARTS)


class OrchestratorOverSQLite(RuleBasedStateMachine):
    delivered = Bundle("delivered")

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="paychart-stateful-"))
        # synchronous=OFF: this test is about decisions, not about surviving a power cut.
        self.store = SQLiteStore(self.directory / "store.sqlite", synchronous="OFF")
        options = sorted({o for chart in CHARTS for o in chart.spec.options})
        self.engine = Orchestrator(CHARTS, self.store, options=options[::2])
        self.inputs = 0
        self.versions: dict[str, int] = {}

    @rule(target=delivered, name=st.sampled_from(CHART_NAMES), data=st.data(),
          object_no=st.integers(0, 2), amount=st.one_of(st.none(), st.integers(1, 5000)),
          channel=st.sampled_from(list(Channel)), sequence=st.one_of(st.none(),
                                                                      st.integers(0, 50)))
    def deliver_new(self, name: str, data: st.DataObject, object_no: int, amount: int | None,
                    channel: Channel, sequence: int | None) -> tuple[Event, Outcome]:
        chart = CHARTS.named(name)
        edge = data.draw(st.sampled_from(chart.edges))
        event = Event(chart.provider, chart.object_kind, f"{chart.object_kind}-{object_no}",
                      edge.trigger, channel, f"k{self.inputs}", state=edge.target,
                      money=Money(amount, "EUR") if amount is not None else None,
                      parent_id="payment-0" if chart.spec.parent else None,
                      sequence=sequence)
        return event, self._apply(event)

    @rule(delivery=delivered)
    def redeliver(self, delivery: tuple[Event, Outcome]) -> None:
        event, first = delivery
        again = self._apply(event)
        if first in CONSUMES_DEDUPE_KEY:
            assert again is Outcome.DUPLICATE
        else:  # a rejected input is decided afresh; it never turns invalid
            assert again is not Outcome.INVALID

    @rule(delivery=delivered)
    def forge(self, delivery: tuple[Event, Outcome]) -> None:
        event, _ = delivery
        before = self.store.get(event.key)
        forged = attrs.evolve(event, dedupe_key=f"forged{self.inputs}",
                              signature=SignatureStatus.INVALID)
        assert self._apply(forged) is Outcome.INVALID
        assert self.store.get(event.key) == before

    def _apply(self, event: Event) -> Outcome:
        self.inputs += 1
        return self.engine.apply(event).outcome

    @invariant()
    def objects_keep_their_invariants(self) -> None:
        for record in self.store.objects():
            chart = CHARTS.named(record.chart)
            assert record.state in chart.canonical
            assert record.ledger.holds_invariants(), record
            assert record.version >= self.versions.get(record.key, 0)
            self.versions[record.key] = record.version

    @invariant()
    def one_journal_entry_per_input(self) -> None:
        assert len(list(self.store.journal())) == self.inputs

    def teardown(self) -> None:
        report = replay(self.store, CHARTS)
        self.store.close()
        shutil.rmtree(self.directory, ignore_errors=True)
        assert report.ok, report.differences


TestOrchestratorOverSQLite = OrchestratorOverSQLite.TestCase
