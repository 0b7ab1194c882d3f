"""PayLink notification authentication (PROVIDERS.md §3, "Notifications").

Every notification carries HTTP Basic ``shop_id:secret_key``. Optionally a ``Content-Signature``
header holds the base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body bytes, verified with
the shop's public key; when that header is present and a key is configured it alone decides.
RSA is done by ``cryptography``, never by hand. Secrets (``shop_id``, ``secret_key``,
``public_key`` PEM) never appear in an error.
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

from paychart.adapter import RawInput
from paychart.errors import InputError
from paychart.event import SignatureStatus

from .fields import PROVIDER

SIGNATURE_HEADER = "Content-Signature"
AUTH_HEADER = "Authorization"


def authenticate(raw: RawInput, secrets: Mapping[str, str]) -> SignatureStatus:
    """``valid`` or ``unchecked`` (nothing configured); ``InputError`` naming the header when
    the notification is not the shop's."""
    signature = raw.header(SIGNATURE_HEADER)
    public_key = secrets.get("public_key")
    if signature is not None and public_key:
        _verify_signature(raw.body, signature, public_key)
        return SignatureStatus.VALID
    shop_id, secret_key = secrets.get("shop_id"), secrets.get("secret_key")
    if not shop_id or not secret_key:
        return SignatureStatus.UNCHECKED
    _verify_basic(raw.header(AUTH_HEADER), shop_id, secret_key)
    return SignatureStatus.VALID


def _verify_basic(header: str | None, shop_id: str, secret_key: str) -> None:
    if header is None:
        raise InputError(AUTH_HEADER, "missing HTTP Basic credentials", provider=PROVIDER)
    scheme, _, token = header.strip().partition(" ")
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
    key = _load_key(public_key)
    if key is None:
        raise InputError(SIGNATURE_HEADER, "the configured public key is not an RSA public "
                         "key in PEM", provider=PROVIDER)
    try:
        key.verify(raw_signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise InputError(SIGNATURE_HEADER, "RSA signature of the body does not verify with "
                         "the shop's public key", provider=PROVIDER) from None


@functools.lru_cache(maxsize=8)
def _load_key(pem: str) -> rsa.RSAPublicKey | None:
    """The shop's RSA public key; parsed once per process, ``None`` when it is not one."""
    try:
        key = serialization.load_pem_public_key(pem.encode("utf-8"))
    except (ValueError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None
