"""transaction_services against the provider contract (docs/adding-a-provider.md): the status
table, the signature module, the fixtures named by ``contract.toml`` and their generator."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from paychart import AdapterContext, Channel, ChartSet, Orchestrator, RawInput, SignatureStatus
from paychart.adapters.transaction_services import ADAPTER, PROVIDER, signature, vocab
from paychart.serialize import to_json

FIXTURES = Path(__file__).parent / "fixtures" / "transaction_services"
CONTRACT = tomllib.loads((FIXTURES / "contract.toml").read_text())
SECRETS: dict[str, str] = CONTRACT["secrets"]
CALLBACKS: list[dict[str, str]] = CONTRACT["callback"]
HEADERS = {"Content-Type": "application/json"}


def _parse(body: bytes, secrets: dict[str, str] | None = None,
           channel: Channel = Channel.CALLBACK) -> Any:
    return ADAPTER.parse(RawInput(PROVIDER, channel, body, HEADERS),
                         AdapterContext(secrets=SECRETS if secrets is None else secrets))


def _path(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc[part]
    return doc


# -- the status table -------------------------------------------------------------------------

def test_every_status_word_has_a_move_or_a_reason_and_nothing_else() -> None:
    moved = {move.status for move in vocab.MOVES}
    assert moved | set(vocab.NOT_MAPPED) == vocab.VOCABULARY
    assert not moved & set(vocab.NOT_MAPPED)
    assert all(reason.strip() for reason in vocab.NOT_MAPPED.values())


def test_moves_are_unique_per_object_status_and_way_of_reporting() -> None:
    keys = [(m.object_kind, m.status, m.via) for m in vocab.MOVES]
    assert len(keys) == len(set(keys))
    assert set(vocab.LONG_STATUS_MOVES) == {s.value for s in vocab.LongStatus}


def test_every_move_is_an_edge_of_its_chart_or_opens_it_in_its_initial_state() -> None:
    charts = ChartSet.bundled()
    for move in vocab.MOVES:
        chart = charts.get(PROVIDER, move.object_kind)
        edges = [edge for edges in chart.table.values() for edge in edges
                 if edge.trigger == move.trigger]
        if move.state == chart.initial and not edges:
            continue  # `begun` / `payoutstarted`: the engine creates the object there
        assert edges, move
        if move.state is not None:
            assert any(edge.target == move.state for edge in edges), move


def test_only_words_naming_several_states_report_none() -> None:
    charts = ChartSet.bundled()
    for move in vocab.MOVES:
        if move.state is None:
            chart = charts.get(PROVIDER, move.object_kind)
            targets = {edge.target for edges in chart.table.values() for edge in edges
                       if edge.trigger == move.trigger}
            # several targets, or a failed call that leaves the payment where it was
            assert len(targets) > 1 or move.trigger == vocab.CANCEL_FAILED, move


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
def test_an_unknown_status_is_invalid_naming_the_value(callback: dict[str, str]) -> None:
    doc = json.loads((FIXTURES / callback["file"]).read_text())
    doc[callback["status_field"]] = "unheard_of"
    body, _ = signature.sign(json.dumps(doc).encode(), HEADERS, SECRETS)
    result = _parse(body)
    assert result.events == ()
    assert result.error is not None
    assert result.error.field == callback["status_field"]
    assert "'unheard_of'" in result.error.reason


# -- the signature: valid, tampered, wrong secret, missing ------------------------------------

@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
def test_the_fixture_callback_verifies_and_names_its_object(callback: dict[str, str]) -> None:
    body = (FIXTURES / callback["file"]).read_bytes()
    doc = json.loads(body)
    (event,) = _parse(body).events
    assert event.signature is SignatureStatus.VALID
    assert event.object_kind == callback["object_kind"]
    assert event.object_id == _path(doc, callback["id_field"])
    assert event.trigger == _path(doc, callback["status_field"])
    assert signature.SCOPE.covers(callback["covered_field"])


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
def test_tampered_wrongly_signed_or_unsigned_callbacks_are_invalid(
        callback: dict[str, str]) -> None:
    body = (FIXTURES / callback["file"]).read_bytes()
    doc = json.loads(body)
    doc[callback["covered_field"]] = "777.00"
    unsigned, _ = signature.unsign(body, HEADERS)
    wrong, _ = signature.sign(body, HEADERS, {"secure_key": "not-the-key"})
    for bad in (json.dumps(doc).encode(), unsigned, wrong):
        result = _parse(bad)
        assert result.events == ()
        assert result.error is not None
        assert result.error.field == "checksum"
        assert SECRETS["secure_key"] not in str(result.error)
        assert "not-the-key" not in str(result.error)


def test_sign_is_what_the_platform_sends_and_unsign_undoes_it() -> None:
    body = (FIXTURES / CALLBACKS[0]["file"]).read_bytes()
    unsigned, headers = signature.unsign(body, HEADERS)
    assert "checksum" not in json.loads(unsigned)
    resigned, _ = signature.sign(unsigned, headers, SECRETS)
    assert json.loads(resigned) == json.loads(body)


def test_the_secrets_schema_requires_only_the_secure_key() -> None:
    assert signature.SECRETS.required == frozenset({"secure_key"})
    assert signature.SECRETS.keys == frozenset({"secure_key"})
    assert ADAPTER.secrets is signature.SECRETS
    assert ADAPTER.signature is signature.SCOPE
    assert not signature.SCOPE.covers("status")  # the long status is not signed


# -- fixtures ---------------------------------------------------------------------------------

def test_committed_fixtures_are_what_the_generator_writes(tmp_path: Path) -> None:
    from tests.adapters.fixtures.transaction_services import make_fixtures

    make_fixtures.generate(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert Path("secrets.toml") in written
    assert {f"sequences/{p.name}" for p in (FIXTURES / "sequences").iterdir()} <= {
        str(p) for p in written}
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (FIXTURES / relative).read_bytes(), relative


def test_the_generator_keeps_its_command_line(tmp_path: Path) -> None:
    script = tmp_path / "make_fixtures.py"
    script.write_bytes((FIXTURES / "make_fixtures.py").read_bytes())
    (tmp_path / "real").mkdir()
    for path in (FIXTURES / "real").iterdir():
        (tmp_path / "real" / path.name).write_bytes(path.read_bytes())
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path)  # noqa: S603
    assert (tmp_path / "secrets.toml").read_bytes() == (FIXTURES / "secrets.toml").read_bytes()
    assert (tmp_path / "callback_payout_successful.json").is_file()


REAL_EVENTS = {
    "notification_card_NOTI_CARD.json": Channel.CALLBACK,
    "notification_banktransfer_NOTI_BANKTRANS.json": Channel.CALLBACK,
    "payment_response_DB_paynetics_mock.json": Channel.RESPONSE,
    "standard_checkout_response_StandardCheckout.json": Channel.RESPONSE,
    "status_response_paynetics_mock.json": Channel.POLL,
    "capture_response_CP.json": Channel.RESPONSE,
}
REAL_NOT_EVENTS = {"authtoken_response_paynetics_mock.json", "inquiry_request_IN.json"}


def test_every_real_payload_is_known_and_parses_on_every_channel() -> None:
    names = {p.name for p in (FIXTURES / "real").iterdir()}
    assert names == set(REAL_EVENTS) | REAL_NOT_EVENTS
    for name in sorted(names):
        body = (FIXTURES / "real" / name).read_bytes()
        for channel in (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL, Channel.REQUEST):
            result = ADAPTER.parse(RawInput(PROVIDER, channel, body, HEADERS,
                                            ref="54304", operation="capture"),
                                   AdapterContext())
            assert result.defect is None, (name, channel)
            assert bool(result.events) != (result.error is not None), (name, channel)
        if name in REAL_EVENTS:
            expected = ADAPTER.parse(RawInput(PROVIDER, REAL_EVENTS[name], body, HEADERS,
                                              ref="54304", operation="capture"),
                                     AdapterContext())
            assert expected.error is None, (name, expected.error)


# -- no card number or CVV in the journal -----------------------------------------------------

@pytest.mark.parametrize("request_", CONTRACT["request"], ids=lambda r: r["file"])
def test_no_card_number_or_cvv_reaches_the_journal(request_: dict[str, str]) -> None:
    body = (FIXTURES / request_["file"]).read_bytes()
    doc = json.loads(body)
    engine = Orchestrator(ChartSet.bundled())
    raw = RawInput(PROVIDER, Channel.REQUEST, body, HEADERS)
    (decision,) = engine.ingest(raw, ADAPTER, AdapterContext(secrets=SECRETS))
    assert decision.outcome.value == "invalid"
    text = json.dumps([to_json(entry) for entry in engine.store.journal()])
    assert re.findall(r"(?<!\d)\d{13,19}(?!\d)", text) == []
    assert doc["card.number"] not in text
    assert f'"{doc["card.cvv"]}"' not in text
    assert SECRETS["secure_key"] not in text
