"""Exact money: integer minor units and an ISO 4217 currency; never a float."""

from __future__ import annotations

import re

import attrs
from iso4217 import Currency

from .errors import MoneyError

_DECIMAL = re.compile(r"^(?P<sign>-?)(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?$")
"""ASCII digits only: `\\d` would read "١٢٣" (Arabic-Indic digits) as 123."""


_EXPONENTS: dict[str, int] = {}


def exponent(currency: str) -> int:
    """Minor-unit digits of an ISO 4217 currency (JPY 0, EUR 2, KWD 3)."""
    known = _EXPONENTS.get(currency)
    if known is not None:
        return known
    try:
        digits = Currency(currency).exponent
    except ValueError:
        raise MoneyError(currency, "unknown ISO 4217 currency") from None
    if digits is None:
        raise MoneyError(currency, "currency has no minor unit (not a payment currency)")
    _EXPONENTS[currency] = digits  # every Money is validated: keep the hot path a dict hit
    return digits


def _check_amount(_instance: object, _attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Money amount must be an int of minor units, got "
                        f"{type(value).__name__} {value!r} (Money.parse('10.50', 'EUR') reads "
                        "decimal text)")


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"Money currency must be an ISO 4217 code, got {type(value).__name__}")
    exponent(value)


@attrs.frozen(slots=True)
class Money:
    """An amount in integer minor units of ``currency`` (``Money(199, "USD")`` is 1.99 USD)."""

    amount: int = attrs.field(validator=_check_amount)
    currency: str = attrs.field(validator=_check_currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """Parse a decimal string in major units, exactly ("1.99" USD -> 199, "100" JPY -> 100).

        More fractional digits than the currency has are accepted only when they are zeros;
        anything else would lose money, so it is an error.
        """
        currency = currency.upper()
        digits = exponent(currency)
        match = _DECIMAL.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise MoneyError(text, "not a decimal amount")
        frac = match["frac"] or ""
        if len(frac) > digits:
            if frac[digits:].strip("0"):
                raise MoneyError(text, f"{currency} has {digits} decimals; amount would be rounded")
            frac = frac[:digits]
        minor = int(match["int"]) * 10**digits + int(frac.ljust(digits, "0") or "0")
        return cls(-minor if match["sign"] else minor, currency)

    @classmethod
    def of_minor(cls, value: object, currency: str) -> Money:
        """Money from integer minor units as a provider sends them (int or digit string)."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise MoneyError(value, "minor units must be an integer")
        if isinstance(value, str):
            if not re.fullmatch(r"-?[0-9]+", value.strip()):
                raise MoneyError(value, "minor units must be an integer")
            value = int(value)
        return cls(value, currency.upper())

    def to_decimal_string(self) -> str:
        """Major units with the currency's exact number of decimals ("1.99")."""
        digits = exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**digits)
        return f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"

    def __str__(self) -> str:
        return f"{self.to_decimal_string()} {self.currency}"
