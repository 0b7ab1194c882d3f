"""A SQLite batch's write-back cache: what one thread's batch knows of the store.

Inside a transaction of a batch the thread holds the write lock, so no other connection
changes the file: the records and claims this batch read or wrote are exact, and a decision
can be checked (versions, claim) against them in memory and staged instead of written at
once. Staged rows are written with one ``executemany`` per table when the transaction ends
(or before a read that SQL answers: children, history, the journal), so a decision costs one
read and no savepoint; a crash before the ``COMMIT`` loses only what was never committed, and
the re-fed input is decided again.

Between transactions another connection may commit: ``PRAGMA data_version`` (unchanged by
this connection's own commits) says whether one did, and the cache is dropped if so. Sizes
are capped, so the cache does not grow with the number of inputs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ..errors import VersionConflictError
from ..record import ObjectRecord
from . import _rows
from .base import BatchBounds

RECORDS_KEPT = 8_192
"""Records kept between transactions at most (each a few hundred bytes to a few KiB)."""
CLAIMS_KEPT = 8_192
"""Claims known taken or free kept between transactions at most (~100 B each)."""
_PRESENT = "SELECT 1 FROM journal WHERE claim=?"
_CHILD_KEYS = "SELECT key FROM objects WHERE parent=?"
_REFERENCED_KEYS = "SELECT key FROM objects WHERE reference=? AND key >= ? AND key < ?"


class Batch:
    """One thread's batch: its bounds, cached reads, and the writes staged for its open
    transaction (``rows`` for the journal, ``dirty`` the newest record of each key)."""

    __slots__ = ("bounds", "data_version", "dirty", "free", "head", "parents", "records",
                 "references", "rows", "taken")

    def __init__(self, bounds: BatchBounds) -> None:
        self.bounds = bounds
        self.records: dict[str, ObjectRecord | None] = {}
        """Key → its current record (``None``: no such object), staged writes included."""
        self.dirty: dict[str, ObjectRecord] = {}
        self.parents: dict[str, set[str]] = {}
        """Parent key → keys of dirty records that named it (some may have moved since)."""
        self.references: dict[str, set[str]] = {}
        """Merchant reference → keys of dirty records that kept it."""
        self.rows: list[tuple[Any, ...]] = []
        self.taken: set[str] = set()
        """Claims known to be in the journal (committed or staged)."""
        self.free: set[str] = set()
        """Claims known not to be in the journal."""
        self.head: tuple[int, str] | None = None
        """(seq, chain in hex) of the journal's last entry, staged ones included."""
        self.data_version: int | None = None

    # -- what the cache knows ---------------------------------------------------------------

    def check_current(self, db: sqlite3.Connection) -> None:
        """Drop every cached read when another connection committed since the last check
        (called with nothing staged: at a transaction's start, or between transactions)."""
        version = int(db.execute("PRAGMA data_version").fetchone()[0])
        if version != self.data_version:
            self.records.clear()
            self.taken.clear()
            self.free.clear()
            self.head = None
            self.data_version = version

    def record(self, db: sqlite3.Connection, key: str) -> ObjectRecord | None:
        if key in self.records:
            return self.records[key]
        row = db.execute(_rows.SELECT_BY_KEY, (key,)).fetchone()
        found = self.records[key] = None if row is None else _rows.record_at(row)
        return found

    def is_taken(self, db: sqlite3.Connection, claim: str) -> bool:
        if claim in self.taken:
            return True
        if claim in self.free:
            return False
        taken = db.execute(_PRESENT, (claim,)).fetchone() is not None
        (self.taken if taken else self.free).add(claim)
        return taken

    def load(self, db: sqlite3.Connection, claim: str | None,
             key: str) -> tuple[bool, ObjectRecord | None]:
        """Whether ``claim`` is taken and the record of ``key``: one query at most."""
        if key in self.records:
            return claim is not None and self.is_taken(db, claim), self.records[key]
        if claim is not None and claim in self.taken:
            return True, self.record(db, key)
        row = db.execute(_rows.LOAD, (claim, key)).fetchone()
        record = self.records[key] = None if row[1] is None else _rows.record_at(row, 1)
        if claim is not None:
            (self.taken if row[0] else self.free).add(claim)
        return bool(row[0]), record

    def children(self, db: sqlite3.Connection, parent: str) -> list[ObjectRecord]:
        """The stored children's keys less those a staged record moved away, plus the staged
        ones; each record from the cache where it has it."""
        dirty = self.dirty
        keys = {row[0] for row in db.execute(_CHILD_KEYS, (parent,))
                if row[0] not in dirty}
        keys.update(k for k in self.parents.get(parent, ()) if dirty[k].parent == parent)
        return self._records(db, sorted(keys))

    def by_reference(self, db: sqlite3.Connection, provider: str,
                     reference: str) -> list[ObjectRecord]:
        """As ``children``, by the merchant's reference, in key order."""
        dirty, prefix = self.dirty, provider + "/"
        keys = {row[0] for row in db.execute(_REFERENCED_KEYS,
                                             (reference, prefix, provider + "0"))
                if row[0] not in dirty}
        keys.update(k for k in self.references.get(reference, ())
                    if dirty[k].reference == reference and k.startswith(prefix))
        return self._records(db, sorted(keys))

    def _records(self, db: sqlite3.Connection, keys: list[str]) -> list[ObjectRecord]:
        found = [self.record(db, key) for key in keys]
        return [record for record in found if record is not None]

    # -- one decision -------------------------------------------------------------------------

    def check(self, db: sqlite3.Connection, records: Sequence[ObjectRecord],
              reads: Sequence[tuple[str, int]]) -> None:
        """``VersionConflictError`` unless every read is unchanged and every record follows
        the stored version (in order: a second write of one key follows the first)."""
        for key, version in reads:
            read = self.record(db, key)
            if (0 if read is None else read.version) != version:
                raise VersionConflictError(key, version, None if read is None else read.version)
        written: dict[str, int] = {}
        for record in records:
            if record.key in written:
                found: int | None = written[record.key]
            else:
                current = self.record(db, record.key)
                found = None if current is None else current.version
            if (found or 0) != record.version - 1:
                raise VersionConflictError(record.key, record.version - 1, found)
            written[record.key] = record.version

    def stage(self, row: tuple[Any, ...], claim: str | None, head: tuple[int, str],
              records: Sequence[ObjectRecord]) -> None:
        """The checked decision, written at the next flush (nothing here can fail)."""
        self.rows.append(row)
        for record in records:
            self.records[record.key] = self.dirty[record.key] = record
            if record.parent is not None:
                self.parents.setdefault(record.parent, set()).add(record.key)
            if record.reference is not None:
                self.references.setdefault(record.reference, set()).add(record.key)
        if claim is not None:
            self.free.discard(claim)
            self.taken.add(claim)
        self.head = head

    # -- writing ------------------------------------------------------------------------------

    def flush_objects(self, db: sqlite3.Connection) -> None:
        if self.dirty:
            db.executemany(_rows.UPSERT_OBJECT,
                           [_rows.object_values(r) for r in self.dirty.values()])
            self.dirty.clear()
            self.parents.clear()
            self.references.clear()

    def flush(self, db: sqlite3.Connection, insert: str) -> None:
        """Write what is staged into the open transaction."""
        self.flush_objects(db)
        if self.rows:
            db.executemany(insert, self.rows)
            self.rows.clear()

    def committed(self) -> None:
        """The transaction committed: keep what is cached within its caps."""
        if len(self.records) > RECORDS_KEPT:
            self.records.clear()
        if len(self.taken) + len(self.free) > CLAIMS_KEPT:
            self.taken.clear()
            self.free.clear()

    def discard(self) -> None:
        """The transaction rolled back: nothing staged or read in it holds any more."""
        self.rows.clear()
        self.dirty.clear()
        self.parents.clear()
        self.references.clear()
        self.records.clear()
        self.taken.clear()
        self.free.clear()
        self.head = None
        self.data_version = None

