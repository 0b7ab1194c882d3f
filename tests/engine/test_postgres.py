"""What only the PostgreSQL store has (the shared contract is in test_store_contract.py):
schema versions and migrations, the append-only journal with its gap-free seq and the
outbox read, read-only opening, the command line, and a connection lost mid-commit."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from paychart import Orchestrator, Outcome, StoreError, VersionConflictError
from paychart.chain import verify_chain
from paychart.cli import main
from paychart.exit import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from paychart.journal import JOURNAL_COLUMNS, journal_cells
from paychart.stores import _pg_schema, postgres
from paychart.stores.base import open_store
from paychart.stores.postgres import PostgresStore, display

from .support import event, shop_charts
from .test_store_contract import KEY, entry, record

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "examples/cardlink_day.jsonl"
SECRETS = ROOT / "examples/cardlink_secrets.toml"


def test_importing_paychart_never_imports_psycopg() -> None:
    """The embedded default needs no PostgreSQL driver: only opening postgresql:// loads it."""
    code = ("import sys, paychart, paychart.cli, paychart.stores.base; "
            "sys.exit('psycopg' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0  # noqa: S603


def test_password_never_shown() -> None:
    url = "postgresql://pay:s3cret-pw@db.internal:6543/payments"
    assert display(url) == "postgresql://pay@db.internal:6543/payments"


# -- schema ----------------------------------------------------------------------------------

def test_an_older_schema_is_migrated_on_first_use(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert _pg_schema.migrate(conn, "test", target=1) == (0, 1)
        conn.execute("INSERT INTO objects (key, chart, object_id, state, version, authorized, "
                     "captured, refunded, charged_back) VALUES (%s, 'shop_payment', 'p1', "
                     "'paid', 1, 0, 0, 0, 0)", (KEY,))
    with pytest.raises(StoreError, match=rf"schema version 1, expected "
                       rf"{_pg_schema.SCHEMA_VERSION}; run `paychart migrate"):
        PostgresStore(postgres_url, read_only=True)
    store = PostgresStore(postgres_url)
    kept = store.get(KEY)
    assert kept is not None and kept.state == "paid"
    store.commit(entry(), [record(2, "refunded")])
    store.close()
    with psycopg.connect(postgres_url) as conn:
        assert _pg_schema.schema_version(conn) == _pg_schema.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM journal WHERE chain IS NULL").fetchone() == (0,)


def test_entries_from_before_the_chain_are_chained_at_migration(postgres_url: str) -> None:
    """A schema-2 journal row (no chain yet) is chained when the store is migrated, and the
    store says from which seq the chain was made at append."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert _pg_schema.migrate(conn, "test", target=2) == (0, 2)
        columns = ", ".join(JOURNAL_COLUMNS)
        cells = journal_cells(entry(), 1)
        conn.execute(f"INSERT INTO journal ({columns}) VALUES "  # noqa: S608 - constant columns
                     f"({', '.join(['%s'] * len(cells))})".encode(), cells)
        conn.execute("UPDATE journal_head SET seq = 1")
    store = PostgresStore(postgres_url)
    assert store.chained_from() == 2
    store.commit(entry("k2"), [record(1, "paid")])
    report = verify_chain(store.stored_journal())
    assert report.ok and report.entries == 2
    assert store.chain_head() == report.head
    store.close()


def test_a_newer_schema_is_refused(postgres_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99 is newer than this paychart"):
        PostgresStore(postgres_url)
    assert main(["migrate", postgres_url]) == EXIT_USAGE
    assert "newer than this paychart" in capsys.readouterr().err


def test_migrate_creates_then_finds_it_current(postgres_url: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", postgres_url]) == EXIT_OK
    assert "schema 1 -> 2" in capsys.readouterr().out
    assert main(["migrate", postgres_url]) == EXIT_OK
    assert f"schema version {_pg_schema.SCHEMA_VERSION}, up to date" in capsys.readouterr().out


def test_workers_racing_to_create_the_schema_make_it_once(postgres_url: str) -> None:
    errors: list[BaseException] = []

    def open_close() -> None:
        try:
            PostgresStore(postgres_url, pool_size=1).close()
        except BaseException as exc:  # collected: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=open_close) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_read_only_opening_never_creates_a_schema(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="no paychart store"):
        open_store(postgres_url, read_only=True)
    writer = PostgresStore(postgres_url)
    writer.commit(entry(), [record(1)])
    reader = open_store(postgres_url, read_only=True)
    with pytest.raises(StoreError, match="read-only"):
        reader.commit(entry(), [record(2)])
    assert reader.get(KEY) == writer.get(KEY)
    reader.close()
    writer.close()


# -- the journal -----------------------------------------------------------------------------

def test_journal_rows_cannot_be_changed_or_deleted(postgres_url: str) -> None:
    PostgresStore(postgres_url).commit(entry(), [record(1)])
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for statement in ("UPDATE journal SET outcome = 'rejected'", "DELETE FROM journal",
                          "TRUNCATE journal"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement.encode())
        assert conn.execute("SELECT count(*) FROM journal").fetchone() == (1,)


def test_seq_has_no_gap_where_a_commit_was_refused(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    assert store.commit(entry("k1"), [record(1)]) == 1
    with pytest.raises(VersionConflictError):
        store.commit(entry(), [record(1)])
    with pytest.raises(StoreError):  # the same claim again
        store.commit(entry("k1"), [record(2)])
    with store.batch(max_inputs=10):
        assert store.commit(entry(), [record(2)]) == 2
        with pytest.raises(VersionConflictError):
            store.commit(entry(), [record(2)])
        assert store.commit(entry(), [record(3)]) == 3
    assert [e.seq for e in store.journal()] == [1, 2, 3]
    assert [e.seq for e in store.entries(after=1)] == [2, 3]
    assert [e.seq for e in store.entries(after=0, limit=2)] == [1, 2]
    assert store.entries(after=3) == []
    store.close()


def test_the_journal_reads_back_what_was_decided(postgres_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Across pages: every entry, in order, equal to a memory store's of the same inputs."""
    monkeypatch.setattr(postgres, "PAGE", 10)
    store = PostgresStore(postgres_url)
    engine = Orchestrator(shop_charts(), store)
    reference = Orchestrator(shop_charts())
    events = [event(f"p{n}", "pay", "paid", amount=100 + n) for n in range(25)]
    for e in events:
        assert engine.apply(e) == reference.apply(e)
    assert [(e.seq, e.decision) for e in store.journal()] == [
        (e.seq, e.decision) for e in reference.store.journal()]
    assert list(store.objects()) == sorted(reference.store.objects(), key=lambda r: r.key)
    store.close()


# -- the command line ------------------------------------------------------------------------

def test_every_command_takes_a_postgresql_store(postgres_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", postgres_url]) == EXIT_USAGE
    assert "run `paychart migrate STORE`" in capsys.readouterr().err
    assert main(["validate", str(DAY), "--secrets", str(SECRETS),
                 "--store", postgres_url]) == EXIT_FINDINGS
    capsys.readouterr()
    assert main(["replay", postgres_url]) == EXIT_OK
    assert "replay matches the store" in capsys.readouterr().out
    assert main(["objects", postgres_url, "--format", "json"]) == EXIT_OK
    assert '"provider": "cardlink"' in capsys.readouterr().out
    assert main(["verify", postgres_url]) == EXIT_OK
    store = PostgresStore(postgres_url, read_only=True)
    seq, head = store.chain_head()
    store.close()
    assert f"head: entry #{seq} chain {head}" in capsys.readouterr().out
    assert main(["verify", postgres_url, "--head", head]) == EXIT_OK
    capsys.readouterr()
    out = tmp_path / "audit"
    assert main(["audit", postgres_url, "--out", str(out)]) == EXIT_FINDINGS
    assert f"entry #{seq}: {head}" in (out / "audit.html").read_text(encoding="utf-8")


def test_an_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://nobody:pw-never-shown@127.0.0.1:1/none"
    assert main(["objects", url]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pw-never-shown" not in err
    assert "postgresql://nobody@127.0.0.1:1/none: cannot open" in err


# -- failover --------------------------------------------------------------------------------

def test_a_connection_lost_mid_commit_is_decided_again_never_twice(postgres_url: str) -> None:
    """The commit waits for the journal head, its connection is killed: the input fails
    loudly, nothing of it is kept, and feeding it again applies it once."""
    store = PostgresStore(postgres_url, pool_size=2)
    engine = Orchestrator(shop_charts(), store)
    pay = event("p1", "pay", "paid", amount=700)
    failures: list[BaseException] = []

    def apply() -> None:
        try:
            engine.apply(pay)
        except StoreError as exc:
            failures.append(exc)

    with psycopg.connect(postgres_url) as holder:
        holder.execute("SELECT seq FROM journal_head FOR UPDATE")
        worker = threading.Thread(target=apply)
        worker.start()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            waiting: list[int] = []
            while not waiting:
                time.sleep(0.02)
                waiting = [pid for (pid,) in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'UPDATE journal_head%%'").fetchall()]
            admin.execute("SELECT pg_terminate_backend(%s)", (waiting[0],))
        worker.join()
    assert len(failures) == 1 and "feed the input again" in str(failures[0])
    assert store.get(KEY) is None and list(store.journal()) == []
    assert engine.apply(pay).outcome is Outcome.APPLIED
    assert engine.apply(pay).outcome is Outcome.DUPLICATE  # a redelivery after a lost reply
    paid = store.get(KEY)
    assert paid is not None and paid.ledger.captured == 700 and paid.version == 1
    store.close()


def test_reads_survive_a_restarted_connection(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, pool_size=1)
    store.commit(entry(), [record(1)])
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    assert store.get(KEY) == record(1)
    store.close()



def test_threads_beyond_the_pool_size_all_read_and_give_their_connections_back(
        postgres_url: str) -> None:
    """Threads keep their connection, but one stays pooled: more threads than the pool
    holds all get through, and a thread's kept connection returns when the thread ends."""
    store = PostgresStore(postgres_url, pool_size=2)
    try:
        orchestrator = Orchestrator(shop_charts(), store)
        created = event("pay_1", "pay", "paid", amount=700)
        decided: list[Outcome] = []
        applying = threading.Thread(target=lambda: decided.append(
            orchestrator.apply(created).outcome))  # so this thread keeps no connection
        applying.start()
        applying.join(timeout=60)
        assert decided == [Outcome.APPLIED]
        start = threading.Barrier(6)
        found: list[object] = []

        def read() -> None:
            start.wait(timeout=30)
            for _ in range(20):
                found.append(store.get(created.key))

        threads = [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert len(found) == 120 and all(r is not None for r in found)
        # The ended threads gave theirs back: both pooled connections are free.
        with store._pool.connection(timeout=5) as conn, store._pool.connection(timeout=5) as other:
            assert conn is not other
    finally:
        store.close()
