"""One decision written to PostgreSQL: its statements, sent in two pipelines while the
transaction holds the journal head (``postgres.py`` has the store around it: connections,
retries, batches, reads).

The head row (``UPDATE … RETURNING seq, chain``) is taken first, so every later statement
sees the commits before it and no other commit interleaves; the versions checked, the
objects written, then the entry linked to the chain the head returned and the head's new
link. A refusal raises; the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow

from ..chain import GENESIS, is_chain, link_cells
from ..errors import DuplicateKeyError, StoreError, VersionConflictError
from ..journal import JournalEntry, journal_cells
from ..record import ObjectRecord
from . import _rows

Conn = psycopg.Connection[DictRow]


def pg(sql: str) -> bytes:
    """One of the SQLite store's statements with PostgreSQL placeholders (one source of the
    column lists)."""
    return sql.replace("?", "%s").encode()


_VERSIONS = b"SELECT key, version FROM objects WHERE key = ANY(%s)"
_VERSION = b"SELECT version FROM objects WHERE key=%s"
_INSERT_OBJECT = pg(_rows.INSERT_OBJECT + " ON CONFLICT (key) DO NOTHING")
_UPDATE_OBJECT = pg(_rows.UPDATE_OBJECT)
_INSERT_JOURNAL = pg(_rows.INSERT_JOURNAL + " ON CONFLICT (claimed_object, claimed_key) "
                     "DO NOTHING")
_HEAD = b"UPDATE journal_head SET seq = seq + 1 RETURNING seq, chain"
_LINK_HEAD = b"UPDATE journal_head SET chain = %s"


def _version(conn: Conn, key: str) -> int | None:
    row = conn.execute(_VERSION, (key,)).fetchone()
    return None if row is None else int(row["version"])


def write(conn: Conn, prefix: Sequence[bytes], entry: JournalEntry,
           records: Sequence[ObjectRecord], reads: Sequence[tuple[str, int]],
           prepare: bool | None) -> int:
    """The decision's statements in two pipelines (two round trips, so the journal head is
    held for little more than the server's work): ``prefix`` (BEGIN or a savepoint), the
    head (first: every later statement sees the commits before it), the checks of what was
    only read, the writes; checked, then the entry linked to the chain the head returned, and
    the head's new link. On a refusal the caller rolls back. Returns the entry's seq."""
    cells = journal_cells(entry, 0)  # may refuse the entry: before anything is sent
    statements: list[tuple[bytes, tuple[Any, ...]]] = []
    for record in records:
        values: tuple[Any, ...] = _rows.object_values(record)
        statements.append((_INSERT_OBJECT, values) if record.version == 1 else
                          (_UPDATE_OBJECT, (*values[1:], record.key, record.version - 1)))
    with conn.pipeline():
        for statement in prefix:
            conn.execute(statement, prepare=False)
        head = conn.execute(_HEAD, prepare=prepare)
        versions = (conn.execute(_VERSIONS, ([key for key, _ in reads],), prepare=prepare)
                    if reads else None)
        writes = [conn.execute(sql, params, prepare=prepare) for sql, params in statements]
    row = head.fetchone()
    if row is None:
        raise StoreError("journal_head has no row: the schema is damaged")
    if versions is not None:
        found = {r["key"]: r["version"] for r in versions.fetchall()}
        for key, version in reads:
            if found.get(key, 0) != version:
                raise VersionConflictError(key, version, found.get(key))
    for record, cursor in zip(records, writes, strict=True):
        if cursor.rowcount != 1:
            raise VersionConflictError(record.key, record.version - 1,
                                       _version(conn, record.key))
    seq, previous = int(row["seq"]), row["chain"]
    if not is_chain(previous):  # a damaged head: verify reports it; the new link stays valid
        previous = GENESIS
    cells = (seq, *cells[1:])  # serialized once: only the seq was not known yet
    chain = link_cells(previous, cells)
    with conn.pipeline():
        appended = conn.execute(_INSERT_JOURNAL, (*cells, chain), prepare=prepare)
        conn.execute(_LINK_HEAD, (chain,), prepare=prepare)
    if appended.rowcount != 1:
        raise DuplicateKeyError(entry.claimed_key or "")
    return seq
