"""Many workers on one PostgreSQL database beyond the shared contract: a worker killed with
SIGKILL mid-run whose input is fed again, and the serializable alternative converging too."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import psycopg

from paychart.replay import replay
from paychart.stores.postgres import PostgresStore

from .support import shop_charts
from .test_store_contract import (
    _process,
    check_converged,
    delivery,
    feed_in_threads,
    ordered_ends,
)


def _journal_head(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT seq FROM journal_head").fetchone()
    assert row is not None
    return int(row[0])


def test_a_worker_killed_mid_run_then_fed_again_ends_the_same(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    fork = multiprocessing.get_context("fork")
    victim = fork.Process(target=_process, args=(postgres_url, 0))
    victim.start()
    while _journal_head(postgres_url) < 20 and victim.is_alive():
        time.sleep(0.005)
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    victim.join()
    assert victim.exitcode == -signal.SIGKILL, "killed mid-run, not finished"
    before = _journal_head(postgres_url)
    assert 20 <= before < len(delivery(0))
    with fork.Pool(4) as pool:  # the killed worker's input again, with three more workers
        fed = sum(pool.starmap(_process, [(postgres_url, seed) for seed in range(4)]))
    store = PostgresStore(postgres_url, read_only=True)
    assert len(list(store.journal())) == before + fed, "one entry per input fed again"
    ends = {r.key: (r.state, r.ledger) for r in store.objects()}
    assert ends == ordered_ends(), "no effect lost or applied twice"
    report = replay(store, shop_charts())
    assert report.ok, report.differences[:5]
    store.close()


def test_serializable_commits_converge_too(postgres_url: str) -> None:
    """The isolation level measured against READ COMMITTED: its head-row collisions are
    retried inside the store, and the outcome is the same."""
    store = PostgresStore(postgres_url, isolation="serializable")
    check_converged(store, feed_in_threads(store, range(4)))
    store.close()
