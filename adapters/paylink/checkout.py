"""A PayLink checkout object (status query ``GET /ctp/api/checkouts/:token`` or the bare token
expiry notification) as a checkout event, plus its transaction's event when it has one.

PROVIDERS.md §3 Decision: the checkout is driven by ``finished``, ``expired`` and the presence
of ``gateway_response``, never by ``status`` alone (``error`` means both "nothing yet" and
"expired"). Surcharges (seed: v1 ``initial_amount + surcharge_amount``, v2
``adjustments.initial_amount + adjustment_amount``) must add up to ``order.amount``; a mismatch
is a warning on the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from paychart.adapter import AdapterContext
from paychart.errors import InputError
from paychart.event import Channel, Event, SignatureStatus
from paychart.money import Money

from .fields import (
    CHECKOUT_ATTEMPTED,
    CHECKOUT_EXPIRED,
    CHECKOUT_FINISHED,
    CHECKOUT_OPEN,
    PROVIDER,
    Edge,
    Status,
    TransactionType,
    flag,
    minor,
    money,
    table,
    text,
    transaction_type,
)
from .transaction import transaction_event

_CHARGED = (TransactionType.PAYMENT, TransactionType.AUTHORIZATION)


def checkout_events(checkout: Mapping[str, Any], where: str, *, channel: Channel,
                    received_at: datetime | None, signature: SignatureStatus,
                    context: AdapterContext) -> tuple[Event, ...]:
    """The checkout's event first, then its transaction's (same input, one decision each)."""
    token = text(checkout, "token", where, required=True)
    assert token is not None
    finished = flag(checkout, "finished", where)
    expired = flag(checkout, "expired", where)
    warnings: list[str] = []
    order = table(checkout, "order", where) or {}
    order_money = money(order, f"{where}.order", warnings) if order else None
    warnings += _surcharge_findings(order, f"{where}.order")
    kind, tx = _gateway_transaction(checkout, where)
    tx_status = _status_of(checkout, tx, where) if finished else None
    if tx_status is not None:
        if kind not in _CHARGED:
            raise InputError(f"{where}.transaction_type", f"unsupported transaction type "
                             f"{kind!r} for a checkout", provider=PROVIDER)
        edge: Edge = CHECKOUT_FINISHED[(kind, tx_status)]
    elif expired:
        edge = CHECKOUT_EXPIRED
    elif tx is not None:
        edge = CHECKOUT_ATTEMPTED
    else:
        edge = CHECKOUT_OPEN
    events = []
    remember: list[tuple[str, str]] = []
    uid = None
    if tx is not None and kind is not None:
        tx_where = f"{where}.gateway_response.{kind.value}"
        tx_data = dict(tx)
        uid = text(tx, "uid", tx_where) or text(
            table(checkout, "gateway_response", where) or {}, "uid", where)
        if uid is not None:
            tx_data["uid"] = uid
            if "status" not in tx_data and tx_status is not None:
                tx_data["status"] = tx_status.value
            event = transaction_event(tx_data, tx_where, channel=channel,
                                      received_at=received_at, signature=signature,
                                      context=context, kind=kind, fallback=order_money)
            warnings += _amount_findings(event.money, order_money, tx_where)
            events.append(event)
            remember = [("transaction_uid", uid), ("transaction_type", kind.value)]
        else:
            warnings.append(f"{tx_where} has no uid; the transaction is not tracked")
    facts = [("finished", str(finished).lower()), ("expired", str(expired).lower())]
    message = text(checkout, "message", where)
    if message:
        facts.append(("message", message[:120]))
    dedupe = (f"{PROVIDER}/checkout/{token}/{edge.state}/{uid or '-'}/"
              f"{tx_status.value if tx_status else '-'}")
    head = Event(provider=PROVIDER, object_kind="checkout", object_id=token,
                 trigger=edge.trigger, channel=channel, dedupe_key=dedupe, state=edge.state,
                 money=order_money, received_at=received_at, signature=signature,
                 facts=tuple(facts), remember=tuple(remember), warnings=tuple(warnings))
    return (head, *events)


def _gateway_transaction(checkout: Mapping[str, Any], where: str
                         ) -> tuple[TransactionType | None, Mapping[str, Any] | None]:
    """The checkout's transaction type and its ``gateway_response`` section, if any."""
    declared = text(checkout, "transaction_type", where)
    response = table(checkout, "gateway_response", where)
    if response is None:
        kind = (transaction_type(declared, f"{where}.transaction_type")
                if declared else TransactionType.PAYMENT)
        return kind, None
    sections = [key for key in (t.value for t in _CHARGED) if key in response]
    name = declared if declared in sections else (sections[0] if sections else declared)
    kind = transaction_type(name, f"{where}.gateway_response")
    return kind, table(response, kind.value, f"{where}.gateway_response")


def _status_of(checkout: Mapping[str, Any], tx: Mapping[str, Any] | None,
               where: str) -> Status:
    """The transaction status: the gateway section's, else the checkout's own ``status``
    (seed: "if not error, it is the gateway transaction status")."""
    source, field = (tx, f"{where}.gateway_response") if tx and "status" in tx else (
        checkout, where)
    value = text(source, "status", field)
    try:
        return Status(value or "")
    except ValueError:
        raise InputError(f"{field}.status", f"unknown status {value!r}",
                         provider=PROVIDER) from None


def _surcharge_findings(order: Mapping[str, Any], where: str) -> list[str]:
    """Seed "Верхние комиссии" v1 and v2: the parts must add up to ``order.amount``."""
    total = minor(order, "amount")
    findings = []
    initial, surcharge = minor(order, "initial_amount"), minor(order, "surcharge_amount")
    if initial is not None or surcharge is not None:
        parts = (initial or 0) + (surcharge or 0)
        if total is None or parts != total:
            findings.append(f"surcharge v1: {where}.initial_amount {initial} + surcharge_amount "
                            f"{surcharge} = {parts}, not order amount {total}")
    extra = order.get("additional_data")
    adjustments = extra.get("adjustments") if isinstance(extra, dict) else None
    if isinstance(adjustments, dict):
        base, adjustment = minor(adjustments, "initial_amount"), minor(
            adjustments, "adjustment_amount")
        parts = (base or 0) + (adjustment or 0)
        if total is None or parts != total:
            findings.append(f"surcharge v2: adjustments.initial_amount {base} + "
                            f"adjustment_amount {adjustment} = {parts}, not order amount "
                            f"{total}")
        currency = adjustments.get("currency")
        if currency is not None and currency != order.get("currency"):
            findings.append(f"surcharge v2: adjustments.currency {currency!r} is not the order "
                            f"currency {order.get('currency')!r}")
    return findings


def _amount_findings(charged: Money | None, ordered: Money | None, where: str) -> list[str]:
    if charged is None or ordered is None or charged == ordered:
        return []
    return [f"{where} amount {charged} differs from the order amount {ordered}"]
