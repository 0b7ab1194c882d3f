"""In-memory store: the fastest, for tests, benchmarks and one-off validation runs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

import attrs

from ..errors import DuplicateKeyError, VersionConflictError
from ..journal import JournalEntry
from ..record import ObjectRecord


class MemoryStore:
    """Dicts and a list; the same contract as the durable stores, minus durability."""

    def __init__(self) -> None:
        self._objects: dict[str, ObjectRecord] = {}
        self._claimed: set[str] = set()
        self._children: dict[str, list[str]] = {}
        self._journal: list[JournalEntry] = []

    def get(self, key: str) -> ObjectRecord | None:
        return self._objects.get(key)

    def seen(self, dedupe_key: str) -> bool:
        return dedupe_key in self._claimed

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        return [self._objects[key] for key in self._children.get(parent_key, ())]

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord]) -> int:
        objects = self._objects
        for record in records:
            current = objects.get(record.key)
            found = None if current is None else current.version
            if (found or 0) != record.version - 1:
                raise VersionConflictError(record.key, record.version - 1, found)
        key = entry.claimed_key
        if key is not None:
            if key in self._claimed:
                raise DuplicateKeyError(key)
            self._claimed.add(key)
        for record in records:
            if record.parent is not None:
                previous = objects.get(record.key)
                if previous is None or previous.parent != record.parent:
                    self._children.setdefault(record.parent, []).append(record.key)
            objects[record.key] = record
        self._journal.append(entry)
        return len(self._journal)

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    def journal(self) -> Iterator[JournalEntry]:
        """Entries with their sequence numbers (given on read: the list index is the seq)."""
        return (attrs.evolve(entry, seq=seq)
                for seq, entry in enumerate(list(self._journal), start=1))

    def objects(self) -> Iterator[ObjectRecord]:
        return iter(list(self._objects.values()))

    def close(self) -> None:
        """Nothing to release."""
