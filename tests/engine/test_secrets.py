"""The secrets file fails closed: checked against every adapter's ``SecretsSchema`` at load
(the CLI exits 2 before deciding anything), a provider with secrets never has a callback
decided ``unchecked``, and no repr, str or error shows a secret value."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema
from paychart.adapters import get_adapter
from paychart.authenticity import Authenticated
from paychart.cli import main
from paychart.decision import Outcome
from paychart.event import Channel, Event, SignatureStatus
from paychart.exit import EXIT_USAGE
from paychart.inputs import parse_record
from paychart.secrets import Secrets, SecretsError, check_secrets
from paychart.validate import validate_file, validate_records

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/adapters/fixtures"
CARDLINK = FIXTURES / "cardlink"
FORGED = CARDLINK / "sequences/forged.jsonl"
PROVIDERS = ("cardlink", "invoices", "paylink", "platform", "transaction_services")


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "named"),
    [('[cardlink]\nprivatekey = "s3cr3t-value"\n',
      ["[cardlink]", "unknown key `privatekey`", "allowed: private_key"]),
     ('[platform]\npasword = "s3cr3t-value"\n',
      ["[platform]", "unknown key `pasword`", "allowed: hash, password"]),
     ("[transaction_services]\n", ["[transaction_services]", "missing required key "
                                   "`secure_key`"]),
     ('[platform]\npassword = "s3cr3t-value"\nhash = "sha1"\n',
      ["[platform]", "`hash` must be one of md5, sha256"]),
     ('[paylnk]\nsecret_key = "s3cr3t-value"\n',
      ["table [paylnk] is for no known provider", "paylink"])],
)
def test_a_secrets_file_that_does_not_fit_its_schema_is_refused(
        tmp_path: Path, text: str, named: list[str]) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(SecretsError) as caught:
        Secrets.load(path)
    message = str(caught.value)
    assert str(path) in message
    for part in named:
        assert part in message
    assert "s3cr3t-value" not in message and "sha1" not in message


def test_every_fixture_secrets_file_fits_its_adapter() -> None:
    for path in [*FIXTURES.glob("*/secrets*.toml"), *(ROOT / "examples").glob("*.toml")]:
        if "secret" in path.name:
            assert Secrets.load(path).providers


def test_the_schema_check_takes_the_schemas_it_is_given() -> None:
    schema = {"shop": SecretsSchema(required=frozenset({"key"}))}
    check_secrets("s.toml", {"shop": {"key": "v"}}, schema)
    with pytest.raises(SecretsError, match=r"\[shop\]: unknown key `kee`"):
        check_secrets("s.toml", {"shop": {"kee": "v"}}, schema)


@pytest.mark.parametrize("command", [
    ["validate", str(FORGED), "--option", "enable_change_final_status"],
    ["audit", str(FORGED), "--out", "OUT"],
    ["parse", "cardlink", str(CARDLINK / "callback_forged.json")],
    ["diagram", "cardlink_payment", "--trace", str(FORGED), "--object", "x"],
])
def test_the_cli_exits_2_on_a_typo_before_deciding_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    path = _file(tmp_path, '[cardlink]\nprivatekey = "sandbox_merchant_private_key_7f3a"\n')
    argv = [part.replace("OUT", str(tmp_path / "audit")) for part in command]
    assert main([*argv, "--secrets", str(path)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown key `privatekey`" in captured.err and "private_key" in captured.err
    assert "sandbox_merchant" not in captured.err
    assert not (tmp_path / "audit").exists()


def test_an_empty_table_does_not_turn_checking_off(tmp_path: Path) -> None:
    """``[invoices]`` with no key: the adapter can verify nothing, so its callbacks are
    invalid rather than applied unchecked."""
    run = validate_file(FIXTURES / "invoices/sequences/created_to_processed.jsonl",
                        secrets=Secrets.load(_file(tmp_path, "[invoices]\n")))
    callbacks = [r for r in run.results if r.channel == "callback"]
    assert callbacks and all(r.decision.outcome is Outcome.INVALID for r in callbacks)
    assert all(r.decision.field == "signature" and "X-Signature" in r.decision.reason
               for r in callbacks)
    assert not run.clean and run.unverified == {}


class _Unsigned:
    """An adapter that forgets to check: its callback events come out ``status``."""

    def __init__(self, status: SignatureStatus) -> None:
        self.inner = get_adapter("cardlink")
        self.status = status
        self.provider, self.rules = self.inner.provider, self.inner.rules
        self.signature, self.secrets = self.inner.signature, self.inner.secrets

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        event = Event("cardlink", "payment", "p1", "approve", raw.channel, "k",
                      signature=self.status)
        return ParseResult.of(event, reply="OK")


@pytest.mark.parametrize("status", [SignatureStatus.UNCHECKED, SignatureStatus.ABSENT])
def test_with_secrets_an_unverified_callback_is_invalid(status: SignatureStatus) -> None:
    guarded = Authenticated(_Unsigned(status), required=True)
    raw = RawInput("cardlink", Channel.CALLBACK, b"{}")
    result = guarded.parse(raw, AdapterContext({"private_key": "k"}))
    assert result.error is not None and result.error.field == "signature"
    assert "MD5" in result.error.reason and result.reply == "OK"
    assert guarded.events == ()
    response = guarded.parse(RawInput("cardlink", Channel.RESPONSE, b"{}"), AdapterContext())
    assert response.error is None, "the merchant's own calls are not signed callbacks"
    assert Authenticated(_Unsigned(status), required=False).parse(
        raw, AdapterContext()).error is None


def test_a_recorded_unchecked_callback_event_is_invalid_for_a_provider_with_secrets() -> None:
    event = ('{"event": {"provider": "cardlink", "object_kind": "payment", "object_id": "p", '
             '"trigger": "approve", "channel": "callback", "dedupe_key": "d"}}')
    secrets = Secrets({"cardlink": {"private_key": "k"}})
    run = validate_records([parse_record(event, 1)], secrets=secrets)
    assert [(r.decision.outcome, r.decision.field) for r in run.results] == [
        (Outcome.INVALID, "signature")]


def _values(provider: str) -> list[str]:
    folder = FIXTURES / provider
    tables = [*tomllib.loads((folder / "secrets.toml").read_text()).values()]
    contract = tomllib.loads((folder / "contract.toml").read_text())
    tables += [t for k, t in contract.items() if k.endswith("secrets")]
    return [v.strip() for table in tables for v in table.values() if len(v.strip()) >= 8]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_repr_str_or_error_shows_a_secret(provider: str, tmp_path: Path) -> None:
    folder = FIXTURES / provider
    secrets = Secrets.load(folder / "secrets.toml")
    table = secrets.for_provider(provider)
    shown = [repr(secrets), str(secrets), repr(AdapterContext(table)),
             str(AdapterContext(table))]
    for sequence in sorted((folder / "sequences").glob("*.jsonl")):
        run = validate_file(sequence, secrets=secrets)
        shown += [repr(run), str(run), *map(repr, run.results)]
        shown += [r.decision.reason for r in run.results]
    typo = {f"{key}x": value for key, value in table.items()}
    with pytest.raises(SecretsError) as caught:
        check_secrets("s.toml", {provider: typo}, {provider: get_adapter(provider).secrets})
    shown.append(str(caught.value))
    text = "\n".join(shown)
    values = _values(provider)
    assert values
    for value in values:
        assert value not in text
