"""PostgreSQL schema: numbered migrations, applied in order under one advisory lock.

The column layout follows the SQLite store's (``_rows.py``), so both stores share one row
serialization. A store records its schema version in ``meta``; opening a store runs the
migrations it lacks (or refuses, when it is read-only or newer than this paychart).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from ..chain import GENESIS, link_cells
from ..errors import StoreError
from ..journal import JOURNAL_COLUMNS

_OBJECTS = """
CREATE TABLE objects (
    key TEXT PRIMARY KEY,
    chart TEXT NOT NULL,
    object_id TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    currency TEXT,
    authorized BIGINT NOT NULL,
    captured BIGINT NOT NULL,
    refunded BIGINT NOT NULL,
    charged_back BIGINT NOT NULL,
    parent TEXT,
    sequence BIGINT,
    remembered TEXT,
    skipped TEXT,
    deferred TEXT,
    visited INTEGER NOT NULL DEFAULT 0,
    pending TEXT,
    unlinked TEXT,
    placeholder SMALLINT NOT NULL DEFAULT 0
)"""
_JOURNAL = """
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
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
    CONSTRAINT journal_claim UNIQUE (claimed_object, claimed_key)
)"""
# The journal is append-only: the store never updates or deletes an entry, and the database
# refuses anyone who tries (a statement trigger costs nothing on INSERT).
_APPEND_ONLY = """
CREATE FUNCTION journal_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the paychart journal is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()"""

V1 = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    _OBJECTS,
    "CREATE INDEX objects_by_parent ON objects (parent) WHERE parent IS NOT NULL",
    _JOURNAL,
    # One row, its seq the last one given: incremented inside each commit transaction, so
    # the journal's seq is gap-free and in commit order (a SERIAL leaves gaps on rollback
    # and lets a later seq become visible first, which an outbox reader would skip).
    "CREATE TABLE journal_head (id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id), "
    "seq BIGINT NOT NULL)",
    "INSERT INTO journal_head VALUES (TRUE, 0)",
    _APPEND_ONLY,
)
V2 = (
    # The tamper-evident hash chain: each entry's hash over its content and the previous
    # entry's hash (filled at insert; entries written before it stay NULL).
    "ALTER TABLE journal ADD COLUMN chain TEXT",
)


def _chain_existing(conn: psycopg.Connection[Any]) -> None:
    """Chain the entries written before the chain was (none in a store created now), in seq
    order, and say up to which seq that was done at migration: the chain proves nothing about
    edits made to them before it. The append-only trigger is lifted for this one transaction
    only (the migration's, under its advisory lock)."""
    columns = ", ".join(JOURNAL_COLUMNS)
    rows = conn.cursor(row_factory=tuple_row).execute(
        f"SELECT {columns} FROM journal ORDER BY seq".encode()).fetchall()  # noqa: S608
    previous, last = GENESIS, 0
    if rows:
        conn.execute("ALTER TABLE journal DISABLE TRIGGER journal_append_only")
        for cells in rows:
            previous, last = link_cells(previous, cells), int(cells[0])
            conn.execute("UPDATE journal SET chain = %s WHERE seq = %s", (previous, last))
        conn.execute("ALTER TABLE journal ENABLE TRIGGER journal_append_only")
        conn.execute("INSERT INTO meta VALUES ('chain_migrated_through', %s)", (str(last),))
    conn.execute("UPDATE journal_head SET chain = %s", (previous,))


V3: tuple[str | Callable[[psycopg.Connection[Any]], None], ...] = (
    # Orders: the merchant's reference on objects, indexed for by_reference.
    "ALTER TABLE objects ADD COLUMN reference TEXT",
    "CREATE INDEX objects_by_reference ON objects (reference) WHERE reference IS NOT NULL",
    # The chain's last link beside the last seq: the next commit reads both under the row
    # lock that orders commits, so its link follows the entry committed just before it.
    f"ALTER TABLE journal_head ADD COLUMN chain TEXT NOT NULL DEFAULT '{GENESIS}'",
    _chain_existing,
)
MIGRATIONS: tuple[tuple[str | Callable[[psycopg.Connection[Any]], None], ...], ...] = (
    V1, V2, V3)
"""Migration ``n`` (1-based) takes a store from schema ``n - 1`` to ``n``; a step is SQL or,
where data must be rewritten, a function of the migration's connection."""
SCHEMA_VERSION = len(MIGRATIONS)
_LOCK = 0x70617963  # "payc": serializes migrations of one database across processes


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The store's schema version; 0 for a database paychart never wrote to."""
    # A query of pg_tables, not to_regclass: the catalog cache may not yet show a table
    # another process just created, while a statement's snapshot does.
    found = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = "
                         "current_schema() AND tablename = 'meta')").fetchone()
    if not found or not found[0]:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return 0 if row is None else int(str(row[0]))


def check_known(version: int, where: str) -> None:
    if version > SCHEMA_VERSION:
        raise StoreError(f"{where}: schema version {version} is newer than this paychart "
                         f"knows ({SCHEMA_VERSION}); upgrade paychart to open it")


def migrate(conn: psycopg.Connection[Any], where: str, *, target: int = SCHEMA_VERSION,
            say: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Bring the schema to ``target``; returns (version before, version after). One
    transaction: a failed migration leaves the store as it was. ``conn`` is in autocommit."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        before = schema_version(conn)  # again under the lock: another process may have won
        check_known(before, where)
        for number in range(before + 1, target + 1):
            for step in MIGRATIONS[number - 1]:
                if callable(step):
                    step(conn)
                else:
                    conn.execute(step.encode())
            if say is not None:
                say(f"{where}: schema {number - 1} -> {number}")
        if target > before:
            conn.execute("INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) "
                         "DO UPDATE SET value = EXCLUDED.value", (str(target),))
    return before, max(before, target)


def ensure(conn: psycopg.Connection[Any], where: str, *, read_only: bool) -> None:
    """What opening a store does: nothing when it is current (no lock taken), else migrate,
    or refuse with what to do when the store is read-only or newer."""
    version = schema_version(conn)
    if version == SCHEMA_VERSION:
        return
    check_known(version, where)
    if read_only:
        what = "no paychart store" if version == 0 else f"schema version {version}"
        raise StoreError(f"{where}: {what}, expected {SCHEMA_VERSION}; run "
                         "`paychart migrate STORE` (or open it once for writing)")
    migrate(conn, where)
