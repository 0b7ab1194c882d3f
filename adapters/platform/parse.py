"""Adapter for the platform's POST protocol ("Payment Platform" API 3.4.1, S2S card).

Source: seed ``002_9449a75a1de6dc32.txt`` and PROVIDERS.md section 2; the vendor's published
samples under ``real-payloads/platform/``. Merchant requests and provider callbacks are
form-encoded, responses (and status queries) are JSON. One transaction per ``trans_id``
(chart ``platform_transaction``); CREDIT2CARD payouts have their own chart.

The callback hash covers the payer email and the card's first six and last four digits,
which dispute callbacks do not carry: the merchant's SALE request (ingested on the
``request`` channel with ``ref`` = the ``trans_id`` its response gave) makes the engine keep
them for the transaction. A receiver answers every accepted callback with the body ``OK``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from paychart.adapter import AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus

from . import fields as f
from .rules import RULES
from .signature import (
    ALGORITHMS,
    CardDigits,
    callback_hash,
    card_digits,
    matches,
    payout_callback_hash,
    request_hash,
)
from .vocab import (
    PAYOUT,
    POLLS,
    PROVIDER,
    TRANSACTION,
    Action,
    Result,
    Route,
    parse_action,
    parse_result,
    parse_status,
    route,
)

REPLY = "OK"
"""The body the platform expects back from a callback receiver; anything else is retried."""

REQUEST_TRIGGER = "request"
"""A merchant SALE request: no chart edge, so it creates the transaction in ``NEW``."""

_FACTS = ("order_id", "decline_reason", "reason_code", "chargeback_date", "bank_date")


def _error(field: str, reason: str, object_id: str | None = None) -> InputError:
    return InputError(field, reason, provider=PROVIDER, object_id=object_id)


def _kept_card(kept: Mapping[str, str]) -> CardDigits | None:
    first6, last4 = kept.get("card_first6"), kept.get("card_last4")
    return CardDigits(first6, last4) if first6 and last4 else None


def _algorithm(secrets: Mapping[str, str]) -> str:
    algorithm = secrets.get("hash", "md5").lower()
    if algorithm not in ALGORITHMS:
        raise _error("signature",
                     f"platform secrets: `hash` must be one of {', '.join(ALGORITHMS)}")
    return algorithm


def _facts(fields: f.Fields, action: Action, result: Result) -> tuple[tuple[str, str], ...]:
    found = [("action", action.value), ("result", result.value)]
    found += [(name, value) for name in _FACTS if (value := f.text(fields, name)) is not None]
    return tuple(found)


def _dedupe(kind: str, trans_id: str, fields: f.Fields, action: Action, result: Result,
            amount: str) -> str:
    """What identifies one platform message; the channel is not part of it, so a response
    and a callback saying the same are one message."""
    date = f.text(fields, "trans_date") or "/".join(
        f.text(fields, name) or "" for name in ("chargeback_date", "bank_date"))
    status = f.text(fields, "status") or ""
    return f"{PROVIDER}/{kind}/{trans_id}/{action.value}/{result.value}/{status}/{amount}/{date}"


@attrs.frozen
class _Envelope:
    """What the backend knows about an input besides its bytes."""

    channel: Channel
    ref: str | None = None
    operation: str | None = None
    received_at: datetime | None = None


class PlatformAdapter:
    """Parses platform input; never changes state."""

    provider = PROVIDER
    rules = RULES
    signature = SignatureScope(
        "MD5/SHA-256 of payer email, password, trans_id and card digits, reversed and upper-cased",
        frozenset({"trans_id"}))
    secrets = SecretsSchema(
        required=frozenset({"password"}),
        optional=frozenset({"hash"}),
        choices={"hash": frozenset({"md5", "sha256"})})

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        body, headers, at = raw.body, raw.headers, raw.received_at
        try:
            if raw.channel is Channel.CALLBACK:
                return ParseResult((self.parse_callback(body, headers, context, received_at=at),),
                                   reply=REPLY)
            if raw.channel is Channel.REQUEST:
                return ParseResult((self.parse_request(body, headers, context, ref=raw.ref,
                                                       received_at=at),))
            if raw.channel is Channel.POLL:
                return ParseResult((self.parse_poll(body, headers, context, ref=raw.ref,
                                                    received_at=at),))
            return ParseResult((self.parse_response(body, headers, context, ref=raw.ref,
                                                    operation=raw.operation, received_at=at,
                                                    channel=raw.channel),))
        except InputError as exc:
            return ParseResult(error=exc)

    # -- provider → merchant ----------------------------------------------------------------

    def parse_callback(self, body: bytes, _headers: Mapping[str, str], context: AdapterContext,
                       *, received_at: datetime | None = None) -> Event:
        """A form-encoded callback, authenticated by its ``hash`` field (the platform signs in
        the body, not in a header)."""
        return self._event(f.parse_form(body), context,
                           _Envelope(Channel.CALLBACK, received_at=received_at), callback=True)

    def parse_response(self, body: bytes, _headers: Mapping[str, str], context: AdapterContext,
                       *, ref: str | None = None, operation: str | None = None,
                       received_at: datetime | None = None,
                       channel: Channel = Channel.RESPONSE) -> Event:
        """A JSON answer to the merchant's own HTTPS call: no hash, signature ``absent``.
        ``operation`` places a CREDITVOID answer that reports no status."""
        return self._event(f.parse_json(body), context,
                           _Envelope(channel, ref, operation, received_at), callback=False)

    def parse_poll(self, body: bytes, _headers: Mapping[str, str], context: AdapterContext,
                   *, ref: str | None = None, received_at: datetime | None = None) -> Event:
        """GET_TRANS_STATUS / GET_TRANS_DETAILS answers: the same JSON as any response."""
        return self._event(f.parse_json(body), context,
                           _Envelope(Channel.POLL, ref, received_at=received_at), callback=False)

    def _event(self, fields: f.Fields, context: AdapterContext, env: _Envelope, *,
               callback: bool) -> Event:
        result = parse_result(f.text(fields, "result"))
        if result is Result.ERROR:
            raise _error("result", f.error_reason(fields), env.ref)
        action = parse_action(f.text(fields, "action"))
        trans_id = f.text(fields, "trans_id") or env.ref
        if trans_id is None:
            raise _error("trans_id", "missing")
        target = route(action, result, parse_status(f.text(fields, "status")), env.operation)
        kept = context.remembered(target.kind, trans_id)
        warnings: list[str] = []
        signature = SignatureStatus.ABSENT
        if callback:
            signature = self._verify_callback(fields, target, trans_id, kept, context.secrets,
                                              warnings)
        money, notes = f.money(fields, "amount", "currency", kept.get("currency"))
        warnings += notes
        if action in POLLS and target.state not in ("SETTLED", "PENDING"):
            money = None  # a status query's amount is the sale's, not the step's
        remember = self._remember(fields, kept, money.currency if money else None)
        return Event(
            provider=PROVIDER, object_kind=target.kind, object_id=trans_id,
            trigger=target.trigger, channel=env.channel, state=target.state, money=money,
            dedupe_key=_dedupe(target.kind, trans_id, fields, action, result,
                               str(money.amount) if money else ""),
            sequence=f.sequence(fields, "trans_date"), received_at=env.received_at,
            signature=signature, customer_action=f.customer_action(fields),
            facts=_facts(fields, action, result), remember=remember,
            warnings=tuple(warnings))

    @staticmethod
    def _remember(fields: f.Fields, kept: Mapping[str, str],
                  currency: str | None) -> tuple[tuple[str, str], ...]:
        """Facts later callbacks need: currency (dispute callbacks omit it), and the payer
        email and card digits when a message shows them and none are kept yet."""
        found: dict[str, str] = {}
        if currency and "currency" not in kept:
            found["currency"] = currency
        card = card_digits(f.text(fields, "card"))
        if card is not None and _kept_card(kept) is None:
            found.update(card_first6=card.first6, card_last4=card.last4)
        email = f.text(fields, "mail") or f.text(fields, "payer_email")
        if email is not None and "payer_email" not in kept:
            found["payer_email"] = email
        return tuple(found.items())

    @staticmethod
    def _verify_callback(fields: f.Fields, target: Route, trans_id: str,
                         kept: Mapping[str, str], secrets: Mapping[str, str],
                         warnings: list[str]) -> SignatureStatus:
        given = f.text(fields, "hash")
        password = secrets.get("password")
        if not password:
            return SignatureStatus.UNCHECKED if given else SignatureStatus.ABSENT
        if given is None:
            raise _error("signature", "callback carries no `hash`", trans_id)
        algorithm = _algorithm(secrets)
        email = kept.get("payer_email")
        if target.kind == TRANSACTION and email is None:
            raise _error("signature", f"cannot verify `hash`: the payer email of transaction "
                         f"{trans_id} is not known (its SALE request was not seen)", trans_id)
        shown = card_digits(f.text(fields, "card"))
        card = _kept_card(kept) or shown
        if card is None:
            raise _error("signature", f"cannot verify `hash`: the card digits of "
                         f"{target.kind} {trans_id} are not known", trans_id)
        if shown is not None and shown != card:
            warnings.append("callback card digits differ from those of the merchant request")
        if target.kind == PAYOUT or email is None:
            expected = payout_callback_hash(password, trans_id, card, algorithm)
        else:
            expected = callback_hash(email, password, trans_id, card, algorithm)
        if not matches(expected, given):
            raise _error("signature", "`hash` does not match the platform formula", trans_id)
        return SignatureStatus.VALID

    # -- merchant → provider ------------------------------------------------------------------

    def parse_request(self, body: bytes, _headers: Mapping[str, str], context: AdapterContext,
                      *, ref: str | None = None, received_at: datetime | None = None) -> Event:
        """The merchant's SALE / RECURRING_SALE request: keeps the payer email and the card's
        first six and last four digits (never the number) for the ``trans_id`` given as
        ``ref``, so later callbacks can be verified."""
        fields = f.parse_form(body)
        action = parse_action(f.text(fields, "action"))
        if action not in (Action.SALE, Action.RECURRING_SALE):
            raise _error("action", f"merchant request {action.value} decides nothing; ingest "
                         "the platform's answer to it")
        if ref is None:
            raise _error("ref", "a SALE request has no trans_id yet: give the trans_id of its "
                         "response as ref")
        warnings: list[str] = []
        first_kept: Mapping[str, str] = {}
        if action is Action.SALE:
            email = f.text(fields, "payer_email") or ""
            card = card_digits(f.text(fields, "card_number"))
            if card is None:
                raise _error("card_number", "missing or not a card number", ref)
        else:
            first = f.text(fields, "recurring_first_trans_id") or ""
            first_kept = context.remembered(TRANSACTION, first)
            email, card = first_kept.get("payer_email", ""), _kept_card(first_kept)
            if card is None:
                warnings.append(f"first transaction {first or '(not named)'} is not known: "
                                "payer email and card digits not kept")
        signature = self._verify_request(fields, email, card, context.secrets, ref)
        money, notes = f.money(fields, "order_amount", "order_currency",
                               first_kept.get("currency"))
        remember = {"payer_email": email} if card is not None else {}
        if card is not None:
            remember.update(card_first6=card.first6, card_last4=card.last4)
        if money is not None:
            remember["currency"] = money.currency
        facts = [("action", action.value)]
        facts += [(name, value) for name in ("order_id", "auth")
                  if (value := f.text(fields, name)) is not None]
        return Event(
            provider=PROVIDER, object_kind=TRANSACTION, object_id=ref,
            trigger=REQUEST_TRIGGER, channel=Channel.REQUEST, state="NEW", money=money,
            dedupe_key=(f"{PROVIDER}/{TRANSACTION}/{ref}/request/{action.value}/"
                        f"{f.text(fields, 'order_id') or ''}"),
            received_at=received_at, signature=signature, facts=tuple(facts),
            remember=tuple(remember.items()), warnings=tuple(warnings + notes))

    @staticmethod
    def _verify_request(fields: f.Fields, email: str, card: CardDigits | None,
                        secrets: Mapping[str, str], trans_id: str) -> SignatureStatus:
        given = f.text(fields, "hash")
        password = secrets.get("password")
        if not password or card is None:
            return SignatureStatus.UNCHECKED if given else SignatureStatus.ABSENT
        if given is None:
            raise _error("signature", "request carries no `hash`", trans_id)
        if not matches(request_hash(email, password, card, _algorithm(secrets)), given):
            raise _error("signature", "`hash` does not match the platform formula", trans_id)
        return SignatureStatus.VALID


ADAPTER = PlatformAdapter()
