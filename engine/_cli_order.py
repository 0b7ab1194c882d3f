"""``paychart objects STORE --order REF``: one order, every attempt sharing the merchant's
reference across providers, read through the store's reference index."""

from __future__ import annotations

from .charts import ChartSet
from .errors import UnknownChartError
from .exit import EXIT_FINDINGS, EXIT_OK, UsageError
from .ledger import refine
from .orders import CanonicalOf, Order, order_of
from .record import ObjectRecord
from .stores.base import Store


def canonical_of(charts: ChartSet) -> CanonicalOf:
    """An object's canonical status, ``?`` for a chart no longer loaded."""
    def canonical(record: ObjectRecord) -> str:
        try:
            chart = charts.named(record.chart)
        except UnknownChartError:
            return "?"
        state = chart.canonical.get(record.state)
        return "?" if state is None else refine(state, record.ledger).value
    return canonical


def find_order(store: Store, charts: ChartSet, reference: str) -> Order | None:
    """The order with ``reference`` (``UsageError`` for an empty one)."""
    if not reference.strip():
        raise UsageError("--order wants the merchant's reference, got an empty one")
    providers = {chart.spec.provider for chart in charts}
    return order_of(store, providers, reference, canonical_of(charts))


def order_text(order: Order) -> str:
    """Anomalies first, then status, totals and every attempt with its children."""
    lines = [f"order {order.reference}: "
             + (f"ANOMALIES {', '.join(order.anomalies)}; " if order.anomalies else "")
             + f"status {order.status}"]
    lines += [f"  {t.currency}: {t.describe()}" for t in order.totals]
    for attempt in order.attempts:
        record = attempt.record
        lines.append(f"  {attempt.provider} {record.object_kind} {record.object_id}  "
                     f"{record.state} «{attempt.canonical}»  {record.ledger.describe()}"
                     + (f"  refused: {attempt.refused}" if attempt.refused else ""))
        lines += [f"    └ {child.object_kind} {child.object_id}  {child.state} «{canonical}»"
                  for child, canonical in attempt.children]
    return "\n".join(lines) + "\n"


def order_status(order: Order | None) -> int:
    """Exit status: an order with anomalies, or none, is a finding."""
    return EXIT_FINDINGS if order is None or order.anomalies else EXIT_OK
