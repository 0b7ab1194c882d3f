"""``X-Signature``: how payment-invoices callbacks are authenticated (docs/PROVIDERS.md §4).

The header is base64 of the raw 20-byte SHA-1 of ``secret + raw body + secret``, where the
secret is the account's test or live key matching the invoice's ``test_mode``. It covers the
body byte for byte, but not the headers, and it is no HMAC: there is no timestamp or nonce,
so a recorded callback can be replayed (the engine's dedupe key makes a replay a duplicate).
Responses, polls and requests travel over the merchant's own authenticated API calls and
carry no signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from paychart.adapter import SecretsSchema, SignatureScope, header
from paychart.adapters._wire import Json
from paychart.event import SignatureStatus

from .document import first_id, load_document, test_mode
from .fields import error

SIGNATURE_HEADER = "X-Signature"
SECRET_KEYS = {True: "test_secret", False: "live_secret"}
"""The secrets-file key for an invoice's ``test_mode``."""

SCOPE = SignatureScope(
    "X-Signature: base64(SHA-1(secret + raw body + secret)), the test or live secret "
    "chosen by the invoice's test_mode", frozenset({"*"}))
SECRETS = SecretsSchema(
    optional=frozenset(SECRET_KEYS.values()),
    redacted_fields=frozenset({"metadata.token"}))
"""``metadata.token`` is CARDGATE's bearer token in ``flow_data.metadata``: a credential."""


def expected_signature(secret: str, body: bytes) -> str:
    key = secret.encode("utf-8")
    return base64.b64encode(hashlib.sha1(key + body + key).digest()).decode("ascii")


def _secret_for(document: Json, secrets: Mapping[str, str]) -> tuple[str, str]:
    """(mode, secret) for this document; ``InputError`` when the mode or its secret is
    missing. The secret's value never appears in an error."""
    mode = test_mode(document)
    object_id = first_id(document)
    if mode is None:
        raise error("data.attributes.test_mode", "missing; it chooses the signing secret",
                    object_id)
    key = SECRET_KEYS[mode]
    secret = secrets.get(key)
    if not secret:
        raise error("signature", f"no `{key}` configured for "
                    f"{'test' if mode else 'live'}-mode callbacks", object_id)
    return ("test" if mode else "live"), secret


def sign(body: bytes, headers: Mapping[str, str],
         secrets: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The callback as the provider sends it: ``X-Signature`` set with the mode's secret."""
    _, secret = _secret_for(load_document(body), secrets)
    rest = {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER.lower()}
    return body, {**rest, SIGNATURE_HEADER: expected_signature(secret, body)}


def unsign(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The callback without its signature (the body carries none)."""
    return body, {k: v for k, v in headers.items() if k.lower() != SIGNATURE_HEADER.lower()}


def verify(body: bytes, headers: Mapping[str, str], secrets: Mapping[str, str], *,
           document: Json | None = None) -> SignatureStatus:
    """``valid``, or ``unchecked`` when no secrets are configured; ``InputError`` otherwise.
    ``document`` is ``body`` already loaded, when the caller has it. Compared in constant
    time; neither the secret nor the expected value leaves here."""
    if not secrets:
        return SignatureStatus.UNCHECKED
    document = load_document(body) if document is None else document
    mode, secret = _secret_for(document, secrets)
    object_id = first_id(document)
    given = (header(headers, SIGNATURE_HEADER) or "").strip()
    if not given:
        raise error("signature", f"{SIGNATURE_HEADER} header missing", object_id)
    expected = expected_signature(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, given.encode("utf-8", "replace")):
        raise error("signature", f"{SIGNATURE_HEADER} does not verify with the {mode} secret",
                    object_id)
    return SignatureStatus.VALID
