"""What one CARDLINK payload says about one object, and the event it becomes.

Every parser reads its body into ``Report``s; ``to_event`` looks the status up in
``vocab.MOVES`` (the one table) and builds the dedupe key, so all channels agree on what a
status means and a callback and a poll reporting the same thing are the same message.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from paychart.errors import InputError
from paychart.event import Channel, CustomerAction, Event, SignatureStatus
from paychart.money import Money

from .vocab import PROVIDER, Kind, Via, move_for


@attrs.frozen
class Report:
    """One object's status as a payload states it, before the status table maps it."""

    kind: Kind
    object_id: str
    status: str | None
    field: str
    """Path of the status field, for the ``invalid`` reason when the value is unknown."""
    via: Via = Via.REPORT
    money: Money | None = None
    parent_id: str | None = None
    sequence: int | None = None
    facts: tuple[tuple[str, str], ...] = ()
    remember: tuple[tuple[str, str], ...] = ()
    customer_action: CustomerAction | None = None
    warnings: tuple[str, ...] = ()
    reference: str | None = None
    """The merchant's ``orderNumber`` (``order_number`` in status answers), when given."""


def to_event(report: Report, channel: Channel, received_at: datetime | None,
             signature: SignatureStatus = SignatureStatus.UNCHECKED,
             warnings: tuple[str, ...] = ()) -> Event:
    """The event of ``report``; a status without a move for its object is ``invalid``."""
    move = move_for(report.kind, report.via, report.status) if report.status else None
    if move is None:
        where = f" in a {report.via.value}" if report.via is not Via.REPORT else ""
        reason = (f"unknown {report.kind.value} status {report.status!r}{where}"
                  if report.status else "missing")
        raise InputError(report.field, reason, provider=PROVIDER,
                         object_kind=report.kind.value, object_id=report.object_id)
    amount = report.money
    if report.via is Via.REQUEST:
        dedupe = f"{PROVIDER}:{report.kind}:{report.object_id}:request"
    else:
        figure = f"{amount.amount}{amount.currency}" if amount else "-"
        dedupe = f"{PROVIDER}:{report.kind}:{report.object_id}:{move.state}:{figure}"
    return Event(PROVIDER, report.kind.value, report.object_id, move.trigger, channel, dedupe,
                 state=move.state, money=amount, parent_id=report.parent_id,
                 sequence=report.sequence, received_at=received_at, signature=signature,
                 customer_action=report.customer_action, facts=report.facts,
                 remember=report.remember, warnings=report.warnings + warnings,
                 reference=report.reference)
