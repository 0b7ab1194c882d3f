"""``paychart tail``: a store's journal entries in order, the outbox a backend consumes.

A consumer keeps the last ``seq`` it handled and asks for the entries after it (``--after``):
every decision arrives once and in order, with no second queue to keep in step. ``--follow``
waits for new entries; each poll opens the store read-only afresh, so it also sees a store
that a server began writing after ``tail`` started. Ctrl-C or SIGTERM ends it with status 0
after the page it is printing: the signal only sets a flag, since a ``KeyboardInterrupt``
raised wherever the signal lands can be swallowed (a finalizer run by the garbage collector
prints and drops it) and leave ``--follow`` running.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from . import _cli_commands as commands
from .exit import EXIT_OK
from .journal import JournalEntry
from .serialize import to_json

POLL_SECONDS = 0.5
PAGE = 500

EXAMPLES = ("  paychart tail sqlite:payments.sqlite\n"
            "  paychart tail sqlite:payments.sqlite --after 1041 --follow --format json\n\n"
            "json: one object a line, {\"seq\", \"received_at\", \"channel\", \"decision\"};\n"
            "  resume with --after the last seq handled\n")


def _seq(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"SEQ must be a whole number ≥ 0, got {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction[Any],
             make: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``tail`` to the subcommands (``make`` is ``cli._sub``)."""
    p = make(sub, "tail", "print a store's journal entries in order, the outbox of decisions",
             EXAMPLES)
    p.add_argument("store", metavar="STORE",
                   help="the store to read (read-only): sqlite:PATH or postgresql://…")
    p.add_argument("--after", type=_seq, default=0, metavar="SEQ",
                   help="only entries after this sequence number (default: 0, all)")
    p.add_argument("--follow", action="store_true", help="keep waiting for new entries")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or json, one object a line")
    p.set_defaults(func=cmd_tail)


def as_json(entry: JournalEntry) -> dict[str, Any]:
    return {"seq": entry.seq,
            "received_at": entry.received_at.isoformat() if entry.received_at else None,
            "channel": entry.channel, "decision": to_json(entry.decision)}


def beyond_move(reason: str, move: str) -> str:
    """What ``reason`` says that the printed move does not: a plain move's reason is the
    move itself, in backquotes, and one that adds a note in brackets keeps the note only."""
    plain = reason.replace("`", "").strip()
    if plain == move:
        return ""
    if plain.startswith(move + " "):
        return plain[len(move):].strip()
    return reason


def as_text(entry: JournalEntry) -> str:
    d = entry.decision
    where = "/".join(part or "?" for part in (d.provider, d.object_kind, d.object_id))
    move = f"{d.from_state or '∅'} → {d.to_state}" if d.to_state else "-"
    received = entry.received_at.isoformat() if entry.received_at else "-"
    line = f"{entry.seq:>7}  {received}  {where}  {d.outcome.value}  {move}"
    said = beyond_move(d.reason, move)
    return f"{line}  {said}" if said else line


def _page(url: str, after: int) -> list[JournalEntry]:
    store = commands.open_store(url, existing=True)
    try:
        return store.entries(after=after, limit=PAGE)
    finally:
        store.close()


class _Stop:
    """Set by SIGINT or SIGTERM: a plain flag (a ``threading.Event`` set from a handler
    can deadlock on its own lock)."""

    requested = False


@contextmanager
def _stop_on_signal() -> Iterator[_Stop]:
    """A flag SIGINT and SIGTERM set (their handlers restored afterwards)."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # only the main thread can take signals; a caller's thread ends by itself
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.requested = True

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, previous in before.items():
            signal.signal(sig, previous)


def cmd_tail(args: argparse.Namespace) -> int:
    show = (lambda e: json.dumps(as_json(e), ensure_ascii=False)) if args.format == "json" \
        else as_text
    after = args.after
    with _stop_on_signal() as stop:
        while not stop.requested:
            page = _page(args.store, after)
            for entry in page:
                commands.out(show(entry) + "\n")
                after = entry.seq
            sys.stdout.flush()
            if len(page) == PAGE:
                continue
            if not args.follow:
                break
            time.sleep(POLL_SECONDS)  # a signal cuts it short, then the loop ends
    return EXIT_OK
