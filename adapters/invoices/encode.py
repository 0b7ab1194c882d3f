"""Payment-invoice events as the API sends them: the JSON:API invoice resource.

The inverse of ``parse`` for ``paychart simulate``. The resource is the same on every channel
(answer, callback, poll); only a callback is signed (``X-Signature`` with the secret of the
invoice's mode). The status is the reported state (``vocab.MOVES``). Money is cumulative: the
event's figure facts (``processed_amount_minor``…) become ``processed_amount`` and friends,
the invoice ``amount`` is ``amount_minor`` or the event's money. Object facts: ``test_mode``
(``"true"`` unless ``"false"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from paychart.adapter import Encoded
from paychart.event import Channel, Event
from paychart.money import Money

from .signature import SECRET_KEYS, sign
from .vocab import AMOUNT_MINOR, FIGURES, MOVE_OF, OBJECT_KIND, RESOLUTION, RESOURCE_TYPE, TEST_MODE

_HEADERS = {"Content-Type": "application/vnd.api+json"}
_NUMBER = re.compile(r'"\\u0000([0-9.]+)"')


def _number(money: Money) -> str:
    """A major-unit amount marked to be written as a bare JSON number (exact, no float)."""
    return "\x00" + money.to_decimal_string()


def _dumps(data: Mapping[str, Any]) -> bytes:
    return _NUMBER.sub(r"\1", json.dumps(data)).encode("utf-8")


def resource(event: Event, facts: Mapping[str, str]) -> dict[str, Any]:
    """The invoice resource of ``event``; ``ValueError`` when it lacks money or status."""
    move = MOVE_OF.get(event.state or "")
    if event.object_kind != OBJECT_KIND or move is None or move.trigger != event.trigger:
        raise ValueError(f"invoices cannot report {event.object_kind} "
                         f"{event.trigger}→{event.state}")
    if event.money is None:
        raise ValueError("an invoice resource always carries amount and currency")
    currency = event.money.currency
    amount_minor = event.fact(AMOUNT_MINOR)
    amount = Money(int(amount_minor), currency) if amount_minor else event.money
    figures: dict[str, Any] = {}
    for attribute, fact in FIGURES:
        value = event.fact(fact)
        figures[attribute] = None if value is None else _number(Money(int(value), currency))
    if figures["processed_amount"] is None and amount != event.money:
        figures["processed_amount"] = _number(event.money)
    attributes = {"status": move.status, "resolution": event.fact(RESOLUTION) or "ok",
                  "amount": _number(amount), "currency": currency,
                  "test_mode": facts.get(TEST_MODE, "true") != "false",
                  "reference_id": f"order-{event.object_id}", **figures,
                  "updated": event.sequence if event.sequence is not None else 1}
    return {"type": RESOURCE_TYPE, "id": event.object_id, "attributes": attributes}


def encode(event: Event, facts: Mapping[str, str], secrets: Mapping[str, str]) -> Encoded:
    """``event`` as the invoice resource on its channel; a callback signed when the secret of
    the invoice's mode is configured."""
    if event.channel not in (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL):
        raise ValueError(f"invoices sends nothing on the {event.channel.value} channel")
    body = _dumps({"data": resource(event, facts)})
    headers: Mapping[str, str] = _HEADERS
    mode = facts.get(TEST_MODE, "true") != "false"
    if event.channel is Channel.CALLBACK and secrets.get(SECRET_KEYS[mode]):
        body, headers = sign(body, headers, secrets)
    return Encoded(event.channel, body, dict(headers))


def encode_batch(events: list[Event], facts: Mapping[str, str],
                 secrets: Mapping[str, str]) -> Encoded:
    """Several invoice resources in one signed callback (``data`` as a list)."""
    body = _dumps({"data": [resource(event, facts) for event in events]})
    headers: Mapping[str, str] = _HEADERS
    if secrets.get(SECRET_KEYS[facts.get(TEST_MODE, "true") != "false"]):
        body, headers = sign(body, headers, secrets)
    return Encoded(Channel.CALLBACK, body, dict(headers))
