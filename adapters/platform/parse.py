"""Parsers for the platform's POST protocol ("Payment Platform" API 3.4.1, S2S card).

Source: seed ``docs/sources/002_9449a75a1de6dc32.txt`` and docs/PROVIDERS.md §2; the vendor's
published samples under ``tests/adapters/fixtures/platform/real/``. Merchant requests and
provider callbacks are form-encoded, responses (and status queries) are JSON. One transaction
per ``trans_id`` (chart ``platform_transaction``); CREDIT2CARD payouts have their own chart.

The callback hash covers the payer email and the card's first six and last four digits,
which dispute callbacks do not carry: the merchant's SALE request (ingested on the
``request`` channel with ``ref`` = the ``trans_id`` its response gave, or before that answer
without ``ref``, kept under its ``order_id`` until the answer binds it) makes the engine keep
them for the transaction. A receiver answers every accepted callback with the body ``OK``.
"""

from __future__ import annotations

from collections.abc import Mapping

from paychart.adapter import AdapterContext, ParseResult
from paychart.attempts import PENDING_ID, recall
from paychart.event import Channel, Event, SignatureStatus

from . import fields as f
from .signature import card_digits, kept_card, verify_callback, verify_request
from .vocab import (
    PAYOUT,
    POLLS,
    PROVIDER,
    TRANSACTION,
    Action,
    Result,
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


def _facts(fields: f.Fields, action: Action, result: Result) -> tuple[tuple[str, str], ...]:
    found = [("action", action.value), ("result", result.value)]
    found += [(name, value) for name in _FACTS if (value := f.text(fields, name)) is not None]
    return tuple(found)


CONFIRM_BY = Action.GET_TRANS_STATUS.value
"""The status query that confirms what a callback's ``hash`` does not bind."""

_MERCHANT_MONEY_MOVES = frozenset({Action.CAPTURE, Action.CREDITVOID, Action.VOID})
"""Steps the merchant's own call starts: one message each whatever its (unsigned) date."""


def _dedupe(kind: str, trans_id: str, fields: f.Fields, action: Action, result: Result,
            amount: str) -> str:
    """What identifies one platform message; the channel is not part of it, so a response
    and a callback saying the same are one message. The dates are not covered by the hash:
    a capture, refund or void the merchant made is keyed without them, so a re-post with a
    new date is a duplicate and cannot move money twice (disputes keep their dates, which
    are all that tells a second chargeback from a first)."""
    date = "" if action in _MERCHANT_MONEY_MOVES else (f.text(fields, "trans_date") or "/".join(
        f.text(fields, name) or "" for name in ("chargeback_date", "bank_date")))
    status = f.text(fields, "status") or ""
    return f"{PROVIDER}/{kind}/{trans_id}/{action.value}/{result.value}/{status}/{amount}/{date}"


def _remember(fields: f.Fields, kept: Mapping[str, str],
              currency: str | None) -> tuple[tuple[str, str], ...]:
    """Facts later callbacks need: currency (dispute callbacks omit it), and the payer email
    and card digits when a message shows them and none are kept yet."""
    found: dict[str, str] = {}
    if currency and "currency" not in kept:
        found["currency"] = currency
    card = card_digits(f.text(fields, "card"))
    if card is not None and kept_card(kept) is None:
        found.update(card_first6=card.first6, card_last4=card.last4)
    email = f.text(fields, "mail") or f.text(fields, "payer_email")
    if email is not None and "payer_email" not in kept:
        found["payer_email"] = email
    return tuple(found.items())


def _event(fields: f.Fields, context: AdapterContext, channel: Channel) -> Event:
    """One platform answer, callback or status report as the event it asks for."""
    result = parse_result(f.text(fields, "result"))
    if result is Result.ERROR:
        return _refusal(fields, context, channel)
    action = parse_action(f.text(fields, "action"))
    trans_id = f.identifier(fields, "trans_id") or context.ref
    if trans_id is None:
        raise f.WIRE.error("trans_id", "missing")
    target = route(action, result, parse_status(f.text(fields, "status")), context.operation)
    order_id = f.text(fields, "order_id")
    # not bound yet: the facts of the request awaiting its trans_id
    kept = recall(context.remembered, target.kind, trans_id, order_id, "card_last4")
    warnings: list[str] = []
    signature = SignatureStatus.ABSENT
    if channel is Channel.CALLBACK:
        signature = verify_callback(fields, target.kind, trans_id, kept, context.secrets,
                                    warnings)
        warnings.append(f"the platform `hash` binds trans_id, payer email and card digits, "
                        f"not status or amount: unconfirmed until `{CONFIRM_BY}` reports "
                        "them")
    money, notes = f.money(fields, "amount", "currency", kept.get("currency"))
    warnings += notes
    if action in POLLS and target.state not in ("SETTLED", "PENDING"):
        money = None  # a status query's amount is the sale's, not the step's
    return Event(
        provider=PROVIDER, object_kind=target.kind, object_id=trans_id,
        trigger=target.trigger, channel=channel, state=target.state, money=money,
        dedupe_key=_dedupe(target.kind, trans_id, fields, action, result,
                           str(money.amount) if money else ""),
        sequence=f.sequence(fields, "trans_date"), received_at=context.received_at,
        signature=signature, customer_action=f.customer_action(fields),
        facts=_facts(fields, action, result),
        remember=_remember(fields, kept, money.currency if money else None),
        warnings=tuple(warnings), confirmed=channel is not Channel.CALLBACK,
        confirm_by=CONFIRM_BY if channel is Channel.CALLBACK else None,
        reference=order_id)


_CREATING = frozenset({Action.SALE.value, Action.RECURRING_SALE.value})
"""Calls whose refusal leaves no ``trans_id``: the recording's ``ref`` names the order."""


def _refusal(fields: f.Fields, context: AdapterContext, channel: Channel) -> Event:
    """An ``ERROR`` answer: the platform refused the merchant's call (validation, limits),
    decided ``rejected`` on the transaction the body or ``ref`` names, if any. The body names
    no order: a refused SALE / RECURRING_SALE (``operation``) has no
    ``trans_id``, so its ``ref`` is the request's ``order_id`` and the refusal lands on that
    request's pending attempt (``paychart.attempts``). A callback never carries ``ERROR``:
    only answers to the merchant's own calls are refusals."""
    if channel is Channel.CALLBACK:
        raise f.WIRE.error("result", f.error_reason(fields), object_id=context.ref)
    action = f.text(fields, "action") or context.operation
    creating = context.operation in _CREATING and not f.identifier(fields, "trans_id")
    trans_id = "" if creating else f.identifier(fields, "trans_id") or context.ref or ""
    reference = f.text(fields, "order_id") or (context.ref if creating else None)
    kind = PAYOUT if action == Action.CREDIT2CARD.value else TRANSACTION
    reason = f.error_reason(fields).removeprefix("platform answered ")
    facts = [(name, value) for name in ("error_code", "error_message", "order_id")
             if (value := f.text(fields, name)) is not None]
    code = f.text(fields, "error_code") or ""
    return Event(provider=PROVIDER, object_kind=kind, object_id=trans_id, trigger="refused",
                 channel=channel, dedupe_key=f"{PROVIDER}/{kind}/{trans_id}/refused/{code}",
                 received_at=context.received_at, facts=tuple(facts), refusal=reason,
                 reference=reference)


# -- provider → merchant ----------------------------------------------------------------------

def parse_callback(body: bytes, _headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """A form-encoded callback, authenticated by its ``hash`` field (the platform signs in
    the body, not in a header); accepted ones are answered ``OK``."""
    return ParseResult.of(_event(f.load_form(body), context, Channel.CALLBACK), reply=REPLY)


def parse_response(body: bytes, _headers: Mapping[str, str],
                   context: AdapterContext) -> ParseResult:
    """A JSON answer to the merchant's own HTTPS call: no hash, signature ``absent``.
    ``context.operation`` places a CREDITVOID answer that reports no status."""
    return _json_answer(body, context, Channel.RESPONSE)


def parse_poll(body: bytes, _headers: Mapping[str, str],
               context: AdapterContext) -> ParseResult:
    """GET_TRANS_STATUS[_BY_ORDER] / GET_TRANS_DETAILS answers: the same JSON as any
    response, the ``trans_id`` from ``context.ref`` when the body lacks it."""
    return _json_answer(body, context, Channel.POLL)


_NBSP = "\u00a0".encode()


def _json_answer(body: bytes, context: AdapterContext, channel: Channel) -> ParseResult:
    """A JSON answer; its document goes to the journal's redaction only when it was read
    from the body as received (no U+00A0 layout rewritten first: redaction must render what
    parsing the body itself renders, and JSON does not parse that layout)."""
    data = f.load_json(body)
    return ParseResult.of(_event(data, context, channel),
                          document=None if _NBSP in body else data)


# -- merchant → provider ----------------------------------------------------------------------

def parse_request(body: bytes, _headers: Mapping[str, str],
                  context: AdapterContext) -> ParseResult:
    """The merchant's SALE / RECURRING_SALE request: keeps the payer email and the card's
    first six and last four digits (never the number) for the ``trans_id`` given as
    ``context.ref``, so later callbacks can be verified. Logged before its answer (no
    ``ref``), it is a pending attempt under its ``order_id`` that the answer or first callback
    naming the ``trans_id`` binds (``paychart.attempts``)."""
    fields = f.load_form(body)
    action = parse_action(f.text(fields, "action"))
    ref = context.ref
    if action not in (Action.SALE, Action.RECURRING_SALE):
        raise f.WIRE.error("action", f"merchant request {action.value} decides nothing; "
                           "ingest the platform's answer to it")
    order_id = f.text(fields, "order_id")
    if ref is None and order_id is None:
        raise f.WIRE.error("order_id", "a SALE request without ref (the trans_id of its "
                           "response) needs its order_id to be kept under")
    object_id = ref or PENDING_ID  # no trans_id yet: a pending attempt under order_id
    warnings: list[str] = []
    first_kept: Mapping[str, str] = {}
    if action is Action.SALE:
        email = f.text(fields, "payer_email") or ""
        card = card_digits(f.text(fields, "card_number"))
        if card is None:
            raise f.WIRE.error("card_number", "missing or not a card number",
                               object_id=object_id)
    else:
        first = f.identifier(fields, "recurring_first_trans_id") or ""
        first_kept = context.remembered(TRANSACTION, first)
        email, card = first_kept.get("payer_email", ""), kept_card(first_kept)
        if card is None:
            warnings.append(f"first transaction {first or '(not named)'} is not known: "
                            "payer email and card digits not kept")
    signature = verify_request(fields, email, card, context.secrets, object_id)
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
    return ParseResult.of(Event(
        provider=PROVIDER, object_kind=TRANSACTION, object_id=object_id,
        trigger=REQUEST_TRIGGER, channel=Channel.REQUEST, state="NEW", money=money,
        dedupe_key=f"{PROVIDER}/{TRANSACTION}/{ref or ''}/request/{action.value}/{order_id or ''}",
        received_at=context.received_at, signature=signature, facts=tuple(facts),
        remember=tuple(remember.items()), warnings=tuple(warnings + notes),
        reference=order_id))
