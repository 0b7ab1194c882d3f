"""A PayLink checkout object (status query ``GET /ctp/api/checkouts/:token`` or the bare token
expiry notification) as a checkout event, plus its transaction's event when it has one.

docs/PROVIDERS.md §3 Decision: the checkout is driven by ``finished``, ``expired`` and the
presence of ``gateway_response``, never by ``status`` alone (``error`` means both "nothing
yet" and "expired"). Decision (ours): ``finished`` wins over ``expired`` when both are set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from paychart.adapter import StatusMove
from paychart.attempts import SAME_ATTEMPT
from paychart.errors import InputError
from paychart.event import Event
from paychart.money import Money

from .fields import flag, identifier, money, section, text
from .surcharge import surcharge_findings
from .transaction import Envelope, transaction_event
from .vocab import (
    CHARGED,
    CHECKOUT,
    PROVIDER,
    CheckoutReport,
    Status,
    TransactionType,
    finished_checkout_move,
    parse_status,
    parse_type,
    shown,
    unfinished_checkout_move,
)


def checkout_events(checkout: Mapping[str, Any], where: str,
                    envelope: Envelope) -> tuple[Event, ...]:
    """The checkout's event first, then its transaction's (same input, one decision each)."""
    token = identifier(checkout, "token", where)
    finished = flag(checkout, "finished", where)
    expired = flag(checkout, "expired", where)
    warnings: list[str] = []
    order = section(checkout, "order", where) or {}
    order_money = money(order, f"{where}.order") if order else None
    if order and order_money is None:
        warnings.append(f"{where}.order carries no amount and currency")
    warnings += surcharge_findings(order, f"{where}.order")
    kind, tx = _gateway_transaction(checkout, where)
    tx_where = f"{where}.gateway_response.{kind.value}"
    tx_status = _status_of(checkout, where, tx, tx_where) if finished else None
    move = _checkout_move(kind, tx_status, expired=expired, attempted=tx is not None,
                          where=where)
    events = []
    remember: list[tuple[str, str]] = []
    uid = None
    if tx is not None:
        tx_data = dict(tx)
        uid = text(tx, "uid", tx_where) or text(
            section(checkout, "gateway_response", where) or {}, "uid",
            f"{where}.gateway_response")
        if uid is not None:
            tx_data["uid"] = uid
            if "status" not in tx_data and tx_status is not None:
                tx_data["status"] = tx_status.value
            event = transaction_event(tx_data, tx_where, envelope, kind=kind,
                                      fallback=order_money)
            if event.reference is None:  # the checkout's order names the merchant's order
                event = attrs.evolve(event, reference=_tracking(order, where))
            warnings += _amount_findings(event.money, order_money, tx_where)
            events.append(event)
            remember = [("transaction_uid", event.object_id), ("transaction_type", kind.value),
                        (SAME_ATTEMPT, event.key)]  # one attempt in the order view
        else:
            warnings.append(f"{tx_where} has no uid; the transaction is not tracked")
    warnings += _ref_findings(envelope, token, uid)
    facts = [("finished", str(finished).lower()), ("expired", str(expired).lower())]
    message = text(checkout, "message", where)
    if message:
        facts.append(("message", message[:120]))
    tracking = _tracking(order, where)
    if tracking:
        facts.append(("tracking_id", tracking[:120]))  # the merchant's order reference
    dedupe = (f"{PROVIDER}/{CHECKOUT}/{token}/{move.state}/{uid or '-'}/"
              f"{tx_status.value if tx_status else '-'}")
    head = Event(provider=PROVIDER, object_kind=CHECKOUT, object_id=token,
                 trigger=move.trigger, channel=envelope.channel, dedupe_key=dedupe,
                 state=move.state, money=order_money,
                 received_at=envelope.context.received_at, signature=envelope.signature,
                 facts=tuple(facts), remember=tuple(remember), warnings=tuple(warnings),
                 reference=tracking)
    return (head, *events)


def _tracking(order: Mapping[str, Any], where: str) -> str | None:
    """The merchant's order reference, ``order.tracking_id``."""
    return text(order, "tracking_id", f"{where}.order")


def _checkout_move(kind: TransactionType, status: Status | None, *, expired: bool,
                   attempted: bool, where: str) -> StatusMove:
    if status is not None:
        if kind not in CHARGED:
            raise InputError(f"{where}.transaction_type", f"unsupported transaction type "
                             f"{shown(kind.value)} for a checkout", provider=PROVIDER)
        return finished_checkout_move(kind, status, f"{where}.status")
    if expired:
        return unfinished_checkout_move(CheckoutReport.EXPIRED)
    if attempted:
        return unfinished_checkout_move(CheckoutReport.ATTEMPTED)
    return unfinished_checkout_move(CheckoutReport.OPEN)


def _gateway_transaction(checkout: Mapping[str, Any], where: str
                         ) -> tuple[TransactionType, Mapping[str, Any] | None]:
    """The checkout's transaction type and its ``gateway_response`` section, if any."""
    declared = text(checkout, "transaction_type", where)
    response = section(checkout, "gateway_response", where)
    if response is None:
        kind = (parse_type(declared, f"{where}.transaction_type")
                if declared else TransactionType.PAYMENT)
        return kind, None
    sections = [key for key in (t.value for t in CHARGED) if key in response]
    name = declared if declared in sections else (sections[0] if sections else declared)
    kind = parse_type(name, f"{where}.gateway_response")
    return kind, section(response, kind.value, f"{where}.gateway_response")


def _status_of(checkout: Mapping[str, Any], where: str, tx: Mapping[str, Any] | None,
               tx_where: str) -> Status:
    """The transaction status: the gateway section's, else the checkout's own ``status``
    (seed: "if not error, it is the gateway transaction status")."""
    source, at = (tx, tx_where) if tx and "status" in tx else (checkout, where)
    return parse_status(text(source, "status", at), f"{at}.status")


def _amount_findings(charged: Money | None, ordered: Money | None, where: str) -> list[str]:
    if charged is None or ordered is None or charged == ordered:
        return []
    return [f"{where} amount {charged} differs from the order amount {ordered}"]


def _ref_findings(envelope: Envelope, token: str, uid: str | None) -> list[str]:
    """A status query answered about another object than the one asked for (``ref``)."""
    ref = envelope.context.ref
    if ref is None or ref in (token, uid):
        return []
    return [f"the answer is about checkout {token}, not the queried {ref[:80]!r}"]
