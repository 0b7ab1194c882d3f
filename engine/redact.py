"""Redaction of raw payloads before they are journaled.

Card numbers are masked to first six and last four, CVV/CVC values and secrets are dropped,
and so are the fields a provider's adapter declares as credentials in its protocol
(``SecretsSchema.redacted_fields``); credentials in headers are removed. Works on JSON,
form-encoded and plain text bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])")
"""Letters count as part of a token: digits inside a hex id are not a card number."""
_GROUPED = re.compile(r"\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?")
_CARD_KEY = re.compile(r"(^|_|\b)(pan|card_?(number|num|no)|cardnumber|cc_?(number|num)|"
                       r"account_?number)$", re.IGNORECASE)
_SECRET_KEY = re.compile(
    r"(cvv|cvc|cvv2|cvc2|cid|security[_-]?code|card[_-]?code|password|passwd|secret|"
    r"private[_-]?key|api[_-]?key|secure[_-]?key|access[_-]?token|authorization)",
    re.IGNORECASE)
_SECRET_HEADER = re.compile(r"authori[sz]ation|token|key|secret|signature|cookie|password",
                            re.IGNORECASE)
"""Header names that carry a credential (``Authorization``, ``X-Auth-Token``, ``AuthToken``,
``X-Api-Key``, ``Cookie``, ``Content-Signature``…): dropped, never masked."""
REMOVED = "[removed]"


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str, *, card_field: bool = False) -> str:
    """Mask card numbers to ``411111******1111``: 13–19 digits, spaces or dashes allowed
    between them, that pass the Luhn check, are grouped like a card (``4617 6117 9431 3933``)
    or stand in a card-number field (``card_field``), where even a test number that fails
    Luhn is a card number."""
    def mask(match: re.Match[str]) -> str:
        whole = match.group(0)
        digits = whole.replace(" ", "").replace("-", "")
        if card_field or _luhn(digits) or _GROUPED.fullmatch(whole):
            return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"
        return whole
    return _DIGIT_RUN.sub(mask, text)


def _is_card_key(key: str) -> bool:
    return bool(_CARD_KEY.search(key.replace("-", "_")))


def is_secret_key(key: str) -> bool:
    """Whether a field name holds a secret or a card security code."""
    return bool(_SECRET_KEY.search(key))


def _redact_value(value: Any, dropped: frozenset[str], *, card_field: bool = False,
                  parent: str = "") -> Any:
    """``dropped`` holds key names (``token``) or parent-qualified ones (``metadata.token``:
    a ``token`` directly under a ``metadata`` object)."""
    if isinstance(value, dict):
        return {k: (REMOVED if is_secret_key(str(k)) or k in dropped
                    or f"{parent}.{k}" in dropped else
                    _redact_value(v, dropped, card_field=_is_card_key(str(k)), parent=str(k)))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, dropped, card_field=card_field) for v in value]
    if isinstance(value, str):
        return mask_card_numbers(value, card_field=card_field)
    if isinstance(value, int) and not isinstance(value, bool) and 13 <= len(str(value)) <= 19:
        masked = mask_card_numbers(str(value), card_field=card_field)
        return value if masked == str(value) else masked
    return value


def redact_body(body: bytes, dropped: frozenset[str] = frozenset()) -> str:
    """The body as text that is safe to keep: structure preserved where it can be parsed.
    Fields named in ``dropped`` (the adapter's credential fields) are removed wherever they
    appear."""
    text = body.decode("utf-8", errors="replace")
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            redacted = json.dumps(_redact_value(json.loads(stripped), dropped),
                                  ensure_ascii=False, separators=(",", ":"))
        except (ValueError, RecursionError):
            pass  # not JSON, or nested too deep to walk: masked as text below
        else:
            try:
                redacted.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate escape: keep it escaped
                return json.dumps(_redact_value(json.loads(stripped), dropped),
                                  separators=(",", ":"))
            return redacted
    if "=" in stripped and "\n" not in stripped and " " not in stripped:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs:
            return urlencode([(k, REMOVED if is_secret_key(k) or k in dropped else
                               mask_card_numbers(v, card_field=_is_card_key(k)))
                              for k, v in pairs])
    return mask_card_numbers(text)


def redact_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Headers minus credentials; values masked like bodies."""
    return tuple((k, REMOVED if _SECRET_HEADER.search(k) else mask_card_numbers(v))
                 for k, v in headers.items())
