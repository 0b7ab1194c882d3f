"""What a ``report_only`` run keeps for its report, in memory that does not grow with records.

The results it lists (every decision that is not ``applied``) are pickled and deflated 256 at
a time: a few tens of bytes each, still read as a sequence, in order. The objects it wrote
are kept as their keys only: a SQLite or PostgreSQL store already holds each record, and a
million inputs touch a few hundred thousand objects, which held as records took ~1.5 KB each.
The report reads them back by key, as they ended.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Generic, TypeVar, cast, overload

from .event import Event
from .journal import JournalEntry
from .record import ObjectRecord
from .stores.base import BATCH_INPUTS, BATCH_SECONDS, Store

T = TypeVar("T")

CHUNK = 256


class _SameItems:
    """Equal to any sequence holding the same items, in order, as a tuple would be; not
    hashable, as a list is not."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return tuple(cast(Sequence[object], self)) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class PackedResults(_SameItems, Sequence[T], Generic[T]):
    """Appended in order, read back as often as a report wants (each chunk inflated on the
    way); only this process's own pickles are ever loaded."""

    def __init__(self) -> None:
        self._sealed: list[bytes] = []
        self._recent: list[T] = []
        self._count = 0

    def append(self, item: T) -> None:
        self._recent.append(item)
        self._count += 1
        if len(self._recent) == CHUNK:
            self._sealed.append(zlib.compress(pickle.dumps(self._recent,
                                                           pickle.HIGHEST_PROTOCOL), 1))
            self._recent = []

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        for sealed in self._sealed:
            yield from _chunk(sealed)
        yield from self._recent

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return tuple(self)[index]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        chunk, offset = divmod(index, CHUNK)
        if chunk < len(self._sealed):
            return _chunk(self._sealed[chunk])[offset]
        return self._recent[offset]

    def __repr__(self) -> str:
        return f"PackedResults({self._count} kept)"


def _chunk(sealed: bytes) -> list[T]:
    loaded: list[T] = pickle.loads(zlib.decompress(sealed))  # noqa: S301 - our own pickle
    return loaded


class WrittenObjects(_SameItems, Sequence[ObjectRecord]):
    """The objects a run wrote, by key: each read back from the store when asked for."""

    def __init__(self, keys: Iterable[str], fetch: Callable[[str], ObjectRecord | None]
                 ) -> None:
        self._keys = tuple(sorted(keys))
        self._fetch = fetch

    def fetch(self, key: str) -> ObjectRecord:
        """One written object by key (``LookupError`` if the store lost it)."""
        record = self._fetch(key)
        if record is None:  # the run committed it: only a store emptied since loses it
            raise LookupError(f"{key} was written by this run but is no longer stored")
        return record

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[ObjectRecord]:
        return map(self.fetch, self._keys)

    @overload
    def __getitem__(self, index: int) -> ObjectRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ObjectRecord]: ...

    def __getitem__(self, index: int | slice) -> ObjectRecord | Sequence[ObjectRecord]:
        if isinstance(index, slice):
            return tuple(map(self.fetch, self._keys[index]))
        return self.fetch(self._keys[index])

    def __repr__(self) -> str:
        return f"WrittenObjects({len(self._keys)} keys)"


class ObservedStore:
    """The run's store, noting the last record of each object every commit writes (or,
    with ``keys_only``, just its key: the store keeps the record). Everything else passes
    through."""

    def __init__(self, store: Store, *, keys_only: bool = False) -> None:
        self.inner = store
        self.latest: dict[str, ObjectRecord] = {}
        self.keys: set[str] | None = set() if keys_only else None

    def get(self, key: str) -> ObjectRecord | None:
        return self.inner.get(key)

    def seen(self, object_key: str, dedupe_key: str) -> bool:
        return self.inner.seen(object_key, dedupe_key)

    def load(self, object_key: str, dedupe_key: str) -> tuple[bool, ObjectRecord | None]:
        return self.inner.load(object_key, dedupe_key)

    def children(self, parent_key: str) -> Sequence[ObjectRecord]:
        return self.inner.children(parent_key)

    def by_reference(self, provider: str, reference: str) -> Sequence[ObjectRecord]:
        return self.inner.by_reference(provider, reference)

    def history(self, object_key: str) -> Sequence[Event]:
        return self.inner.history(object_key)

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        seq = self.inner.commit(entry, records, reads)
        if self.keys is not None:
            self.keys.update(record.key for record in records)
        else:
            for record in records:
                self.latest[record.key] = record
        return seq

    def written(self) -> Sequence[ObjectRecord]:
        """What the run wrote, by key, as it ended."""
        if self.keys is not None:
            return WrittenObjects(self.keys, self.inner.get)
        return tuple(sorted(self.latest.values(), key=lambda r: r.key))

    def batch(self, max_inputs: int = BATCH_INPUTS,
              max_seconds: float = BATCH_SECONDS) -> AbstractContextManager[None]:
        return self.inner.batch(max_inputs, max_seconds)

    def journal(self) -> Iterator[JournalEntry]:
        return self.inner.journal()

    def entries(self, after: int = 0, limit: int | None = None) -> list[JournalEntry]:
        return self.inner.entries(after, limit)

    def objects(self, *, placeholders: bool = False) -> Iterator[ObjectRecord]:
        return self.inner.objects(placeholders=placeholders)

    def close(self) -> None:
        self.inner.close()
