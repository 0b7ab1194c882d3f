"""Redaction from the document an adapter already parsed: no second parse of the body.

``redact.redact_body`` parses the body again (JSON or strict form) to walk it. When the
adapter's parser hands its document over (``ParseResult.document``: ``Wire.load_json`` of the
body as received), the journal redacts that document instead, with the same rules and the
same rendering, so the stored text is byte for byte what ``redact_body`` stores for the body
(the payload digest and ``verify`` of older stores depend on it). The document's numbers are
``JsonInt``/``JsonFloat`` text; each is read as ``json.loads`` would have read it before the
number rules apply. Anything this walk does not recognise returns ``None``, and the caller
falls back to the generic path, which fails closed.

What is skipped is proved by the value, never assumed from the field's name: a card number
planted in an id, a description or a key is masked here as it is by the generic walk.
"""

from __future__ import annotations

from typing import Any

from .adapter import JsonFloat, JsonInt
from .redact import (
    REMOVED,
    _key_plan,
    _normalized_fields,
    _redact_number,
    _redact_text,
    render,
)

_JSON_START = (b"{", b"[")


class _NotADocument(Exception):
    """A value no ``Wire.load_json`` document holds: the generic path decides instead."""


def redact_document(body: bytes, document: object,
                    dropped: frozenset[str] = frozenset()) -> str | None:
    """``redact_body(body, dropped)`` computed from ``document``, the JSON ``body`` parsed by
    ``Wire.load_json``; ``None`` when the generic path must decide (a body the generic path
    would not read as JSON, such as one behind a byte order mark, or a value that is not
    what ``Wire.load_json`` returns)."""
    if type(document) is not dict and type(document) is not list:
        return None
    if body[:1] not in _JSON_START and body.lstrip(b" \t\n\r")[:1] not in _JSON_START:
        return None  # e.g. a BOM: ``Wire`` drops it, the generic path renders it unparsed
    try:
        return render(_walk(document, _normalized_fields(dropped), False, ""))
    except (_NotADocument, RecursionError):
        return None


def _walk(value: Any, dropped: frozenset[str], card_field: bool, parent: str) -> Any:
    """``redact._redact_value`` over a ``Wire`` document: its numbers are text."""
    kind = type(value)
    if kind is str:
        return _redact_text(value, card_field)
    if kind is dict:
        redacted = {}
        for key, item in value.items():
            shown, drop, card = _key_plan(key, parent, dropped)
            if drop:
                redacted[shown] = REMOVED
            elif type(item) is str:  # the common leaf, without the dispatch
                redacted[shown] = _redact_text(item, card)
            else:
                redacted[shown] = _walk(item, dropped, card, key)
        return redacted
    if kind is list:
        return [_walk(item, dropped, card_field, parent) for item in value]
    if kind is JsonInt:
        return _redact_number(int(value), card_field=card_field)
    if kind is JsonFloat:
        return _redact_number(float(value), card_field=card_field)
    if kind is bool or value is None:
        return value
    raise _NotADocument(kind.__name__)
