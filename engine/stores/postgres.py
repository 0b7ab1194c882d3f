"""PostgreSQL store: many workers on many hosts sharing one database.

Every commit is one transaction at READ COMMITTED that first takes the one-row
``journal_head`` (``UPDATE … RETURNING seq, chain``): that row lock orders commits, so the
journal's seq is gap-free and in commit order, each entry's hash chain (``paychart.chain``)
links to the entry committed just before it, and each commit's version checks (plain reads, each
statement seeing everything committed before it) run while no other commit can interleave.
Versions are then checked as in SQLite: ``UPDATE … WHERE version = ?`` must touch one row,
``INSERT … ON CONFLICT DO NOTHING`` must insert one, every record only read must still have
the version it was read at, and the dedupe claim is unique per object. ``isolation=
"serializable"`` exists to measure the alternative (commits collide on the head row and are
retried); docs/postgresql.md has the figures and why READ COMMITTED is the default. One
decision's statements, and the two pipelines that send them, are ``_pg_commit``'s.

Connections come from one ``psycopg_pool`` pool per store, shared by the threads of a
process; a thread keeps the one it first took (``_pg_held``: no pool checkout per read),
and a thread's ``batch`` keeps one connection and transaction for its bounded length.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar, cast

import psycopg
from psycopg import conninfo, errors
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from ..chain import GENESIS, StoredEntry
from ..errors import StoreError
from ..event import Event
from ..journal import JOURNAL_COLUMNS, JournalEntry, stored_event
from ..record import ObjectRecord
from . import _pg_schema, _rows
from ._pg_commit import pg as _pg
from ._pg_commit import write as _write
from ._pg_held import ThreadConnections
from .base import BATCH_INPUTS, BATCH_SECONDS, BatchBounds

Conn = psycopg.Connection[DictRow]
T = TypeVar("T")

ISOLATION_LEVELS = ("read committed", "serializable")
SERIALIZATION_RETRIES = 200
"""Serializable commits that lost the head row to another commit, tried again before giving
up (only under ``isolation="serializable"``)."""
CONNECT_TIMEOUT = 10
PAGE = 1000
"""Journal entries fetched per round trip when the whole journal is read."""


_SELECT_OBJECTS = _rows.SELECT_OBJECTS
_GET = _pg(_SELECT_OBJECTS + " WHERE key=?")
_CHILDREN = _pg(_SELECT_OBJECTS + " WHERE parent=?")
_SEEN = b"SELECT 1 FROM journal WHERE claimed_object=%s AND claimed_key=%s"
_LOAD = (b"SELECT EXISTS(SELECT 1 FROM journal WHERE claimed_object=%s AND claimed_key=%s) "
         b"AS claimed, o.* FROM (SELECT %s::text AS wanted) w "
         b"LEFT JOIN objects o ON o.key = w.wanted")
_BY_REFERENCE = _pg(_SELECT_OBJECTS + ' WHERE reference=? AND starts_with(key, ?) '
                    'ORDER BY key COLLATE "C"')
_READ_HEAD = b"SELECT seq, chain FROM journal_head"
_CHAINED_THROUGH = b"SELECT value FROM meta WHERE key = 'chain_migrated_through'"
_HISTORY = b"SELECT seq, event FROM journal WHERE claimed_object=%s ORDER BY seq"
_ENTRIES = b"SELECT * FROM journal WHERE seq > %s ORDER BY seq LIMIT %s"
_STORED = (f"SELECT {', '.join(JOURNAL_COLUMNS)}, chain FROM journal WHERE seq > %s "  # noqa: S608
           "ORDER BY seq LIMIT %s").encode()


_LOST_IN_COMMIT = ("; whether the decision was committed is unknown: feed the input again (a "
                   "committed one is then a duplicate, never applied twice)")


def display(url: str) -> str:
    """The store's URL without its password (for messages and ``repr``)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host') or ''}{port}/{parts.get('dbname') or ''}"


class _Batch(BatchBounds):
    """A thread's open batch with the connection its transaction holds."""

    __slots__ = ("conn",)

    def __init__(self, conn: Conn, max_inputs: int, max_seconds: float) -> None:
        super().__init__(max_inputs, max_seconds)
        self.conn = conn


class PostgresStore:
    """A paychart store in one PostgreSQL database (``postgresql://user@host:port/db``).

    ``read_only`` opens the database in read-only transactions and never migrates it
    (``replay``, reports). ``pool_size`` bounds the connections this process opens.
    """

    def __init__(self, url: str, *, read_only: bool = False, pool_size: int = 8,
                 isolation: str = "read committed") -> None:
        if isolation not in ISOLATION_LEVELS:
            raise ValueError(f"isolation must be one of {ISOLATION_LEVELS}")
        self.url = url
        self.max_connections = pool_size  # sizes the receiver's thread pool (paychart.asgi)
        self.name = display(url)
        self.read_only = read_only
        self.isolation = isolation
        self._begin = f"BEGIN ISOLATION LEVEL {isolation.upper()}".encode()
        # psycopg forgets which statements it prepared when a pipeline holding a PREPARE
        # fails; serializable pipelines fail by design, so they prepare nothing.
        self._prepare: bool | None = False if isolation == "serializable" else None
        self._local = threading.local()
        with self._failures("cannot open"):
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                _pg_schema.ensure(conn, self.name, read_only=read_only)
            self._pool: ConnectionPool[Conn] = ConnectionPool(
                url, min_size=1, max_size=pool_size, open=True, configure=self._configure,
                kwargs={"autocommit": True, "row_factory": dict_row,
                        "connect_timeout": CONNECT_TIMEOUT},
                connection_class=psycopg.Connection[DictRow], name="paychart")
        self._threads = ThreadConnections(self._pool, pool_size - 1)

    def __repr__(self) -> str:
        return f"PostgresStore({self.name!r}, read_only={self.read_only})"

    def _configure(self, conn: Conn) -> None:
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")

    @contextmanager
    def _failures(self, doing: str, lost: str = "") -> Iterator[None]:
        """psycopg's connection and server errors as one-line ``StoreError``s, naming the
        store without its password; ``lost`` is added when the connection was lost."""
        try:
            yield
        except psycopg.Error as exc:
            text = str(exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
            more = lost if isinstance(exc, psycopg.OperationalError) else ""
            raise StoreError(f"{self.name}: {doing}: {reason}{more}") from None

    def _read(self, query: Callable[[Conn], T]) -> T:
        """Run a read on the thread's batch connection, else on its own one, with one retry
        on a fresh connection when the first was lost (a failover, a restarted server):
        reading twice is harmless."""
        batch: _Batch | None = getattr(self._local, "batch", None)
        if batch is not None:  # the batch's own connection sees its uncommitted decisions
            return query(batch.conn)
        for attempt in (1, 2):
            try:
                with self._threads.connection() as conn:
                    return query(conn)
            except psycopg.OperationalError:
                self._threads.drop()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _query(self, query: Callable[[Conn], T]) -> T:
        with self._failures("read failed"):
            return self._read(query)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, key: str) -> ObjectRecord | None:
        row = self._query(lambda c: c.execute(_GET, (key,)).fetchone())
        return None if row is None else _record(row)

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        return self._query(lambda c: c.execute(_SEEN, (object_key, dedupe_key)).fetchone()
                           is not None)

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        row = self._query(lambda c: c.execute(
            _LOAD, (object_key, dedupe_key, object_key)).fetchone())
        assert row is not None  # the LEFT JOIN of one constant row returns one row
        return bool(row["claimed"]), None if row["key"] is None else _record(row)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        rows = self._query(lambda c: c.execute(_CHILDREN, (parent_key,)).fetchall())
        return [_record(row) for row in rows]

    def entries(self, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        """Entries with seq > ``after`` in seq order, at most ``limit`` (the outbox read:
        seq is gap-free and in commit order, so a reader resuming at its last seq misses
        nothing)."""
        rows = self._query(lambda c: c.execute(_ENTRIES, (after, limit)).fetchall())
        return [_rows.entry(cast("sqlite3.Row", row)) for row in rows]

    def history(self, object_key: str) -> Sequence[Event]:
        rows = self._query(lambda c: c.execute(_HISTORY, (object_key,)).fetchall())
        return [stored_event(row["seq"], row["event"]) for row in rows]

    def by_reference(self, provider: str, reference: str) -> Sequence[ObjectRecord]:
        rows = self._query(lambda c: c.execute(_BY_REFERENCE,
                                               (reference, provider + "/")).fetchall())
        return [_record(row) for row in rows]

    def stored_journal(self) -> Iterator[StoredEntry]:
        """Every entry's cells exactly as stored, with its chain (what ``verify`` checks),
        a page at a time."""
        after = 0
        while rows := self._stored_page(after):
            for row in rows:
                yield StoredEntry(tuple(row[column] for column in JOURNAL_COLUMNS),
                                  row["chain"])
            after = rows[-1]["seq"]

    def _stored_page(self, after: int) -> list[DictRow]:
        return self._query(lambda c: c.execute(_STORED, (after, PAGE)).fetchall())

    def chain_head(self) -> tuple[int, str]:
        """The last entry's seq and chain; (0, ``GENESIS``) when the journal is empty."""
        row = self._query(lambda c: c.execute(_READ_HEAD).fetchone())
        return (0, GENESIS) if row is None else (int(row["seq"]), str(row["chain"]))

    def chained_from(self) -> int:
        """The first seq chained at append (those before were chained at migration)."""
        row = self._query(lambda c: c.execute(_CHAINED_THROUGH).fetchone())
        return 1 if row is None else int(row["value"]) + 1

    def journal(self) -> Iterator[JournalEntry]:
        """Every entry in seq order, read a page at a time."""
        after = 0
        while page := self.entries(after, PAGE):
            yield from page
            after = page[-1].seq

    def objects(self, *, placeholders: bool = False) -> Iterator[ObjectRecord]:
        where = "" if placeholders else " WHERE placeholder = 0"
        sql = (_SELECT_OBJECTS + where + ' ORDER BY key COLLATE "C"').encode()
        rows = self._query(lambda c: c.execute(sql).fetchall())
        return (_record(row) for row in rows)

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        if self.read_only:
            raise StoreError(f"{self.name} is open read-only")
        batch: _Batch | None = getattr(self._local, "batch", None)
        with self._failures("commit failed", _LOST_IN_COMMIT):
            if batch is not None:
                return self._commit_in_batch(batch, entry, records, reads)
            with self._threads.connection() as conn:
                for _ in range(SERIALIZATION_RETRIES):
                    try:
                        seq = _write(conn, (self._begin,), entry, records, reads,
                                     self._prepare)
                        conn.execute(b"COMMIT")
                    except errors.SerializationFailure:  # only serializable: the whole
                        conn.execute(b"ROLLBACK")        # decision is in it, try it again
                        _jitter()
                        continue
                    except psycopg.Error:
                        conn.close()  # its prepared statements may be unknown: discard it
                        self._threads.drop()
                        raise
                    except BaseException:
                        if not conn.broken:
                            conn.execute(b"ROLLBACK")
                        raise
                    return seq
                raise self._lost_race()

    def _lost_race(self) -> StoreError:
        return StoreError(f"{self.name}: {SERIALIZATION_RETRIES} serializable attempts of one "
                          "commit in a row lost to concurrent commits")

    def _commit_in_batch(self, batch: _Batch, entry: JournalEntry,
                         records: Sequence[ObjectRecord], reads: Sequence[tuple[str, int]]) -> int:
        """One decision in a savepoint of the batch's transaction, which the first decision
        begins (and, when that one is refused, ends again: nothing of the batch to keep)."""
        conn = batch.conn
        for _ in range(SERIALIZATION_RETRIES):
            begins = not batch.open
            prefix = (self._begin, b"SAVEPOINT decision") if begins else (b"SAVEPOINT decision",)
            try:
                seq = _write(conn, prefix, entry, records, reads, self._prepare)
            except errors.SerializationFailure:
                if not begins:  # earlier decisions of the batch are in the lost transaction
                    raise
                conn.execute(b"ROLLBACK")
                _jitter()
                continue
            except psycopg.Error:
                conn.close()  # as in commit; the batch ends with its transaction
                self._threads.drop()
                raise
            except BaseException:
                conn.execute(b"ROLLBACK" if begins else b"ROLLBACK TO SAVEPOINT decision")
                raise
            break
        else:
            raise self._lost_race()
        if begins:
            batch.began()
        conn.execute(b"RELEASE SAVEPOINT decision")
        if batch.counted():
            conn.execute(b"COMMIT")
        return seq

    @contextmanager
    def batch(self, max_inputs: int = BATCH_INPUTS,
              max_seconds: float = BATCH_SECONDS) -> Iterator[None]:
        """Many decisions per durable transaction, at most ``max_inputs`` of them and
        ``max_seconds`` long (each decision atomic via a savepoint). Per thread; the batch
        holds the journal head while its transaction is open, so keep it short."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        with self._failures("batch failed"), self._threads.connection() as conn:
            batch = self._local.batch = _Batch(conn, max_inputs, max_seconds)
            try:
                yield
            except BaseException:
                self._local.batch = None
                if batch.open and not conn.closed:
                    conn.execute(b"ROLLBACK")
                raise
            self._local.batch = None
            if batch.open:
                conn.execute(b"COMMIT")

    def close(self) -> None:
        self._pool.close()
        self._threads.close()


def _jitter() -> None:
    time.sleep(random.uniform(0, 0.002))  # noqa: S311 - spreads retries, not crypto


def _record(row: DictRow) -> ObjectRecord:
    # _rows reads columns by name, which a dict row offers as a sqlite3.Row does.
    return _rows.record(cast("sqlite3.Row", row))
