"""One PayLink gateway transaction (``{"transaction": {...}}`` notification or a checkout's
``gateway_response``) as an ``Event`` on the transaction, capture, void, refund or chargeback
chart (docs/PROVIDERS.md §3 point 2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from paychart.adapter import AdapterContext
from paychart.event import Channel, CustomerAction, Event, SignatureStatus
from paychart.money import Money

from .fields import WIRE, card_facts, flag, identifier, money, section, sequence_of, text
from .vocab import (
    CHARGED,
    PROVIDER,
    Status,
    TransactionType,
    parse_status,
    parse_type,
    transaction_move,
)

_CHILDREN_OF_AUTHORIZATION = frozenset({TransactionType.CAPTURE, TransactionType.VOID})
_FACT_LIMIT = 120


@attrs.frozen
class Envelope:
    """What every event of one input shares: how it came, when, and whether it is the shop's."""

    channel: Channel
    signature: SignatureStatus
    context: AdapterContext


def transaction_event(tx: Mapping[str, Any], where: str, envelope: Envelope, *,
                      kind: TransactionType | None = None,
                      fallback: Money | None = None) -> Event:
    """The event for one gateway transaction. ``kind`` is known from the checkout when the
    transaction itself omits ``type``; ``fallback`` is the order's money for a
    ``gateway_response`` that omits its amount."""
    if kind is None or "type" in tx:
        kind = parse_type(text(tx, "type", where), f"{where}.type")
    state = parse_status(text(tx, "status", where), f"{where}.status")
    move = transaction_move(kind, state, f"{where}.status")
    uid = identifier(tx, "uid", where)
    warnings: list[str] = []
    facts = [("type", kind.value), ("status", state.value)]
    amount = money(tx, where)
    if amount is None and fallback is not None:
        amount = fallback  # a gateway_response without amount: the checkout's order amount
        facts.append(("amount_from", "order"))
    elif amount is None:
        warnings.append(f"{where} carries no amount and currency")
    sequence, stamp = sequence_of(tx, where, warnings)
    message = text(tx, "message", where)
    if message:
        facts.append(("message", message[:_FACT_LIMIT]))
    if "test" in tx:
        facts.append(("test", str(flag(tx, "test", where)).lower()))
    tracking = text(tx, "tracking_id", where)
    if tracking:
        facts.append(("tracking_id", tracking[:_FACT_LIMIT]))  # the merchant's order reference
    parent_id, parent_facts, remember = _parent(tx, kind, where, envelope.context)
    facts += parent_facts
    detail = section(tx, kind.value, where)
    if detail is not None:
        reported = text(detail, "status", f"{where}.{kind.value}")
        if reported not in (None, state.value):
            warnings.append(f"{where}.{kind.value}.status {reported[:40]!r} differs from "
                            f"the transaction status {state.value!r}")
    remember += card_facts(tx, where)
    redirect = WIRE.text(tx, "redirect_url", f"{where}.")
    action = CustomerAction(redirect) if state is Status.INCOMPLETE and redirect else None
    amount_key = "-" if amount is None else f"{amount.amount}{amount.currency}"
    kind_name = move.object_kind
    return Event(
        provider=PROVIDER, object_kind=kind_name, object_id=uid, trigger=move.trigger,
        channel=envelope.channel,
        dedupe_key=f"{PROVIDER}/{kind_name}/{uid}/{state}/{amount_key}/{stamp}",
        state=move.state, money=amount, parent_id=parent_id, sequence=sequence,
        received_at=envelope.context.received_at, signature=envelope.signature,
        customer_action=action, facts=tuple(facts), remember=tuple(remember),
        warnings=tuple(warnings), reference=tracking)


def _parent(tx: Mapping[str, Any], kind: TransactionType, where: str,
            context: AdapterContext) -> tuple[str | None, list[tuple[str, str]],
                                              list[tuple[str, str]]]:
    """Parent object id, facts and kept facts of a child transaction.

    A refund or chargeback of a capture is filed under the capture's authorization, whose
    ledger holds the captured money; the capture remembered that authorization's uid.
    """
    if kind in CHARGED:
        return None, [], []
    parent_uid = identifier(tx, "parent_uid", where)
    facts = [("parent_uid", parent_uid)]
    if kind in _CHILDREN_OF_AUTHORIZATION:
        return parent_uid, facts, [("authorization_uid", parent_uid)]
    authorization = context.remembered(TransactionType.CAPTURE.value,
                                       parent_uid).get("authorization_uid")
    if authorization:
        facts.append(("capture_uid", parent_uid))
        return authorization, facts, []
    return parent_uid, facts, []
