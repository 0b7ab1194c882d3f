"""The merchant's own CARDLINK requests, journaled before their answer.

A host-to-host request carries the full card (``card.pan``, ``card.cvv``): only the masked
number is kept, and the CVV is never read. The object's token comes from the answer, which the
backend records as ``ref``; a ``create`` or ``payout`` logged before its answer (no ``ref``) is
a pending attempt under its ``orderNumber``, bound by the first input that gives the token
that reference (``paychart.attempts``). A refund request names no order: it needs ``ref``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paychart.adapters._wire import mask_pan
from paychart.attempts import PENDING_ID

from .fields import ORDER_NUMBER_MAX, WIRE, money
from .report import Report
from .vocab import Kind, Via

_REQUEST_KINDS = {"create": Kind.PAYMENT, "payout": Kind.PAYOUT, "refund": Kind.REFUND}


def request(operation: str | None, data: Mapping[str, Any], ref: str | None) -> Report:
    """The ``Report`` of one merchant request (``create``, ``payout``, ``refund``,
    ``dispute``); the merchant's ``orderNumber`` is remembered as ``order_number``, and a
    payment's ``expires_at`` (its expiry timer's deadline) as ``expires_at``."""
    if operation == "dispute":
        token = WIRE.need_id(data, "token")
        return Report(Kind.DISPUTE, token, "pending", "status", Via.REQUEST, parent_id=token)
    kind = _REQUEST_KINDS.get(operation or "")
    if kind is None:
        WIRE.fail("operation", f"no request shape for operation {operation!r} "
                  "(one of create, payout, refund, dispute)")
    order = WIRE.text(data, "orderNumber", max_len=ORDER_NUMBER_MAX)
    if not ref and not (order and kind is not Kind.REFUND):
        WIRE.fail("ref", f"a {operation} request has no token yet; record the token of its "
                  "answer as `ref`" + ("" if kind is Kind.REFUND else
                                       " or give its `orderNumber`"))
    object_id = WIRE.need_id({"ref": ref}, "ref") if ref else PENDING_ID
    remember: list[tuple[str, str]] = []
    facts: list[tuple[str, str]] = []
    parent = None
    if kind is Kind.REFUND:
        parent = WIRE.need_id(data, "token")
        remember.append(("payment", parent))
    elif kind is Kind.PAYMENT:
        staged = WIRE.flag(data, "needConfirmation", default=False)
        remember.append(("two_stage", "true" if staged else "false"))
        expires = WIRE.text(data, "expires_at", max_len=64)
        if expires:  # the deadline of the payment's expiry timer (specs/cardlink_payment.toml)
            remember.append(("expires_at", expires))
    if order:
        remember.append(("order_number", order))
    masked = _masked_card(data)
    if masked is not None:
        remember.append(("card", masked))
        facts.append(("host_to_host", "true"))
    if kind is Kind.REFUND and data.get("currency") is None:
        amount = None  # a refund request names only the amount; the payment has the currency
        requested = WIRE.integer(data, "amount", minimum=1)
        if requested is not None:
            facts.append(("requested_amount", str(requested)))
    else:
        amount = money(data, required=kind is not Kind.REFUND)
    return Report(kind, object_id, "init", "status", Via.REQUEST, amount, parent_id=parent,
                  facts=tuple(facts), remember=tuple(remember), reference=order or None)


def _masked_card(data: Mapping[str, Any]) -> str | None:
    """The request's card number masked (first six, last four); the rest, the CVV included,
    is never read."""
    card = data.get("card")
    return mask_pan(card.get("pan")) if isinstance(card, dict) else None
