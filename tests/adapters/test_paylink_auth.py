"""PayLink notification authentication: HTTP Basic ``shop_id:secret_key`` and the optional
``Content-Signature`` RSA PKCS#1 v1.5 SHA-256 signature (a key pair made here, per run)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from paychart.adapter import AdapterContext, ParseResult, RawInput
from paychart.adapters.paylink import ADAPTER
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel, SignatureStatus
from paychart.orchestrator import Orchestrator

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
SHOP_ID, SECRET = "361", "shop-secret-for-tests"
CB = Channel.CALLBACK


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, channel: Channel = CB, headers: dict[str, str] | None = None,
          secrets: dict[str, str] | None = None) -> ParseResult:
    return ADAPTER.parse(RawInput("paylink", channel, body, headers or {}),
                         AdapterContext(secrets or {}))


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private: rsa.RSAPrivateKey) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign(private: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(private.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def basic(shop: str = SHOP_ID, secret: str = SECRET) -> str:
    return "Basic " + base64.b64encode(f"{shop}:{secret}".encode()).decode()


BODY = payload("real/webhook_payment_successful_docs.json")
BASIC_ONLY = {"shop_id": SHOP_ID, "secret_key": SECRET}


def test_valid_basic_auth(key: rsa.RSAPrivateKey) -> None:
    (event,) = parse(BODY, headers={"Authorization": basic()}, secrets=BASIC_ONLY).events
    assert event.signature is SignatureStatus.VALID
    assert (event.confirmed, event.confirm_by) == (False, "status")


@pytest.mark.parametrize(("header", "reason"), [
    (basic(secret="wrong"), "do not match"), (basic(shop="362"), "do not match"),
    ("Bearer abc", "not HTTP Basic"), ("Basic %%%", "not base64"), (None, "missing")])
def test_bad_basic_auth_is_invalid(header: str | None, reason: str) -> None:
    headers = {} if header is None else {"authorization": header}
    result = parse(BODY, headers=headers, secrets=BASIC_ONLY)
    assert result.error is not None
    assert (result.error.field, result.events) == ("Authorization", ())
    assert reason in result.error.reason
    assert SECRET not in str(result.error)


def test_valid_content_signature_alone_decides(key: rsa.RSAPrivateKey) -> None:
    secrets = {**BASIC_ONLY, "public_key": pem(key)}
    headers = {"Content-Signature": sign(key, BODY), "Authorization": basic(secret="wrong")}
    (event,) = parse(BODY, headers=headers, secrets=secrets).events
    assert event.signature is SignatureStatus.VALID


def test_tampered_body_fails_the_signature(key: rsa.RSAPrivateKey) -> None:
    tampered = BODY.replace(b'"amount": 100', b'"amount": 1', 1)
    assert tampered != BODY
    secrets = {**BASIC_ONLY, "public_key": pem(key)}
    headers = {"Content-Signature": sign(key, BODY), "Authorization": basic()}
    result = parse(tampered, headers=headers, secrets=secrets)
    assert result.error is not None
    assert result.error.field == "Content-Signature"


def test_signature_by_another_key_is_invalid(key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    secrets = {"public_key": pem(key)}
    result = parse(BODY, headers={"Content-Signature": sign(other, BODY)}, secrets=secrets)
    assert result.error is not None
    assert result.error.field == "Content-Signature"


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_malformed_signature_is_invalid(key: rsa.RSAPrivateKey, bad: str) -> None:
    result = parse(BODY, headers={"Content-Signature": bad}, secrets={"public_key": pem(key)})
    assert result.error is not None
    assert result.error.field == "Content-Signature"


def test_missing_signature_header_is_a_downgrade_not_a_fallback(key: rsa.RSAPrivateKey) -> None:
    secrets = {**BASIC_ONLY, "public_key": pem(key)}
    result = parse(BODY, headers={"Authorization": basic()}, secrets=secrets)
    assert result.error is not None
    assert result.error.field == "Content-Signature"
    assert result.events == ()


def test_signature_header_without_a_configured_key_leaves_basic_to_decide(
        key: rsa.RSAPrivateKey) -> None:
    headers = {"Content-Signature": "garbage", "Authorization": basic()}
    (event,) = parse(BODY, headers=headers, secrets=BASIC_ONLY).events
    assert event.signature is SignatureStatus.VALID


def test_unusable_public_key_is_invalid_without_echoing_it(key: rsa.RSAPrivateKey) -> None:
    broken = "-----BEGIN PUBLIC KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PUBLIC KEY-----\n"
    result = parse(BODY, headers={"Content-Signature": sign(key, BODY)},
                   secrets={"public_key": broken})
    assert result.error is not None
    assert result.error.field == "Content-Signature"
    assert "c2VjcmV0" not in str(result.error)


def test_without_secrets_callbacks_are_unchecked() -> None:
    (event,) = parse(BODY, headers={"Authorization": basic(secret="anything")}).events
    assert event.signature is SignatureStatus.UNCHECKED


def test_responses_need_no_credentials() -> None:
    result = parse(payload("seed/checkout_finished.json"), Channel.RESPONSE, secrets=BASIC_ONLY)
    assert [e.signature for e in result.events] == [SignatureStatus.UNCHECKED] * 2


def test_forged_callback_becomes_an_invalid_decision_naming_the_header() -> None:
    engine = Orchestrator(ChartSet.bundled())
    (decision,) = engine.ingest(RawInput("paylink", CB, BODY, {"Authorization": basic("1", "x")}),
                                ADAPTER, AdapterContext(BASIC_ONLY))
    assert (decision.outcome, decision.field) == (Outcome.INVALID, "Authorization")
    assert list(engine.store.objects()) == []
