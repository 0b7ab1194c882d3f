"""SQLite store: the embedded default, one file, WAL, durable commit per decision.

The journal row and the object rows are written in one transaction (``BEGIN IMMEDIATE``,
which takes the write lock up front, with a busy timeout). Optimistic concurrency is an
``UPDATE … WHERE version = ?`` that must touch one row (or an ``INSERT`` that must not find
the key), plus a version check of every record the decision only read; the dedupe key is
unique per object in the journal, left ``NULL`` by decisions that do not claim their key.
Each journal row carries its link in the hash chain (``paychart.chain``), computed at append
under the write lock, so the previous link cannot change underneath it (``_sqlite_commit``).
In a batch (``Store.batch``) decisions are checked against a write-back cache and staged,
written together when the batch's bounded transaction ends (``_sqlite_batch``).
Several processes may share the file, and threads may share one store: each thread gets its
own connection (``:memory:`` databases, which a second connection cannot see, share one
connection under a lock).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from ..chain import GENESIS, NOT_CHAINED, StoredEntry
from ..errors import StoreError
from ..event import Event
from ..journal import (
    JOURNAL_COLUMNS,
    JournalEntry,
    UnreadableEntryError,
    entry_from_cells,
    stored_event,
)
from ..record import ObjectRecord
from . import _rows
from . import _sqlite_commit as _commit
from . import _sqlite_journal as _packed
from ._sqlite_batch import Batch
from .base import BATCH_INPUTS, BATCH_SECONDS, BatchBounds

_EVENT = JOURNAL_COLUMNS.index("event")
STATEMENTS_CACHED = 256
"""Prepared statements kept per connection (sqlite3 caches them by their text, which is
constant): well above the number the store runs."""
BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for the write lock before SQLite gives up with "database is
locked"; batches are bounded well below it."""


class SQLiteStore:
    """A paychart store in one SQLite file (``:memory:`` works for tests).

    ``read_only`` opens an existing file without ever writing to it (``replay``, reports).
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL",
                 read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._synchronous = synchronous
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._registry = threading.Lock()
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        self._dictionaries: dict[int, _packed.Dictionaries] = {}
        """Each connection's cached dictionaries, by ``id`` of the connection."""
        if self.path == ":memory:":
            self._shared = self._connect()
        self.version = _rows.ensure_schema(self._db, read_only=read_only, path=self.path)
        self.chained = self.version > _rows.UNCHAINED_VERSION
        """``False`` for a v3 store opened read-only: its journal has no chain yet."""
        self._select = _packed.select_rows(self.version)

    # -- connections ----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            # No -wal file means no connection has the store open: read it as immutable so
            # SQLite leaves no -wal/-shm files behind (a plain ``mode=ro`` open of a WAL
            # store creates them, which is a write to the folder).
            live = Path(self.path + "-wal").exists()
            uri = (f"file:{Path(self.path).resolve().as_posix()}?mode=ro"
                   + ("" if live else "&immutable=1"))
            try:
                db = sqlite3.connect(uri, uri=True, isolation_level=None,
                                     timeout=BUSY_TIMEOUT, check_same_thread=False,
                                     cached_statements=STATEMENTS_CACHED)
                db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.path}: cannot open read-only ({exc})") from None
        else:
            db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT,
                                 check_same_thread=False, cached_statements=STATEMENTS_CACHED)
            # 8 KiB pages for a new file (no effect on an existing one): a journal row is
            # over 1 KiB, and 4 KiB pages left a quarter of each page empty.
            db.execute("PRAGMA page_size=8192")
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            # FULL: a decision the provider was told about (HTTP 200) survives a power cut.
            db.execute(f"PRAGMA synchronous={self._synchronous}")
        db.row_factory = sqlite3.Row
        self._dictionaries[id(db)] = _packed.Dictionaries()
        with self._registry:
            self._connections.append(db)
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        if self._shared is not None:
            return self._shared
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    def _guard(self) -> AbstractContextManager[object]:
        return self._shared_lock if self._shared is not None else nullcontext()

    # -- reads ----------------------------------------------------------------------------------

    def _batched(self) -> Batch | None:
        """This thread's batch; with no transaction open, its cache checked against other
        connections' commits first."""
        batch: Batch | None = getattr(self._local, "batch", None)
        if batch is not None and not batch.bounds.open:
            batch.check_current(self._db)
        return batch

    def _settle(self, *, journal: bool = True) -> None:
        """Write this thread's staged decisions into its open transaction before a read that
        SQL answers (children, history, the journal): it then finds them."""
        batch: Batch | None = getattr(self._local, "batch", None)
        if batch is not None:
            if journal:
                batch.flush(self._db, _packed.INSERT)
            else:
                batch.flush_objects(self._db)

    def get(self, key: str) -> ObjectRecord | None:
        with self._guard():
            batch = self._batched()
            if batch is not None:
                return batch.record(self._db, key)
            row = self._db.execute(_rows.SELECT_BY_KEY, (key,)).fetchone()
        record = None if row is None else _rows.record_at(row)
        self._local.recent = (key, record)
        return record

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        claim = _packed.claim(object_key, dedupe_key)
        with self._guard():
            batch = self._batched()
            if batch is not None:
                return claim is not None and batch.is_taken(self._db, claim)
            return self._db.execute("SELECT 1 FROM journal WHERE claim=?", (claim,)
                                    ).fetchone() is not None

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        """One read per input: the record this thread just read with ``get`` (the adapter's
        remembered facts) is taken once, with only the claim looked up; a stale one fails the
        commit's version check, and the decision read again finds nothing taken. In a batch
        the cache answers what it knows."""
        claim = _packed.claim(object_key, dedupe_key)
        with self._guard():
            batch = self._batched()
            if batch is not None:
                return batch.load(self._db, claim, object_key)
        recent: tuple[str, ObjectRecord | None] | None = getattr(self._local, "recent", None)
        if recent is not None:
            self._local.recent = None
            if recent[0] == object_key:
                return self.seen(object_key, dedupe_key), recent[1]
        with self._guard():
            row = self._db.execute(_rows.LOAD, (claim, object_key)).fetchone()
        return bool(row[0]), None if row[1] is None else _rows.record_at(row, 1)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        with self._guard():
            batch = self._batched()
            if batch is not None:
                return batch.children(self._db, parent_key)
            rows = self._db.execute(_rows.SELECT_OBJECTS + " WHERE parent=?",
                                    (parent_key,)).fetchall()
        return [_rows.record_at(row) for row in rows]

    def history(self, object_key: str) -> Sequence[Event]:
        """The entries in the object's claim range, less any whose 8-byte object digest
        only collides with this one's."""
        with self._guard():
            db = self._db
            rows = self._rows(" WHERE claim >= ? AND claim < ? ORDER BY seq",
                              _packed.object_range(object_key))
            cells = [_packed.row_cells(db, self._dictionaries[id(db)], row) for row in rows]
        return [stored_event(c[0], c[_EVENT]) for c in cells
                if _packed.claimed_of(c)[0] == object_key]

    def by_reference(self, provider: str, reference: str) -> Sequence[ObjectRecord]:
        # Keys start with "provider/": the range [provider/, provider0) is that prefix.
        with self._guard():
            batch = self._batched()
            if batch is not None:
                return batch.by_reference(self._db, provider, reference)
            rows = self._db.execute(_rows.SELECT_OBJECTS + " WHERE reference=? AND key >= ? "
                                    "AND key < ? ORDER BY key",
                                    (reference, provider + "/", provider + "0")).fetchall()
        return [_rows.record_at(row) for row in rows]

    def journal(self) -> Iterator[JournalEntry]:
        return (entry_from_cells(stored.cells, stored.chain) for stored in self.stored_journal())

    def stored_journal(self) -> Iterator[StoredEntry]:
        """Every entry's cells as stored (a packed row inflated), with its chain: what
        ``verify`` checks. A packed row that does not inflate gives cells whose chain cannot
        match, its packed bytes in the decision's place."""
        return self._stored(self._rows(" ORDER BY seq"))

    def claims(self) -> Iterator[tuple[str, str]]:
        """(object, dedupe key) of every claim column that is the digest of its entry's
        claimed cells; any other stored claim as a pair no entry claims: replay compares
        this with the journal's claims, so an edited or cleared claim column is found."""
        rows = []
        if self.version >= _rows.SCHEMA_VERSION:
            with self._guard():
                self._settle()
                db = self._db
                db.text_factory = _rows.lenient_text
                try:
                    rows = db.execute("SELECT seq, claim FROM journal WHERE claim IS NOT NULL"
                                      ).fetchall()
                finally:
                    db.text_factory = str
        stored = {row[0]: row[1] for row in rows}
        for entry in self.stored_journal():
            claimed_object, claimed_key = _packed.claimed_of(entry.cells)
            kept = stored.pop(entry.seq, None)
            if not isinstance(claimed_object, str) or not isinstance(claimed_key, str):
                continue
            if self.version < _rows.SCHEMA_VERSION or kept == _packed.claim(claimed_object,
                                                                           claimed_key):
                yield claimed_object, claimed_key
            elif kept is not None:
                yield f"journal #{entry.seq}", "an edited claim"
        for seq in stored:
            yield f"journal #{seq}", "a claim of an entry that claims nothing"

    def _rows(self, where: str, parameters: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._guard():
            self._settle()
            db = self._db
            db.text_factory = _rows.lenient_text
            try:
                return db.execute(self._select + where, parameters).fetchall()
            finally:
                db.text_factory = str

    def _stored(self, rows: list[sqlite3.Row]) -> Iterator[StoredEntry]:
        db = self._db
        dictionaries = self._dictionaries[id(db)]
        for row in rows:
            try:
                with self._guard():
                    cells = _packed.row_cells(db, dictionaries, row)
            except UnreadableEntryError:
                cells = _packed.unreadable_cells(row)
            yield StoredEntry(cells, _commit.chain_text(row[-1]))

    def chain_head(self) -> tuple[int, str]:
        """The last entry's seq and its stored chain: (0, ``GENESIS``) when empty,
        ``NOT_CHAINED`` for a v2 store opened read-only."""
        with self._guard():
            self._settle()
            row = self._db.execute(_rows.HEAD if self.chained else
                                   "SELECT max(seq), NULL FROM journal").fetchone()
        if row is None or row[0] is None:
            return 0, GENESIS if self.chained else NOT_CHAINED
        return int(row[0]), _commit.chain_text(row[1]) or NOT_CHAINED

    def chained_from(self) -> int | None:
        """The first seq chained at append (entries before it were chained when the store
        was migrated to schema v4); ``None`` when the store is not chained."""
        if not self.chained:
            return None
        with self._guard():
            row = self._db.execute(_rows.CHAINED_THROUGH).fetchone()
        return 1 if row is None else int(row[0]) + 1

    def entries(self, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        rows = self._rows(" WHERE seq > ? ORDER BY seq LIMIT ?",
                          (after, -1 if limit is None else max(limit, 0)))
        return [entry_from_cells(stored.cells, stored.chain) for stored in self._stored(rows)]

    def objects(self, *, placeholders: bool = False) -> Iterator[ObjectRecord]:
        where = "" if placeholders else " WHERE placeholder = 0"
        with self._guard():
            self._settle(journal=False)
            rows = self._db.execute(_rows.SELECT_OBJECTS + where + " ORDER BY key").fetchall()
        return (_rows.record_at(row) for row in rows)

    # -- writes ---------------------------------------------------------------------------------

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only")
        self._local.recent = None
        with self._guard():
            db = self._db
            batch: Batch | None = getattr(self._local, "batch", None)
            if batch is not None:
                return self._commit_batched(db, batch, entry, records, reads)
            return _commit.commit_one(db, self._dictionaries[id(db)], entry, records, reads)

    def _commit_batched(self, db: sqlite3.Connection, batch: Batch, entry: JournalEntry,
                        records: Sequence[ObjectRecord],
                        reads: Sequence[tuple[str, int]]) -> int:
        """Check the decision against the batch's cache (exact under the write lock), stage
        it, and end the transaction when the batch's bounds say so; a refused decision
        stages nothing, so no savepoint is needed."""
        if not batch.bounds.open:
            db.execute("BEGIN IMMEDIATE")
            batch.bounds.began()
            batch.check_current(db)
        seq = _commit.stage(db, batch, self._dictionaries[id(db)], entry, records, reads)
        if self._shared is not None:  # other threads read this very connection
            batch.flush(db, _packed.INSERT)
        if batch.bounds.counted():
            self._end(db, batch)
        return seq

    def _end(self, db: sqlite3.Connection, batch: Batch) -> None:
        """Write what the batch staged and commit it; on failure nothing of the transaction
        holds, cached or stored."""
        batch.bounds.open = False
        try:
            batch.flush(db, _packed.INSERT)
            db.execute("COMMIT")
        except BaseException:
            self._rolled_back(db, batch)
            raise
        batch.committed()

    def _rolled_back(self, db: sqlite3.Connection, batch: Batch) -> None:
        batch.bounds.open = False
        batch.discard()
        self._dictionaries[id(db)].forget()
        if db.in_transaction:
            db.execute("ROLLBACK")

    @contextmanager
    def batch(self, max_inputs: int = BATCH_INPUTS,
              max_seconds: float = BATCH_SECONDS) -> Iterator[None]:
        """Many decisions per durable transaction, at most ``max_inputs`` of them and
        ``max_seconds`` long (each decision still atomic: checked whole before it is staged,
        ``_sqlite_batch``). Per thread."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        batch = self._local.batch = Batch(BatchBounds(max_inputs, max_seconds))
        try:
            yield
        except BaseException:
            self._local.batch = None
            if batch.bounds.open:
                with self._guard():
                    self._rolled_back(self._db, batch)
            raise
        self._local.batch = None
        if batch.bounds.open:
            with self._guard():
                self._end(self._db, batch)

    def close(self) -> None:
        with self._registry:
            connections, self._connections = self._connections, []
        for db in connections:
            db.close()
        self._local = threading.local()
