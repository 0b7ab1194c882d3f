"""What one decision read and what it writes.

The versions records were read at are the versions the commit requires (ARCHITECTURE.md,
"Every decision is versioned"): a record another worker changed meanwhile, or created where
none was read, makes the store refuse the commit and the orchestrator decide again.
"""

from __future__ import annotations

from .record import ObjectRecord, at_version
from .stores.base import Store


class Workset:
    """Records read (with their versions) and written by one decision; never shared."""

    __slots__ = ("_read", "_store", "_written", "claims", "notes")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._read: dict[str, ObjectRecord | None] = {}
        self._written: dict[str, ObjectRecord] = {}
        self.claims = True
        """Whether an applied or stale decision claims the input's dedupe key (not when the
        key was already claimed and the input only links a child to its parent)."""
        self.notes: list[str] = []
        """Warnings of steps taken before the final one (a link made on the way)."""

    def seed(self, key: str, record: ObjectRecord | None) -> None:
        """A record read together with the dedupe check (one round trip)."""
        self._read.setdefault(key, record)

    def get(self, key: str) -> ObjectRecord | None:
        """The record as this decision sees it: written here, else read once from the store."""
        if key in self._written:
            return self._written[key]
        if key not in self._read:
            self._read[key] = self._store.get(key)
        return self._read[key]

    def read(self, key: str) -> ObjectRecord | None:
        """The record as the store gave it to this decision (``None``: absent or not read)."""
        return self._read.get(key)

    def put(self, record: ObjectRecord) -> None:
        self._written[record.key] = record

    def discard(self) -> None:
        """Forget every write (the decision turned out to change nothing); reads stay."""
        self._written.clear()

    def version(self, key: str) -> int:
        record = self._read.get(key)
        return 0 if record is None else record.version

    def writes(self) -> tuple[ObjectRecord, ...]:
        """The records to commit, each one version past the one read."""
        read = self._read
        return tuple(at_version(record, 1 if (was := read.get(key)) is None else was.version + 1)
                     for key, record in self._written.items())

    def written(self) -> tuple[ObjectRecord, ...]:
        """The records this decision wrote, as written (their versions not yet moved)."""
        return tuple(self._written.values())

    def reads(self) -> tuple[tuple[str, int], ...]:
        """(key, version read; 0 when absent) of every record read but not written."""
        return tuple((key, 0 if record is None else record.version)
                     for key, record in self._read.items() if key not in self._written)
