"""What an audit reads: a recording decided afresh, or a production store's journal read
as it is, narrowed to a time window, with the provenance an auditor needs to reproduce it.

A store is opened read-only at the SQLite level (``mode=ro``): the audit cannot write to it
even by mistake. Each decision keeps the amount its input reported, taken from the journal
entry (a recording is decided into an in-memory store tapped for exactly that).
"""

from __future__ import annotations

import hashlib
import sqlite3
import tomllib
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import attrs

from .charts import ChartSet
from .errors import PaychartError, StoreError
from .journal import JournalEntry
from .loader import bundled_spec_texts
from .money import Money
from .orchestrator import Orchestrator
from .record import ObjectRecord
from .secrets import Secrets
from .stores.base import POSTGRES_SCHEMES, Store, open_store
from .stores.memory import MemoryStore
from .stores.sqlite import SQLiteStore
from .validate import InputResult, ValidationRun, check_options, validate_file

NOT_RECORDED = "not recorded"


@attrs.frozen
class Window:
    """Inputs received in ``[since, until)``; an input without a time is kept only when the
    window is open on both sides (it cannot be placed in a bounded one)."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> Window:
        """From ``--since``/``--until`` ISO times (UTC when no offset is given)."""
        return cls(_time(since, "--since"), _time(until, "--until"))

    def holds(self, at: datetime | None) -> bool:
        if at is None:
            return self.since is None and self.until is None
        return ((self.since is None or at >= self.since)
                and (self.until is None or at < self.until))

    def describe(self) -> str:
        if self.since is None and self.until is None:
            return "everything"
        return (f"received from {self.since.isoformat() if self.since else 'the start'} "
                f"until {self.until.isoformat() if self.until else 'the end'}")


class BadTimeError(PaychartError):
    """A window bound that is not an ISO time."""


def _time(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise BadTimeError(f"{flag} wants an ISO time such as 2026-11-20T00:00:00+00:00, "
                           f"got {value!r}") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@attrs.frozen
class Provenance:
    """How to reproduce this audit: which paychart, which input, which charts and options."""

    paychart: str
    source_kind: str
    source: str
    digest_label: str
    digest: str
    chain_head: str
    charts: tuple[tuple[str, str], ...]
    options: tuple[str, ...]
    secrets_tables: tuple[str, ...]
    window: str


@attrs.frozen
class AuditInput:
    """The decisions to audit (``run.results`` already narrowed to the window), the amount
    each input reported (by result position) and the provenance."""

    run: ValidationRun
    amounts: tuple[Money | None, ...]
    provenance: Provenance


Progress = Callable[[int], None]


def paychart_version() -> str:
    try:
        return version("paychart")
    except PackageNotFoundError:
        return "unknown (source tree)"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def chart_digests(extra: Iterable[str | Path] = ()) -> dict[str, str]:
    """sha256 of every chart spec file by chart name: the bundled ones and ``extra``."""
    texts = [text for _name, text in bundled_spec_texts()]
    texts += [Path(path).read_text(encoding="utf-8") for path in extra]
    found = {}
    for text in texts:
        name = tomllib.loads(text).get("name")
        if isinstance(name, str):
            found[name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return found


def _used_charts(run: ValidationRun, digests: dict[str, str]) -> tuple[tuple[str, str], ...]:
    names = sorted({record.chart for record in run.written})
    return tuple((name, digests.get(name, NOT_RECORDED)) for name in names)


class _Tap(MemoryStore):
    """A memory store that keeps, per decision, the journal entry it was committed with."""

    def __init__(self) -> None:
        super().__init__()
        self.by_decision: dict[int, JournalEntry] = {}

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        seq = super().commit(entry, records, reads)
        self.by_decision[id(entry.decision)] = entry
        return seq


def _narrow(run: ValidationRun, keep: list[int], inputs: int) -> ValidationRun:
    """The run restricted to the results at ``keep``; objects as they ended in the window."""
    results = tuple(run.results[i] for i in keep)
    last: dict[str, ObjectRecord] = {}
    by_key = {record.key: record for record in run.written}
    for result in results:
        d = result.decision
        record = by_key.get(f"{d.provider}/{d.object_kind}/{d.object_id}")
        if record is None:
            continue
        if d.to_state is not None and d.ledger is not None:
            last[record.key] = attrs.evolve(record, state=d.to_state, ledger=d.ledger)
        else:
            last.setdefault(record.key, record)
    written = tuple(sorted(last.values(), key=lambda r: r.key))
    return attrs.evolve(run, results=results, inputs=inputs, written=written)


def from_recording(path: str | Path, *, charts: ChartSet, secrets: Secrets,
                   options: Sequence[str], window: Window = Window(),
                   chart_files: Iterable[str | Path] = (),
                   progress: Progress | None = None,
                   allow_unverified: Iterable[str] = ()) -> AuditInput:
    """Decide the recording afresh (every line, so objects carry their earlier history) and
    keep the decisions whose input arrived in the window."""
    tap = _Tap()
    run = validate_file(path, charts=charts, secrets=secrets, options=options, store=tap,
                        progress=progress, allow_unverified=allow_unverified)
    keep = [i for i, r in enumerate(run.results) if window.holds(r.received_at)]
    lines = {run.results[i].line for i in keep}
    if window != Window():
        run = _narrow(run, keep, len(lines))
    amounts, results = [], []
    for result in run.results:  # validate knows a raw input's signature only via its event
        entry = tap.by_decision.get(id(result.decision))
        event = entry.event if entry is not None else None
        amounts.append(event.money if event is not None else None)
        results.append(result if event is None else attrs.evolve(result,
                                                                   signature=event.signature))
    run = attrs.evolve(run, results=tuple(results))
    source = Path(path)
    provenance = Provenance(
        paychart_version(), "recording", source.name, "sha256 of the recording",
        _sha256_file(source), NOT_RECORDED,
        _used_charts(run, chart_digests(chart_files)), tuple(options),
        tuple(sorted(p for p in {r.decision.provider for r in run.results}
                     if p is not None and p in secrets)),
        window.describe())
    return AuditInput(run, tuple(amounts), provenance)


class StoreUnreadable(PaychartError):
    """The store named cannot be opened read-only as a paychart SQLite store."""


def _read_only(path: Path) -> SQLiteStore:
    """The store opened read-only: its readers, none of its writes."""
    if not path.is_file():
        raise StoreUnreadable(f"no store at {path}")
    try:
        store = SQLiteStore(path, read_only=True)
        next(store.journal(), None)
    except (StoreError, sqlite3.Error) as exc:
        raise StoreUnreadable(f"{path} is not a readable paychart store ({exc})") from None
    return store


def _open_store(url: str) -> Store:
    """``sqlite:PATH`` or ``postgresql://…``, read-only."""
    if url.startswith(POSTGRES_SCHEMES):
        try:
            return open_store(url, read_only=True)
        except StoreError as exc:
            raise StoreUnreadable(str(exc)) from None
    if not url.startswith("sqlite:") or not url.removeprefix("sqlite:"):
        raise StoreUnreadable(f"cannot audit store {url!r}: give sqlite:PATH or "
                              "postgresql://USER@HOST:PORT/DB")
    return _read_only(Path(url.removeprefix("sqlite:")))


def _chain_head(store: Store) -> str:
    """The journal's hash chain head as stored, to anchor outside the database (``paychart
    verify --head``), and from which seq it was chained at append."""
    chain_head: Callable[[], tuple[int, str]] | None = getattr(store, "chain_head", None)
    if chain_head is None:
        return "not recorded"
    seq, chain = chain_head()
    origin: int | None = getattr(store, "chained_from", lambda: None)()
    if origin is not None and origin > 1:
        return (f"entry #{seq}: {chain} (chained from seq {origin}; earlier entries were "
                "chained at migration)")
    return f"entry #{seq}: {chain}"


def _result(entry: JournalEntry) -> InputResult:
    event = entry.event
    return InputResult(entry.seq, entry.decision, None,
                       event.signature if event is not None else None,
                       entry.received_at, entry.channel)


def from_store(url: str, *, charts: ChartSet, window: Window = Window(),
               chart_files: Iterable[str | Path] = (),
               progress: Progress | None = None) -> AuditInput:
    """The journal of ``sqlite:PATH`` or ``postgresql://…`` as recorded (not decided again),
    in the window."""
    store = _open_store(url)
    results: list[InputResult] = []
    amounts: list[Money | None] = []
    options: set[str] = set()
    head = hashlib.sha256()
    entries = last_seq = 0
    try:
        for entry in store.journal():
            entries, last_seq = entries + 1, entry.seq
            head.update(f"{entry.seq}:{entry.payload_sha256 or ''}:"
                        f"{entry.decision.outcome.value}\n".encode())
            if progress is not None:
                progress(entries)
            if not window.holds(entry.received_at):
                continue
            results.append(_result(entry))
            amounts.append(entry.event.money if entry.event is not None else None)
            options.update(entry.options)
        written = tuple(store.objects())
        chain_head = _chain_head(store)
    finally:
        store.close()
    check_options(charts, sorted(options))
    run = ValidationRun(tuple(results), Orchestrator(charts, MemoryStore()), 0,
                        charts=charts, written=written)
    run = _narrow(run, list(range(len(results))), len({r.line for r in results}))
    provenance = Provenance(
        paychart_version(), "store", url,
        f"journal head: entry #{last_seq} of {entries}; sha256 over (seq, payload sha256, "
        "outcome) of every entry", head.hexdigest(), chain_head,
        _used_charts(run, chart_digests(chart_files)), tuple(sorted(options)), (),
        window.describe())
    return AuditInput(run, tuple(amounts), provenance)


def from_run(run: ValidationRun, source: str, options: Sequence[str]) -> AuditInput:
    """An already decided run as it is (amounts unknown: the run keeps no events)."""
    provenance = Provenance(paychart_version(), "recording", source, "sha256 of the input",
                            NOT_RECORDED, NOT_RECORDED, _used_charts(run, chart_digests()),
                            tuple(options), (), Window().describe())
    return AuditInput(run, (None,) * len(run.results), provenance)
