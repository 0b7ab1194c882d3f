"""``paychart migrate STORE``, and how every command opens a ``postgresql://`` store.

Opening a store already migrates it when it is writable; ``migrate`` does it on purpose (a
deploy step before starting workers, or before a read-only ``replay``), and says what it did.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .errors import StoreError
from .exit import EXIT_OK, UsageError
from .stores.base import POSTGRES_SCHEMES, Store, open_store

_HELP = "create or migrate a store's schema (opening a writable store does it too)"
_EXAMPLES = ("  paychart migrate postgresql://paychart@db.internal:5432/payments\n"
             "  paychart migrate sqlite:day.sqlite\n")


def open_postgres(url: str, *, existing: bool = False) -> Store:
    """A PostgreSQL store for a command; ``existing`` opens it read-only (and refuses one
    that is missing its schema or needs a migration, saying to run ``migrate``)."""
    try:
        return open_store(url, read_only=existing)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def register(sub: argparse._SubParsersAction[Any],
             make: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``migrate`` to the command line (``make`` is cli.py's subcommand builder)."""
    p = make(sub, "migrate", _HELP, _EXAMPLES)
    p.add_argument("store", metavar="STORE", help="postgresql://USER@HOST:PORT/DB or sqlite:PATH")
    p.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    url: str = args.store
    if url.startswith(POSTGRES_SCHEMES):
        return _migrate_postgres(url)
    if url.startswith("sqlite:"):
        from ._cli_commands import open_store as open_cli_store
        from .stores import _rows

        open_cli_store(url).close()  # opening for writing creates or migrates it
        _say(f"{url}: schema version {_rows.SCHEMA_VERSION}, up to date")
        return EXIT_OK
    raise UsageError(f"cannot migrate {url!r}: give postgresql://USER@HOST:PORT/DB or "
                     "sqlite:PATH")


def _migrate_postgres(url: str) -> int:
    try:
        import psycopg

        from .stores import _pg_schema
        from .stores.postgres import CONNECT_TIMEOUT, display
    except ImportError as exc:
        raise UsageError(f"a postgresql:// store needs psycopg ({exc.name} is missing): "
                         "pip install 'paychart[postgresql]'") from None
    name = display(url)
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
            before, after = _pg_schema.migrate(conn, name, say=_say)
    except psycopg.Error as exc:
        raise UsageError(f"{name}: cannot migrate: "
                         f"{str(exc).strip().splitlines()[0] if str(exc).strip() else exc}"
                         ) from None
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    _say(f"{name}: schema version {after}"
          + (", up to date" if before == after else f" (was {before})"))
    return EXIT_OK


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
