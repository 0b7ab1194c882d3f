"""PayLink events as the gateway sends them: ``{"transaction": …}`` notifications and status
answers, and checkouts (bare in a notification, under ``checkout`` in a status answer).

The inverse of ``parse`` for ``paychart simulate``: statuses come from ``vocab.MOVES`` read
backwards. Notifications are signed by ``signature.sign`` (HTTP Basic from ``shop_id`` and
``secret_key``, ``Content-Signature`` from the test-only ``private_key``). Object facts:
``type`` (``payment`` or ``authorization``: which kind of charge a transaction is),
``transaction_uid`` (a checkout's gateway transaction), ``test`` (``"true"``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paychart.adapter import Encoded
from paychart.event import Channel, Event

from .signature import sign
from .vocab import CHECKOUT, MOVES, TRANSACTION, CheckoutReport, TransactionType

_JSON = {"Content-Type": "application/json"}
_SUCCESS = {"successful": "successful", "authorized": "successful"}


def _money(event: Event) -> dict[str, Any]:
    if event.money is None:
        return {}
    return {"amount": event.money.amount, "currency": event.money.currency}


def _updated(event: Event) -> dict[str, str]:
    if event.sequence is None:
        return {}
    moment = datetime.fromtimestamp(event.sequence / 1000, UTC)
    return {"updated_at": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")}


def _status(kind: str, via: str, event: Event) -> str:
    for move in MOVES:
        if (move.object_kind, move.via, move.trigger, move.state) == (
                kind, via, event.trigger, event.state):
            return move.status
    raise ValueError(f"paylink cannot report {kind} {event.trigger}→{event.state} ({via})")


def _charge_type(event: Event, facts: Mapping[str, str]) -> TransactionType:
    if event.trigger == "authorize" or event.state == "authorized":
        return TransactionType.AUTHORIZATION
    if event.trigger == "pay" or event.state == "successful":
        return TransactionType.PAYMENT
    return TransactionType(facts.get("type", TransactionType.PAYMENT.value))


def _transaction(event: Event, facts: Mapping[str, str]) -> dict[str, Any]:
    if event.object_kind == TRANSACTION:
        kind = _charge_type(event, facts)
        status = _status(TRANSACTION, kind.value, event)
        tx: dict[str, Any] = {"uid": event.object_id, "status": status, **_money(event),
                              "type": kind.value}
    else:
        kind = TransactionType(event.object_kind)
        if event.parent_id is None:
            raise ValueError(f"a paylink {kind.value} names its parent transaction")
        tx = {"uid": event.object_id, "status": _status(kind.value, "", event),
              **_money(event), "type": kind.value, "parent_uid": event.parent_id}
    if facts.get("test") == "true":
        tx["test"] = True
    return {**tx, **_updated(event)}


def _checkout(event: Event, facts: Mapping[str, str]) -> dict[str, Any]:
    kind = TransactionType(facts.get("type", TransactionType.PAYMENT.value))
    if event.state == "authorized":
        kind = TransactionType.AUTHORIZATION
    elif event.state == "successful":
        kind = TransactionType.PAYMENT
    finished = {CheckoutReport.FINISHED_PAYMENT.value: TransactionType.PAYMENT,
                CheckoutReport.FINISHED_AUTHORIZATION.value: TransactionType.AUTHORIZATION}
    for move in MOVES:
        if (move.object_kind, move.trigger, move.state) != (CHECKOUT, event.trigger,
                                                            event.state):
            continue
        if finished.get(move.via, kind) is not kind:
            continue
        data: dict[str, Any] = {"token": event.object_id, "status": move.status,
                                "transaction_type": kind.value,
                                "finished": move.via in finished,
                                "expired": move.via == CheckoutReport.EXPIRED.value}
        if event.money is not None:
            data["order"] = _money(event)
        if move.via in finished or move.via == CheckoutReport.ATTEMPTED.value:
            status = move.status if move.via in finished else "incomplete"
            data["gateway_response"] = {kind.value: {
                "uid": facts.get("transaction_uid", f"{event.object_id}-tx"),
                "status": status, **_money(event)}}
        return data
    raise ValueError(f"paylink cannot report checkout {event.trigger}→{event.state}")


def encode(event: Event, facts: Mapping[str, str], secrets: Mapping[str, str]) -> Encoded:
    """``event`` as PayLink sends it on its channel; notifications signed."""
    if event.channel not in (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL):
        raise ValueError(f"paylink sends nothing on the {event.channel.value} channel")
    if event.object_kind == CHECKOUT:
        checkout = _checkout(event, facts)
        data = checkout if event.channel is Channel.CALLBACK else {"checkout": checkout}
    else:
        data = {"transaction": _transaction(event, facts)}
    body = json.dumps(data).encode("utf-8")
    headers: Mapping[str, str] = _JSON
    if event.channel is Channel.CALLBACK:
        body, headers = sign(body, headers, secrets)
    return Encoded(event.channel, body, dict(headers),
                   ref=None if event.channel is Channel.CALLBACK else event.object_id)
