"""What the receiver answers when things go wrong: bodies over the limit (413, nothing read
past it, nothing journaled), a stopped store (503, then the retry succeeds), a store that
fails to commit, a bug of ours (503, never a 500 or a traceback), a subscriber that fails
(the decision stands and the answer does not change)."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from paychart import (
    ChartSet,
    Decision,
    JournalEntry,
    MemoryStore,
    ObjectRecord,
    Orchestrator,
    Outcome,
    Secrets,
    SQLiteStore,
    StoreError,
)
from paychart.adapter import MAX_BODY_BYTES
from paychart.adapters.paylink.signature import basic_credentials
from paychart.asgi import create_app

from .support import all_secrets, recorded, serving

CARDLINK = [line.raw for line in recorded() if line.callback
            and line.sequence == "cardlink/duplicates"]


def post_cardlink(client: httpx.Client, body: bytes | None = None) -> httpx.Response:
    raw = CARDLINK[0]
    return client.post("/webhooks/cardlink", content=raw.body if body is None else body,
                       headers=dict(raw.headers))


@pytest.fixture
def engine() -> Orchestrator:
    return Orchestrator(ChartSet.bundled(), MemoryStore())


def test_oversize_bodies_are_413_and_never_decided(engine: Orchestrator) -> None:
    limit = 4096
    app = create_app(engine, all_secrets(), max_body_bytes=limit)
    with serving(app) as url, httpx.Client(base_url=url) as client:
        declared = client.post("/webhooks/cardlink", content=b"{" + b" " * limit + b"}")
        assert declared.status_code == 413
        assert declared.json() == {"outcome": "invalid", "field": "body",
                                   "reason": f"body exceeds the {limit}-byte limit"}
        streamed = client.post("/webhooks/cardlink",
                               content=iter([b"{", b" " * limit, b"}"]))  # chunked, no length
        assert streamed.status_code == 413
        assert not engine.store.entries()
        at_limit = client.post("/webhooks/cardlink", content=b"{" + b" " * (limit - 2) + b"}")
        assert at_limit.status_code == 400  # read and decided: no event in it
        assert len(engine.store.entries()) == 1


def test_the_default_limit_is_one_mebibyte(engine: Orchestrator) -> None:
    app = create_app(engine, all_secrets())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert post_cardlink(client, b" " * (MAX_BODY_BYTES + 1)).status_code == 413
        assert post_cardlink(client, b" " * MAX_BODY_BYTES).status_code == 400


def test_a_stopped_store_is_503_until_it_returns(tmp_path: Path) -> None:
    """The store's folder disappears (a volume unmounted): nothing can be journaled, so
    the provider is told to retry; once the store is back its retry is applied."""
    folder = tmp_path / "volume"
    folder.mkdir()
    store = SQLiteStore(folder / "store.sqlite", synchronous="OFF")
    engine = Orchestrator(ChartSet.bundled(), store)
    app = create_app(engine, all_secrets())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.get("/healthz").status_code == 200
        store.close()
        shutil.move(folder, tmp_path / "unmounted")
        answer = post_cardlink(client)
        assert answer.status_code == 503
        assert answer.json() == {"outcome": "unavailable",
                                 "reason": "the store is unavailable; retry later"}
        assert client.get("/healthz").status_code == 503
        shutil.move(tmp_path / "unmounted", folder)
        assert client.get("/healthz").status_code == 200
        assert post_cardlink(client).status_code == 200
    assert [e.decision.outcome for e in store.entries()] == [Outcome.APPLIED]
    store.close()


class FailingStore(MemoryStore):
    """A memory store whose commits fail with ``error`` while ``failing``."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error
        self.failing = True

    def commit(self, entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]] = ()) -> int:
        if self.failing:
            raise self.error
        return super().commit(entry, records, reads)


@pytest.fixture
def quiet_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="paychart.asgi"):
        yield caplog


@pytest.mark.parametrize(("error", "reason"), [
    (StoreError("disk full at /var/lib/payments"), "the store is unavailable; retry later"),
    (ZeroDivisionError("secret-looking text 4111111111111111"), "internal error; retry later"),
])
def test_nothing_journaled_is_503_with_a_generic_reason(
        error: Exception, reason: str, quiet_logs: pytest.LogCaptureFixture) -> None:
    store = FailingStore(error)
    app = create_app(Orchestrator(ChartSet.bundled(), store), all_secrets())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        answer = post_cardlink(client)
        assert answer.status_code == 503
        assert answer.json()["reason"] == reason
        assert str(error) not in answer.text and "Traceback" not in answer.text
        store.failing = False
        assert post_cardlink(client).status_code == 200
    assert len(store.entries()) == 1
    logged = " ".join(r.getMessage() for r in quiet_logs.records)
    assert type(error).__name__ in logged and str(error) not in logged
    assert CARDLINK[0].body.decode() not in logged


def test_a_failing_subscriber_never_changes_the_answer(
        engine: Orchestrator, quiet_logs: pytest.LogCaptureFixture) -> None:
    told: list[tuple[Decision, int]] = []

    def broken(_decision: Decision, _seq: int) -> None:
        raise RuntimeError("the backend's queue is down")

    def record(decision: Decision, seq: int) -> None:
        told.append((decision, seq))

    app = create_app(engine, all_secrets(), on_decision=[broken, record])
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert post_cardlink(client).status_code == 200
        assert post_cardlink(client).status_code == 200  # the redelivery: duplicate
    assert [e.decision.outcome for e in engine.store.entries()] == [Outcome.APPLIED,
                                                                   Outcome.DUPLICATE]
    assert [(d.outcome, seq) for d, seq in told] == [(Outcome.APPLIED, 1),
                                                      (Outcome.DUPLICATE, 2)]
    failures = [r for r in quiet_logs.records if "subscriber" in r.getMessage()]
    assert len(failures) == 2 and "RuntimeError" in failures[0].getMessage()
    assert "queue is down" not in failures[0].getMessage()


def test_unknown_providers_and_methods_are_not_routes(engine: Orchestrator) -> None:
    app = create_app(engine, all_secrets())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        assert client.post("/webhooks/nobody", content=b"{}").status_code == 404
        assert client.get("/webhooks/cardlink").status_code == 405
        assert client.get("/metrics").status_code == 404
    assert not engine.store.entries()


def test_bad_configuration_is_refused_at_once(engine: Orchestrator) -> None:
    with pytest.raises(ValueError, match="operator_token"):
        create_app(engine, all_secrets(), operator_token=" ")
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app(engine, all_secrets(), max_body_bytes=0)


def test_a_repeated_credentials_header_is_not_authentic(engine: Orchestrator) -> None:
    """A second ``Authorization`` header is joined to the first, as HTTP combines repeated
    fields: neither is taken alone, so the genuine one cannot vouch for the other. (A shop
    with HTTP Basic only, no public key: Basic alone decides.)"""
    raw = next(line.raw for line in recorded() if line.callback
               and line.raw.provider == "paylink" and "Content-Signature" in line.raw.headers)
    basic = {k: v for k, v in all_secrets().for_provider("paylink").items()
             if k in ("shop_id", "secret_key")}
    genuine = [("Content-Type", "application/json"),
               ("Authorization", basic_credentials(basic["shop_id"], basic["secret_key"]))]
    app = create_app(engine, Secrets({"paylink": basic}))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        answer = client.post("/webhooks/paylink", content=raw.body,
                             headers=[*genuine, ("Authorization", "Basic Z3Vlc3M6Z3Vlc3M=")])
        assert answer.status_code == 401
        assert answer.json()["field"] == "Authorization"
        assert client.post("/webhooks/paylink", content=raw.body,
                           headers=genuine).status_code == 200
