"""The results a ``report_only`` run keeps, deflated a chunk at a time.

A report lists every result that is not a plain ``applied`` one, and on real traffic that is
a third of the inputs (every PLATFORM callback carries its "unconfirmed" warning): kept as
objects, a million records held ~300 MB of them. Pickled and deflated 256 at a time they take
a few tens of bytes each, and the reports still read them as a sequence, in order.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")

CHUNK = 256


class PackedResults(Sequence[T], Generic[T]):
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

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PackedResults({self._count} kept)"


def _chunk(sealed: bytes) -> list[T]:
    loaded: list[T] = pickle.loads(zlib.decompress(sealed))  # noqa: S301 - our own pickle
    return loaded
