"""Every recorded callback of every provider's sequences, POSTed to a real uvicorn on
loopback exactly as the provider sends it (form and JSON bodies, HTTP Basic, RSA and HMAC
headers), answered as its journaled decision says; forgeries refused with 401; then eight
concurrent senders redelivering everything, and the journal still replays clean."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

from paychart import ChartSet, Decision, Orchestrator, Outcome, SQLiteStore
from paychart.asgi import create_app
from paychart.inputs import Record
from paychart.redact import REMOVED
from paychart.replay import replay
from paychart.serialize import to_json
from paychart.validate import validate_records

from .support import (
    PROVIDERS,
    RACERS,
    Recorded,
    all_secrets,
    expected_body,
    expected_status,
    forged,
    ingest_in_process,
    post,
    recorded,
    redeliver,
    serving,
)


@attrs.frozen
class Delivery:
    """One POSTed callback: its line in the whole recording, the answer, and the decisions
    the journal gained while it was decided, with their seqs."""

    line: int
    sent: Recorded
    status: int
    body: bytes
    decisions: tuple[dict[str, Any], ...]
    seqs: tuple[int, ...]


@attrs.define
class FirstPass:
    engine: Orchestrator
    store: SQLiteStore
    lines: list[Recorded]
    deliveries: list[Delivery]
    told: list[tuple[Decision, int]]


def journaled_until(store: SQLiteStore, after: int = 0) -> int:
    """The last seq in the journal (``after`` when nothing came after it)."""
    return max((e.seq for e in store.entries(after=after)), default=after)


@pytest.fixture(scope="module")
def first_pass(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstPass]:
    store = SQLiteStore(tmp_path_factory.mktemp("webhooks") / "store.sqlite",
                        synchronous="OFF")
    engine = Orchestrator(ChartSet.bundled(), store)
    secrets = all_secrets()
    told: list[tuple[Decision, int]] = []
    lines = recorded()
    deliveries = []
    app = create_app(engine, secrets, on_decision=[lambda d, seq: told.append((d, seq))])
    with serving(app) as url, httpx.Client(base_url=url) as client:
        last = 0
        for number, line in enumerate(lines, start=1):
            if not line.callback:
                ingest_in_process(engine, secrets, line.raw)
                last = journaled_until(store, last)
                continue
            answer = post(client, line)
            entries = store.entries(after=last)
            last = entries[-1].seq if entries else last
            journaled = tuple(to_json(e.decision) for e in entries)
            deliveries.append(Delivery(number, line, answer.status_code, answer.content,
                                       journaled, tuple(e.seq for e in entries)))
    yield FirstPass(engine, store, lines, deliveries, told)
    store.close()


def test_every_callback_is_answered_as_its_journaled_decision(first_pass: FirstPass) -> None:
    assert len(first_pass.deliveries) > 150
    for delivery in first_pass.deliveries:
        where = f"{delivery.sent.sequence} line {delivery.line}"
        assert delivery.decisions, f"{where}: nothing journaled"
        status = expected_status(list(delivery.decisions))
        assert delivery.status == status, f"{where}: {delivery.decisions}"
        body = expected_body(delivery.sent.raw.provider, status)
        if body is not None:
            assert delivery.body == body, where
        else:
            assert delivery.decisions[0]["reason"][:40] in delivery.body.decode(), where
    answered = {(d.sent.raw.provider, d.status) for d in first_pass.deliveries}
    assert {(provider, 200) for provider in PROVIDERS} <= answered
    assert {status for _, status in answered} == {200, 400, 401}


def test_the_server_decides_as_validate_does(first_pass: FirstPass) -> None:
    """The same inputs in the same order through ``validate_records``: every callback gets
    the outcome and target state it got over HTTP (nothing lost or added in transit)."""
    records = [Record(number, raw=line.raw) for number, line in enumerate(first_pass.lines, 1)]
    run = validate_records(records, secrets=all_secrets())
    by_line: dict[int, list[tuple[str, str | None]]] = {}
    for result in run.results:
        by_line.setdefault(result.line, []).append(
            (result.decision.outcome.value, result.decision.to_state))
    for delivery in first_pass.deliveries:
        over_http = [(d["outcome"], d.get("to_state")) for d in delivery.decisions]
        assert over_http == by_line[delivery.line], f"{delivery.sent.sequence}"
    outcomes = {o for d in first_pass.deliveries for o, _ in by_line[d.line]}
    assert outcomes == {o.value for o in Outcome}


def test_subscribers_learn_every_decision_in_order(first_pass: FirstPass) -> None:
    journaled = [d for delivery in first_pass.deliveries for d in delivery.decisions]
    assert [to_json(d) for d, _ in first_pass.told] == journaled


def test_subscribers_get_the_seq_the_journal_gave_each_decision(first_pass: FirstPass) -> None:
    """The seqs pushed are those ``Store.entries`` holds for the same POSTs (the merchant's
    own requests and responses in between took seqs too, so these are not consecutive), and
    each names the entry of the decision pushed with it."""
    pushed = [seq for _, seq in first_pass.told]
    assert pushed == [seq for delivery in first_pass.deliveries for seq in delivery.seqs]
    assert pushed != list(range(1, len(pushed) + 1))
    entries = {e.seq: e for e in first_pass.store.entries()}
    for decision, seq in first_pass.told:
        assert to_json(entries[seq].decision) == to_json(decision)


def test_forged_callbacks_are_refused_and_change_nothing(first_pass: FirstPass) -> None:
    store = first_pass.store
    before = list(store.objects(placeholders=True))
    genuine = [d for d in first_pass.deliveries if d.status == 200]
    last = journaled_until(store)
    app = create_app(first_pass.engine, all_secrets())
    with serving(app) as url, httpx.Client(base_url=url) as client:
        for delivery in genuine:
            answer = post(client, attrs.evolve(delivery.sent, raw=forged(delivery.sent.raw)))
            assert answer.status_code == 401, (delivery.sent.sequence, answer.text)
            assert answer.json()["outcome"] == "invalid"
    refused = store.entries(after=last)
    assert len(refused) == len(genuine)
    assert {e.decision.outcome for e in refused} == {Outcome.INVALID}
    assert list(store.objects(placeholders=True)) == before


def test_concurrent_redelivery_loses_nothing(first_pass: FirstPass) -> None:
    """Eight senders redeliver every callback at once (each callback by three of them), each
    in its own order: no 5xx, exactly one journal entry per decision of every POST, every
    answer the same as the first time (a message held stays held, a forgery stays refused),
    and the journal replays clean."""
    store = first_pass.store
    deliveries = first_pass.deliveries
    last = journaled_until(store)
    app = create_app(first_pass.engine, all_secrets())
    with serving(app) as url:
        answers = redeliver(url, [d.sent for d in deliveries])
    assert len(answers) == RACERS * len(deliveries)
    assert all(status < 500 for _, status in answers)
    first_status = {id(d.sent): d for d in deliveries}
    for sent, status in answers:
        delivery = first_status[id(sent)]
        assert status == delivery.status, (delivery.sent.sequence, delivery.line)
    added = store.entries(after=last)
    assert len(added) == RACERS * sum(len(d.decisions) for d in deliveries)
    report = replay(store, first_pass.engine.charts)
    assert report.ok, report.differences[:5]


def test_the_journal_keeps_no_credentials_from_the_wire(first_pass: FirstPass) -> None:
    """PayLink's HTTP Basic and RSA headers arrive over HTTP; the journal keeps their names
    only, and never the value."""
    paylink = [e for e in first_pass.store.entries() if e.decision.provider == "paylink"
               and e.channel == "callback"]
    assert paylink
    for entry in paylink:
        names = dict(entry.headers)
        assert names["authorization"] == REMOVED
        assert names.get("content-signature", REMOVED) == REMOVED
        assert names["content-type"] == "application/json"
