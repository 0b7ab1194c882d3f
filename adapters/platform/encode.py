"""Platform events as the platform sends them: form-encoded callbacks signed by ``hash``,
JSON answers to the merchant's calls, JSON status queries.

The inverse of ``parse`` for ``paychart simulate``: the action and result that report the
event's trigger and state come from ``vocab.MOVES`` read backwards (a status query for a
poll). The callback ``hash`` binds the payer email and card digits the merchant's SALE
request showed, so they are object facts: ``payer_email``, ``card_first6``, ``card_last4``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from paychart.adapter import Encoded
from paychart.event import Channel, Event

from .signature import sign
from .vocab import MOVES, PAYOUT, STATUS_QUERY, Action

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}


def _reported_by(event: Event) -> tuple[str, str]:
    """(action, result) of the first row of ``MOVES`` that says this trigger and state."""
    poll = event.channel is Channel.POLL
    for move in MOVES:
        if (move.object_kind, move.trigger, move.state) != (event.object_kind, event.trigger,
                                                            event.state):
            continue
        if (move.via == STATUS_QUERY) is poll:
            if poll:
                return Action.GET_TRANS_STATUS.value, "SUCCESS"
            action, _, result = move.via.partition("/")
            return action, result
    raise ValueError(f"platform cannot report {event.object_kind} {event.trigger}→"
                     f"{event.state} on the {event.channel.value} channel")


def _trans_date(sequence: int | None) -> dict[str, str]:
    if sequence is None:
        return {}
    moment = datetime.strptime(str(sequence), "%Y%m%d%H%M%S")
    return {"trans_date": moment.strftime("%Y-%m-%d %H:%M:%S")}


def fields(event: Event, facts: Mapping[str, str]) -> dict[str, Any]:
    """The fields of the platform's message about ``event`` (unsigned)."""
    action, result = _reported_by(event)
    data: dict[str, Any] = {"action": action, "result": result, "status": event.state,
                            "trans_id": event.object_id,
                            "order_id": facts.get("order_id", f"ORDER-{event.object_id}")}
    if event.money is not None:
        data.update(amount=event.money.to_decimal_string(), currency=event.money.currency)
    data.update(_trans_date(event.sequence))
    if facts.get("card_first6") and facts.get("card_last4"):
        data["card"] = f"{facts['card_first6']}****{facts['card_last4']}"
    return data


def encode(event: Event, facts: Mapping[str, str], secrets: Mapping[str, str]) -> Encoded:
    """``event`` on its channel: a callback form signed with the account's ``password``."""
    data = fields(event, facts)
    if event.channel is Channel.CALLBACK:
        body = urlencode(data).encode("ascii")
        headers: Mapping[str, str] = _FORM
        if secrets.get("password"):
            if event.object_kind == PAYOUT:
                facts = {k: v for k, v in facts.items() if k != "payer_email"}
            body, headers = sign(body, headers, secrets, facts)
        return Encoded(Channel.CALLBACK, body, dict(headers))
    if event.channel in (Channel.RESPONSE, Channel.POLL):
        if facts.get("payer_email"):
            data["payer_email"] = facts["payer_email"]  # kept: later callbacks' hash binds it
        operation = facts.get("operation")
        if data["action"] == Action.CREDITVOID.value:
            operation = "refund" if event.state == "SETTLED" else "reversal"
        return Encoded(event.channel, json.dumps(data, indent=1).encode("utf-8"), dict(_JSON),
                       ref=event.object_id, operation=operation)
    raise ValueError(f"platform sends nothing on the {event.channel.value} channel")
