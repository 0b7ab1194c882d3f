"""Redaction of raw payloads before they are journaled: it fails closed.

A body is rewritten field by field when it parses as JSON (object or array) or as strict
``application/x-www-form-urlencoded`` text; anything else (an unencoded space, a truncated
JSON document, bytes that are not UTF-8) is journaled as its length, a digest and a masked
rendering, never as raw text. Everywhere, card numbers are masked to first six and last four
(in any field, as strings, JSON numbers or grouped digits), card security codes and secrets
are dropped by whole key name (``authorization_code`` is kept, ``card_cvv2`` is not), and so
are the fields a provider declares as credentials (``SecretsSchema.redacted_fields``).
Headers named like a credential are dropped. The journal redacts a body its adapter already
parsed from that document instead (``redact_document``), to the same text; this module's walk
is the generic path and the reference.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus, unquote_plus

REMOVED = "[removed]"

_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
"""In parsed fields letters count as part of a token: digits inside a hex id are no card."""
_ANY_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ .-]?\d){12,18}(?!\d)")
"""In text that could not be parsed, every run of 13–19 digits could be a card number."""
_GROUPED = re.compile(r"\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?")

_CARD_WORDS = frozenset({"pan", "card_number", "card_num", "card_no", "cardnumber", "cc_number",
                         "cc_num", "account_number"})
_CVV_WORDS = frozenset({"cvv", "cvv2", "cvc", "cvc2", "cvn", "cvn2", "csc", "cid"})
_SECRET_WORDS = frozenset({"password", "passwd", "secret", "pin"})
_SECRET_KEYS = frozenset({
    "api_key", "private_key", "secret_key", "secure_key", "access_token", "refresh_token",
    "auth_token", "bearer_token", "client_secret", "security_code", "card_security_code",
    "card_code", "authorization", "pass_phrase", "passphrase"})
_SECRET_HEADER = re.compile(r"authori[sz]ation|token|key|secret|signature|cookie|password",
                            re.IGNORECASE)
"""Header names that carry a credential (``Authorization``, ``X-Auth-Token``, ``AuthToken``,
``X-Api-Key``, ``Cookie``, ``Content-Signature``…): dropped, never masked."""

_FORM_ATOM = r"(?:[A-Za-z0-9*\-._~+]|%[0-9A-Fa-f]{2})"
_STRICT_FORM = re.compile(rf"{_FORM_ATOM}+={_FORM_ATOM}*(?:&{_FORM_ATOM}+={_FORM_ATOM}*)*")
"""Form encoding as browsers and HTTP clients write it: nothing unencoded but the safe set."""
_PAIR = re.compile(r"""(?P<key>[A-Za-z%][\w%.\-]*)["']?\s*[:=]\s*"""
                   r"""(?P<value>"(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s&,;}\]]*)""")
"""``key=value`` or ``"key": value`` inside text: how a CVV shows up in a body we cannot parse."""
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""One encoder for every body: ``json.dumps`` with options builds a new one per call."""
_MIN_CARD_DIGITS = 13
_KEY_CACHE = 4096
"""Field names repeat across every body of a protocol: their classification is cached (a
bounded cache, so a hostile stream of unique keys costs only the uncached work)."""


@functools.lru_cache(maxsize=_KEY_CACHE)
def normalize_key(key: str) -> str:
    """``cardCvv2``, ``Card-CVV2`` and ``card_cvv2`` are one name: ``card_cvv2``."""
    spaced = _CAMEL.sub("_", key.strip())
    return re.sub(r"[\s\-_.]+", "_", spaced).strip("_").lower()


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _masked(digits: str) -> str:
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def mask_card_numbers(text: str, *, card_field: bool = False) -> str:
    """Mask card numbers to ``411111******1111``: 13–19 digits, spaces or dashes allowed
    between them, that pass the Luhn check, are grouped like a card (``4617 6117 9431 3933``)
    or stand in a card-number field (``card_field``), where even a test number that fails
    Luhn is a card number. Phone numbers and IBANs are kept unless they pass Luhn."""
    if len(text) < _MIN_CARD_DIGITS:
        return text
    return _DIGIT_RUN.sub(_mask_in_card_field if card_field else _mask_card_like, text)


def _mask_card_like(match: re.Match[str]) -> str:
    whole = match.group(0)
    digits = whole.replace(" ", "").replace("-", "")
    return _masked(digits) if _luhn(digits) or _GROUPED.fullmatch(whole) else whole


def _mask_in_card_field(match: re.Match[str]) -> str:
    return _masked(match.group(0).replace(" ", "").replace("-", ""))


def mask_every_digit_run(text: str) -> str:
    """Mask every run that could be a card number, Luhn or not: for text we cannot parse."""
    return _ANY_DIGIT_RUN.sub(lambda m: _masked(re.sub(r"\D", "", m.group(0))), text)


@functools.lru_cache(maxsize=_KEY_CACHE)
def _is_card_key(key: str) -> bool:
    name = normalize_key(key)
    return name in _CARD_WORDS or name.endswith(("_pan", "card_number", "cardnumber"))


@functools.lru_cache(maxsize=_KEY_CACHE)
def is_secret_key(key: str) -> bool:
    """Whether a field name, taken whole, holds a secret or a card security code."""
    name = normalize_key(unquote_plus(key))
    last = name.rsplit("_", 1)[-1]
    return name in _SECRET_KEYS or last in _CVV_WORDS or last in _SECRET_WORDS


@functools.lru_cache(maxsize=64)
def _normalized_fields(dropped: frozenset[str]) -> frozenset[str]:
    return frozenset(".".join(normalize_key(p) for p in name.split(".")) for name in dropped)


@functools.lru_cache(maxsize=_KEY_CACHE)
def _is_dropped(key: str, parent: str, dropped: frozenset[str]) -> bool:
    name = normalize_key(key)
    return is_secret_key(key) or name in dropped or f"{normalize_key(parent)}.{name}" in dropped


def _scrub_pairs(text: str) -> str:
    """``cvv=123`` / ``"cvv": "123"`` inside text become ``cvv=[removed]``."""
    def drop(match: re.Match[str]) -> str:
        key = match.group("key")
        return f"{key}={REMOVED}" if is_secret_key(key) else match.group(0)
    if "=" not in text and ":" not in text:  # no pair can match: skip the scan
        return text
    return _PAIR.sub(drop, text)


def _redact_number(value: int | float, *, card_field: bool) -> Any:
    if isinstance(value, float):
        if not value.is_integer():
            return value
        text = str(int(value))
    else:
        text = str(value)
    digits = text.lstrip("-")
    if 13 <= len(digits) <= 19 and (card_field or _luhn(digits)):
        return _masked(digits)
    return value


@functools.lru_cache(maxsize=_KEY_CACHE)
def _key_plan(key: str, parent: str, dropped: frozenset[str]) -> tuple[str, bool, bool]:
    """What a field name decides, once per (name, parent): the name as kept (masked), whether
    its value is dropped, whether it is a card-number field."""
    return mask_card_numbers(key), _is_dropped(key, parent, dropped), _is_card_key(key)


def _redact_text(value: str, card_field: bool) -> str:
    if len(value) < _MIN_CARD_DIGITS:  # too short for a card number: only pairs to scrub
        return value if "=" not in value and ":" not in value else _scrub_pairs(value)
    if value.isascii() and value.isalnum() and not value.isdigit():
        # One ASCII token of letters and digits (a hex id): a digit run is a card number
        # only between non-alphanumerics, so only an all-digit token could be one; and
        # without "=" or ":" there is no pair to scrub.
        return value
    return _scrub_pairs(mask_card_numbers(value, card_field=card_field))


def _redact_value(value: Any, dropped: frozenset[str], *, card_field: bool = False,
                  parent: str = "") -> Any:
    """``dropped`` holds normalized key names (``token``) or parent-qualified ones
    (``metadata.token``: a ``token`` directly under a ``metadata`` object)."""
    kind = type(value)
    if kind is str:
        return _redact_text(value, card_field)
    if kind is dict:
        redacted = {}
        for k, v in value.items():
            key = k if type(k) is str else str(k)
            shown, drop, card = _key_plan(key, parent, dropped)
            if drop:
                redacted[shown] = REMOVED
            elif type(v) is str:  # the common leaf, without a call through the dispatch
                redacted[shown] = _redact_text(v, card)
            else:
                redacted[shown] = _redact_value(v, dropped, card_field=card, parent=key)
        return redacted
    if kind is list:
        return [_redact_value(v, dropped, card_field=card_field, parent=parent) for v in value]
    if kind is int or kind is float:
        return _redact_number(value, card_field=card_field)
    if kind is bool or value is None:
        return value
    return _redact_other(value, dropped, card_field=card_field, parent=parent)


def _redact_other(value: Any, dropped: frozenset[str], *, card_field: bool,
                  parent: str) -> Any:
    """Subclasses of the JSON types (never from ``json.loads``): the same rules."""
    if isinstance(value, dict):
        return _redact_value(dict(value), dropped, card_field=card_field, parent=parent)
    if isinstance(value, list):
        return _redact_value(list(value), dropped, card_field=card_field, parent=parent)
    if isinstance(value, str):
        return _redact_text(str(value), card_field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _redact_number(value, card_field=card_field)
    return value


def _redact_json(text: str, dropped: frozenset[str]) -> str | None:
    try:
        redacted = _redact_value(json.loads(text), dropped)
        return render(redacted)
    except (ValueError, RecursionError):
        return None  # not JSON, or nested too deep to walk


def render(redacted: Any) -> str:
    """A redacted document as the journal keeps it: compact JSON, non-ASCII as itself."""
    rendered = _compact(redacted)
    try:
        rendered.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate escape: keep it escaped
        return json.dumps(redacted, separators=(",", ":"))
    return rendered


_REMOVED_FORM = quote_plus(REMOVED)


@functools.lru_cache(maxsize=_KEY_CACHE)
def _form_plan(key: str, dropped: frozenset[str]) -> tuple[str, bool, bool]:
    """What a form key decides, once per key: the key as written back (masked and encoded),
    whether its value is dropped, whether it is a card-number field."""
    return quote_plus(mask_card_numbers(key)), _is_dropped(key, "", dropped), _is_card_key(key)


def _redact_form(text: str, dropped: frozenset[str]) -> str | None:
    if not _STRICT_FORM.fullmatch(text):
        return None
    pairs = []
    for pair in text.split("&"):
        raw_key, _, raw_value = pair.partition("=")
        # Strict form without "%", "+" or "*" decodes and encodes to itself (most pairs).
        if "%" not in pair and "+" not in pair and "*" not in pair:
            key, value = raw_key, raw_value
        else:
            try:
                key = unquote_plus(raw_key, errors="strict")
                value = unquote_plus(raw_value, errors="strict")
            except UnicodeDecodeError:
                return None
        shown_key, drop, card = _form_plan(key, dropped)
        if drop:
            pairs.append(f"{shown_key}={_REMOVED_FORM}")
            continue
        masked = _redact_text(value, card)
        shown = raw_value if value is raw_value and masked == value else quote_plus(masked)
        pairs.append(f"{shown_key}={shown}")
    return "&".join(pairs)


def render_unparsed(body: bytes) -> str:
    """What is kept of a body that is neither JSON nor strict form: its length, a digest and
    a masked rendering. The digest is of the masked text, not of the body: a digest of the
    original would let the masked digits of a card number be guessed back."""
    text = body.decode("utf-8", errors="replace")
    masked = _scrub_pairs(mask_every_digit_run(text))
    digest = hashlib.sha256(masked.encode("utf-8", errors="backslashreplace")).hexdigest()
    return f"[unparsed body: {len(body)} bytes, masked sha256 {digest}] {masked}"


def redact_body(body: bytes, dropped: frozenset[str] = frozenset()) -> str:
    """The body as text that is safe to keep: structure preserved where it parses, the
    masked rendering of ``render_unparsed`` where it does not. Fields named in ``dropped``
    (the adapter's credential fields) are removed wherever they appear."""
    if not body.strip():
        return ""
    try:
        stripped = body.decode("utf-8").strip()
    except UnicodeDecodeError:
        return render_unparsed(body)
    fields = _normalized_fields(dropped)
    redacted = None
    if stripped.startswith(("{", "[")):
        redacted = _redact_json(stripped, fields)
    elif "=" in stripped:
        redacted = _redact_form(stripped, fields)
    return redacted if redacted is not None else render_unparsed(body)


def redact_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Headers minus credentials; values masked like text we cannot parse."""
    return tuple((k, REMOVED if _SECRET_HEADER.search(k) else
                  _scrub_pairs(mask_every_digit_run(v))) for k, v in headers.items())
