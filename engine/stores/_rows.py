"""SQLite schema, its migration, and the row ↔ value conversions of the SQLite store."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from ..decision import Decision
from ..errors import StoreError
from ..event import Event
from ..journal import JournalEntry
from ..ledger import Ledger
from ..record import ChildEffect, ObjectRecord
from ..serialize import from_json, to_json

SCHEMA_VERSION = 3

_OBJECTS = """
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
    deferred TEXT,
    visited INTEGER NOT NULL DEFAULT 0,
    pending TEXT,
    unlinked TEXT,
    placeholder INTEGER NOT NULL DEFAULT 0,
    reference TEXT
);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects(parent) WHERE parent IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_by_reference ON objects(reference)
    WHERE reference IS NOT NULL;
"""
_JOURNAL = """
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY,
    claimed_object TEXT,
    claimed_key TEXT,
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
    options TEXT,
    UNIQUE (claimed_object, claimed_key)
);
"""
_SCHEMA = ("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
           + _OBJECTS + _JOURNAL)
_JOURNAL_V1_COLUMNS = ("seq, claimed_key, line, received_at, channel, outcome, provider, "
                       "object_kind, object_id, event, decision, payload, payload_sha256, "
                       "headers, options")
_MIGRATE_V1 = f"""
ALTER TABLE objects ADD COLUMN visited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN pending TEXT;
ALTER TABLE objects ADD COLUMN unlinked TEXT;
ALTER TABLE objects ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal RENAME TO journal_v1;
{_JOURNAL}
INSERT INTO journal (claimed_object, {_JOURNAL_V1_COLUMNS})
    SELECT CASE WHEN claimed_key IS NULL THEN NULL
                ELSE provider || '/' || object_kind || '/' || object_id END,
           {_JOURNAL_V1_COLUMNS} FROM journal_v1;
DROP TABLE journal_v1;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
"""  # noqa: S608 - constant text, no input
_MIGRATE_REFERENCE = """
ALTER TABLE objects ADD COLUMN reference TEXT;
CREATE INDEX IF NOT EXISTS objects_by_reference ON objects(reference)
    WHERE reference IS NOT NULL;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
"""
"""The merchant's order reference on objects (orders): existing objects keep none until an
input carries it again."""
_MIGRATIONS = {1: _MIGRATE_V1, 2: _MIGRATE_REFERENCE}
"""Schema version → the script that takes it one version up."""

_COLUMNS = ("key, chart, object_id, state, version, currency, authorized, captured, refunded, "
            "charged_back, parent, sequence, remembered, skipped, deferred, visited, pending, "
            "unlinked, placeholder, reference")
SELECT_OBJECTS = f"SELECT {_COLUMNS} FROM objects"  # noqa: S608 - constant columns
LOAD = ("SELECT EXISTS(SELECT 1 FROM journal WHERE claimed_object=? AND claimed_key=?) "
        "AS claimed, o.* FROM (SELECT ? AS wanted) LEFT JOIN objects o ON o.key = wanted")
INSERT_OBJECT = f"INSERT INTO objects ({_COLUMNS}) VALUES ({','.join('?' * 20)})"  # noqa: S608
UPDATE_OBJECT = ("UPDATE objects SET chart=?, object_id=?, state=?, version=?, currency=?, "
                 "authorized=?, captured=?, refunded=?, charged_back=?, parent=?, sequence=?, "
                 "remembered=?, skipped=?, deferred=?, visited=?, pending=?, unlinked=?, "
                 "placeholder=?, reference=? WHERE key=? AND version=?")
INSERT_JOURNAL = ("INSERT INTO journal (claimed_object, claimed_key, line, received_at, channel, "
                  "outcome, provider, object_kind, object_id, event, decision, payload, "
                  "payload_sha256, headers, options) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""One encoder for every row: ``json.dumps`` with options builds a new one per call."""


def ensure_schema(db: sqlite3.Connection, *, read_only: bool, path: str) -> None:
    """Create or migrate the schema, writing only when something is missing (opening an
    up-to-date store takes no write lock, so it never waits behind a running batch)."""
    version = _schema_version(db)
    if version == SCHEMA_VERSION:
        return
    if read_only:
        raise StoreError(f"{path}: schema version {version}, expected {SCHEMA_VERSION}; "
                         "open it once for writing to create or migrate it")
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _schema_version(db)
        if version is None:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                       (str(SCHEMA_VERSION),))
        elif version != SCHEMA_VERSION and version not in _MIGRATIONS:
            raise StoreError(f"{path}: unknown schema version {version}")
        while version is not None and version < SCHEMA_VERSION:
            for statement in _MIGRATIONS[version].split(";\n"):
                if statement.strip():
                    db.execute(statement)
            version = _schema_version(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _schema_version(db: sqlite3.Connection) -> int | None:
    try:
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.OperationalError:  # no meta table yet
        return None
    return None if row is None else int(row[0])


def _effects(text: str | None) -> tuple[ChildEffect, ...]:
    return tuple(ChildEffect(*item) for item in json.loads(text)) if text else ()


def _effects_json(effects: tuple[ChildEffect, ...]) -> str | None:
    return _dumps([[e.child, e.chart, e.edge, e.amount, e.currency]
                   for e in effects]) if effects else None


def record(row: sqlite3.Row) -> ObjectRecord:
    remembered = tuple(json.loads(row["remembered"]).items()) if row["remembered"] else ()
    ledger = Ledger(row["currency"], row["authorized"], row["captured"], row["refunded"],
                    row["charged_back"])
    skipped = tuple(json.loads(row["skipped"])) if row["skipped"] else ()
    deferred = tuple((index, amount) for index, amount in json.loads(row["deferred"] or "[]"))
    return ObjectRecord(key=row["key"], chart=row["chart"], state=row["state"],
                        version=row["version"], ledger=ledger, parent=row["parent"],
                        sequence=row["sequence"], remembered=remembered, skipped=skipped,
                        deferred=deferred, visited=row["visited"],
                        pending=_effects(row["pending"]), unlinked=_effects(row["unlinked"]),
                        placeholder=bool(row["placeholder"]), reference=row["reference"])


def object_values(r: ObjectRecord) -> tuple[Any, ...]:
    ledger = r.ledger
    return (r.key, r.chart, r.object_id, r.state, r.version, ledger.currency, ledger.authorized,
            ledger.captured, ledger.refunded, ledger.charged_back, r.parent, r.sequence,
            _dumps(dict(r.remembered)) if r.remembered else None,
            _dumps(r.skipped) if r.skipped else None,
            _dumps(r.deferred) if r.deferred else None, r.visited,
            _effects_json(r.pending), _effects_json(r.unlinked), int(r.placeholder),
            r.reference)


def journal_values(entry: JournalEntry) -> tuple[Any, ...]:
    decision = entry.decision
    claimed_object = (entry.event.key if entry.claimed_key is not None and entry.event
                      else None)
    if entry.claimed_key is not None and claimed_object is None:
        raise StoreError("a claimed dedupe key needs the event it belongs to")
    return (claimed_object, entry.claimed_key, entry.line,
            entry.received_at.isoformat() if entry.received_at else None,
            entry.channel, decision.outcome.value, decision.provider,
            decision.object_kind, decision.object_id,
            _dumps(to_json(entry.event)) if entry.event is not None else None,
            _dumps(to_json(decision)), entry.payload, entry.payload_sha256,
            _dumps(entry.headers) if entry.headers else None,
            _dumps(entry.options) if entry.options else None)


def entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        decision=from_json(json.loads(row["decision"]), Decision),
        event=from_json(json.loads(row["event"]), Event) if row["event"] else None,
        claimed_key=row["claimed_key"],
        received_at=(datetime.fromisoformat(row["received_at"])
                     if row["received_at"] else None), line=row["line"],
        channel=row["channel"], payload=row["payload"],
        payload_sha256=row["payload_sha256"],
        headers=tuple(tuple(pair) for pair in json.loads(row["headers"] or "[]")),
        options=tuple(json.loads(row["options"] or "[]")), seq=row["seq"])
