"""PayLink notification authentication (docs/PROVIDERS.md §3, "Notifications").

Every notification carries HTTP Basic ``shop_id:secret_key``, which binds no byte of the body.
Optionally a ``Content-Signature`` header holds the base64 RSA PKCS#1 v1.5 SHA-256 signature
of the raw body bytes, verified with the shop's ``public_key``; when that header is present
and a key is configured it alone decides. Decision (ours, fail closed): a shop that configured
the public key expects every notification signed, so a missing header is then ``invalid``,
even when HTTP Basic credentials would pass (dropping the header is a downgrade). HTTP Basic
alone binds no body: such notifications are valid but unconfirmed until a status query
(``CONFIRM_BY``) reports the same.

RSA is done by ``cryptography``, never by hand; HTTP Basic is compared with
``hmac.compare_digest``. Secrets never appear in an error. ``private_key`` (PEM) is read only
by ``sign``, which renders test notifications: the shop never holds the gateway's private key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paychart.adapter import SecretsSchema, SignatureScope, header
from paychart.errors import InputError
from paychart.event import SignatureStatus

from .vocab import PROVIDER

SIGNATURE_HEADER = "Content-Signature"
AUTH_HEADER = "Authorization"

CONFIRM_BY = "status"
"""The merchant's status query (``GET /checkouts/{token}``) confirms what Basic cannot."""

SCOPE = SignatureScope(
    "RSA PKCS#1 v1.5 SHA-256 Content-Signature over the raw body (public_key; required once "
    "configured), or HTTP Basic shop_id:secret_key binding no body (events unconfirmed)",
    frozenset({"*"}))

SECRETS = SecretsSchema(
    optional=frozenset({"shop_id", "secret_key", "public_key", "private_key"}),
    redacted_fields=frozenset({"credit_card.token"}))
"""``shop_id`` and ``secret_key`` check HTTP Basic, ``public_key`` (PEM) the RSA signature;
``private_key`` is test-only (``sign``). ``credit_card.token`` charges the card again."""


def verify(body: bytes, headers: Mapping[str, str],
           secrets: Mapping[str, str]) -> SignatureStatus:
    """``valid``, or ``unchecked`` when nothing is configured; ``InputError`` naming the
    header when the notification is not the shop's."""
    signature = header(headers, SIGNATURE_HEADER)
    public_key = secrets.get("public_key")
    shop_id, secret_key = secrets.get("shop_id"), secrets.get("secret_key")
    if public_key:
        if signature is None:
            raise InputError(SIGNATURE_HEADER, "missing: the shop's public key is configured, "
                             "so every notification must be signed (HTTP Basic alone binds "
                             "no body)", provider=PROVIDER)
        _verify_signature(body, signature, public_key)
        return SignatureStatus.VALID
    if not shop_id or not secret_key:
        return SignatureStatus.UNCHECKED
    _verify_basic(header(headers, AUTH_HEADER), shop_id, secret_key)
    return SignatureStatus.VALID


def binds_body(secrets: Mapping[str, str]) -> bool:
    """Whether a notification that ``verify`` accepts had its body bound (RSA), rather than
    only its sender authenticated (HTTP Basic)."""
    return bool(secrets.get("public_key"))


def sign(body: bytes, headers: Mapping[str, str],
         secrets: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The notification as the gateway sends it: HTTP Basic from ``shop_id``/``secret_key``
    and a ``Content-Signature`` by ``private_key`` (test-only), for those that are given."""
    _, signed = unsign(body, headers)
    shop_id, secret_key = secrets.get("shop_id"), secrets.get("secret_key")
    if shop_id and secret_key:
        signed[AUTH_HEADER] = basic_credentials(shop_id, secret_key)
    private_key = secrets.get("private_key")
    if private_key:
        signed[SIGNATURE_HEADER] = base64.b64encode(_private_key(private_key).sign(
            body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")
    return body, signed


def unsign(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The notification without its credentials (the body carries none)."""
    dropped = {SIGNATURE_HEADER.lower(), AUTH_HEADER.lower()}
    return body, {key: value for key, value in headers.items() if key.lower() not in dropped}


def basic_credentials(shop_id: str, secret_key: str) -> str:
    return "Basic " + base64.b64encode(f"{shop_id}:{secret_key}".encode()).decode("ascii")


def _verify_basic(value: str | None, shop_id: str, secret_key: str) -> None:
    if value is None:
        raise InputError(AUTH_HEADER, "missing HTTP Basic credentials", provider=PROVIDER)
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic" or not token:
        raise InputError(AUTH_HEADER, "not HTTP Basic credentials", provider=PROVIDER)
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(AUTH_HEADER, "HTTP Basic credentials are not base64",
                         provider=PROVIDER) from None
    user, _, password = decoded.partition(b":")
    # Both comparisons always run, so timing does not tell which part was wrong.
    user_ok = hmac.compare_digest(user, shop_id.encode("utf-8"))
    password_ok = hmac.compare_digest(password, secret_key.encode("utf-8"))
    if not (user_ok and password_ok):
        raise InputError(AUTH_HEADER, "HTTP Basic credentials do not match the shop",
                         provider=PROVIDER)


def _verify_signature(body: bytes, signature: str, public_key: str) -> None:
    try:
        raw_signature = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(SIGNATURE_HEADER, "not base64", provider=PROVIDER) from None
    key = _public_key(public_key)
    if key is None:
        raise InputError(SIGNATURE_HEADER, "the configured public key is not an RSA public "
                         "key in PEM", provider=PROVIDER)
    try:
        key.verify(raw_signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InputError(SIGNATURE_HEADER, "RSA signature of the body does not verify with "
                         "the shop's public key", provider=PROVIDER) from None


@functools.lru_cache(maxsize=8)
def _public_key(pem: str) -> rsa.RSAPublicKey | None:
    """The shop's RSA public key; parsed once per process, ``None`` when it is not one."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


@functools.lru_cache(maxsize=2)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("private_key is not an RSA private key")
    return key
