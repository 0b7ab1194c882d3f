"""CARDLINK callback authentication: length-prefixed MD5 of named fields and the private key.

Source: docs/PROVIDERS.md §1 (Callback signature, found in the platform vendor's end-to-end
tests; the seed does not document it). For each field of ``SIGNED_FIELDS`` in order append the
decimal length of its value and the value (``extraReturnParam``/``orderNumber`` only when
present and non-empty), then the merchant private key; the signature is the lowercase hex MD5
of that UTF-8 string. It covers nothing else: not ``walletToken``, ``recurringToken``,
``sanitizedMask``, ``cardHolder`` nor ``gatewayDetails``. Responses, polls and requests are not
signed (they travel over the merchant's own authenticated HTTPS calls).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from paychart.adapter import SecretsSchema, SignatureScope
from paychart.event import SignatureStatus

SECRET_KEY = "private_key"  # noqa: S105 - the key's name in the secrets file
SIGNATURE_FIELD = "signature"
SIGNED_FIELDS = ("token", "type", "status", "extraReturnParam", "orderNumber", "amount",
                 "currency", "gatewayAmount", "gatewayCurrency")
_SIGNED_IF_PRESENT = frozenset({"extraReturnParam", "orderNumber"})

SCOPE = SignatureScope("length-prefixed MD5 of the listed callback fields and the private key",
                       frozenset(SIGNED_FIELDS))
SECRETS = SecretsSchema(required=frozenset({SECRET_KEY}))
"""``private_key`` is both the Bearer token of the merchant's calls and the signing key; no
body field carries a credential (``recurringToken`` charges a card again, but it is never kept:
see ``parse``)."""


def _signed_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def signature_base(data: Mapping[str, Any]) -> str:
    """Length-prefixed concatenation of the signed fields, in order (``4ab123pay…``)."""
    parts = []
    for name in SIGNED_FIELDS:
        value = _signed_value(data.get(name))
        if name in _SIGNED_IF_PRESENT and value == "":
            continue
        parts.append(f"{len(value)}{value}")
    return "".join(parts)


def digest(data: Mapping[str, Any], private_key: str) -> str:
    """Lowercase hex MD5 of the base string followed by the merchant private key."""
    return hashlib.md5((signature_base(data) + private_key).encode("utf-8")).hexdigest()


def sign(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str]
         ) -> tuple[bytes, Mapping[str, str]]:
    """A callback body as the platform sends it signed with ``secrets``: the ``signature``
    field set (in place when present, else last); headers unchanged."""
    data = json.loads(body)
    data[SIGNATURE_FIELD] = digest(data, secrets[SECRET_KEY])
    return json.dumps(data).encode("utf-8"), headers


def unsign(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, Mapping[str, str]]:
    """The callback without its ``signature`` field."""
    data = json.loads(body)
    data.pop(SIGNATURE_FIELD, None)
    return json.dumps(data).encode("utf-8"), headers


def verify(data: Mapping[str, Any], secrets: Mapping[str, str]) -> SignatureStatus:
    """``absent`` without a signature, ``unchecked`` without a key, else compared in
    constant time. Neither the key nor the expected value ever leaves this function."""
    given = data.get(SIGNATURE_FIELD)
    if given is None or given == "":
        return SignatureStatus.ABSENT
    key = secrets.get(SECRET_KEY)
    if not key:
        return SignatureStatus.UNCHECKED
    if not isinstance(given, str):
        return SignatureStatus.INVALID
    expected = digest(data, key).encode("ascii")
    if hmac.compare_digest(expected, given.strip().lower().encode("utf-8", "replace")):
        return SignatureStatus.VALID
    return SignatureStatus.INVALID
