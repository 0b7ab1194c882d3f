"""Replay: check the journal's hash chain, decide every journaled event again from scratch and
compare with what is stored.

This is how a store proves it: the chain shows every entry is the one appended (none edited,
inserted, reordered or deleted, payloads matching their digests), every entry's cells read
back as an entry and agree with it, its dedupe claim is the one deciding it again makes, and
the journal alone reproduces every object's state, ledger and version (placeholders of
parents not seen yet included) and every decision's outcome and target state. Replay only
reads the store it checks: open it with ``read_only=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs

from .chain import ChainReport, Finding, StoredEntry, verify_chain
from .charts import ChartSet
from .decision import Outcome
from .errors import StoreError
from .journal import (
    JOURNAL_COLUMNS,
    JournalEntry,
    UnreadableEntryError,
    entry_from_cells,
    journal_cells,
)
from .orchestrator import Orchestrator
from .record import ObjectRecord
from .stores.base import Store
from .stores.memory import MemoryStore


@attrs.frozen
class ReplayReport:
    """How many entries were replayed and every finding (empty when all agree), in seq order
    (store-wide findings last); ``head`` is the journal's last seq and chain as recomputed."""

    entries: int
    replayed: int
    objects: int
    findings: tuple[Finding, ...]
    head: tuple[int, str] | None = None
    chained_from: int | None = None
    """First seq chained at append (earlier ones were chained at migration); ``None``: the
    store keeps no chain."""

    @property
    def differences(self) -> tuple[str, ...]:
        return tuple(str(finding) for finding in self.findings)

    @property
    def first_broken(self) -> int | None:
        """The seq of the first entry found wrong, if any."""
        return next((f.seq for f in self.findings if f.seq is not None), None)

    @property
    def ok(self) -> bool:
        return not self.findings


class _Recording(MemoryStore):
    """A memory store that remembers the entry of its last commit (to compare claims)."""

    last: JournalEntry | None = None

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        seq = super().commit(entry, records, reads)
        self.last = entry
        return seq


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


def _read(stored: StoredEntry, findings: list[Finding]) -> JournalEntry | None:
    """The entry of ``stored``; a finding instead when a cell does not read back, or when the
    cells are not what the entry serializes to (an index cell edited, or text rewritten in a
    form that reads the same)."""
    try:
        entry = entry_from_cells(stored.cells, stored.chain)
    except UnreadableEntryError as exc:
        findings.append(Finding(exc.seq, "entry", f"the {exc.column} cell {exc.problem}"))
        return None
    try:
        again = journal_cells(entry, entry.seq)
    except StoreError as exc:
        findings.append(Finding(entry.seq, "entry", str(exc)))
        return None
    differ = [column for column, a, b in zip(JOURNAL_COLUMNS, stored.cells, again, strict=True)
              if a != b]
    if differ:
        findings.append(Finding(entry.seq, "entry", f"the {', '.join(differ)} cell(s) do not "
                                                    "agree with the entry's event and decision"))
    return entry


def _stored(store: Store, head: str | None,
            findings: list[Finding]) -> tuple[Iterator[JournalEntry | None], ChainReport | None,
                                              int | None]:
    """The entries to replay, after checking the chain when the store keeps one."""
    stored_journal: Callable[[], Iterable[StoredEntry]] | None = getattr(
        store, "stored_journal", None)
    if stored_journal is None:
        return iter(store.journal()), None, None
    chained_from: int | None = getattr(store, "chained_from", lambda: None)()
    rows = list(stored_journal())
    report = None
    if chained_from is None:
        findings.append(Finding(None, "chain", "the store is not chained (schema v3 opened "
                                               "read-only): open it once for writing to "
                                               "migrate and chain it"))
    else:
        report = verify_chain(rows, head=head)
        findings.extend(report.findings)
    return (_read(row, findings) for row in rows), report, chained_from


def _claims(store: Store, claimed: set[tuple[str, str]]) -> list[Finding]:
    """A store with a claims table of its own must hold exactly the journal's claims."""
    claims: Callable[[], Iterable[tuple[str, str]]] | None = getattr(store, "claims", None)
    if claims is None:
        return []
    table = set(claims())
    found = []
    if table - claimed:
        found.append(Finding(None, "claims", f"{len(table - claimed)} dedupe claims are in "
                                             "the claims table but no journal entry claims "
                                             "them"))
    if claimed - table:
        found.append(Finding(None, "claims", f"{len(claimed - table)} journal claims are "
                                             "missing from the claims table"))
    return found


def _claim_finding(entry: JournalEntry, again: JournalEntry | None) -> Finding | None:
    stored, decided = entry.claimed_key, again.claimed_key if again is not None else None
    if stored == decided:
        return None
    if decided is None:
        why = "the entry claims a dedupe key that deciding it again does not claim"
    elif stored is None:
        why = "the entry claims no dedupe key, deciding it again claims one (a cleared claim)"
    else:
        why = "the entry claims another dedupe key than deciding it again claims"
    return Finding(entry.seq, "claims", why)


def replay(store: Store, charts: ChartSet, *, head: str | None = None) -> ReplayReport:
    """Check the chain of ``store`` (against ``head``, a chain recorded earlier, if given),
    re-decide its journal into a fresh memory store and compare."""
    fresh = _Recording()
    engines: dict[tuple[str, ...], Orchestrator] = {}
    findings: list[Finding] = []
    entries = replayed = 0
    journal, chain, chained_from = _stored(store, head, findings)
    claimed: set[tuple[str, str]] = set()
    for entry in journal:
        entries += 1
        if entry is None:
            continue
        if entry.claimed_key is not None and entry.event is not None:
            claimed.add((entry.event.key, entry.claimed_key))
        if entry.event is None:
            if entry.decision.outcome is not Outcome.INVALID:
                findings.append(Finding(entry.seq, "entry", f"a {entry.decision.outcome.value} "
                                        "entry without its event (only invalid inputs are "
                                        "journaled without one)"))
            continue
        engine = engines.get(entry.options)
        if engine is None:
            engine = engines[entry.options] = Orchestrator(charts, fresh, options=entry.options)
        fresh.last = None
        decision = engine.apply(entry.event, line=entry.line)
        replayed += 1
        claim = _claim_finding(entry, fresh.last)
        if claim is not None:
            findings.append(claim)
        recorded = entry.decision
        if (decision.outcome, decision.to_state) != (recorded.outcome, recorded.to_state):
            findings.append(Finding(
                entry.seq, "replay",
                f"{entry.event.key}: recorded {recorded.outcome.value} → "
                f"{recorded.to_state}, replay {decision.outcome.value} → {decision.to_state}"))
    findings += _claims(store, claimed)
    stored = {record.key: record for record in store.objects(placeholders=True)}
    rebuilt = {record.key: record for record in fresh.objects(placeholders=True)}
    for key in sorted(stored.keys() | rebuilt.keys()):
        findings += [Finding(None, "objects", text)
                     for text in _compare(stored.get(key), rebuilt.get(key), key)]
    findings.sort(key=lambda f: (f.seq is None, f.seq or 0))
    return ReplayReport(entries, replayed, len(stored), tuple(findings),
                        chain.head if chain is not None else None, chained_from)
