"""The store contract every backend (memory, SQLite, PostgreSQL) fulfils.

Dedupe keys are scoped per object in every store: a key is what identifies a provider's
message *about one object* (adapters build it from the object id, status, amount…), so a
claim is looked up by (object key, dedupe key). Scoping them across all objects would let an
adapter's key collision between two objects silently turn the second object's input into a
``duplicate``; per object, the worst a collision can do is stay inside one object's history.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from ..event import Event
from ..journal import JournalEntry
from ..record import ObjectRecord

BATCH_INPUTS = 1000
BATCH_SECONDS = 1.0


class BatchBounds:
    """A thread's open batch in a durable store: how many decisions since its transaction
    began and when, so the transaction ends at ``max_inputs`` or ``max_seconds`` and other
    workers get the write lock between batches."""

    __slots__ = ("count", "max_inputs", "max_seconds", "open", "started")

    def __init__(self, max_inputs: int, max_seconds: float) -> None:
        self.max_inputs = max_inputs
        self.max_seconds = max_seconds
        self.count = 0
        self.started = 0.0
        self.open = False

    def began(self) -> None:
        """The batch's next transaction began."""
        self.open, self.count, self.started = True, 0, time.monotonic()

    def counted(self) -> bool:
        """One more decision in the transaction; whether it must end now (the transaction
        is then closed: the next decision begins another)."""
        self.count += 1
        full = (self.count >= self.max_inputs
                or time.monotonic() - self.started >= self.max_seconds)
        if full:
            self.open = False
        return full


class Store(Protocol):
    """Objects by key, the journal, and one atomic commit of both.

    ``commit`` appends ``entry`` and writes ``records`` in one transaction. Each record's
    ``version`` is its new version: the store refuses (``VersionConflictError``) unless the
    stored version is exactly one less (absent for version 1). ``reads`` are (key, version)
    of records the decision read without writing them (0: it found none); the store refuses
    as well when one of them changed. An entry's ``claimed_key`` is unique per object (the
    entry's event key): a second claim raises ``DuplicateKeyError``. Either error leaves
    nothing written. Stores are safe to share between threads.
    """

    def get(self, key: str) -> ObjectRecord | None: ...

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        """Whether a decision about ``object_key`` already claimed ``dedupe_key``."""
        ...

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        """``seen`` and ``get`` in one round trip: what every input needs first."""
        ...

    def children(self, parent_key: str) -> Sequence[ObjectRecord]: ...

    def history(self, object_key: str) -> Sequence[Event]:
        """The events whose dedupe keys ``object_key`` claimed (every message applied or
        stale for it), in journal order: what deciding a late message in its place reads."""
        ...

    def by_reference(self, provider: str, reference: str) -> Sequence[ObjectRecord]:
        """The objects of ``provider`` whose record keeps the merchant's ``reference``
        (the attempts of one order at one provider), in key order."""
        ...

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        """Commit atomically; returns the journal sequence number given to the entry."""
        ...

    def batch(self, max_inputs: int = BATCH_INPUTS,
              max_seconds: float = BATCH_SECONDS) -> AbstractContextManager[None]:
        """Group commits into durable transactions of at most ``max_inputs`` decisions or
        ``max_seconds`` (bulk validation, replays): fewer syncs, while other workers still get
        the write lock between transactions. Each decision stays atomic on its own."""
        ...

    def journal(self) -> Iterator[JournalEntry]: ...

    def entries(self, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        """Journal entries with ``seq > after``, in ``seq`` order, at most ``limit``: the
        journal read as an outbox (a consumer keeps the last ``seq`` it handled)."""
        ...

    def objects(self, *, placeholders: bool = False) -> Iterator[ObjectRecord]:
        """Every object; with ``placeholders`` also the parents not seen yet that hold
        their children's pending effects (replay compares those too)."""
        ...

    def close(self) -> None: ...


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str, *, read_only: bool = False) -> Store:
    """``memory:``, ``sqlite:PATH`` (the embedded default) or ``postgresql://user@host/db``
    (needs the ``postgresql`` extra). ``read_only`` opens a store that commands which only
    read (``replay``, ``report``) cannot write to, not even to create its schema."""
    from .memory import MemoryStore
    from .sqlite import SQLiteStore

    if url.startswith(POSTGRES_SCHEMES):
        return _open_postgres(url, read_only=read_only)
    if url in ("memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SQLiteStore(url.removeprefix("sqlite:"), read_only=read_only)
    raise ValueError(f"unknown store {url!r}: use memory:, sqlite:PATH or postgresql://...")


def _open_postgres(url: str, *, read_only: bool) -> Store:
    """Imported only here: paychart without the ``postgresql`` extra never imports psycopg."""
    from ..errors import StoreError

    try:
        from .postgres import PostgresStore
    except ImportError as exc:
        raise StoreError(f"a postgresql:// store needs psycopg ({exc.name} is missing): "
                         "pip install 'paychart[postgresql]'") from None
    return PostgresStore(url, read_only=read_only)
