"""The store contract every backend (memory, SQLite, PostgreSQL) fulfils."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Protocol

from ..journal import JournalEntry
from ..record import ObjectRecord


class Store(Protocol):
    """Objects by key, the journal, and one atomic commit of both.

    ``commit`` appends ``entry`` and writes ``records`` in one transaction. Each record's
    ``version`` is its new version: the store refuses (``VersionConflictError``) unless the
    stored version is exactly one less (absent for version 1). An entry's ``claimed_key`` is
    unique: a second claim raises ``DuplicateKeyError``. Either error leaves nothing written.
    """

    def get(self, key: str) -> ObjectRecord | None: ...

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        """Whether a decision about ``object_key`` already claimed ``dedupe_key``. Claims are
        made only by decisions that write the object, so stores may index them per object."""
        ...

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        """``seen`` and ``get`` in one round trip: what every input needs first."""
        ...

    def children(self, parent_key: str) -> Sequence[ObjectRecord]: ...

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord]) -> int:
        """Commit atomically; returns the journal sequence number given to the entry."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """Group many commits into one durable transaction (bulk validation, replays)."""
        ...

    def journal(self) -> Iterator[JournalEntry]: ...

    def objects(self) -> Iterator[ObjectRecord]: ...

    def close(self) -> None: ...


def open_store(url: str) -> Store:
    """``memory:`` or ``sqlite:PATH`` (the embedded default)."""
    from .memory import MemoryStore
    from .sqlite import SQLiteStore

    if url in ("memory", "memory:"):
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SQLiteStore(url.removeprefix("sqlite:"))
    raise ValueError(f"unknown store {url!r}: use memory: or sqlite:PATH")
