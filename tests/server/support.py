"""What the server tests share: the recorded fixture sequences, the secrets of all five
providers in one set, a uvicorn server on a free loopback port in a thread or ``paychart
serve`` in its own process, forgeries, and concurrent redelivery by several senders."""

from __future__ import annotations

import base64
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import uvicorn

from paychart import Orchestrator, RawInput, Secrets
from paychart.adapter import AdapterContext
from paychart.adapters import get_adapter
from paychart.authenticity import Authenticated
from paychart.inputs import parse_raw

FIXTURES = Path(__file__).resolve().parents[1] / "adapters" / "fixtures"
PROVIDERS = ("cardlink", "invoices", "paylink", "platform", "transaction_services")
AUTH_HEADERS = ("x-signature", "content-signature", "authorization")
"""Header names whose refusal is an authentication failure (401)."""
AUTH_FIELDS = ("signature", "hash", "checksum", *AUTH_HEADERS)


def all_secrets() -> Secrets:
    """Every provider's fixture secrets in one set, as one server holds them."""
    tables: dict[str, dict[str, str]] = {}
    for provider in PROVIDERS:
        loaded = Secrets.load(FIXTURES / provider / "secrets.toml")
        tables[provider] = dict(loaded.for_provider(provider))
    return Secrets(tables)


def secrets_file(path: Path) -> Path:
    """The five fixture secrets files as one TOML file (their tables do not overlap)."""
    path.write_text("\n".join((FIXTURES / p / "secrets.toml").read_text(encoding="utf-8")
                              for p in PROVIDERS), encoding="utf-8")
    return path


@attrs.frozen
class Recorded:
    """One line of a fixture sequence, in the order the sequences are read."""

    sequence: str
    raw: RawInput

    @property
    def callback(self) -> bool:
        return self.raw.channel.value == "callback"


def recorded() -> list[Recorded]:
    """Every line of every provider's sequences, sequence by sequence, in file order."""
    found = []
    for path in sorted(FIXTURES.glob("*/sequences/*.jsonl")):
        for text in path.read_text(encoding="utf-8").splitlines():
            if text.strip():
                found.append(Recorded(f"{path.parent.parent.name}/{path.stem}",
                                      parse_raw(json.loads(text))))
    return found


def ingest_in_process(engine: Orchestrator, secrets: Secrets, raw: RawInput) -> None:
    """A request, response or poll: the merchant's side, which reaches the engine without
    the webhook (the platform verifies dispute callbacks with facts a SALE request left)."""
    adapter = Authenticated(get_adapter(raw.provider), required=raw.provider in secrets)
    engine.ingest(raw, adapter, AdapterContext(secrets.for_provider(raw.provider),
                                               engine.remembered_for(raw.provider)))


def expected_status(decisions: list[dict[str, Any]]) -> int:
    """The HTTP status a callback's journaled decisions call for (restated from the
    issue, independently of the server's own table)."""
    invalid = [d for d in decisions if d["outcome"] == "invalid"]
    if not invalid:
        return 200
    return 401 if any((d.get("field") or "").lower() in AUTH_FIELDS for d in invalid) else 400


def expected_body(provider: str, status: int) -> bytes | None:
    """The acknowledgement body each protocol expects (``None``: not checked, an error)."""
    if status != 200:
        return None
    return b"OK" if provider == "platform" else b""


_HEX_FIELD = {"cardlink": "signature", "transaction_services": "checksum"}


def forged(raw: RawInput) -> RawInput:
    """The callback with its authentication spoiled the way an attacker without the secret
    must: a made-up signature field, hash, header or HTTP Basic password."""
    headers = dict(raw.headers)
    body = raw.body
    if raw.provider in _HEX_FIELD:
        data = json.loads(body)
        data[_HEX_FIELD[raw.provider]] = "0" * 32
        body = json.dumps(data).encode("utf-8")
    elif raw.provider == "platform":
        body = re.sub(rb"(^|&)hash=[^&]*", rb"\1hash=" + b"0" * 32, body)
    elif raw.provider == "invoices":
        headers["X-Signature"] = "0" * 64
    elif raw.provider == "paylink":
        if "Content-Signature" in headers:
            headers["Content-Signature"] = base64.b64encode(b"\0" * 256).decode("ascii")
        else:
            headers["Authorization"] = "Basic " + base64.b64encode(b"shop:guess").decode()
    return attrs.evolve(raw, body=body, headers=headers)


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit it: without it every answer waits out a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn on a free 127.0.0.1 port (bound before the server starts,
    so no other process can take it); yields the base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def paychart(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "paychart", *argv], text=True, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def paychart_serve(store: str, secrets: Path, *more: str,
                   env: dict[str, str] | None = None) -> Iterator[str]:
    """``paychart serve --store STORE --secrets FILE MORE…`` on a free port, until it answers
    ``/healthz``; yields its URL and stops it afterwards."""
    probe = free_socket()
    port = probe.getsockname()[1]
    probe.close()
    process = paychart("serve", "--store", store, "--secrets", str(secrets), "--port",
                       str(port), *more, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # workers import everything, on a busy CI
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        stop(process)


SENDERS = 8
RACERS = 3
"""Concurrent senders, and how many of them redeliver each callback at once."""


def post(client: httpx.Client, sent: Recorded) -> httpx.Response:
    return client.post(f"/webhooks/{sent.raw.provider}", content=sent.raw.body,
                       headers=dict(sent.raw.headers))


def share(sent: Sequence[Recorded], sender: int) -> list[Recorded]:
    """The callbacks one sender redelivers: each callback goes to ``RACERS`` of the senders,
    so every message is redelivered that many times at once, by senders in different orders."""
    return [line for i, line in enumerate(sent) if (i + sender) % SENDERS < RACERS]


def redeliver(url: str, sent: Sequence[Recorded]) -> list[tuple[Recorded, int]]:
    """``SENDERS`` threads redeliver ``sent`` at once (``share``), each in its own shuffled
    order; every (callback, status) answered."""
    answers: list[tuple[Recorded, int]] = []
    lock = threading.Lock()

    def send_all(seed: int) -> None:
        order = share(sent, seed)
        random.Random(seed).shuffle(order)
        with httpx.Client(base_url=url, timeout=60) as client:
            mine = [(line, post(client, line).status_code) for line in order]
        with lock:
            answers.extend(mine)

    senders = [threading.Thread(target=send_all, args=(seed,)) for seed in range(SENDERS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return answers
