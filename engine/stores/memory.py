"""In-memory store: the fastest, for tests, benchmarks and one-off validation runs."""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

from ..chain import GENESIS, StoredEntry, canonical
from ..errors import DuplicateKeyError, StoreError, VersionConflictError
from ..event import Event
from ..journal import JOURNAL_COLUMNS, JournalEntry, entry_from_cells, journal_cells, stored_event
from ..record import ObjectRecord
from ._packed import PackedJournal, Snapshot
from .base import BATCH_INPUTS, BATCH_SECONDS

_DIGEST = 8
_POSITION = 4
CLAIM_BYTES = _DIGEST + _POSITION
"""One claimed key in the index: its 8-byte digest, then the 4-byte little-endian position of
the journal entry that claimed it (the object's history reads those entries back)."""
_POSITIONS = struct.Struct(f"<{_DIGEST}xI")
_EVENT = JOURNAL_COLUMNS.index("event")


@functools.lru_cache(maxsize=64)
def _digest(dedupe_key: str) -> bytes:
    """Cached briefly: an input's key is digested when it is looked up and when it is claimed."""
    return hashlib.blake2b(dedupe_key.encode("utf-8"), digest_size=_DIGEST).digest()


def _contains(packed: bytes, digest: bytes) -> bool:
    """Whether ``digest`` is the digest of one of the claims packed end to end in ``packed``."""
    at = packed.find(digest)
    while at != -1 and at % CLAIM_BYTES:
        at = packed.find(digest, at + 1)
    return at != -1


class MemoryStore:
    """Dicts and a list; the same contract as the durable stores, minus durability.

    Claimed dedupe keys are kept per object as 8-byte BLAKE2b digests packed in one ``bytes``
    (about 8 bytes a key instead of ~130 for the string in a set): a false duplicate needs two
    of one object's few keys to collide, odds of about 2⁻⁶⁴ per pair. Each digest is followed
    by the journal position of the entry that claimed it, so the same ``bytes`` is the
    object's history (12 bytes a claim, instead of a list of int objects beside it); a memory
    store holds fewer than 2³² entries. Journal entries are serialized once at commit and kept
    packed (``_packed``): a few hundred bytes an entry instead of its objects (and nothing for
    the cyclic GC to walk), read back like a durable store reads its rows.
    """

    def __init__(self) -> None:
        self._objects: dict[str, ObjectRecord] = {}
        self._claimed: dict[str, bytes] = {}
        self._children: dict[str, list[str]] = {}
        self._referenced: dict[tuple[str, str], list[str]] = {}
        """(provider, merchant reference) → object keys, in the order they got it."""
        self._journal = PackedJournal()
        self._head = GENESIS
        self._lock = threading.Lock()
        """Commits check and write under it; reads are single dict lookups (atomic)."""

    def get(self, key: str) -> ObjectRecord | None:
        return self._objects.get(key)

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        claimed = self._claimed.get(object_key)
        return claimed is not None and _contains(claimed, _digest(dedupe_key))

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        return self.seen(object_key, dedupe_key), self._objects.get(object_key)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        return [self._objects[key] for key in self._children.get(parent_key, ())]

    def history(self, object_key: str) -> Sequence[Event]:
        with self._lock:
            claims = self._claimed.get(object_key, b"")
            stored = self._journal.at([at for (at,) in _POSITIONS.iter_unpack(claims)])
        return [stored_event(cells[0], cells[_EVENT]) for cells in map(_cells, stored)]

    def by_reference(self, provider: str, reference: str) -> Sequence[ObjectRecord]:
        keys = self._referenced.get((provider, reference), ())
        return [self._objects[key] for key in sorted(keys)]

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        with self._lock:
            return self._commit(entry, records, reads)

    def _commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
                reads: Sequence[tuple[str, int]]) -> int:
        objects = self._objects
        for read_key, version in reads:
            current = objects.get(read_key)
            found = None if current is None else current.version
            if (found or 0) != version:
                raise VersionConflictError(read_key, version, found)
        previous = [objects.get(record.key) for record in records]
        for record, current in zip(records, previous, strict=True):
            found = None if current is None else current.version
            if (found or 0) != record.version - 1:
                raise VersionConflictError(record.key, record.version - 1, found)
        key = entry.claimed_key
        claim = b""
        if key is not None:
            if entry.event is None:
                raise StoreError("a claimed dedupe key needs the event it belongs to")
            claim = _digest(key)
            if _contains(self._claimed.get(entry.event.key, b""), claim):
                raise DuplicateKeyError(key)
        journal = self._journal
        seq = len(journal) + 1
        stored = canonical(journal_cells(entry, seq))
        digest = hashlib.sha256(self._head.encode("ascii") + stored).digest()
        for record, current in zip(records, previous, strict=True):
            if record.parent is not None and (current is None
                                              or current.parent != record.parent):
                self._children.setdefault(record.parent, []).append(record.key)
            if current is None or current.reference != record.reference:
                self._reindex_reference(current, record)
            objects[record.key] = record
        if claim and entry.event is not None:
            owner = entry.event.key
            owned = objects.get(owner)
            shared = owner if owned is None else owned.key  # one key string
            claimed = self._claimed
            claimed[shared] = claimed.get(shared, b"") + claim + (seq - 1).to_bytes(_POSITION,
                                                                                   "little")
        journal.append(stored, digest)
        self._head = digest.hex()
        return seq

    def _reindex_reference(self, previous: ObjectRecord | None, record: ObjectRecord) -> None:
        provider = record.key.split("/", 1)[0]
        if previous is not None and previous.reference is not None:
            self._referenced[(provider, previous.reference)].remove(record.key)
        if record.reference is not None:
            self._referenced.setdefault((provider, record.reference), []).append(record.key)

    def batch(self, max_inputs: int = BATCH_INPUTS,
              max_seconds: float = BATCH_SECONDS) -> AbstractContextManager[None]:
        """Nothing to group: every commit is already in memory."""
        return nullcontext()

    def _snapshot(self) -> Snapshot:
        with self._lock:
            return self._journal.snapshot()

    def journal(self) -> Iterator[JournalEntry]:
        return (_entry(stored) for stored in self._snapshot().rows())

    def stored_journal(self) -> Iterator[StoredEntry]:
        """The entries as the other stores keep them: their cells and chains."""
        return (StoredEntry(tuple(_cells(cells)), digest.hex())
                for cells, digest in self._snapshot().rows())

    def chain_head(self) -> tuple[int, str]:
        """The last entry's seq and chain; (0, ``GENESIS``) when empty."""
        with self._lock:
            return len(self._journal), self._head

    def chained_from(self) -> int:
        """Every entry is chained at append."""
        return 1

    def entries(self, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        start = max(after, 0)
        stop = None if limit is None else start + max(limit, 0)
        return [_entry(stored) for stored in self._snapshot().rows(start, stop)]

    def objects(self, *, placeholders: bool = False) -> Iterator[ObjectRecord]:
        return iter([record for record in list(self._objects.values())
                     if placeholders or not record.placeholder])

    def close(self) -> None:
        """Nothing to release."""


def _entry(stored: tuple[bytes, bytes]) -> JournalEntry:
    """The entry kept as ``stored``: its cells are read back exactly as they were hashed."""
    cells, digest = stored
    return entry_from_cells(_cells(cells), digest.hex())


def _cells(stored: bytes) -> list[object]:
    """``chain.canonical`` read back (its text encoded with ``surrogateescape``)."""
    cells: list[object] = json.loads(stored.decode("utf-8", "surrogateescape"))
    return cells
