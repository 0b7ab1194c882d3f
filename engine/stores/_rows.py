"""SQLite schema, its migration, and the row ↔ value conversions of the SQLite store."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from ..chain import GENESIS, link_cells
from ..errors import StoreError
from ..journal import JOURNAL_COLUMNS, JournalEntry, entry_from_cells
from ..ledger import Ledger
from ..record import ChildEffect, ObjectRecord
from . import _sqlite_journal

SCHEMA_VERSION = 5
UNCHAINED_VERSION = 3
"""The last schema without the journal's hash chain: readable, reported as not chained."""
READABLE_VERSIONS = frozenset({UNCHAINED_VERSION, 4, SCHEMA_VERSION})
"""Versions a read-only open reads as they are (v4: wide rows only, no claim column)."""

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
_JOURNAL_V2 = """
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
_JOURNAL = _JOURNAL_V2.replace("    options TEXT,\n", "    options TEXT,\n    chain TEXT,\n")
"""v4: ``chain``, the entry's link in the journal's hash chain (``paychart.chain``)."""
_JOURNAL_V5 = (_JOURNAL.replace("    UNIQUE (claimed_object, claimed_key)\n",
                                "    claim TEXT,\n    dictionary INTEGER,\n    packed TEXT\n")
               .replace("decision TEXT NOT NULL", "decision TEXT"))
"""v5 (``_sqlite_journal``): rows appended from v5 on leave the wide cells NULL and keep
``packed``, ``dictionary`` and ``claim`` (unique, indexed), the chain in base64."""
_SCHEMA = ("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
           + _OBJECTS + _JOURNAL_V5 + ";" + _sqlite_journal.DICTIONARIES + ";"
           + _sqlite_journal.CLAIM_INDEX)
_JOURNAL_V1_COLUMNS = ("seq, claimed_key, line, received_at, channel, outcome, provider, "
                       "object_kind, object_id, event, decision, payload, payload_sha256, "
                       "headers, options")
_MIGRATE_V1 = f"""
ALTER TABLE objects ADD COLUMN visited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE objects ADD COLUMN pending TEXT;
ALTER TABLE objects ADD COLUMN unlinked TEXT;
ALTER TABLE objects ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0;
ALTER TABLE journal RENAME TO journal_v1;
{_JOURNAL_V2}
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
"""v3: the merchant's order reference on objects (orders): existing objects keep none until
an input carries it again."""

_COLUMNS = ("key, chart, object_id, state, version, currency, authorized, captured, refunded, "
            "charged_back, parent, sequence, remembered, skipped, deferred, visited, pending, "
            "unlinked, placeholder, reference")
SELECT_OBJECTS = f"SELECT {_COLUMNS} FROM objects"  # noqa: S608 - constant columns
SELECT_BY_KEY = SELECT_OBJECTS + " WHERE key=?"
UPSERT_OBJECT = (f"INSERT INTO objects ({_COLUMNS}) VALUES ({','.join('?' * 20)}) "  # noqa: S608
                 "ON CONFLICT(key) DO UPDATE SET "
                 + ", ".join(f"{c}=excluded.{c}" for c in _COLUMNS.split(", ")[1:]))
"""A batch's staged records, checked against the versions already: new or not, one statement."""
LOAD = ("SELECT EXISTS(SELECT 1 FROM journal WHERE claim=?) AS claimed, "  # noqa: S608
        + ", ".join(f"o.{c}" for c in _COLUMNS.split(", "))
        + " FROM (SELECT ? AS wanted) LEFT JOIN objects o ON o.key = wanted")
"""The claim and the object in one query: the columns as ``SELECT_OBJECTS`` names them from
the second on (``record_at(row, 1)``)."""
INSERT_OBJECT = f"INSERT INTO objects ({_COLUMNS}) VALUES ({','.join('?' * 20)})"  # noqa: S608
UPDATE_OBJECT = ("UPDATE objects SET chart=?, object_id=?, state=?, version=?, currency=?, "
                 "authorized=?, captured=?, refunded=?, charged_back=?, parent=?, sequence=?, "
                 "remembered=?, skipped=?, deferred=?, visited=?, pending=?, unlinked=?, "
                 "placeholder=?, reference=? WHERE key=? AND version=?")
INSERT_JOURNAL = (f"INSERT INTO journal ({', '.join(JOURNAL_COLUMNS)}, chain) "  # noqa: S608
                  f"VALUES ({','.join('?' * (len(JOURNAL_COLUMNS) + 1))})")
"""The wide row of schema v4 (and of PostgreSQL, whose rows stay wide)."""
HEAD = "SELECT seq, chain FROM journal ORDER BY seq DESC LIMIT 1"
CHAINED_THROUGH = "SELECT value FROM meta WHERE key='chain_migrated_through'"
"""Entries up to this seq were chained when the store was migrated to v3, not at append."""


def select_journal(*, chained: bool) -> str:
    """Every entry's cells and chain in seq order (a v2 store opened read-only has none)."""
    chain = "chain" if chained else "NULL AS chain"
    return f"SELECT {', '.join(JOURNAL_COLUMNS)}, {chain} FROM journal ORDER BY seq"  # noqa: S608


def lenient_text(data: bytes) -> str:
    """Journal text as stored even when it is not UTF-8 (tampering): the chain then hashes
    the original bytes back (``surrogateescape``) instead of the read failing."""
    return data.decode("utf-8", "surrogateescape")

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
"""One encoder for every row: ``json.dumps`` with options builds a new one per call."""


def ensure_schema(db: sqlite3.Connection, *, read_only: bool, path: str) -> int:
    """Create or migrate the schema, writing only when something is missing (opening an
    up-to-date store takes no write lock, so it never waits behind a running batch); returns
    the schema version in use. Read-only, a v3 store is read as it is (not chained); a store
    from a newer paychart is refused rather than misread."""
    version = _schema_version(db)
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(f"{path}: schema version {version} was written by a newer paychart "
                         f"(this one knows up to {SCHEMA_VERSION}); upgrade paychart")
    if version == SCHEMA_VERSION or (read_only and version in READABLE_VERSIONS):
        return version
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
            version = SCHEMA_VERSION
        while version < SCHEMA_VERSION:
            migrate = _MIGRATIONS.get(version)
            if migrate is None:
                raise StoreError(f"{path}: unknown schema version {version}")
            migrate(db)
            version = _schema_version(db) or 0
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return SCHEMA_VERSION


def _script(text: str) -> Callable[[sqlite3.Connection], None]:
    def run(db: sqlite3.Connection) -> None:
        for statement in text.split(";\n"):
            if statement.strip():
                db.execute(statement)
    return run


def _chain_existing(db: sqlite3.Connection) -> None:
    """v3 → v4: chain the entries already there, in seq order, and say up to which seq the
    chain was made at migration (it proves nothing about edits made before it)."""
    db.execute("ALTER TABLE journal ADD COLUMN chain TEXT")
    db.text_factory = lenient_text
    try:
        rows = db.execute(select_journal(chained=False)).fetchall()
    finally:
        db.text_factory = str
    previous, last = GENESIS, 0
    for row in rows:
        cells = tuple(row)[:-1]
        previous, last = link_cells(previous, cells), row["seq"]
        db.execute("UPDATE journal SET chain=? WHERE seq=?", (previous, last))
    if last:
        db.execute("INSERT INTO meta VALUES ('chain_migrated_through', ?)", (str(last),))
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _script(_MIGRATE_V1), 2: _script(_MIGRATE_REFERENCE), 3: _chain_existing,
    4: lambda db: _sqlite_journal.migrate_to_v5(db, _JOURNAL_V5)}
"""Schema version → the step that takes a store one version up."""


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


def record_at(row: Sequence[Any], start: int = 0) -> ObjectRecord:
    """``record`` of a row whose columns from ``start`` are ``SELECT_OBJECTS``'s, read by
    position (a name lookup scans the row's column names)."""
    (key, chart, _object_id, state, version, currency, authorized, captured, refunded,
     charged_back, parent, sequence, remembered, skipped, deferred, visited, pending,
     unlinked, placeholder, reference) = row[start:start + 20]
    return ObjectRecord(
        key=key, chart=chart, state=state, version=version,
        ledger=Ledger(currency, authorized, captured, refunded, charged_back), parent=parent,
        sequence=sequence,
        remembered=tuple(json.loads(remembered).items()) if remembered else (),
        skipped=tuple(json.loads(skipped)) if skipped else (),
        deferred=tuple((index, amount) for index, amount in json.loads(deferred))
        if deferred else (),
        visited=visited, pending=_effects(pending), unlinked=_effects(unlinked),
        placeholder=bool(placeholder), reference=reference)


def object_values(r: ObjectRecord) -> tuple[Any, ...]:
    ledger = r.ledger
    return (r.key, r.chart, r.object_id, r.state, r.version, ledger.currency, ledger.authorized,
            ledger.captured, ledger.refunded, ledger.charged_back, r.parent, r.sequence,
            _dumps(dict(r.remembered)) if r.remembered else None,
            _dumps(r.skipped) if r.skipped else None,
            _dumps(r.deferred) if r.deferred else None, r.visited,
            _effects_json(r.pending), _effects_json(r.unlinked), int(r.placeholder),
            r.reference)


def entry(row: sqlite3.Row) -> JournalEntry:
    """The entry of a journal row, by column name (``SELECT *`` works too);
    ``UnreadableEntryError`` when a cell is bad."""
    chain = row["chain"] if "chain" in row.keys() else None  # noqa: SIM118 - `in row` tests values
    return entry_from_cells(tuple(row[column] for column in JOURNAL_COLUMNS), chain)
