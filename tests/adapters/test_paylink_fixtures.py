"""PayLink fixtures: the real payloads are the published bytes, and the generated ones are
exactly what ``make_fixtures.py`` writes (as ``generate(out)`` and from the command line)."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"


PUBLISHED_SHA256 = {
    "checkout_query_finished_docs.json":
        "c1fb8e96552cd6c5c8dad690ebc5e592cd82c25d89025100cb69426da4908fa1",
    "checkout_query_finished_ruby_fixture.json":
        "38953cb7d585a8d9a977e180dd6619b5c7c9cf63932ec65bffb6ed2b5f8b71b4",
    "webhook_checkout_expired_docs.json":
        "38234f310c5f529dca590d82f5bb59057ce362388e7edf43c5b03866006a29fd",
    "webhook_payment_failed_sdk_fixture.json":
        "4ab0d061e81aa2a2728bf31ece5a3b8a4548adcf6607af09569edf03011c8fb0",
    "webhook_payment_successful_docs.json":
        "a91902e253b5f01bbc1c911e7653c05f6f47dfe0d4544dd128679879471ecc92",
    "webhook_payment_successful_ruby_fixture.json":
        "72f4347a31eb015f4c254bbfd56cef1d4dc269740156cbbe2a38e45c7d530984",
    "webhook_payment_successful_sdk_fixture.json":
        "74d479fd719a9892eca47569d9e4fdf4a2c0b7ddcc3a203445272068f58c7295",
}


def test_real_payloads_are_the_published_bytes() -> None:
    """Digests of the bodies the platform published, taken when the copies were made."""
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in (FIXTURES / "real").iterdir()}
    assert found == PUBLISHED_SHA256


def _generated(out: Path) -> list[Path]:
    made = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert Path("contract.toml") in made
    assert Path("bodies/authorization_successful.json") in made
    return made


def test_committed_fixtures_are_what_generate_writes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("paylink_make_fixtures",
                                                  FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(tmp_path)
    for path in _generated(tmp_path):
        assert (FIXTURES / path).read_bytes() == (tmp_path / path).read_bytes(), path


def test_make_fixtures_command_line_writes_the_same_files(tmp_path: Path) -> None:
    script = str(FIXTURES / "make_fixtures.py")
    subprocess.run([sys.executable, script, str(tmp_path)],  # noqa: S603 - our own script
                   check=True, capture_output=True)
    for path in _generated(tmp_path):
        assert (FIXTURES / path).read_bytes() == (tmp_path / path).read_bytes(), path
