"""CARDLINK API responses and status queries, read into ``Report``s.

Shapes follow the seed's "Return status 200 and JSON" samples section by section; which
section a body answers is the ``operation`` the backend recorded with it, because several
share no distinguishing key (confirm and decline answers carry no token at all).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from paychart.errors import InputError

from .fields import ORDER_NUMBER_MAX, WIRE, customer_action, epoch_ms, methods_fact, money
from .report import Report
from .vocab import Kind, Via

TwoStage = Callable[[str, str | None], bool]
"""Whether the payment with this token was created in two-stage mode (remembered)."""
ResponseReader = Callable[[Mapping[str, Any], str | None, TwoStage], list[Report]]

_OPERATION_KINDS = {"pay": Kind.PAYMENT, "payment": Kind.PAYMENT, "payout": Kind.PAYOUT}


def provider_error(data: Mapping[str, Any]) -> InputError | None:
    """The 403 error shape: ``errors`` as a list or as ``{"list": [...]}`` of code/kind."""
    errors = data.get("errors")
    if isinstance(errors, dict):
        errors = errors.get("list")
    items = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    if WIRE.flag(data, "success") is not False and not items:
        return None
    named = ", ".join(f"{WIRE.text(e, 'code', f'errors[{i}].', max_len=64) or '?'} (kind "
                      f"{WIRE.text(e, 'kind', f'errors[{i}].', max_len=64) or '?'})"
                      for i, e in enumerate(items))
    status = WIRE.text(data, "status", max_len=16)
    reason = f"CARDLINK error{f' {status}' if status else ''}: {named or 'no error code given'}"
    return WIRE.error("errors", reason)


def error_facts(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The refusal's codes and kinds as facts (``error_code``, ``error_kind``; comma-joined
    when the answer lists several)."""
    errors = data.get("errors")
    if isinstance(errors, dict):
        errors = errors.get("list")
    items = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    facts = []
    for name, key in (("error_code", "code"), ("error_kind", "kind")):
        values = [WIRE.text(e, key, f"errors[{i}].", max_len=64) for i, e in enumerate(items)]
        if any(values):
            facts.append((name, ",".join(v or "?" for v in values)))
    return tuple(facts)


def _status(data: Mapping[str, Any], path: str) -> str | None:
    return WIRE.text(data, "status", path, max_len=64)


def _via(kind: Kind, token: str, two_stage: TwoStage, order: str | None = None) -> Via:
    return Via.HOLD if kind is Kind.PAYMENT and two_stage(token, order) else Via.REPORT


def create(data: Mapping[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/payments: token, ``payment`` status (``init``, or ``declined`` at once
    for host-to-host), the 3-D Secure ``redirectRequest`` or the ``processingUrl``(s)."""
    token = WIRE.need_id(data, "token")
    payment = WIRE.table(data, "payment") or {}
    stage = WIRE.flag(payment, "two_stage_mode", "payment.")
    remember = () if stage is None else (("two_stage", "true" if stage else "false"),)
    staged = stage if stage is not None else two_stage(token, None)
    return [Report(Kind.PAYMENT, token, _status(payment, "payment."), "payment.status",
                   Via.HOLD if staged else Via.REPORT, money(payment, "payment."),
                   facts=methods_fact(data), remember=remember,
                   customer_action=customer_action(data))]


def payout(data: Mapping[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/payouts: host-to-host ``payout{token,status,timestamp}`` or the p2p /
    multi-provider shape with ``token``, ``processingUrl`` and ``payment``."""
    inner = WIRE.table(data, "payout", required=False)
    if inner is not None:
        token = WIRE.need_id(inner, "token", "payout.")
        return [Report(Kind.PAYOUT, token, _status(inner, "payout."), "payout.status",
                       money=money(inner, "payout.", required=False),
                       sequence=epoch_ms(inner, "timestamp", "payout."))]
    token = WIRE.need_id(data, "token")
    payment = WIRE.table(data, "payment") or {}
    return [Report(Kind.PAYOUT, token, _status(payment, "payment."), "payment.status",
                   money=money(payment, "payment."), facts=methods_fact(data),
                   customer_action=customer_action(data))]


def _two_step(via: Via) -> ResponseReader:
    def parse(data: Mapping[str, Any], ref: str | None, _two_stage: TwoStage) -> list[Report]:
        """POST /api/v1/payments/confirm|decline: ``payment`` without a token (use ``ref``)."""
        if not ref:
            WIRE.fail("ref", f"a {via.value} response carries no token; record the payment "
                      "token as `ref`")
        token = WIRE.need_id({"ref": ref}, "ref")
        payment = WIRE.table(data, "payment") or {}
        return [Report(Kind.PAYMENT, token, _status(payment, "payment."), "payment.status",
                       via, money(payment, "payment."), remember=(("two_stage", "true"),))]
    return parse


def refund(data: Mapping[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/refunds: the payment ``token`` and the ``refund`` object with its own."""
    parent = WIRE.need_id(data, "token")
    inner = WIRE.table(data, "refund") or {}
    token = WIRE.need_id(inner, "token", "refund.")
    return [Report(Kind.REFUND, token, _status(inner, "refund."), "refund.status",
                   money=money(inner, "refund.", required=False), parent_id=parent,
                   remember=(("payment", parent),))]


def _listed(item: Mapping[str, Any], path: str, two_stage: TwoStage) -> Report:
    """One payment as GET /api/v1/payments[/token|/order/n] lists it."""
    token = WIRE.need_id(item, "token", path)
    operation = WIRE.text(item, "operation_type", path, max_len=64) or "pay"
    kind = _OPERATION_KINDS.get(operation)
    if kind is None:
        raise InputError(f"{path}operation_type", f"unknown operation type {operation!r}",
                         provider=WIRE.provider, object_id=token)
    order = WIRE.text(item, "order_number", path, max_len=ORDER_NUMBER_MAX)
    facts = (("order_number", order),) if order else ()
    return Report(kind, token, _status(item, path), f"{path}status",
                  _via(kind, token, two_stage, order), money(item, path, required=False),
                  sequence=epoch_ms(item, "updated_at", path), facts=facts, reference=order)


def status(data: Mapping[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/payments/[token]: one payment or payout, with ``updated_at``."""
    return [_listed(WIRE.table(data, "payment") or {}, "payment.", two_stage)]


def _entries(data: Mapping[str, Any], key: str, what: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, entry) of a non-empty list of objects."""
    items = data.get(key)
    if not isinstance(items, list) or not items:
        WIRE.fail(key, f"missing, empty or not a list: no {what} to decide")
    entries = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            WIRE.fail(f"{key}[{i}]", "not an object")
        entries.append((f"{key}[{i}].", item))
    return entries


def listing(data: Mapping[str, Any], _ref: str | None, two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/payments/order/[n] and GET /api/v1/payments: a page of payments."""
    return [_listed(item, path, two_stage)
            for path, item in _entries(data, "payments", "payment")]


def dispute(_data: Mapping[str, Any], ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """POST /api/v1/disputes answers only ``success``: the dispute, keyed by its payment's
    token (``ref``), is pending from now on."""
    if not ref:
        WIRE.fail("ref", "a dispute response carries no token; record the payment token as "
                  "`ref`")
    token = WIRE.need_id({"ref": ref}, "ref")
    return [Report(Kind.DISPUTE, token, "pending", "status", parent_id=token)]


def disputes(data: Mapping[str, Any], _ref: str | None, _two_stage: TwoStage) -> list[Report]:
    """GET /api/v1/disputes: numeric ids without payment tokens, so entries stay unlinked."""
    reports = []
    for path, item in _entries(data, "disputes", "dispute"):
        ident = WIRE.need_id(item, "id", path)
        facts = tuple((key, value) for key in ("reason_code", "dispute_type", "feed_id")
                      if (value := WIRE.text(item, key, path, max_len=64)) is not None)
        reports.append(Report(Kind.DISPUTE, f"#{ident}", _status(item, path), f"{path}status",
                              money=money(item, path, required=False),
                              sequence=epoch_ms(item, "updated_at", path), facts=facts,
                              warnings=("the dispute list names no payment token; this "
                                        "dispute is not linked to its payment",)))
    return reports


RESPONSES: Mapping[str, ResponseReader] = {
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
"""Merchant call (``AdapterContext.operation``) → the reader of its response body."""
