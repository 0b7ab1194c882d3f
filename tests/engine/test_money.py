from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Money, MoneyError
from paychart.money import exponent


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1.99", "USD", 199), ("156.00", "EUR", 15600), ("100", "JPY", 100), ("100.00", "JPY", 100),
     ("1.234", "KWD", 1234), ("0.5", "BHD", 500), ("7", "usd", 700), ("-2.50", "EUR", -250)],
)
def test_parse_is_exponent_aware(text: str, currency: str, minor: int) -> None:
    money = Money.parse(text, currency)
    assert money == Money(minor, currency.upper())


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [("100000.65", "VND", "VND has 0 decimals"), ("1.999", "USD", "USD has 2 decimals"),
     ("1,99", "USD", "not a decimal amount"), ("1e3", "USD", "not a decimal amount"),
     ("", "USD", "not a decimal amount"), ("1.00", "ZZZ", "unknown ISO 4217 currency")],
)
def test_parse_refuses_what_would_lose_money(text: str, currency: str, reason: str) -> None:
    with pytest.raises(MoneyError, match=reason):
        Money.parse(text, currency)


def test_floats_are_not_money() -> None:
    with pytest.raises(MoneyError):
        Money.parse(1.99, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.of_minor(1.5, "USD")
    with pytest.raises(MoneyError):
        Money.of_minor(True, "USD")


def test_of_minor_accepts_integer_strings() -> None:
    assert Money.of_minor("1999", "usd") == Money(1999, "USD")
    with pytest.raises(MoneyError, match="integer"):
        Money.of_minor("19.99", "USD")


def test_currency_without_minor_unit_is_refused() -> None:
    with pytest.raises(MoneyError, match="no minor unit"):
        Money(1, "XAU")


@given(st.integers(min_value=-10**15, max_value=10**15),
       st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLF", "BHD"]))
def test_decimal_string_round_trips(minor: int, currency: str) -> None:
    money = Money(minor, currency)
    assert Money.parse(money.to_decimal_string(), currency) == money
    assert str(money).endswith(currency)
    assert len(money.to_decimal_string().partition(".")[2]) == exponent(currency)
