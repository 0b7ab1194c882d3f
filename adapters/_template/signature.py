"""Callback authentication: a hex HMAC-SHA256 in the body's ``signature`` field over the
covered fields' values joined with ``|``, keyed with the account's ``secret_key``.

Change: ``SIGNED_FIELDS`` (in the provider's order), the way the message is built in
``_message``, the secrets keys, and where the signature travels (body field or header). Keep
``hmac.compare_digest`` and keep the secret and the expected value out of every error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from paychart.adapter import SecretsSchema, SignatureScope
from paychart.event import SignatureStatus

SIGNATURE_FIELD = "signature"
SIGNED_FIELDS = ("event_id", "id", "status", "amount", "currency")
SECRET_KEY = "secret_key"  # noqa: S105 - the name of the key in the secrets file

SCOPE = SignatureScope(
    mechanism=f"HMAC-SHA256 hex in `{SIGNATURE_FIELD}` over "
              f"{'|'.join(SIGNED_FIELDS)}, keyed with {SECRET_KEY}",
    fields=frozenset(SIGNED_FIELDS))
SECRETS = SecretsSchema(required=frozenset({SECRET_KEY}))

Headers = Mapping[str, str]


def _message(doc: Mapping[str, Any]) -> bytes:
    """The signed text; a covered field that is not text or a number signs as empty (the
    parser refuses such a field anyway)."""
    values = (doc.get(name) for name in SIGNED_FIELDS)
    return "|".join(str(v) if isinstance(v, str | int) and not isinstance(v, bool) else ""
                    for v in values).encode("utf-8", "surrogatepass")


def _digest(doc: Mapping[str, Any], secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), _message(doc), hashlib.sha256).hexdigest()


def verify(doc: Mapping[str, Any], secrets: Mapping[str, str]) -> SignatureStatus:
    """``unchecked`` without a configured secret, ``absent`` without a signature, else
    ``valid`` or ``invalid`` (the engine refuses the last two for a callback)."""
    secret = secrets.get(SECRET_KEY)
    if not secret:
        return SignatureStatus.UNCHECKED
    given = doc.get(SIGNATURE_FIELD)
    if not isinstance(given, str) or not given:
        return SignatureStatus.ABSENT
    expected = _digest(doc, secret)
    if hmac.compare_digest(expected.encode("ascii"),
                           given.strip().lower().encode("utf-8", "replace")):
        return SignatureStatus.VALID
    return SignatureStatus.INVALID


def sign(body: bytes, headers: Headers, secrets: Mapping[str, str]) -> tuple[bytes, Headers]:
    """The callback as the provider sends it when signed with ``secrets``."""
    doc = json.loads(body)
    doc.pop(SIGNATURE_FIELD, None)
    doc[SIGNATURE_FIELD] = _digest(doc, secrets[SECRET_KEY])
    return _dumps(doc), headers


def unsign(body: bytes, headers: Headers) -> tuple[bytes, Headers]:
    """The callback without its signature."""
    doc = json.loads(body)
    doc.pop(SIGNATURE_FIELD, None)
    return _dumps(doc), headers


def _dumps(doc: Mapping[str, Any]) -> bytes:
    """ASCII JSON: every non-ASCII character (a lone surrogate too) stays a ``\\u`` escape."""
    return (json.dumps(doc, indent=2) + "\n").encode("ascii")
