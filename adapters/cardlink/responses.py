"""CARDLINK API responses, status queries and merchant requests, read into ``Report``s.

Shapes follow the seed's "Return status 200 and JSON" samples section by section; which
section a body answers is the ``operation`` the backend recorded with it, because several
share no distinguishing key (confirm and decline answers carry no token at all).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paychart.errors import InputError

from .fields import (
    PROVIDER,
    Kind,
    Report,
    Via,
    customer_action,
    epoch_ms,
    flag,
    mask_pan,
    money,
    need,
    processing_methods,
    table,
    text,
)

TwoStage = Callable[[str], bool]
"""Whether the payment with this token was created in two-stage mode (remembered)."""

_OPERATION_KINDS = {"pay": Kind.PAYMENT, "payment": Kind.PAYMENT, "payout": Kind.PAYOUT}


def provider_error(data: dict[str, Any]) -> InputError | None:
    """The 403 error shape: ``errors`` as a list or as ``{"list": [...]}`` of code/kind."""
    errors = data.get("errors")
    if isinstance(errors, dict):
        errors = errors.get("list")
    items = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    if data.get("success") is not False and not items:
        return None
    named = ", ".join(f"{e.get('code', '?')} (kind {e.get('kind', '?')})" for e in items)
    status = data.get("status")
    reason = f"CARDLINK error{f' {status}' if status else ''}: {named or 'no error code given'}"
    return InputError("errors", reason, provider=PROVIDER)


def _two_stage_via(kind: Kind, token: str, two_stage: TwoStage) -> Via:
    return Via.HOLD if kind is Kind.PAYMENT and two_stage(token) else Via.REPORT


def _methods_fact(data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    methods = processing_methods(data)
    return (("methods", ",".join(name for name, _ in methods)),) if methods else ()


def create(data: dict[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/payments: token, ``payment`` status (``init``, or ``declined`` at once
    for host-to-host), the 3-D Secure ``redirectRequest`` or the ``processingUrl``(s)."""
    token = need(data, "token")
    payment = table(data, "payment")
    remember: tuple[tuple[str, str], ...] = ()
    stage = payment.get("two_stage_mode")
    if stage is not None:
        remember = (("two_stage", "true" if flag(stage) else "false"),)
    staged = flag(stage) if stage is not None else two_stage(token)
    return [Report(Kind.PAYMENT, token, str(payment.get("status") or ""), "payment.status",
                   Via.HOLD if staged else Via.REPORT, money(payment, "payment."),
                   facts=_methods_fact(data), remember=remember,
                   customer_action=customer_action(data))]


def payout(data: dict[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/payouts: host-to-host ``payout{token,status,timestamp}`` or the p2p /
    multi-provider shape with ``token``, ``processingUrl`` and ``payment``."""
    inner = data.get("payout")
    if isinstance(inner, dict):
        token = need(inner, "token", "payout.")
        return [Report(Kind.PAYOUT, token, str(inner.get("status") or ""), "payout.status",
                       money=money(inner, "payout.", required=False),
                       sequence=epoch_ms(inner, "timestamp", "payout."))]
    token = need(data, "token")
    payment = table(data, "payment")
    return [Report(Kind.PAYOUT, token, str(payment.get("status") or ""), "payment.status",
                   money=money(payment, "payment."), facts=_methods_fact(data),
                   customer_action=customer_action(data))]


def _two_step(via: Via) -> Callable[[dict[str, Any], str | None, TwoStage], list[Report]]:
    def parse(data: dict[str, Any], ref: str | None, _two_stage: TwoStage) -> list[Report]:
        """POST /api/v1/payments/confirm|decline: ``payment`` without a token (use ``ref``)."""
        if not ref:
            raise InputError("ref", f"a {via.value} response carries no token; record the "
                             "payment token as `ref`", provider=PROVIDER)
        payment = table(data, "payment")
        return [Report(Kind.PAYMENT, ref, str(payment.get("status") or ""), "payment.status", via,
                       money(payment, "payment."), remember=(("two_stage", "true"),))]
    return parse


def refund(data: dict[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/refunds: the payment ``token`` and the ``refund`` object with its own."""
    parent = need(data, "token")
    inner = table(data, "refund")
    token = need(inner, "token", "refund.")
    return [Report(Kind.REFUND, token, str(inner.get("status") or ""), "refund.status",
                   money=money(inner, "refund.", required=False), parent_id=parent,
                   remember=(("payment", parent),))]


def _listed(item: dict[str, Any], path: str, two_stage: TwoStage) -> Report:
    """One payment as GET /api/v1/payments[/token|/order/n] lists it."""
    token = need(item, "token", path)
    operation = str(item.get("operation_type") or "pay")
    kind = _OPERATION_KINDS.get(operation)
    if kind is None:
        raise InputError(f"{path}operation_type", f"unknown operation type {operation!r}",
                         provider=PROVIDER, object_id=token)
    facts = (("order_number", str(item["order_number"])),) if item.get("order_number") else ()
    return Report(kind, token, str(item.get("status") or ""), f"{path}status",
                  _two_stage_via(kind, token, two_stage), money(item, path, required=False),
                  sequence=epoch_ms(item, "updated_at", path), facts=facts)


def status(data: dict[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/payments/[token]: one payment or payout, with ``updated_at``."""
    return [_listed(table(data, "payment"), "payment.", two_stage)]


def listing(data: dict[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/payments/order/[n] and GET /api/v1/payments: a page of payments."""
    items = data.get("payments")
    if not isinstance(items, list) or not items:
        raise InputError("payments", "missing, empty or not a list: no payment to decide",
                         provider=PROVIDER)
    return [_listed(item, f"payments[{i}].", two_stage) if isinstance(item, dict) else
            _not_object(f"payments[{i}]") for i, item in enumerate(items)]


def _not_object(path: str) -> Report:
    raise InputError(path, "not an object", provider=PROVIDER)


def dispute(data: dict[str, Any], ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/disputes answers only ``success``: the dispute, keyed by its payment's
    token (``ref``), is pending from now on."""
    if not ref:
        raise InputError("ref", "a dispute response carries no token; record the payment "
                         "token as `ref`", provider=PROVIDER)
    return [Report(Kind.DISPUTE, ref, "pending", "status", parent_id=ref)]


def disputes(data: dict[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/disputes: numeric ids without payment tokens, so entries stay unlinked."""
    items = data.get("disputes")
    if not isinstance(items, list) or not items:
        raise InputError("disputes", "missing, empty or not a list: no dispute to decide",
                         provider=PROVIDER)
    reports = []
    for i, item in enumerate(items):
        path = f"disputes[{i}]."
        if not isinstance(item, dict):
            raise InputError(path.rstrip("."), "not an object", provider=PROVIDER)
        ident = text(item, "id", path)
        facts = tuple((key, str(item[key])) for key in ("reason_code", "dispute_type",
                                                         "feed_id") if item.get(key) is not None)
        reports.append(Report(Kind.DISPUTE, f"#{ident}", str(item.get("status") or ""),
                              f"{path}status", money=money(item, path, required=False),
                              sequence=epoch_ms(item, "updated_at", path), facts=facts,
                              warnings=("the dispute list names no payment token; this "
                                        "dispute is not linked to its payment",)))
    return reports


RESPONSES: dict[str, Callable[[dict[str, Any], str | None, TwoStage], list[Report]]] = {
    "create": create,
    "payout": payout,
    "confirm": _two_step(Via.CONFIRM),
    "decline": _two_step(Via.DECLINE),
    "refund": refund,
    "status": status,
    "order": listing,
    "list": listing,
    "dispute": dispute,
    "disputes": disputes,
}
"""Merchant call (``RawInput.operation``) → the parser of its response body."""


def request(operation: str | None, data: dict[str, Any], ref: str | None) -> Report:
    """The merchant's own request, journaled before the answer: the card number is kept
    masked and the CVV is never read. The token comes from the answer, recorded as ``ref``."""
    if operation == "dispute":
        token = need(data, "token")
        return Report(Kind.DISPUTE, token, "pending", "status", Via.REQUEST, parent_id=token)
    kinds = {"create": Kind.PAYMENT, "payout": Kind.PAYOUT, "refund": Kind.REFUND}
    kind = kinds.get(operation or "")
    if kind is None:
        raise InputError("operation", f"no request shape for operation {operation!r} "
                         f"(one of create, payout, refund, dispute)", provider=PROVIDER)
    if not ref:
        raise InputError("ref", f"a {operation} request has no token yet; record the token "
                         "of its answer as `ref`", provider=PROVIDER)
    remember: list[tuple[str, str]] = []
    facts: list[tuple[str, str]] = []
    parent = None
    if kind is Kind.REFUND:
        parent = need(data, "token")
        remember.append(("payment", parent))
    elif kind is Kind.PAYMENT:
        remember.append(("two_stage", "true" if flag(data.get("needConfirmation")) else "false"))
    if data.get("orderNumber"):
        remember.append(("order_number", str(data["orderNumber"])))
    card = data.get("card")
    masked = mask_pan(card.get("pan")) if isinstance(card, dict) else None
    if masked is not None:
        remember.append(("card", masked))
        facts.append(("host_to_host", "true"))
    if kind is Kind.REFUND and data.get("currency") is None:
        amount = None  # a refund request names only the amount; the payment has the currency
        if data.get("amount") is not None:
            facts.append(("requested_amount", str(data["amount"])))
    else:
        amount = money(data, required=kind is not Kind.REFUND)
    return Report(kind, ref, "init", "status", Via.REQUEST, amount, parent_id=parent,
                  facts=tuple(facts), remember=tuple(remember))
