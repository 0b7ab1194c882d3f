"""Load test of ``paychart serve``: requests/s and p50/p99 latency, 1 and N workers, on SQLite
and on PostgreSQL.

A bounded run on loopback only: ``--count`` signed CARDLINK callbacks (per payment
``pending``, ``approved``, then the ``approved`` redelivered: two applied, one duplicate)
sent by ``--clients`` concurrent senders (each payment's callbacks in order, by one sender)
to a real ``paychart serve`` process on 127.0.0.1, on a fresh store per run: durable SQLite
(``synchronous=FULL``), and PostgreSQL (a fresh database per run, the server's own
``synchronous_commit``; each worker has a pool of 8 connections and as many threads). The
baseline is the same callbacks ingested in-process by one thread on the same kind of store:
what HTTP, the thread pool and the workers add. Every answer must be 200 and the journal must
hold one entry per request, else the script stops. Always exits 0 otherwise.

PostgreSQL runs when a server can be had: ``--url``, else ``$PAYCHART_TEST_POSTGRES``, else a
throwaway cluster made with the local server binaries (as the tests do); ``--stores sqlite``
leaves it out.

    python benchmarks/bench_serve.py                  # 3000 requests, 8 senders, 1 and N workers
    python benchmarks/bench_serve.py --quick          # 300 requests
    python benchmarks/bench_serve.py --count 6000 --clients 16 --workers 4 --stores postgresql
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from paychart import ChartSet, Orchestrator, RawInput, SQLiteStore
from paychart.adapters import get_adapter
from paychart.adapters.cardlink.signature import digest
from paychart.stores.base import Store

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # tests.engine.postgres_server makes a throwaway cluster
SECRETS = REPO_ROOT / "tests" / "adapters" / "fixtures" / "cardlink" / "secrets.toml"
HEADERS = {"Content-Type": "application/json"}


def private_key() -> str:
    import tomllib

    return str(tomllib.loads(SECRETS.read_text(encoding="utf-8"))["cardlink"]["private_key"])


def callbacks(payments: int, key: str) -> list[list[bytes]]:
    """Per payment its three callback bodies, signed as the platform signs them."""
    found = []
    for n in range(payments):
        token = f"{n:032x}"
        bodies = []
        for status in ("pending", "approved", "approved"):
            data = {"token": token, "type": "pay", "status": status, "amount": 1000 + n,
                    "currency": "EUR", "orderNumber": f"bench-{n}"}
            data["signature"] = digest(data, key)
            bodies.append(json.dumps(data).encode("utf-8"))
        found.append(bodies)
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- stores -------------------------------------------------------------------------------------

def postgres_unavailable(url: str | None) -> str | None:
    """Why no PostgreSQL server can be had, or ``None``."""
    if url or os.environ.get("PAYCHART_TEST_POSTGRES"):
        return None
    from tests.engine.postgres_server import unavailable

    return unavailable()


def postgres_server(url: str | None) -> AbstractContextManager[str]:
    """``--url``, else ``PAYCHART_TEST_POSTGRES``, else a throwaway cluster."""
    from tests.engine.postgres_server import running

    return running(url)


class Stores:
    """Fresh stores of one kind: ``sqlite:`` files in ``folder``, or PostgreSQL databases
    on the ``admin`` server (dropped at ``close``)."""

    def __init__(self, kind: str, folder: Path, admin: str | None = None) -> None:
        self.kind = kind
        self.folder = folder
        self.admin = admin
        self.made: list[str] = []

    def fresh(self, name: str) -> str:
        if self.kind == "sqlite":
            return f"sqlite:{self.folder / (name + '.sqlite')}"
        import psycopg

        from tests.engine.postgres_server import database_url

        assert self.admin is not None
        database = f"paychart_bench_serve_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}"'.encode())
        self.made.append(database)
        return database_url(self.admin, database)

    def close(self) -> None:
        if not self.made:
            return
        import psycopg

        with psycopg.connect(self.admin or "", autocommit=True) as conn:
            for database in self.made:
                conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)'.encode())


def open_store(url: str) -> Store:
    if url.startswith("sqlite:"):
        return SQLiteStore(url.removeprefix("sqlite:"))
    from paychart.stores.postgres import PostgresStore

    return PostgresStore(url)


# -- runs ---------------------------------------------------------------------------------------

def start_server(store: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "paychart", "serve", "--store", store, "--secrets",
         str(SECRETS), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paychart serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("paychart serve did not answer /healthz within 60 s")


def send(url: str, work: queue.Queue[list[bytes]], latencies: list[float],
         failures: list[int], lock: threading.Lock) -> None:
    mine: list[float] = []
    bad: list[int] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        while True:
            try:
                bodies = work.get_nowait()
            except queue.Empty:
                break
            for body in bodies:
                started = time.perf_counter()
                status = client.post("/webhooks/cardlink", content=body,
                                     headers=HEADERS).status_code
                mine.append(time.perf_counter() - started)
                if status != 200:
                    bad.append(status)
    with lock:
        latencies.extend(mine)
        failures.extend(bad)


def run_served(workers: int, traffic: list[list[bytes]], clients: int,
               store: str) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of one served run on the fresh ``store``."""
    process, url = start_server(store, workers)
    work: queue.Queue[list[bytes]] = queue.Queue()
    for bodies in traffic:
        work.put(bodies)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    senders = [threading.Thread(target=send, args=(url, work, latencies, failures, lock))
               for _ in range(clients)]
    started = time.perf_counter()
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    elapsed = time.perf_counter() - started
    process.terminate()
    process.wait(30)
    if failures:
        raise SystemExit(f"{len(failures)} answers were not 200: {sorted(set(failures))}")
    reader = open_store(store)
    journaled = len(reader.entries())
    reader.close()
    if journaled != len(latencies):
        raise SystemExit(f"{journaled} journal entries for {len(latencies)} requests")
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000


def run_in_process(traffic: list[list[bytes]], url: str) -> float:
    """Callbacks/s of ``Orchestrator.ingest`` in one thread on the fresh store ``url``."""
    from paychart.adapter import AdapterContext
    from paychart.authenticity import Authenticated
    from paychart.secrets import Secrets

    store = open_store(url)
    engine = Orchestrator(ChartSet.bundled(), store)
    secrets = Secrets.load(SECRETS)
    adapter = Authenticated(get_adapter("cardlink"), required=True)
    context = AdapterContext(secrets.for_provider("cardlink"), engine.remembered_for("cardlink"))
    count = 0
    started = time.perf_counter()
    for bodies in traffic:
        for body in bodies:
            engine.ingest(RawInput("cardlink", "callback", body, HEADERS), adapter, context)
            count += 1
    elapsed = time.perf_counter() - started
    store.close()
    return count / elapsed


def bench(stores: Stores, traffic: list[list[bytes]], clients: int, workers: int) -> None:
    baseline = run_in_process(traffic, stores.fresh("in-process"))
    print(f"  {stores.kind}: baseline in-process ingest, 1 thread: {baseline:8.0f} callbacks/s")
    for count in sorted({1, workers}):
        rate, p50, p99 = run_served(count, traffic, clients, stores.fresh(f"serve-{count}"))
        print(f"  {stores.kind}: serve --workers {count}: {rate:8.0f} requests/s   "
              f"p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({rate / baseline:.2f}× the baseline)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="requests per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent senders")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2),
                        help="N, the second run's worker processes")
    parser.add_argument("--quick", action="store_true", help="300 requests per run")
    parser.add_argument("--stores", choices=("both", "sqlite", "postgresql"), default="both",
                        help="which stores to serve on (default: both, PostgreSQL when a "
                        "server can be had)")
    parser.add_argument("--url", help="a PostgreSQL server (a postgresql:// URL whose user "
                        "may create databases)")
    args = parser.parse_args()
    count = 300 if args.quick else args.count
    traffic = callbacks(max(1, count // 3), private_key())
    print(f"paychart serve, loopback, {len(traffic) * 3} requests per run (2/3 applied, 1/3 "
          f"duplicate), {args.clients} senders; {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="paychart-bench-serve-") as tmp:
        folder = Path(tmp)
        if args.stores in ("both", "sqlite"):
            bench(Stores("sqlite", folder), traffic, args.clients, args.workers)
        if args.stores == "sqlite":
            return
        why_not = postgres_unavailable(args.url)
        if why_not is not None:
            print(f"  postgresql: not run: {why_not}")
            return
        with postgres_server(args.url) as admin:
            stores = Stores("postgresql", folder, admin)
            try:
                bench(stores, traffic, args.clients, args.workers)
            finally:
                stores.close()


if __name__ == "__main__":
    main()
