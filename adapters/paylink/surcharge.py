"""Surcharges on a PayLink order: the parts must add up to ``order.amount``.

Seed "Верхние комиссии": v1 ``order.initial_amount + surcharge_amount``, v2
``order.additional_data.adjustments.initial_amount + adjustment_amount`` (with its own
``currency``). docs/PROVIDERS.md §3: a mismatch is a finding (a warning on the decision),
never a reason to refuse the checkout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fields import WIRE, figure, section


def surcharge_findings(order: Mapping[str, Any], where: str) -> list[str]:
    """What does not add up in the order's surcharge breakdown, as warnings."""
    total = figure(order, "amount", where)
    findings = []
    initial, surcharge = figure(order, "initial_amount", where), figure(
        order, "surcharge_amount", where)
    if initial is not None or surcharge is not None:
        parts = (initial or 0) + (surcharge or 0)
        if total is None or parts != total:
            findings.append(f"surcharge v1: {where}.initial_amount {initial} + surcharge_amount "
                            f"{surcharge} = {parts}, not order amount {total}")
    extra = section(order, "additional_data", where)
    adjustments = (section(extra, "adjustments", f"{where}.additional_data")
                   if extra is not None else None)
    if adjustments is not None:
        at = f"{where}.additional_data.adjustments"
        base, adjustment = figure(adjustments, "initial_amount", at), figure(
            adjustments, "adjustment_amount", at)
        parts = (base or 0) + (adjustment or 0)
        if total is None or parts != total:
            findings.append(f"surcharge v2: adjustments.initial_amount {base} + "
                            f"adjustment_amount {adjustment} = {parts}, not order amount "
                            f"{total}")
        currency = WIRE.text(adjustments, "currency", f"{at}.", max_len=8)
        ordered = WIRE.text(order, "currency", f"{where}.", max_len=8)
        if currency is not None and currency != ordered:
            findings.append(f"surcharge v2: adjustments.currency {currency!r} is not the order "
                            f"currency {ordered!r}")
    return findings
