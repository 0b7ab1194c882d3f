"""The one set of wire readers every provider package uses, hardened against hostile bytes.

Every reader either returns a clean value or raises ``InputError`` naming the field, so a
parser built from them never raises anything else, for any bytes:

* bodies: a size limit, strict UTF-8, JSON nested deeper than ``MAX_DEPTH``, duplicate keys,
  lone surrogate escapes, ``NaN``/``Infinity`` and numbers of more than ``MAX_NUMBER_DIGITS``
  digits are refused; numbers stay text, so money is never a float;
* form bodies: strict ``application/x-www-form-urlencoded``, duplicate keys refused;
* text: NUL, C0/C1 control, zero-width and bidirectional characters are refused in every
  field, ids are bounded in length and may not hold whitespace;
* integers: ASCII digits only, within a signed 64-bit integer (what every store can keep);
* amounts: ASCII digits only (never "١٢٣" or "１２３"), positive where a positive amount is
  required, bounded per currency (``MAX_MAJOR_UNITS``), exact to the currency's minor unit.

Bodies are read by ``_wire_body``, fields by ``Wire`` here. Build one ``Wire`` per provider:
``WIRE = Wire("cardlink")``, then ``WIRE.text(doc, "token")``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paychart.errors import MoneyError
from paychart.money import Money, exponent

from ._wire_body import _FORBIDDEN, BodyReaders
from ._wire_body import MAX_DEPTH as MAX_DEPTH
from ._wire_body import MAX_FIELD_NAME as MAX_FIELD_NAME
from ._wire_body import MAX_NUMBER_DIGITS as MAX_NUMBER_DIGITS
from ._wire_body import Json as Json
from ._wire_body import _deeper_than as _deeper_than

MAX_TEXT = 4096
MAX_ID = 256
MAX_INTEGER = 2**63 - 1
"""Integers (sequence numbers, counters) must fit the stores' signed 64-bit columns."""
MAX_MAJOR_UNITS = 10**12
"""A trillion major units of any currency: above that an amount is a mistake or an attack,
and minor units stay far inside a 64-bit integer."""

_ASCII_INT = re.compile(r"-?[0-9]+")
_ASCII_DECIMAL = re.compile(r"(?P<sign>-?)(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?")
_ID_FORBIDDEN = re.compile(r"\s")


class Wire(BodyReaders):
    """Readers whose errors name the provider; one instance per provider package. The body
    readers (``decode``, ``load_json``, ``load_form``) are ``_wire_body``'s."""

    # -- structure ---------------------------------------------------------------------

    def table(self, data: Mapping[str, Any], key: str, where: str = "", *,
              required: bool = True) -> Json | None:
        """A nested object; ``None`` when absent and not required."""
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.fail(f"{where}{key}", "missing or not an object")
        return value

    def items(self, data: Mapping[str, Any], key: str, where: str = "") -> list[Any]:
        value = data.get(key)
        if not isinstance(value, list):
            self.fail(f"{where}{key}", "missing or not a list")
        return value

    # -- scalars -----------------------------------------------------------------------

    def _scalar(self, data: Mapping[str, Any], key: str, where: str, *, required: bool,
                kind: str) -> tuple[str, str | int] | None:
        """The field's path and its string or integer value; ``None`` when absent or empty
        and not required. What every scalar reader checks first."""
        value = data.get(key)
        field = f"{where}{key}"
        if value is None or value == "":
            if required:
                self.fail(field, "missing")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(field, f"must be {kind}, got {_json_type(value)}")
        return field, value

    def text(self, data: Mapping[str, Any], key: str, where: str = "", *,
             required: bool = False, max_len: int = MAX_TEXT) -> str | None:
        """A string field (``load_json`` keeps numbers as their text, so an id sent as a
        number reads the same); ``None`` when absent or empty and not required. Control,
        zero-width and bidi characters are refused."""
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.fail(f"{where}{key}", "missing")
            return None
        if type(value) is not str:  # the checks of ``_scalar``, inlined: read per field
            if isinstance(value, bool) or not isinstance(value, str | int):
                self.fail(f"{where}{key}", f"must be a string, got {_json_type(value)}")
            value = str(value)
        if len(value) > max_len:
            self.fail(f"{where}{key}", f"{len(value)} characters (at most {max_len})")
        # Printable ASCII holds none of the forbidden characters: no regex scan needed.
        if not (value.isascii() and value.isprintable()) and _FORBIDDEN.search(value):
            self.fail(f"{where}{key}", "holds a control, zero-width or bidirectional "
                      "character")
        return value

    def need(self, data: Mapping[str, Any], key: str, where: str = "", *,
             max_len: int = MAX_TEXT) -> str:
        """A required string field."""
        value = self.text(data, key, where, required=True, max_len=max_len)
        assert value is not None  # text() raises for a missing required field
        return value

    def identifier(self, data: Mapping[str, Any], key: str, where: str = "", *,
                   required: bool = True) -> str | None:
        """An object id or reference: bounded, no whitespace, no control characters."""
        value = self.text(data, key, where, required=required, max_len=MAX_ID)
        if value is not None and _ID_FORBIDDEN.search(value):
            self.fail(f"{where}{key}", "an id may not contain whitespace")
        return value

    def need_id(self, data: Mapping[str, Any], key: str, where: str = "") -> str:
        value = self.identifier(data, key, where, required=True)
        assert value is not None
        return value

    def flag(self, data: Mapping[str, Any], key: str, where: str = "", *,
             default: bool | None = None) -> bool | None:
        """A boolean sent as JSON ``true``/``false``, ``1``/``0`` or their text."""
        value = data.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in {"true", "1", "yes"}:
                return True
            if lowered in {"false", "0", "no"}:
                return False
        raise self.error(f"{where}{key}", f"not a boolean: {_shown(value)}")

    def integer(self, data: Mapping[str, Any], key: str, where: str = "", *,
                required: bool = False, minimum: int | None = None,
                maximum: int = MAX_INTEGER) -> int | None:
        """An integer sent as a JSON number or its ASCII digits, at most ``maximum`` (by
        default what a signed 64-bit store column holds) and at least ``minimum``."""
        found = self._scalar(data, key, where, required=required, kind="an integer")
        if found is None:
            return None
        field, value = found
        digits = str(value).strip()
        if len(digits) > MAX_NUMBER_DIGITS or not _ASCII_INT.fullmatch(digits):
            self.fail(field, f"not an integer: {_shown(value)}")
        number = int(digits)
        if minimum is not None and number < minimum:
            self.fail(field, f"{number} is below {minimum}")
        if number > maximum or number < -MAX_INTEGER - 1:
            self.fail(field, f"{_shown(value)} is out of range (at most {maximum})")
        return number

    def timestamp(self, data: Mapping[str, Any], key: str, where: str = "", *,
                  required: bool = False) -> datetime | None:
        """An ISO 8601 timestamp (``Z`` accepted; naive times taken as UTC)."""
        value = self.text(data, key, where, required=required, max_len=64)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{where}{key}", f"not an ISO 8601 time: {_shown(value)}")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    # -- money -------------------------------------------------------------------------

    def currency(self, data: Mapping[str, Any], key: str, where: str = "", *,
                 required: bool = True, fallback: str | None = None) -> str | None:
        """An ISO 4217 code with a minor unit, upper-cased."""
        value = self.text(data, key, where, required=required and fallback is None, max_len=8)
        if value is None:
            return fallback
        code = value.strip().upper()
        try:
            exponent(code)
        except MoneyError as exc:
            self.fail(f"{where}{key}", f"{exc.reason}: {_shown(value)}")
        return code

    def minor_amount(self, value: object, currency: str, field: str, *,
                     positive: bool = True) -> Money:
        """Integer minor units as a provider sends them (a JSON number or ASCII digits)."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(field, f"must be an amount in minor units, got {_json_type(value)}")
        digits = str(value).strip()
        if len(digits) > MAX_NUMBER_DIGITS or not _ASCII_INT.fullmatch(digits):
            self.fail(field, f"not an amount in minor units: {_shown(value)}")
        return self._bounded(int(digits), currency, field, positive=positive)

    def decimal_amount(self, value: object, currency: str, field: str, *,
                       positive: bool = True, round_half_up: bool = False
                       ) -> tuple[Money, str | None]:
        """Major units as decimal text ("1.99") to exact minor units. More decimals than the
        currency has are refused (money would be lost) unless ``round_half_up``, which rounds
        and returns a warning saying so."""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(field, f"must be a decimal amount, got {_json_type(value)}")
        shown = str(value).strip()
        match = _ASCII_DECIMAL.fullmatch(shown)
        if match is None or len(shown) > MAX_NUMBER_DIGITS:
            self.fail(field, f"not a decimal amount: {_shown(value)}")
        digits = self._exponent(currency, field)
        frac = match["frac"] or ""
        warning = None
        minor = int(match["int"]) * 10**digits + int(frac[:digits].ljust(digits, "0") or "0")
        if frac[digits:].strip("0"):
            if not round_half_up:
                self.fail(field, f"{currency} has {digits} decimals; {shown} would be rounded")
            if frac[digits] >= "5":
                minor += 1
            warning = f"{field} {shown} rounded half up to {digits} decimals for {currency}"
        if match["sign"]:
            minor = -minor
        return self._bounded(minor, currency, field, positive=positive), warning

    def _exponent(self, currency: str, field: str) -> int:
        try:
            return exponent(currency)
        except MoneyError as exc:
            self.fail(field, exc.reason)

    def _bounded(self, minor: int, currency: str, field: str, *, positive: bool) -> Money:
        bound = MAX_MAJOR_UNITS * 10 ** self._exponent(currency, field)
        if positive and minor <= 0:
            self.fail(field, f"must be positive, got {minor}")
        if minor < 0:
            self.fail(field, f"must not be negative, got {minor}")
        if minor > bound:
            self.fail(field, f"{minor} exceeds the bound for {currency} "
                             f"({MAX_MAJOR_UNITS} major units)")
        return Money(minor, currency)


# -- card data ----------------------------------------------------------------------------

_NOT_DIGIT = re.compile(r"[^0-9]")


def mask_pan(pan: object) -> str | None:
    """First six and last four digits of a card number (spaces and dashes allowed), the rest
    starred; ``None`` when it has too few digits to be one. Never returns the full number."""
    if isinstance(pan, bool) or not isinstance(pan, str | int):
        return None
    digits = _NOT_DIGIT.sub("", str(pan))
    if len(digits) < 12 or len(digits) > 19:
        return None
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def card_mask(value: object) -> str | None:
    """A card as the provider already masked it (``411111******1111``, ``****1111``), masked
    again when it turns out to hold more than ten digits."""
    if not isinstance(value, str) or not value:
        return None
    if sum(char.isdigit() for char in value) <= 10:
        return value[:32]
    return mask_pan(value)


def _json_type(value: object) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", str: "a string",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _shown(value: object) -> str:
    """A value for an error message: short, and with no card number in it."""
    text = repr(value)
    if sum(char.isdigit() for char in text) >= 12:
        return "(a long number)"
    return text if len(text) <= 40 else text[:37] + "..."
