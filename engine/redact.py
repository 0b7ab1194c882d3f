"""Redaction of raw payloads before they are journaled.

Card numbers are masked to first six and last four, CVV/CVC values and secrets are dropped,
credentials in headers are removed. Works on JSON, form-encoded and plain text bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

_PAN = re.compile(r"(?<!\d)(\d{6})(\d{3,9})(\d{4})(?!\d)")
_SECRET_KEY = re.compile(
    r"(cvv|cvc|cvv2|cvc2|cid|security[_-]?code|card[_-]?code|password|passwd|secret|"
    r"private[_-]?key|api[_-]?key|secure[_-]?key|access[_-]?token|authorization)",
    re.IGNORECASE)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REMOVED = "[removed]"


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """Mask every 13–19 digit run that passes the Luhn check to ``411111******1111``."""
    def mask(match: re.Match[str]) -> str:
        whole = match.group(0)
        if not _luhn(whole):
            return whole
        return f"{match[1]}{'*' * len(match[2])}{match[3]}"
    return _PAN.sub(mask, text)


def is_secret_key(key: str) -> bool:
    """Whether a field name holds a secret or a card security code."""
    return bool(_SECRET_KEY.search(key))


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REMOVED if is_secret_key(str(k)) else _redact_value(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, int) and not isinstance(value, bool) and 13 <= len(str(value)) <= 19:
        return mask_card_numbers(str(value))
    return value


def redact_body(body: bytes) -> str:
    """The body as text that is safe to keep: structure preserved where it can be parsed."""
    text = body.decode("utf-8", errors="replace")
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return json.dumps(_redact_value(json.loads(stripped)), ensure_ascii=False,
                              separators=(",", ":"))
        except ValueError:
            pass
    if "=" in stripped and "\n" not in stripped and " " not in stripped:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs:
            return urlencode([(k, REMOVED if is_secret_key(k) else mask_card_numbers(v))
                              for k, v in pairs])
    return mask_card_numbers(text)


def redact_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Headers minus credentials; values masked like bodies."""
    return tuple((k, REMOVED if k.lower() in _SECRET_HEADERS else mask_card_numbers(v))
                 for k, v in headers.items())
