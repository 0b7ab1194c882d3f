"""Reading a body into a document: the hardened half of the wire readers that every field
reader (``_wire.Wire``) builds on, and the errors every reader raises.

``load_json`` refuses what ``json`` would accept but a parser should not (see ``_wire``), and
keeps every JSON number as its text, typed ``JsonInt`` or ``JsonFloat`` (``str`` subclasses
from ``paychart.adapter``): the fields read the same as text, and the journal's redaction can
render the document back as ``json.loads`` would have typed it, without a second parse.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn
from urllib.parse import parse_qsl

import attrs

from paychart.adapter import MAX_BODY_BYTES, JsonFloat, JsonInt
from paychart.errors import InputError

Json = dict[str, Any]

MAX_DEPTH = 32
"""No provider nests deeper than ~6; a deep document is an attack on the parser's stack."""
MAX_NUMBER_DIGITS = 40
"""Longer than any amount or id; a 5000-digit number costs quadratic time to convert."""
MAX_FIELD_NAME = 64

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e"
                        "\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
                        "\ud800-\udfff\U000e0000-\U000e007f]")
"""NUL, C0 and C1 controls (tab and newlines allowed in free text), DEL, the format
characters that hide or reorder text (soft hyphen, zero-width, bidi marks, overrides and
isolates, line separators, invisible operators, tags), the BOM, and lone surrogates."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_DEPTH_CHARS = re.compile(r'[\[\]{}"\\]')
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _deeper_than(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (one linear scan, so a
    deep document is refused before ``json`` recurses into it)."""
    if text.count("[") + text.count("{") <= limit:  # most bodies: too few brackets to nest
        return False
    depth, in_string, escaped = 0, False, False
    for match in _DEPTH_CHARS.finditer(text):
        char = match.group()
        if in_string:
            if escaped:
                escaped = False
                # the escaped character itself may be matched next; skip it
                continue
            if char == "\\":
                escaped = match.end() < len(text) and text[match.end()] in '"\\'
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


@attrs.frozen
class _Refused:
    """A JSON number or constant refused while parsing; reported with the key holding it."""

    reason: str


def _integer_text(text: str) -> JsonInt | _Refused:
    if len(text) > MAX_NUMBER_DIGITS:
        return _Refused(f"a JSON number of {len(text)} characters (at most {MAX_NUMBER_DIGITS})")
    return JsonInt(text)


def _float_text(text: str) -> JsonFloat | _Refused:
    if len(text) > MAX_NUMBER_DIGITS:
        return _Refused(f"a JSON number of {len(text)} characters (at most {MAX_NUMBER_DIGITS})")
    return JsonFloat(text)


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a JSON number")


def _field_name(field: str) -> str:
    """A field name safe to show and store: names taken from a hostile body (a duplicate
    key, a form key) may hold controls or lone surrogates, or be huge."""
    if len(field) <= MAX_FIELD_NAME and not _FORBIDDEN.search(field):
        return field
    shown = ascii(field)[1:-1]
    return shown if len(shown) <= MAX_FIELD_NAME else shown[:MAX_FIELD_NAME - 3] + "..."


class BodyReaders:
    """Body readers whose errors name the provider; ``Wire`` adds the field readers."""

    def __init__(self, provider: str, *, max_body: int = MAX_BODY_BYTES) -> None:
        self.provider = provider
        self.max_body = max_body

    def error(self, field: str, reason: str, *, object_kind: str | None = None,
              object_id: str | None = None) -> InputError:
        return InputError(_field_name(field), reason, provider=self.provider,
                          object_kind=object_kind, object_id=object_id)

    def fail(self, field: str, reason: str) -> NoReturn:
        raise self.error(field, reason)

    # -- bodies ------------------------------------------------------------------------

    def decode(self, body: bytes, field: str = "body") -> str:
        """The body as text: bounded in size, strict UTF-8 (a BOM is dropped)."""
        if not isinstance(body, bytes):
            self.fail(field, f"must be bytes, got {type(body).__name__}")
        if len(body) > self.max_body:
            self.fail(field, f"{len(body)} bytes exceed the {self.max_body}-byte limit")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.fail(field, f"not UTF-8 (byte {exc.start})")
        return text.removeprefix("\ufeff")

    def load_json(self, body: bytes | str, field: str = "body", *,
                  allow_list: bool = False) -> Any:
        """A JSON object (or array when ``allow_list``); numbers are kept as their text."""
        if isinstance(body, str):
            text = body
            if _LONE_SURROGATE.search(text):
                self.fail(field, "holds a lone surrogate")
        else:
            text = self.decode(body, field)
        if _deeper_than(text, MAX_DEPTH):
            self.fail(field, f"JSON nested deeper than {MAX_DEPTH} levels")
        try:
            data = json.loads(text, object_pairs_hook=self._object, parse_int=_integer_text,
                              parse_float=_float_text, parse_constant=_constant)
        except InputError:
            raise
        except RecursionError:  # pragma: no cover - _deeper_than refuses such text first
            self.fail(field, f"JSON nested deeper than {MAX_DEPTH} levels")
        except ValueError as exc:
            shown = exc.msg if isinstance(exc, json.JSONDecodeError) else "unreadable"
            where = f" at {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
            self.fail(field, f"not JSON ({shown}{where})")
        self._no_refused(data, field)
        if _SURROGATE_ESCAPE.search(text):
            self._no_lone_surrogates(data, field)
        if isinstance(data, dict) or (allow_list and isinstance(data, list)):
            return data
        raise self.error(field, "not a JSON object")

    def _object(self, pairs: list[tuple[str, Any]]) -> Json:
        """Each JSON object as it is parsed: its keys are unique, and a refused number in it
        is reported with the key that holds it."""
        data: Json = {}
        for key, value in pairs:
            if key in data:
                self.fail(key, "given more than once in one JSON object")
            if isinstance(value, _Refused | list):
                self._no_refused(value, key)
            data[key] = value
        return data

    def _no_refused(self, value: Any, field: str) -> None:
        """Objects check their own values, so only lists (and the top level) are walked."""
        if isinstance(value, _Refused):
            self.fail(field, value.reason)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, _Refused | list):
                    self._no_refused(item, field)

    def _no_lone_surrogates(self, value: Any, field: str) -> None:
        """Lone surrogate escapes (``"\\ud800"``) decode to text no encoder can write back."""
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                self.fail(field, "a string holds a lone surrogate escape")
        elif isinstance(value, dict):
            for key, item in value.items():
                if _LONE_SURROGATE.search(key):
                    self.fail(field, "a key holds a lone surrogate escape")
                self._no_lone_surrogates(item, key)
        elif isinstance(value, list):
            for item in value:
                self._no_lone_surrogates(item, field)

    def load_form(self, body: bytes | str, field: str = "body") -> dict[str, str]:
        """A strict ``application/x-www-form-urlencoded`` body; a key given twice is refused
        (which of two values a signature covered would be ambiguous)."""
        text = body if isinstance(body, str) else self.decode(body, field)
        try:
            pairs = parse_qsl(text.strip(), keep_blank_values=True, strict_parsing=True,
                              errors="strict", max_num_fields=1000)
        except (ValueError, UnicodeDecodeError):
            self.fail(field, "not an application/x-www-form-urlencoded body")
        fields: dict[str, str] = {}
        for key, value in pairs:
            if key in fields:
                self.fail(key, "given more than once")
            if _FORBIDDEN.search(key) or _FORBIDDEN.search(value):
                self.fail(key, "holds a control or bidirectional character")
            fields[key] = value
        return fields

