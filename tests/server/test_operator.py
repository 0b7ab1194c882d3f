"""Operator status routes: off by default, behind a bearer token when on; one object's state
and the Prometheus metrics (decisions by provider × outcome, decision latency)."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from paychart import ChartSet, MemoryStore, Orchestrator, RawInput, StoreError
from paychart.adapters.cardlink.signature import digest
from paychart.asgi import create_app

from .support import FIXTURES, all_secrets, forged, ingest_in_process, recorded, serving

TOKEN = "operator-token-for-tests"
CALLBACKS = [line.raw for line in recorded() if line.callback
             and line.sequence == "cardlink/duplicates"]
TOKEN_ID = "84b2f6e9c1d5403aa7e8b3c6d0f2e519"


def _send(client: httpx.Client) -> None:
    for raw in [*CALLBACKS, forged(CALLBACKS[0])]:
        client.post("/webhooks/cardlink", content=raw.body, headers=dict(raw.headers))


DOUBLE = "ORDER-12345"
"""The order the platform's recorded sale answer names."""


def cardlink_paid_for(reference: str) -> bytes:
    """CARDLINK's approved payment callback for ``reference``, signed with the fixture key."""
    data = json.loads((FIXTURES / "cardlink/callback_pay_approved.json").read_text())
    data["orderNumber"] = reference
    data["signature"] = digest(data, all_secrets().for_provider("cardlink")["private_key"])
    return json.dumps(data).encode("utf-8")


@pytest.mark.parametrize("given", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                   "Bearer"])
def test_operator_routes_need_the_token(given: str | None) -> None:
    engine = Orchestrator(ChartSet.bundled(), MemoryStore())
    app = create_app(engine, all_secrets(), operator_token=TOKEN)
    headers = {} if given is None else {"Authorization": given}
    with serving(app) as url, httpx.Client(base_url=url, headers=headers) as client:
        for path in ("/metrics", f"/objects/cardlink/payment/{TOKEN_ID}", f"/orders/{DOUBLE}"):
            answer = client.get(path)
            assert answer.status_code == 401, path
            assert answer.headers["www-authenticate"] == "Bearer"
            assert TOKEN not in answer.text


def test_an_object_and_the_metrics_with_the_token() -> None:
    engine = Orchestrator(ChartSet.bundled(), MemoryStore())
    app = create_app(engine, all_secrets(), operator_token=TOKEN)
    with serving(app) as url, httpx.Client(base_url=url) as client:
        _send(client)
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        view = client.get(f"/objects/cardlink/payment/{TOKEN_ID}")
        assert view.status_code == 200
        record = engine.record("cardlink", "payment", TOKEN_ID)
        assert record is not None
        assert view.json()["state"] == record.state == "approved"
        assert view.json()["canonical"] == engine.canonical(record)
        assert view.json()["ledger"]["captured"] == record.ledger.captured
        assert view.json()["version"] == record.version
        assert client.get("/objects/cardlink/payment/unknown").status_code == 404
        metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    assert 'paychart_decisions_total{outcome="applied",provider="cardlink"} 1.0' in lines
    duplicates = len(CALLBACKS) - 1
    assert (f'paychart_decisions_total{{outcome="duplicate",provider="cardlink"}} '
            f'{float(duplicates)}') in lines
    assert 'paychart_decisions_total{outcome="invalid",provider="cardlink"} 1.0' in lines
    assert (f'paychart_decision_seconds_count{{provider="cardlink"}} '
            f'{float(len(CALLBACKS) + 1)}') in lines
    assert any(line.startswith('paychart_decision_seconds_bucket{le="0.005",provider="cardlink"}')
               for line in lines)


def test_operator_routes_are_off_by_default() -> None:
    engine = Orchestrator(ChartSet.bundled(), MemoryStore())
    app = create_app(engine, all_secrets())
    with serving(app) as url, httpx.Client(base_url=url,
                                           headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        _send(c)
        assert c.get("/metrics").status_code == 404
        assert c.get(f"/objects/cardlink/payment/{TOKEN_ID}").status_code == 404
        assert c.get(f"/orders/{DOUBLE}").status_code == 404
        assert c.get("/healthz").json() == {"status": "ok"}


def test_the_app_mounts_under_a_prefix() -> None:
    """As a backend mounts it (FastAPI's ``app.mount`` is Starlette's ``Mount``)."""
    engine = Orchestrator(ChartSet.bundled(), MemoryStore())
    backend = Starlette(routes=[Mount("/pay", app=create_app(engine, all_secrets()))])
    raw = CALLBACKS[0]
    with serving(backend) as url, httpx.Client(base_url=url) as client:
        answer = client.post("/pay/webhooks/cardlink", content=raw.body,
                             headers=dict(raw.headers))
        assert (answer.status_code, answer.content) == (200, b"")
        assert client.get("/pay/healthz").status_code == 200
    assert engine.record("cardlink", "payment", TOKEN_ID) is not None


def test_an_operator_read_on_a_failing_store_is_503() -> None:
    class Unreadable(MemoryStore):
        def get(self, key: str) -> None:
            raise StoreError("database is locked")

    app = create_app(Orchestrator(ChartSet.bundled(), Unreadable()), all_secrets(),
                     operator_token=TOKEN)
    with serving(app) as url, httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        answer = client.get(f"/objects/cardlink/payment/{TOKEN_ID}")
        assert answer.status_code == 503 and "locked" not in answer.text
        assert client.get("/healthz").status_code == 503


def test_an_order_charged_twice_across_two_providers() -> None:
    """CARDLINK's callback arrives over HTTP, the platform's sale answer through the merchant's
    own call, both for one order: the order route shows both attempts paid and the anomaly."""
    engine = Orchestrator(ChartSet.bundled(), MemoryStore())
    secrets = all_secrets()
    app = create_app(engine, secrets, operator_token=TOKEN)
    sale = (FIXTURES / "platform/real/sale_response_success.json").read_bytes()
    with serving(app) as url, httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert client.get(f"/orders/{DOUBLE}").status_code == 404
        answer = client.post("/webhooks/cardlink", content=cardlink_paid_for(DOUBLE),
                             headers={"Content-Type": "application/json"})
        assert answer.status_code == 200
        once = client.get(f"/orders/{DOUBLE}").json()
        ingest_in_process(engine, secrets, RawInput("platform", "response", sale))
        twice = client.get(f"/orders/{DOUBLE}")
        unknown = client.get("/orders/ORDER-0")
    assert (once["status"], once["anomalies"]) == ("paid", [])
    assert twice.status_code == 200
    view = twice.json()
    assert view["reference"] == DOUBLE and view["status"] == "paid"
    assert view["anomalies"] == ["paid_twice", "currency_mismatch"]
    assert [(a["provider"], a["canonical"]) for a in view["attempts"]] == [
        ("cardlink", "succeeded"), ("platform", "succeeded")]
    assert {currency: t["captured"] for currency, t in view["totals"].items()} == {
        "EUR": 10020, "USD": 2}
    order = engine.order(DOUBLE)
    assert order is not None and view == order.to_json()
    assert unknown.status_code == 404
