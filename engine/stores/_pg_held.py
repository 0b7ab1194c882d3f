"""Thread-sticky PostgreSQL connections: a thread keeps the pooled connection it first took
for its reads and commits, so a decision costs no pool checkout per statement.

At most ``limit`` connections are kept (the pool's size less one), so threads beyond the
pool's size still get a connection, checked out per use. A kept connection goes back to the
pool when its thread ends (its ``threading.local`` value is released then) or is dropped
after an error, and is closed with the store.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

Conn = psycopg.Connection[DictRow]


class _Held:
    """A thread's own connection, given back by whoever releases it last."""

    __slots__ = ("conn", "release")

    def __init__(self, conn: Conn, release: Callable[[Conn], None]) -> None:
        self.conn = conn
        self.release = release

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # a closed pool at shutdown: nothing to give back
            self.release(self.conn)


class ThreadConnections:
    """The threads' own connections from ``pool``, at most ``limit`` of them kept."""

    def __init__(self, pool: ConnectionPool[Conn], limit: int) -> None:
        self._pool = pool
        self._limit = limit
        self._local = threading.local()
        self._lock = threading.Lock()
        self._count = 0
        self._kept: set[Conn] = set()

    @contextmanager
    def connection(self) -> Iterator[Conn]:
        """The thread's own connection, taken from the pool once while there is room to
        keep one; else one checked out for this use only."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and not held.conn.closed and not self._pool.closed:
            yield held.conn
            return
        self._local.held = None  # closed after an error (given back): take another
        with self._lock:
            keep = self._count < self._limit
            if keep:
                self._count += 1
        if not keep:
            with self._pool.connection() as conn:
                yield conn
            return
        try:
            conn = self._pool.getconn()
        except BaseException:
            self._give_back(None)
            raise
        with self._lock:
            self._kept.add(conn)
        self._local.held = _Held(conn, self._give_back)
        yield conn

    def drop(self) -> None:
        """Forget the thread's connection (lost or closed): the next use takes a fresh one."""
        self._local.held = None

    def close(self) -> None:
        """Close every kept connection (the pool, closed first, no longer has them)."""
        with self._lock:
            kept, self._kept = list(self._kept), set()
        for conn in kept:
            conn.close()
        self._local = threading.local()

    def _give_back(self, conn: Conn | None) -> None:
        with self._lock:
            self._count -= 1
            if conn is not None:
                self._kept.discard(conn)
        if conn is None:
            return
        if self._pool.closed:
            conn.close()
        else:
            self._pool.putconn(conn)
