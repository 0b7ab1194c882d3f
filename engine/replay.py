"""Replay: decide every journaled event again from scratch and compare with what is stored.

This is how a store proves it: the journal alone must reproduce every object's state, ledger
and version (placeholders of parents not seen yet included), and every decision's outcome and
target state. Replay only reads the store it checks: open it with ``read_only=True``.
"""

from __future__ import annotations

import attrs

from .charts import ChartSet
from .orchestrator import Orchestrator
from .record import ObjectRecord
from .stores.base import Store
from .stores.memory import MemoryStore


@attrs.frozen
class ReplayReport:
    """How many entries were replayed and every difference found (empty when all agree)."""

    entries: int
    replayed: int
    objects: int
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def _compare(stored: ObjectRecord | None, rebuilt: ObjectRecord | None, key: str) -> list[str]:
    if stored is None:
        return [f"{key}: the journal builds it but the store does not have it"]
    if rebuilt is None:
        return [f"{key}: the store has it but the journal does not build it"]
    found = []
    for field in ("state", "ledger", "version", "parent", "sequence", "remembered",
                  "skipped", "deferred", "visited", "pending", "unlinked", "placeholder"):
        a, b = getattr(stored, field), getattr(rebuilt, field)
        if a != b:
            found.append(f"{key}: {field} stored {a!r}, replay gives {b!r}")
    return found


def replay(store: Store, charts: ChartSet) -> ReplayReport:
    """Re-decide the journal of ``store`` into a fresh memory store and compare."""
    fresh = MemoryStore()
    engines: dict[tuple[str, ...], Orchestrator] = {}
    differences: list[str] = []
    entries = replayed = 0
    for entry in store.journal():
        entries += 1
        if entry.event is None:
            continue
        engine = engines.get(entry.options)
        if engine is None:
            engine = engines[entry.options] = Orchestrator(charts, fresh, options=entry.options)
        decision = engine.apply(entry.event, line=entry.line)
        replayed += 1
        recorded = entry.decision
        if (decision.outcome, decision.to_state) != (recorded.outcome, recorded.to_state):
            differences.append(
                f"journal #{entry.seq} ({entry.event.key}): recorded {recorded.outcome.value} "
                f"→ {recorded.to_state}, replay {decision.outcome.value} → {decision.to_state}")
    stored = {record.key: record for record in store.objects(placeholders=True)}
    rebuilt = {record.key: record for record in fresh.objects(placeholders=True)}
    for key in sorted(stored.keys() | rebuilt.keys()):
        differences += _compare(stored.get(key), rebuilt.get(key), key)
    return ReplayReport(entries, replayed, len(stored), tuple(differences))
