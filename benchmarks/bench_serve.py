"""Load test of ``paychart serve`` on SQLite: requests/s and p50/p99 latency, 1 and N workers.

A bounded run on loopback only: ``--count`` signed CARDLINK callbacks (per payment
``pending``, ``approved``, then the ``approved`` redelivered: two applied, one duplicate)
sent by ``--clients`` concurrent senders (each payment's callbacks in order, by one sender)
to a real ``paychart serve`` process on 127.0.0.1, durable SQLite (``synchronous=FULL``).
The baseline is the same callbacks ingested in-process by one thread on the same kind of
store: what HTTP, the thread pool and the workers add. Every answer must be 200 and the
journal must hold one entry per request, else the script stops. Always exits 0 otherwise.

    python benchmarks/bench_serve.py                  # 3000 requests, 8 senders, 1 and N workers
    python benchmarks/bench_serve.py --quick          # 300 requests
    python benchmarks/bench_serve.py --count 6000 --clients 16 --workers 4
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
from pathlib import Path

import httpx

from paychart import ChartSet, Orchestrator, RawInput, SQLiteStore
from paychart.adapters import get_adapter
from paychart.adapters.cardlink.signature import digest

REPO_ROOT = Path(__file__).resolve().parent.parent
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


def start_server(store: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "paychart", "serve", "--store", f"sqlite:{store}", "--secrets",
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
               folder: Path) -> tuple[float, float, float]:
    """(requests/s, p50 ms, p99 ms) of one served run on a fresh store."""
    store = folder / f"serve-{workers}.sqlite"
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
    reader = SQLiteStore(store, read_only=True)
    journaled = len(reader.entries())
    reader.close()
    if journaled != len(latencies):
        raise SystemExit(f"{journaled} journal entries for {len(latencies)} requests")
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, cuts[49] * 1000, cuts[98] * 1000


def run_in_process(traffic: list[list[bytes]], folder: Path) -> float:
    """Callbacks/s of ``Orchestrator.ingest`` in one thread on the same kind of store."""
    from paychart.adapter import AdapterContext
    from paychart.authenticity import Authenticated
    from paychart.secrets import Secrets

    store = SQLiteStore(folder / "in-process.sqlite")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="requests per run")
    parser.add_argument("--clients", type=int, default=8, help="concurrent senders")
    parser.add_argument("--workers", type=int, default=max(2, os.cpu_count() or 2),
                        help="N, the second run's worker processes")
    parser.add_argument("--quick", action="store_true", help="300 requests per run")
    args = parser.parse_args()
    count = 300 if args.quick else args.count
    traffic = callbacks(max(1, count // 3), private_key())
    print(f"paychart serve on SQLite (synchronous=FULL), loopback, {len(traffic) * 3} requests "
          f"per run (2/3 applied, 1/3 duplicate), {args.clients} senders; "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="paychart-bench-serve-") as tmp:
        folder = Path(tmp)
        baseline = run_in_process(traffic, folder)
        print(f"  baseline in-process ingest, 1 thread: {baseline:8.0f} callbacks/s")
        for workers in sorted({1, args.workers}):
            rate, p50, p99 = run_served(workers, traffic, args.clients, folder)
            print(f"  serve --workers {workers}: {rate:8.0f} requests/s   p50 {p50:6.1f} ms   "
                  f"p99 {p99:6.1f} ms   ({rate / baseline:.2f}× the baseline)")


if __name__ == "__main__":
    main()
