"""The adapter contract (docs/adding-a-provider.md), checked for every discovered provider and
the copy-me template, from each provider's ``tests/adapters/fixtures/<provider>/contract.toml``.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from contextlib import suppress
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart.adapter import (
    AdapterContext,
    ParseResult,
    ProviderAdapter,
    RawInput,
    SecretsSchema,
    SignatureScope,
    StatusMove,
)
from paychart.charts import ChartSet
from paychart.decision import Decision, Outcome
from paychart.event import Channel
from paychart.money_rules import MONEY_RULES
from paychart.orchestrator import Orchestrator
from paychart.providers import provider_modules
from paychart.rulebook import Rules
from paychart.serialize import to_json
from paychart.stores.memory import MemoryStore
from tests.cards import luhn

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = "template"
MODULES = {**provider_modules(), TEMPLATE: "paychart.adapters._template"}
NAMES = sorted(MODULES)
BODY_SUFFIXES = (".json", ".txt")
FRESH_STATUS = "zz_status_nobody_documents"
Headers = Mapping[str, str]


@attrs.frozen
class Subject:
    """One provider as the contract test sees it."""

    name: str
    package: ModuleType
    adapter: ProviderAdapter
    folder: Path
    declared: Mapping[str, Any] | None
    charts: ChartSet

    @property
    def contract(self) -> Mapping[str, Any]:
        """``contract.toml``; the checks that need it fail when it is missing."""
        if self.declared is None:
            pytest.fail(f"{self.name}: no {self.folder.relative_to(FIXTURES.parent)}/"
                        "contract.toml")
        return self.declared

    def module(self, part: str) -> ModuleType:
        return import_module(f"{self.package.__name__}.{part}")

    @property
    def secrets(self) -> dict[str, str]:
        return dict(self.contract.get("secrets", {}))

    @property
    def remembered(self) -> dict[str, str]:
        """Facts the engine would have kept from earlier inputs (a platform SALE callback's
        hash covers the payer e-mail, which only the SALE request carries)."""
        facts: dict[str, str] = {}
        for callback in self.contract.get("callback", []):
            facts.update(callback.get("remembered", {}))
        return facts

    def context(self, secrets: Mapping[str, str] | None = None) -> AdapterContext:
        facts = self.remembered
        return AdapterContext(secrets=self.secrets if secrets is None else secrets,
                              remembered=lambda _kind, _id: facts)

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        found = list(self.contract.get("callback", []))
        assert found, f"{self.name}: contract.toml declares no [[callback]]"
        return found

    def body(self, file: str) -> bytes:
        return (self.folder / file).read_bytes()

    def bodies(self) -> list[bytes]:
        """Every fixture and real body: files of a body type, not under ``sequences/``."""
        return [path.read_bytes() for path in sorted(self.folder.rglob("*"))
                if path.suffix in BODY_SUFFIXES and "sequences" not in path.parts]


@functools.cache
def subject(name: str) -> Subject:
    folder = FIXTURES / ("_template" if name == TEMPLATE else name)
    package = import_module(MODULES[name])
    contract_file = folder / "contract.toml"
    contract = (tomllib.loads(contract_file.read_text("utf-8")) if contract_file.exists()
                else None)
    adapter = package.ADAPTER
    if contract is not None and "charts" in contract:
        charts = ChartSet.from_paths([folder / f for f in contract["charts"]],
                                     MONEY_RULES.merged(adapter.rules))
    else:
        charts = ChartSet.bundled()
    return Subject(name, package, adapter, folder, contract, charts)


# -- editing bodies -------------------------------------------------------------------------

RAW = "\x01raw\x01"
"""A value replaced by raw text after serializing (numbers JSON can hold, Python cannot)."""


def read(subj: Subject, body: bytes) -> dict[str, Any]:
    if subj.contract["format"] == "form":
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    doc: dict[str, Any] = json.loads(body)
    return doc


def write(subj: Subject, doc: Mapping[str, Any], raw: str = "") -> bytes:
    if subj.contract["format"] == "form":
        return urlencode(doc).replace(urlencode({"": RAW})[1:], raw).encode("utf-8")
    return json.dumps(doc).replace(json.dumps(RAW), raw).encode("ascii")


def edited(doc: Mapping[str, Any], path: str, value: object) -> dict[str, Any]:
    """A copy of ``doc`` with the dotted ``path`` set to ``value``."""
    head, _, rest = path.partition(".")
    copy = dict(doc)
    copy[head] = edited(copy.get(head) or {}, rest, value) if rest else value
    return copy


def sign(subj: Subject, body: bytes, headers: Headers,
         secrets: Mapping[str, str] | None = None) -> tuple[bytes, Headers]:
    facts = subj.remembered
    extra = {"facts": facts} if facts else {}
    signed: tuple[bytes, Headers] = subj.module("signature").sign(
        body, headers, subj.secrets if secrets is None else secrets, **extra)
    return signed


def wrong(secrets: Mapping[str, str], schema: SecretsSchema) -> dict[str, str]:
    """The same keys, every value that is not a fixed choice changed."""
    return {k: v if k in schema.choices else v[: len(v) // 2] + "-wrong" + v[len(v) // 2:]
            for k, v in secrets.items()}


def decide(subj: Subject, body: bytes, headers: Headers, channel: str = "callback",
           secrets: Mapping[str, str] | None = None) -> tuple[Decision, ...]:
    raw = RawInput(subj.adapter.provider, channel, body, dict(headers))
    return Orchestrator(subj.charts, MemoryStore()).ingest(raw, subj.adapter,
                                                           subj.context(secrets))


def parse(subj: Subject, body: bytes, headers: Headers, channel: Channel | str) -> ParseResult:
    raw = RawInput(subj.adapter.provider, channel, body, dict(headers))
    return subj.adapter.parse(raw, subj.context())


def signed_callback(subj: Subject, callback: Mapping[str, Any], path: str | None = None,
                    value: object = None) -> tuple[bytes, Headers]:
    doc = read(subj, subj.body(callback["file"]))
    if path is not None:
        doc = edited(doc, path, value)
    return sign(subj, write(subj, doc), {})


def invalid(decisions: tuple[Decision, ...]) -> bool:
    return any(d.outcome is Outcome.INVALID for d in decisions)


# -- package shape and status table ---------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_package_shape(name: str) -> None:
    subj = subject(name)
    vocab, signature, rules = (subj.module(m) for m in ("vocab", "signature", "rules"))
    parse_module = subj.module("parse")
    assert isinstance(subj.adapter, ProviderAdapter)
    assert subj.adapter.provider == subj.package.PROVIDER
    assert isinstance(vocab.MOVES, tuple)
    assert all(isinstance(m, StatusMove) for m in vocab.MOVES)
    assert isinstance(vocab.VOCABULARY, frozenset)
    assert all(isinstance(w, str) for w in vocab.VOCABULARY)
    assert isinstance(vocab.NOT_MAPPED, Mapping)
    assert all(isinstance(v, str) and v for v in vocab.NOT_MAPPED.values())
    assert isinstance(signature.SCOPE, SignatureScope)
    assert isinstance(signature.SECRETS, SecretsSchema)
    assert all(callable(getattr(signature, f)) for f in ("sign", "unsign", "verify"))
    assert isinstance(rules.RULES, Rules)
    assert subj.adapter.rules is rules.RULES
    assert subj.adapter.signature is signature.SCOPE
    assert subj.adapter.secrets is signature.SECRETS
    for channel, parser in subj.adapter.parsers.items():
        assert parser is getattr(parse_module, f"parse_{Channel(channel).value}")


@pytest.mark.parametrize("name", NAMES)
def test_contract_secrets_fit_the_secrets_schema(name: str) -> None:
    subj = subject(name)
    assert subj.adapter.secrets.required <= set(subj.secrets) <= subj.adapter.secrets.keys


@pytest.mark.parametrize("name", NAMES)
def test_status_table_is_exhaustive(name: str) -> None:
    vocab = subject(name).module("vocab")
    moved = {m.status for m in vocab.MOVES}
    not_mapped = set(vocab.NOT_MAPPED)
    assert not moved & not_mapped, "a status both moves and is declared not mapped"
    assert vocab.VOCABULARY - moved - not_mapped == set(), "statuses without a row"
    assert (moved | not_mapped) - vocab.VOCABULARY == set(), "rows for undocumented words"


@pytest.mark.parametrize("name", NAMES)
def test_every_move_is_an_edge_of_the_chart(name: str) -> None:
    subj = subject(name)
    missing = []
    for move in subj.module("vocab").MOVES:
        chart = subj.charts.find(subj.adapter.provider, move.object_kind)
        if chart is None:
            missing.append(f"no chart for {move.object_kind}")
        elif move.state == chart.initial and not any(e.trigger == move.trigger
                                                     for e in chart.edges):
            continue  # the status of an object's creation: it starts there, by no edge
        elif not any(e.trigger == move.trigger and move.state in (None, e.target)
                     for e in chart.edges):
            missing.append(f"{move.object_kind} {move.status}{move.via}: "
                           f"{move.trigger} → {move.state}")
    assert missing == []


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_status_is_invalid_naming_the_value(name: str) -> None:
    subj = subject(name)
    for callback in subj.callbacks:
        body, headers = signed_callback(subj, callback, callback["status_field"], FRESH_STATUS)
        decisions = decide(subj, body, headers, callback.get("channel", "callback"))
        assert invalid(decisions)
        assert any(FRESH_STATUS in d.reason for d in decisions), decisions


# -- signatures -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["valid", "tampered", "wrong_secret", "unsigned"])
@pytest.mark.parametrize("name", NAMES)
def test_signature_cases(name: str, case: str) -> None:
    subj = subject(name)
    schema = subj.adapter.secrets
    for callback in subj.callbacks:
        doc = read(subj, subj.body(callback["file"]))
        body = write(subj, doc)
        headers: Mapping[str, str] = {}
        if case == "wrong_secret":
            wrong_secrets = subj.contract.get("wrong_secrets") or wrong(subj.secrets, schema)
            body, headers = sign(subj, body, headers, wrong_secrets)
        else:
            body, headers = sign(subj, body, headers)
        if case == "tampered":
            path = callback["covered_field"]
            assert subj.adapter.signature.covers(path) or subj.adapter.signature.covers(
                path.rpartition(".")[2]), f"{path} is not a field the signature covers"
            signed = read(subj, body)
            body = write(subj, edited(signed, path, _tampered(_get(signed, path))))
        if case == "unsigned":
            body, headers = subj.module("signature").unsign(body, headers)
        decisions = decide(subj, body, headers, callback.get("channel", "callback"))
        assert invalid(decisions) == (case != "valid"), decisions


def _get(doc: Mapping[str, Any], path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


def _tampered(value: Any) -> Any:
    text = str(value)
    return str(int(text) + 1) if text.isdigit() else text + "x"


# -- parse never raises ---------------------------------------------------------------------

HOSTILE_TEXT = ["\x00", "ab\x00cd", "\ud800", "a\udfffb", "\u202eevil", "zero\u200bwidth",
                "\u2066iso", "\ufeff", "١٢٣", "１２３", "¹²³", "-1", "0", "9" * 5000,
                str(2**63), str(2**64), "x" * 5000, "", " ", "\n"]
HOSTILE_RAW = ["9" * 5000, str(2**63), str(2**64), "-1", "0", "-0", "1e999", "1." + "1" * 5000,
               "NaN", "Infinity", "-Infinity", "[" * 100_000, "[" * 40 + "]" * 40,
               '{"a":' * 50 + "1" + "}" * 50, "true", "null", "{}", "[]"]


def _leaves(doc: Mapping[str, Any], where: str = "") -> list[str]:
    paths = []
    for key, value in doc.items():
        if isinstance(value, dict):
            paths += _leaves(value, f"{where}{key}.")
        paths.append(f"{where}{key}")
    return paths


@st.composite
def hostile_bodies(draw: st.DrawFn, subj: Subject) -> tuple[bytes, Headers]:
    body = draw(st.sampled_from(subj.bodies()))
    headers: Headers = {}
    try:
        doc = read(subj, body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict) and doc and draw(st.booleans()):
        path = draw(st.sampled_from(_leaves(doc)))
        kind = draw(st.sampled_from(["text", "raw", "duplicate"]))
        if kind == "text":
            body = write(subj, edited(doc, path, draw(st.sampled_from(HOSTILE_TEXT))))
        elif kind == "raw":
            body = write(subj, edited(doc, path, RAW), draw(st.sampled_from(HOSTILE_RAW)))
        else:
            body = _with_duplicate(subj, write(subj, doc), path.partition(".")[0])
        if draw(st.booleans()):
            with suppress(Exception):  # a body the provider's own signer cannot read
                body, headers = sign(subj, body, headers)
    mutate = draw(st.sampled_from([_same, _bom, _truncated, _not_utf8, _latin1, _utf16,
                                   _oversize]))
    return mutate(body, subj), headers


def _with_duplicate(subj: Subject, body: bytes, key: str) -> bytes:
    if subj.contract["format"] == "form":
        return body + b"&" + urlencode({key: "dup"}).encode()
    return body.replace(b"{", b"{" + json.dumps(key).encode() + b': "dup", ', 1)


def _same(body: bytes, _subj: Subject) -> bytes:
    return body


def _bom(body: bytes, _subj: Subject) -> bytes:
    return b"\xef\xbb\xbf" + body


def _truncated(body: bytes, _subj: Subject) -> bytes:
    return body[: len(body) // 2]


def _not_utf8(body: bytes, _subj: Subject) -> bytes:
    return body[:5] + b"\xff\xc3" + body[5:]


def _latin1(body: bytes, _subj: Subject) -> bytes:
    return body.decode("utf-8", "replace").replace("a", "é").encode("latin-1", "replace")


def _utf16(body: bytes, _subj: Subject) -> bytes:
    return body.decode("utf-8", "replace").encode("utf-16")


def _oversize(body: bytes, subj: Subject) -> bytes:
    return body + b" " * (subj.adapter.max_body_bytes + 1 - len(body))


def check_parsed(subj: Subject, body: bytes, headers: Headers) -> None:
    for channel in subj.adapter.parsers:
        result = parse(subj, body, headers, channel)
        assert isinstance(result, ParseResult)
        assert result.defect is None, result.defect


@pytest.mark.parametrize("name", NAMES)
def test_parse_never_raises_nor_reports_a_defect(name: str) -> None:
    subj = subject(name)
    assert subj.bodies(), f"{name}: no fixture bodies"

    @given(hostile_bodies(subj))
    def fuzz(case: tuple[bytes, Headers]) -> None:
        check_parsed(subj, *case)

    fuzz()


@pytest.mark.parametrize("name", NAMES)
def test_every_fixture_body_parses_without_a_defect(name: str) -> None:
    subj = subject(name)
    for body in subj.bodies():
        check_parsed(subj, body, {})


TARGETED: list[tuple[str, object]] = [
    ("id_field", "ab\x00cd"), ("id_field", "ab\u202ecd"), ("id_field", "a" * 5000),
    ("amount_field", "-100"), ("amount_field", "0"), ("amount_field", str(10**20)),
    ("amount_field", "9" * 5000), ("amount_field", "١٢٣"), ("amount_field", "１２３"),
]


@pytest.mark.parametrize(("key", "value"), TARGETED)
@pytest.mark.parametrize("name", NAMES)
def test_hostile_ids_and_amounts_are_invalid_naming_the_field(name: str, key: str,
                                                              value: object) -> None:
    subj = subject(name)
    for callback in subj.callbacks:
        path = callback[key]
        body, headers = signed_callback(subj, callback, path, value)
        result = parse(subj, body, headers, callback.get("channel", "callback"))
        assert result.defect is None
        assert result.error is not None, f"{path}={value!r:.20} was accepted"
        assert result.error.field.rpartition(".")[2] == path.rpartition(".")[2], result.error


# -- the journal keeps no card data ---------------------------------------------------------

DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
"""Letters count as part of a token: digits inside a hex digest are not a card number."""


def card_numbers(text: str) -> list[str]:
    runs = (re.sub(r"[ -]", "", m.group()) for m in DIGIT_RUN.finditer(text))
    return [run for run in runs if luhn(run)]


@pytest.mark.parametrize("name", NAMES)
def test_no_full_card_number_or_cvv_reaches_the_journal(name: str) -> None:
    subj = subject(name)
    requests = list(subj.contract.get("request", []))
    assert requests or subj.contract.get("no_card_requests"), (
        f"{name}: contract.toml declares no [[request]] with card data, and no "
        "`no_card_requests` saying why the protocol has none")
    store = MemoryStore()
    orchestrator = Orchestrator(subj.charts, store)
    context = subj.context()
    inputs = [RawInput(subj.adapter.provider, r.get("channel", "request"), subj.body(r["file"]),
                       ref=r.get("ref"), operation=r.get("operation")) for r in requests]
    inputs += [RawInput(subj.adapter.provider, channel, body)
               for body in subj.bodies() for channel in subj.adapter.parsers]
    for raw in inputs:
        orchestrator.ingest(raw, subj.adapter, context)
    journal = json.dumps([to_json(entry) for entry in store.journal()], ensure_ascii=False)
    assert card_numbers(journal) == []
    for request in requests:
        assert card_numbers(subj.body(request["file"]).decode()), "the request has no card"
        cvv = re.compile(rf"(?<![0-9A-Za-z.]){request['cvv']}(?![0-9A-Za-z.])")
        assert cvv.search(subj.body(request["file"]).decode()), "the request has no CVV"
        assert not cvv.search(journal), f"CVV {request['cvv']} journaled"


# -- fixtures regenerate --------------------------------------------------------------------

def _load_generator(subj: Subject) -> Callable[[Path], None]:
    path = subj.folder / "make_fixtures.py"
    assert path.exists(), f"{subj.name}: no make_fixtures.py"
    spec = importlib.util.spec_from_file_location(f"_make_fixtures_{subj.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(subj.folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(subj.folder))
    generate: Callable[[Path], None] = module.generate
    return generate


@pytest.mark.parametrize("name", NAMES)
def test_fixtures_regenerate_identically(name: str, tmp_path: Path) -> None:
    subj = subject(name)
    _load_generator(subj)(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written, "make_fixtures.generate wrote nothing"
    differ = [str(p) for p in written if not (subj.folder / p).is_file()
              or (subj.folder / p).read_bytes() != (tmp_path / p).read_bytes()]
    assert differ == []
