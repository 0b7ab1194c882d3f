"""CARDLINK events as the platform sends them: callbacks, answers to merchant calls, polls.

The inverse of ``parse``, for ``paychart simulate``: the status comes from the one table
(``vocab.MOVES``) read backwards, so an encoded event parses to the same trigger and state.
Callbacks are signed with ``signature.sign``; responses and polls are not signed (they answer
the merchant's own authenticated calls). Object facts: ``two_stage`` (``"true"`` when the
payment was created with ``needConfirmation``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from paychart.adapter import Encoded
from paychart.event import Channel, Event

from .signature import SECRET_KEY, sign
from .vocab import MOVES, Kind, Via

_JSON = {"Content-Type": "application/json"}
_CALLBACK_TYPE = {Kind.PAYMENT: "pay", Kind.PAYOUT: "payout", Kind.REFUND: "refund",
                  Kind.DISPUTE: "dispute"}


def _status(kind: Kind, via: Via, event: Event) -> str:
    """The wire status that ``vocab.MOVES`` maps to this event's trigger and state."""
    for move in MOVES:
        if (move.object_kind == kind.value and move.via == via.move_via
                and move.trigger == event.trigger and move.state == event.state):
            return move.status
    raise ValueError(f"cardlink cannot report {kind.value} {event.trigger}→{event.state} "
                     f"in a {via.value}")


def _money(event: Event, *, text: bool = False) -> dict[str, Any]:
    if event.money is None:
        return {}
    amount: int | str = str(event.money.amount) if text else event.money.amount
    return {"amount": amount, "currency": event.money.currency}


def _dumps(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data).encode("utf-8")


def _payment_via(event: Event, facts: Mapping[str, str]) -> Via:
    return Via.HOLD if facts.get("two_stage") == "true" else Via.REPORT


def _callback(event: Event, kind: Kind, facts: Mapping[str, str],
              secrets: Mapping[str, str]) -> Encoded:
    if event.money is None:
        raise ValueError("a cardlink callback always carries amount and currency")
    via = _payment_via(event, facts) if kind is Kind.PAYMENT else Via.REPORT
    data = {"token": event.object_id, "type": _CALLBACK_TYPE[kind],
            "status": _status(kind, via, event), **_money(event)}
    body: bytes = _dumps(data)
    headers: Mapping[str, str] = _JSON
    if secrets.get(SECRET_KEY):
        body, headers = sign(body, headers, secrets)
    return Encoded(Channel.CALLBACK, body, dict(headers))


def _response(event: Event, kind: Kind, facts: Mapping[str, str]) -> Encoded:
    token = event.object_id
    if kind is Kind.PAYMENT and event.trigger in ("confirm", "decline") and \
            event.state in ("approved", "declined") and facts.get("two_stage") == "true":
        operation = "confirm" if event.trigger == "confirm" else "decline"
        via = Via.CONFIRM if operation == "confirm" else Via.DECLINE
        payment = {**_money(event, text=True), "status": _status(kind, via, event)}
        return Encoded(Channel.RESPONSE, _dumps({"success": True, "payment": payment}),
                       dict(_JSON), ref=token, operation=operation)
    if kind is Kind.PAYMENT:
        via = _payment_via(event, facts)
        payment = {**_money(event, text=True), "status": _status(kind, via, event)}
        if facts.get("two_stage") == "true":
            payment["two_stage_mode"] = True
        data = {"success": True, "errors": [], "token": token,
                "processingUrl": f"https://business.cardlinkpro.com/p/{token}",
                "payment": payment}
        return Encoded(Channel.RESPONSE, _dumps(data), dict(_JSON), operation="create")
    if kind is Kind.PAYOUT:
        payout = {"token": token, "status": _status(kind, Via.REPORT, event),
                  **_money(event, text=True)}
        return Encoded(Channel.RESPONSE, _dumps({"success": True, "payout": payout}),
                       dict(_JSON), operation="payout")
    if event.parent_id is None:
        raise ValueError(f"a cardlink {kind.value} response names its payment")
    if kind is Kind.REFUND:
        refund = {"token": token, "status": _status(kind, Via.REPORT, event),
                  **_money(event, text=True)}
        data = {"success": True, "errors": [], "token": event.parent_id, "refund": refund}
        return Encoded(Channel.RESPONSE, _dumps(data), dict(_JSON), operation="refund")
    if event.state != "pending" or token != event.parent_id:
        raise ValueError("a cardlink dispute response only opens a dispute")
    return Encoded(Channel.RESPONSE, _dumps({"success": True}), dict(_JSON), ref=token,
                   operation="dispute")


def _poll(event: Event, kind: Kind, facts: Mapping[str, str]) -> Encoded:
    if kind not in (Kind.PAYMENT, Kind.PAYOUT):
        raise ValueError(f"cardlink's status query lists no {kind.value}")
    via = _payment_via(event, facts) if kind is Kind.PAYMENT else Via.REPORT
    item = {"token": event.object_id, "operation_type": _CALLBACK_TYPE[kind],
            "status": _status(kind, via, event), **_money(event, text=True)}
    return Encoded(Channel.POLL, _dumps({"success": True, "payment": item}), dict(_JSON),
                   ref=event.object_id, operation="status")


def encode(event: Event, facts: Mapping[str, str], secrets: Mapping[str, str]) -> Encoded:
    """``event`` on its channel (callback, response or poll) as CARDLINK sends it."""
    kind = Kind(event.object_kind)
    if event.channel is Channel.CALLBACK:
        return _callback(event, kind, facts, secrets)
    if event.channel is Channel.RESPONSE:
        return _response(event, kind, facts)
    if event.channel is Channel.POLL:
        return _poll(event, kind, facts)
    raise ValueError(f"cardlink sends nothing on the {event.channel.value} channel")
