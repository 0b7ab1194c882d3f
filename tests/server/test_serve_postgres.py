"""``paychart serve`` on PostgreSQL: two worker processes, each with its own connection pool,
answer every recorded callback as on SQLite; then eight concurrent senders redeliver them
all: no 5xx, the same answer as the first time, one journal entry per decision of every POST,
and the journal replays clean."""

from __future__ import annotations

from pathlib import Path

import httpx

from paychart import ChartSet, Orchestrator
from paychart.replay import replay
from paychart.stores.postgres import PostgresStore

from .support import (
    RACERS,
    all_secrets,
    expected_status,
    ingest_in_process,
    paychart_serve,
    post,
    recorded,
    redeliver,
    secrets_file,
)


def test_serve_on_postgresql_with_concurrent_redelivery(postgres_url: str,
                                                        tmp_path: Path) -> None:
    secrets = all_secrets()
    with paychart_serve(postgres_url, secrets_file(tmp_path / "secrets.toml"),
                        "--workers", "2") as url:
        store = PostgresStore(postgres_url)  # the merchant's side: its own calls' answers
        engine = Orchestrator(ChartSet.bundled(), store)
        try:
            first: dict[int, int] = {}
            decided: dict[int, int] = {}
            callbacks = []
            last = 0
            with httpx.Client(base_url=url, timeout=60) as client:
                for line in recorded():
                    if not line.callback:
                        ingest_in_process(engine, secrets, line.raw)
                        last = max((e.seq for e in store.entries(after=last)), default=last)
                        continue
                    first[id(line)] = post(client, line).status_code
                    journaled = store.entries(after=last)
                    assert journaled, (f"{line.sequence}: nothing journaled (answered "
                                       f"{first[id(line)]})")
                    last = journaled[-1].seq
                    assert first[id(line)] == expected_status(
                        [{"outcome": e.decision.outcome.value, "field": e.decision.field}
                         for e in journaled]), line.sequence
                    decided[id(line)] = len(journaled)
                    callbacks.append(line)
            assert set(first.values()) == {200, 400, 401}
            head = max(e.seq for e in store.entries())
            answers = redeliver(url, callbacks)
            assert len(answers) == RACERS * len(callbacks)
            assert all(status < 500 for _, status in answers)
            assert [status for line, status in answers] == [first[id(line)]
                                                            for line, _ in answers]
            added = store.entries(after=head)
            assert len(added) == RACERS * sum(decided.values())
            assert [e.seq for e in added] == list(range(head + 1, head + 1 + len(added)))
            report = replay(store, engine.charts)
            assert report.ok, report.differences[:5]
        finally:
            store.close()
