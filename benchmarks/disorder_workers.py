"""Several `paychart validate` processes on one store, each feeding its own shuffled copy of
the same simulated five-provider traffic (a third of it twice, then all of it again, as
providers retry what was refused): the objects must end as the simulator expects, the
journal must replay, and every decision must be journaled.

Not a timing: the figures the concurrency-and-disorder issue asks for (processes × inputs,
objects differing, replay differences). Run ``python benchmarks/disorder_workers.py
[--processes 8] [--families 20] [--store sqlite|postgresql]`` (``postgresql`` uses
``PAYCHART_TEST_POSTGRES`` or starts a throwaway cluster).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the test secrets and the throwaway PostgreSQL server

from paychart import ChartSet  # noqa: E402
from paychart.record import ObjectRecord  # noqa: E402
from paychart.replay import replay  # noqa: E402
from paychart.simulate import DEFAULT_RATES, simulate  # noqa: E402
from paychart.stores.base import open_store  # noqa: E402
from tests.engine.postgres_server import running  # noqa: E402
from tests.simulate.support import PROVIDERS, START, secrets_toml, tables  # noqa: E402

ONLY_DISORDER = {**dict.fromkeys(DEFAULT_RATES, 0.0), "duplicate": DEFAULT_RATES["duplicate"],
                 "forged": DEFAULT_RATES["forged"]}
"""The shuffle is the fault: no planted late, reordered or over-refund messages."""


def _differs(record: ObjectRecord | None, want: Mapping[str, object]) -> bool:
    if record is None:
        return True
    ledger = want["ledger"]
    assert isinstance(ledger, dict)
    return record.state != want["state"] or any(
        getattr(record.ledger, figure) != ledger[figure]
        for figure in ("authorized", "captured", "refunded", "charged_back"))


def run(url: str, processes: int, families: int, work: Path) -> str:
    secrets = work / "secrets.toml"
    secrets.write_text(secrets_toml())
    made = simulate(PROVIDERS, objects=families, seed=11, secrets=tables(secrets), start=START,
                    span=timedelta(hours=24), rates=ONLY_DISORDER)
    lines = [json.dumps(record) for record in made.records]
    feeds = []
    for k in range(processes):
        rng = random.Random(100 + k)
        shuffled = lines + rng.sample(lines, len(lines) // 3)
        rng.shuffle(shuffled)
        feed = work / f"feed{k}.jsonl"
        feed.write_text("\n".join(shuffled + lines) + "\n")
        feeds.append((feed, len(shuffled) + len(lines)))
    workers = [subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "paychart", "validate", str(feed), "--secrets", str(secrets),
         "--store", url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for feed, _ in feeds]
    failed = [err.decode()[-300:] for w in workers if (err := w.communicate()[1]) and
              w.returncode not in (0, 1)]
    store = open_store(url)
    try:
        entries = sum(1 for _ in store.journal())
        objects = {record.key: record for record in store.objects()}
        expected = made.expect["objects"]
        assert isinstance(expected, dict)
        differing = sum(_differs(objects.get(key), want) for key, want in expected.items())
        differences = len(replay(store, ChartSet.bundled()).differences)
    finally:
        store.close()
    fed = sum(n for _, n in feeds)
    report = (f"{processes} processes × {feeds[0][1]:,} inputs = {fed:,} inputs fed; "
              f"{entries:,} journal entries (one per decision); objects differing from the "
              f"simulator's expectations: {differing} of {len(expected)}; replay "
              f"differences: {differences}")
    return report + "".join(f"\nworker failed: {text}" for text in failed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--families", type=int, default=20, help="families per provider")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        if args.store == "sqlite":
            url = f"sqlite:{work / 'shared.db'}"
            print(f"sqlite: {run(url, args.processes, args.families, work)}")
        else:
            with running() as server:
                print(f"postgresql: {run(server, args.processes, args.families, work)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
