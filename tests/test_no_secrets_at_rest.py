"""Nothing secret at rest or on screen: run the command line (``validate``, ``replay``,
``audit``, ``parse``) over every provider's fixture sequences into SQLite files, then scan
every SQLite file, every audit page and every output for Luhn-valid card numbers, the CVV
values the fixtures use and the values of the test secrets."""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import tomllib
from pathlib import Path

import pytest

from paychart.cli import main
from paychart.stores.sqlite import SQLiteStore
from tests.cards import luhn

FIXTURES = Path(__file__).resolve().parent / "adapters/fixtures"
PROVIDERS = sorted(p.name for p in FIXTURES.iterdir()
                   if p.is_dir() and not p.name.startswith("_") and (p / "sequences").is_dir())
_DIGITS = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_MIN_SECRET = 8
"""Shorter values (PayLink's shop id ``361``) are ids that also appear as amounts or dates."""


def luhn_pans(text: str) -> list[str]:
    """Every 13–19 digit run (spaces or dashes allowed) that passes Luhn, but epoch
    timestamps in milliseconds or microseconds (13 or 16 digits starting with 1: no card
    scheme issues those), which providers send as sequence numbers."""
    found = []
    text = re.sub(r"\b[0-9a-f]{64}\b", "", text)  # sha256 digests and chain links are no PAN
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if digits[0] == "1" and len(digits) in (13, 16):
            continue
        if luhn(digits) and len(set(digits)) > 1:
            found.append(digits)
    return found


def _contract(provider: str) -> dict[str, object]:
    return tomllib.loads((FIXTURES / provider / "contract.toml").read_text(encoding="utf-8"))


def secret_values(provider: str) -> set[str]:
    """Test secrets of a provider (secrets files and contract tables), each PEM line, and
    the HTTP Basic credentials they make."""
    tables: list[dict[str, str]] = []
    for path in sorted((FIXTURES / provider).glob("secrets*.toml")):
        tables += tomllib.loads(path.read_text(encoding="utf-8")).values()
    contract = _contract(provider)
    tables += [t for k, t in contract.items() if k.endswith("secrets") and isinstance(t, dict)]
    values: set[str] = set()
    for table in tables:
        for value in table.values():
            values.add(value.strip())
            values.update(line for line in value.splitlines()
                          if len(line) >= 20 and "-----" not in line)
        if "shop_id" in table and "secret_key" in table:
            pair = f"{table['shop_id']}:{table['secret_key']}"
            values.add(base64.b64encode(pair.encode()).decode())
    return {v for v in values if len(v) >= _MIN_SECRET}


def cvv_values(provider: str) -> set[str]:
    requests = _contract(provider).get("request", [])
    assert isinstance(requests, list)
    return {str(r["cvv"]) for r in requests if "cvv" in r}


def _cvv_shown(text: str, cvv: str) -> bool:
    """A CVV next to its key (a bare ``000`` or ``123`` is everywhere: dates, amounts)."""
    return bool(re.search(rf"(?i)(cvv2?|cvc2?|csc|security.?code)[^0-9\[]{{0,12}}{cvv}(?!\d)",
                          text))


def _dump(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return "\n".join(db.iterdump())


def _unpacked(path: Path) -> str:
    """The journal's cells as the store reads them back: rows are packed and deflated
    (schema v5), so a dump of the file alone would not show a card number inside them."""
    store = SQLiteStore(path, read_only=True)
    try:
        return "\n".join(json.dumps(stored.cells, default=str)
                         for stored in store.stored_journal())
    finally:
        store.close()


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    captured = capsys.readouterr()
    return captured.out + captured.err


def _bodies(provider: str) -> list[tuple[str, str]]:
    """(file, channel) of every body the contract names."""
    contract = _contract(provider)
    found = []
    for kind in ("callback", "request"):
        for item in contract.get(kind, []):  # type: ignore[attr-defined]
            found.append((item["file"], item.get("channel", kind)))
    return found


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_card_number_cvv_or_secret_is_stored_or_shown(
        provider: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / provider
    secrets = folder / "secrets.toml"
    texts: list[tuple[str, str]] = []
    sequences = sorted((folder / "sequences").glob("*.jsonl"))
    assert sequences
    for sequence in sequences:
        store = tmp_path / f"{sequence.stem}.sqlite"
        texts.append((f"validate {sequence.name}", _cli(
            capsys, "validate", str(sequence), "--secrets", str(secrets),
            "--store", f"sqlite:{store}")))
        texts.append((f"validate --format json {sequence.name}", _cli(
            capsys, "validate", str(sequence), "--secrets", str(secrets), "--format", "json")))
        texts.append((f"validate (no secrets) {sequence.name}", _cli(
            capsys, "validate", str(sequence), "--format", "json")))
        texts.append((f"replay {sequence.name}", _cli(capsys, "replay", f"sqlite:{store}")))
        texts.append((f"objects {sequence.name}", _cli(capsys, "objects", f"sqlite:{store}")))
        out = tmp_path / f"audit-{sequence.stem}"
        texts.append((f"audit {sequence.name}", _cli(
            capsys, "audit", str(sequence), "--secrets", str(secrets), "--out", str(out))))
        texts += [(str(page), page.read_text(encoding="utf-8")) for page in out.rglob("*.html")]
    for file, channel in _bodies(provider):
        texts.append((f"parse {file}", _cli(capsys, "parse", provider, str(folder / file),
                                            "--channel", channel, "--secrets", str(secrets))))
    texts += [(str(db), _dump(db)) for db in sorted(tmp_path.glob("*.sqlite"))]
    texts += [(f"{db} unpacked", _unpacked(db)) for db in sorted(tmp_path.glob("*.sqlite"))]
    assert all('\\"dedupe_key\\"' in text for where, text in texts
               if where.endswith("unpacked"))  # the events' cells were inflated
    assert len(list(tmp_path.glob("*.sqlite"))) == len(sequences)
    secret = secret_values(provider)
    cvvs = cvv_values(provider)
    for where, text in texts:
        assert luhn_pans(text) == [], f"card number in {where}"
        for value in secret:
            assert value not in text, f"a test secret of {provider} in {where}"
        for cvv in cvvs:
            assert not _cvv_shown(text, cvv), f"CVV {cvv} in {where}"


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scanners are not blind: a planted card number, CVV and secret are found."""
    assert luhn_pans("card 4111 1111 1111 1111 ok") == ["4111111111111111"]
    assert luhn_pans("ts 1795146405000 and 4111111111111112") == []
    assert _cvv_shown('{"card_cvv2":"739"}', "739")
    assert _cvv_shown("card_cvv2=000&x=1", "000")
    assert not _cvv_shown("card_cvv2=%5Bremoved%5D&amount=000", "000")
    assert "test-only-secret-9f4c2e" in secret_values("paylink")
    assert base64.b64encode(b"361:test-only-secret-9f4c2e").decode() in secret_values("paylink")
    assert "t3st-p4ssword-0001" in secret_values("platform")
