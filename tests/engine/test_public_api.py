"""The public API: what ``import paychart`` exports, and that it validates at its edge."""

from __future__ import annotations

import pytest

import paychart
from paychart import Channel, Money, RawInput

EXTENSION_API = {"guard", "effect"}  # spelled as RuleBook methods, see below
"""Names a provider package or a backend builds on; removing one breaks them."""
EXPECTED = {
    "Adapter", "AdapterContext", "ChartSet", "Decision", "Event", "GuardInput", "Ledger",
    "LedgerRefusal", "MONEY_RULES", "Money", "Orchestrator", "ParseResult", "ProviderAdapter",
    "RawInput", "RuleBook", "Rules", "SQLiteStore", "Secrets", "SecretsSchema",
    "SignatureScope", "StatusMove", "Store", "replay",
}


def test_all_names_are_unique_and_every_name_imports() -> None:
    assert len(set(paychart.__all__)) == len(paychart.__all__)
    missing = [name for name in paychart.__all__ if not hasattr(paychart, name)]
    assert missing == []


def test_the_extension_api_is_exported() -> None:
    assert set(paychart.__all__) >= EXPECTED
    book = paychart.RuleBook()
    assert all(callable(getattr(book, name)) for name in EXTENSION_API)


@pytest.mark.parametrize("amount", [10.5, "1050", True, None])
def test_money_refuses_what_is_not_integer_minor_units(amount: object) -> None:
    with pytest.raises(TypeError, match="minor units"):
        Money(amount, "EUR")  # type: ignore[arg-type]


def test_money_refuses_a_currency_that_is_not_text() -> None:
    with pytest.raises(TypeError, match="ISO 4217"):
        Money(100, 978)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["١٢٣", "１２３", "1.٥٠"])
def test_money_parse_reads_ascii_digits_only(text: str) -> None:
    with pytest.raises(paychart.MoneyError, match="not a decimal amount"):
        Money.parse(text, "EUR")
    with pytest.raises(paychart.MoneyError):
        Money.of_minor(text, "EUR")


def test_raw_input_wants_bytes() -> None:
    with pytest.raises(TypeError, match="bytes exactly as received"):
        RawInput("cardlink", Channel.CALLBACK, "{}")  # type: ignore[arg-type]


def test_raw_input_channel_from_its_name_or_a_clear_error() -> None:
    assert RawInput("cardlink", "callback", b"{}").channel is Channel.CALLBACK
    with pytest.raises(ValueError, match="channel must be one of"):
        RawInput("cardlink", "webhook", b"{}")


def test_raw_input_headers_are_text_and_never_shown() -> None:
    with pytest.raises(TypeError, match="headers"):
        RawInput("paylink", Channel.CALLBACK, b"{}", {"Authorization": b"Basic x"})
    raw = RawInput("paylink", Channel.CALLBACK, b"{}", {"Authorization": "Basic c2hvcDpzZWNyZXQ="})
    assert "c2hvcDpzZWNyZXQ" not in repr(raw)
