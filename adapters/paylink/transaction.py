"""One PayLink gateway transaction (``{"transaction": {...}}`` notification or a checkout's
``gateway_response``) as an ``Event`` on the transaction, capture, void, refund or chargeback
chart (PROVIDERS.md §3 point 2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from paychart.adapter import AdapterContext
from paychart.errors import InputError
from paychart.event import Channel, CustomerAction, Event, SignatureStatus
from paychart.money import Money

from .fields import (
    PROVIDER,
    TABLE,
    Status,
    TransactionType,
    flag,
    money,
    sequence_of,
    status,
    table,
    text,
    transaction_type,
)

_CHILDREN_OF_AUTHORIZATION = frozenset({TransactionType.CAPTURE, TransactionType.VOID})
_CHILDREN_OF_CAPTURED = frozenset({TransactionType.REFUND, TransactionType.CHARGEBACK})
_FACT_LIMIT = 120


def transaction_event(tx: Mapping[str, Any], where: str, *, channel: Channel,
                      received_at: datetime | None, signature: SignatureStatus,
                      context: AdapterContext, kind: TransactionType | None = None,
                      fallback: Money | None = None) -> Event:
    """The event for one gateway transaction. ``kind`` is known from the checkout when the
    transaction itself omits ``type``; ``fallback`` is the order's money for a
    ``gateway_response`` that omits its amount."""
    if kind is None or "type" in tx:
        kind = transaction_type(text(tx, "type", where), f"{where}.type")
    state = status(tx, where)
    edge = TABLE.get((kind, state))
    if edge is None:  # the table is exhaustive; this guards against a future enum member
        raise InputError(f"{where}.status", f"no chart edge for {kind} {state}",
                         provider=PROVIDER)
    uid = text(tx, "uid", where, required=True)
    assert uid is not None
    warnings: list[str] = []
    amount = money(tx, where, warnings)
    facts = [("type", kind.value), ("status", state.value)]
    if amount is None and fallback is not None:
        amount = fallback  # a gateway_response without amount: the checkout's order amount
        warnings.clear()
        facts.append(("amount_from", "order"))
    sequence, stamp = sequence_of(tx, where, warnings)
    message = text(tx, "message", where)
    if message:
        facts.append(("message", message[:_FACT_LIMIT]))
    if "test" in tx:
        facts.append(("test", str(flag(tx, "test", where)).lower()))
    parent_id, parent_facts, remember = _parent(tx, kind, where, context)
    facts += parent_facts
    detail = table(tx, kind.value, where)
    if detail is not None and detail.get("status") not in (None, state.value):
        warnings.append(f"{where}.{kind.value}.status {detail.get('status')!r} differs from "
                        f"the transaction status {state.value!r}")
    remember += _card(tx, where)
    redirect = text(tx, "redirect_url", where)
    action = CustomerAction(redirect) if state is Status.INCOMPLETE and redirect else None
    amount_key = "-" if amount is None else f"{amount.amount}{amount.currency}"
    return Event(
        provider=PROVIDER, object_kind=edge.kind, object_id=uid, trigger=edge.trigger,
        channel=channel, dedupe_key=f"{PROVIDER}/{edge.kind}/{uid}/{state}/{amount_key}/{stamp}",
        state=edge.state, money=amount, parent_id=parent_id, sequence=sequence,
        received_at=received_at, signature=signature, customer_action=action,
        facts=tuple(facts),
        remember=tuple(remember), warnings=tuple(warnings))


def _parent(tx: Mapping[str, Any], kind: TransactionType, where: str,
            context: AdapterContext) -> tuple[str | None, list[tuple[str, str]],
                                              list[tuple[str, str]]]:
    """Parent object id, facts and kept facts of a child transaction.

    A refund or chargeback of a capture is filed under the capture's authorization, whose
    ledger holds the captured money; the capture remembered that authorization's uid.
    """
    if kind in (TransactionType.PAYMENT, TransactionType.AUTHORIZATION):
        return None, [], []
    parent_uid = text(tx, "parent_uid", where, required=True)
    assert parent_uid is not None
    facts = [("parent_uid", parent_uid)]
    if kind in _CHILDREN_OF_AUTHORIZATION:
        return parent_uid, facts, [("authorization_uid", parent_uid)]
    assert kind in _CHILDREN_OF_CAPTURED
    authorization = context.remembered(TransactionType.CAPTURE.value,
                                       parent_uid).get("authorization_uid")
    if authorization:
        facts.append(("capture_uid", parent_uid))
        return authorization, facts, []
    return parent_uid, facts, []


def _card(tx: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    """Card facts worth keeping for later checks: brand, BIN and last four, never more."""
    card = table(tx, "credit_card", where)
    if card is None:
        return []
    kept = []
    for key, name in (("brand", "card_brand"), ("bin", "card_bin"), ("last_4", "card_last4")):
        value = text(card, key, f"{where}.credit_card")
        limit = 6 if key == "bin" else 4 if key == "last_4" else 20
        if value and (key == "brand" or (value.isdigit() and len(value) <= limit)):
            kept.append((name, value[:limit]))
    return kept
