"""Transaction services events as the gateway sends them: JSON notifications with the md5
``checksum``, inquiry answers, and answers to CP / RV / RF calls.

The inverse of ``parse`` for ``paychart simulate``: a long status (``vocab.MOVES`` rows
without ``via``) with the first short ``transactionStatus`` that agrees with it; an event no
long status says (a failed cancel or refund) is the result code of the call's answer. Only
notifications are signed (``signature.sign``). Object facts: ``merchant_transaction_id``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from paychart.adapter import Encoded, StatusMove
from paychart.event import Channel, Event

from .signature import SECRET_KEY, sign
from .vocab import AGREEING_SHORTS, MOVES, PAYOUT, PaymentType, ResultCode

_JSON = {"Content-Type": "application/json"}
_CALLS = {"CP": "capture", "RV": "reversal", "RF": "refund", "PA": "preauth", "DB": "debit",
          "PO": "payout"}


def _long(event: Event) -> StatusMove | None:
    """The long status of this trigger into this state, else of this trigger alone (``settled``
    after a partial refund reports ``settled``; the chart keeps the payment where it is)."""
    rows = [move for move in MOVES if not move.via and move.object_kind == event.object_kind
            and move.trigger == event.trigger]
    exact = [move for move in rows if move.state in (event.state, None)]
    found = exact or rows
    return found[0] if found else None


def _answer(event: Event) -> StatusMove | None:
    for move in MOVES:
        if (move.via and not move.via.endswith("pending") and move.object_kind ==
                event.object_kind and move.trigger == event.trigger
                and move.state in (event.state, None)):
            return move
    return None


def _common(event: Event, facts: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "paymentId": event.object_id,
        "merchantTransactionId": facts.get("merchant_transaction_id",
                                           f"order-{event.object_id}")}
    if event.money is not None:
        data.update(amount=event.money.to_decimal_string(), currency=event.money.currency)
    if event.sequence is not None:
        moment = datetime.fromtimestamp(event.sequence, UTC)
        data["timestamp"] = moment.strftime("%Y-%m-%d %H:%M:%S")
    return data


def encode(event: Event, facts: Mapping[str, str], secrets: Mapping[str, str]) -> Encoded:
    """``event`` on its channel; a notification signed with ``secure_key``."""
    if event.channel not in (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL):
        raise ValueError(f"transaction_services sends nothing on {event.channel.value}")
    data = _common(event, facts)
    long = _long(event)
    if long is not None:
        shorts = sorted(short.value for short in AGREEING_SHORTS[long.trigger])
        data.update(status=long.status, transactionStatus=shorts[0],
                    result={"code": ResultCode.SUCCEEDED.value})
        if event.object_kind == PAYOUT:
            data["paymentType"] = PaymentType.PAYOUT.value
        body = json.dumps(data).encode("utf-8")
        headers: Mapping[str, str] = _JSON
        if event.channel is Channel.CALLBACK and secrets.get(SECRET_KEY):
            body, headers = sign(body, headers, secrets)
        return Encoded(event.channel, body, dict(headers),
                       ref=None if event.channel is Channel.CALLBACK else event.object_id)
    answer = _answer(event)
    if answer is None or event.channel is not Channel.RESPONSE:
        raise ValueError(f"transaction_services cannot say {event.object_kind} "
                         f"{event.trigger}→{event.state} on {event.channel.value}")
    payment_type = answer.via.split(" ")[0]
    data.update(paymentType=payment_type, result={"code": answer.status})
    return Encoded(Channel.RESPONSE, json.dumps(data).encode("utf-8"), dict(_JSON),
                   ref=event.object_id, operation=_CALLS[payment_type])
