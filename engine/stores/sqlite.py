"""SQLite store: the embedded default, one file, WAL, durable commit per decision.

The journal row and the object rows are written in one transaction. Optimistic concurrency is
an ``UPDATE … WHERE version = ?`` that must touch one row (or an ``INSERT`` that must not find
the key); the dedupe key is a ``UNIQUE`` column of the journal, left ``NULL`` by decisions that
do not claim their key. Several processes may share the file: writers serialize on SQLite's
write lock (``BEGIN IMMEDIATE`` with a busy timeout) and never double-apply.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..decision import Decision
from ..errors import DuplicateKeyError, StoreError, VersionConflictError
from ..event import Event
from ..journal import JournalEntry
from ..ledger import Ledger
from ..record import ObjectRecord
from ..serialize import from_json, to_json

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    chart TEXT NOT NULL,
    object_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    currency TEXT,
    authorized INTEGER NOT NULL,
    captured INTEGER NOT NULL,
    refunded INTEGER NOT NULL,
    charged_back INTEGER NOT NULL,
    parent TEXT,
    sequence INTEGER,
    remembered TEXT,
    skipped TEXT,
    deferred TEXT
);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects(parent) WHERE parent IS NOT NULL;
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    claimed_key TEXT UNIQUE,
    line INTEGER,
    received_at TEXT,
    channel TEXT,
    outcome TEXT NOT NULL,
    provider TEXT,
    object_kind TEXT,
    object_id TEXT,
    event TEXT,
    decision TEXT NOT NULL,
    payload TEXT,
    payload_sha256 TEXT,
    headers TEXT,
    options TEXT
);
"""

_SELECT_OBJECTS = ("SELECT key, chart, object_id, state, version, currency, authorized, "
                   "captured, refunded, charged_back, parent, sequence, remembered, skipped, "
                   "deferred FROM objects")
_LOAD = ("SELECT EXISTS(SELECT 1 FROM journal WHERE claimed_key=?) AS claimed, o.* "
         "FROM (SELECT ? AS wanted) LEFT JOIN objects o ON o.key = wanted")
_INSERT_OBJECT = ("INSERT INTO objects (key, chart, object_id, state, version, currency, "
                  "authorized, captured, refunded, charged_back, parent, sequence, remembered, "
                  "skipped, deferred) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_UPDATE_OBJECT = ("UPDATE objects SET state=?, version=?, parent=?, currency=?, authorized=?, "
                  "captured=?, "
                  "refunded=?, charged_back=?, sequence=?, remembered=?, skipped=?, deferred=? "
                  "WHERE key=? AND version=?")
_INSERT_JOURNAL = ("INSERT INTO journal (claimed_key, line, received_at, channel, outcome, "
                   "provider, object_kind, object_id, event, decision, payload, payload_sha256, "
                   "headers, options) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""One encoder for every row: ``json.dumps`` with options builds a new one per call."""


def _record(row: sqlite3.Row) -> ObjectRecord:
    remembered = tuple(json.loads(row["remembered"]).items()) if row["remembered"] else ()
    ledger = Ledger(row["currency"], row["authorized"], row["captured"], row["refunded"],
                    row["charged_back"])
    skipped = tuple(json.loads(row["skipped"])) if row["skipped"] else ()
    deferred = tuple((index, amount) for index, amount in json.loads(row["deferred"] or "[]"))
    return ObjectRecord(row["key"], row["chart"], row["state"],
                        row["version"], ledger, row["parent"], row["sequence"], remembered,
                        skipped, deferred)


class SQLiteStore:
    """A paychart store in one SQLite file (``:memory:`` works for tests)."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0,
                                   check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a decision the provider was told about (HTTP 200) survives a power cut.
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.executescript(_SCHEMA)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                         (str(SCHEMA_VERSION),))
        self._in_batch = False

    # -- reads ----------------------------------------------------------------------------------

    def get(self, key: str) -> ObjectRecord | None:
        row = self._db.execute(_SELECT_OBJECTS + " WHERE key=?",
                               (key,)).fetchone()
        return None if row is None else _record(row)

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        return self._db.execute("SELECT 1 FROM journal WHERE claimed_key=?",
                                (dedupe_key,)).fetchone() is not None

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        row = self._db.execute(_LOAD, (dedupe_key, object_key)).fetchone()
        return bool(row["claimed"]), None if row["key"] is None else _record(row)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        rows = self._db.execute(_SELECT_OBJECTS + " WHERE parent=?",
                                (parent_key,))
        return [_record(row) for row in rows]

    def journal(self) -> Iterator[JournalEntry]:
        rows = self._db.execute("SELECT * FROM journal ORDER BY seq")
        for row in rows:
            yield JournalEntry(
                decision=from_json(json.loads(row["decision"]), Decision),
                event=from_json(json.loads(row["event"]), Event) if row["event"] else None,
                claimed_key=row["claimed_key"],
                received_at=(datetime.fromisoformat(row["received_at"])
                             if row["received_at"] else None), line=row["line"],
                channel=row["channel"], payload=row["payload"],
                payload_sha256=row["payload_sha256"],
                headers=tuple(tuple(pair) for pair in json.loads(row["headers"] or "[]")),
                options=tuple(json.loads(row["options"] or "[]")), seq=row["seq"])

    def objects(self) -> Iterator[ObjectRecord]:
        rows = self._db.execute(_SELECT_OBJECTS + " ORDER BY key")
        return (_record(row) for row in rows)

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord]) -> int:
        db = self._db
        if self._in_batch:
            db.execute("SAVEPOINT decision")
        else:
            db.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                self._write(record)
            seq = self._append(entry)
        except BaseException:
            if self._in_batch:
                db.execute("ROLLBACK TO decision")
                db.execute("RELEASE decision")
            else:
                db.execute("ROLLBACK")
            raise
        db.execute("RELEASE decision" if self._in_batch else "COMMIT")
        return seq

    def _write(self, record: ObjectRecord) -> None:
        ledger = record.ledger
        remembered = _dumps(dict(record.remembered)) if record.remembered else None
        skipped = _dumps(record.skipped) if record.skipped else None
        deferred = _dumps(record.deferred) if record.deferred else None
        if record.version == 1:
            try:
                self._db.execute(_INSERT_OBJECT, (
                    record.key, record.chart, record.object_id, record.state, record.version,
                    ledger.currency, ledger.authorized, ledger.captured, ledger.refunded,
                    ledger.charged_back, record.parent, record.sequence, remembered, skipped,
                    deferred))
            except sqlite3.IntegrityError:
                raise VersionConflictError(record.key, 0, self._version(record.key)) from None
            return
        cursor = self._db.execute(_UPDATE_OBJECT, (
            record.state, record.version, record.parent, ledger.currency, ledger.authorized,
            ledger.captured,
            ledger.refunded, ledger.charged_back, record.sequence, remembered, skipped,
            deferred, record.key, record.version - 1))
        if cursor.rowcount != 1:
            raise VersionConflictError(record.key, record.version - 1, self._version(record.key))

    def _version(self, key: str) -> int | None:
        row = self._db.execute("SELECT version FROM objects WHERE key=?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _append(self, entry: JournalEntry) -> int:
        decision = entry.decision
        try:
            cursor = self._db.execute(_INSERT_JOURNAL, (
                entry.claimed_key, entry.line,
                entry.received_at.isoformat() if entry.received_at else None,
                entry.channel, decision.outcome.value, decision.provider,
                decision.object_kind, decision.object_id,
                _dumps(to_json(entry.event)) if entry.event is not None else None,
                _dumps(to_json(decision)), entry.payload, entry.payload_sha256,
                _dumps(entry.headers) if entry.headers else None,
                _dumps(entry.options) if entry.options else None))
        except sqlite3.IntegrityError:
            if entry.claimed_key is not None:
                raise DuplicateKeyError(entry.claimed_key) from None
            raise
        if cursor.lastrowid is None:  # pragma: no cover - sqlite always sets it on INSERT
            raise StoreError("journal insert returned no row id")
        return cursor.lastrowid

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many decisions, one durable transaction (each still atomic via a savepoint)."""
        if self._in_batch:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._in_batch = True
        try:
            yield
        except BaseException:
            self._in_batch = False
            self._db.execute("ROLLBACK")
            raise
        self._in_batch = False
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
