"""Merchant actions: which calls are allowed in an object's state, and for how much."""

from __future__ import annotations

from collections import defaultdict

from .chart import Chart
from .decision import ActionCheck, AllowedAction
from .ledger import Ledger
from .money import Money
from .record import ObjectRecord
from .spec import ActionSpec

StateActions = dict[str, tuple[ActionSpec, ...]]


def state_actions(chart: Chart) -> StateActions:
    """The chart's actions indexed by the states they are allowed from (computed once)."""
    table: dict[str, list[ActionSpec]] = defaultdict(list)
    for action in chart.spec.actions:
        for origin in action.origins:
            table[origin].append(action)
    return {state: tuple(actions) for state, actions in table.items()}


def _limit(action: ActionSpec, record: ObjectRecord) -> Money | None:
    if action.limit is None or record.ledger.currency is None:
        return None
    return Money(record.ledger.figure(action.limit), record.ledger.currency)


_CACHE_SIZE = 4096
AllowedCache = dict[tuple[str, str, Ledger], tuple[AllowedAction, ...]]


def allowed_actions(table: StateActions, record: ObjectRecord,
                    cache: AllowedCache | None = None) -> tuple[AllowedAction, ...]:
    """Actions allowed now; an amount-bounded action with nothing left is not offered.

    Every decision carries them, so a caller may pass a cache keyed by (chart, state,
    ledger): most objects of a chart share a handful of amounts.
    """
    actions = table.get(record.state)
    if not actions:
        return ()
    if cache is None:
        return _compute_allowed(actions, record)
    key = (record.chart, record.state, record.ledger)
    cached = cache.get(key)
    if cached is None:
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = cached = _compute_allowed(actions, record)
    return cached


def _compute_allowed(actions: tuple[ActionSpec, ...],
                     record: ObjectRecord) -> tuple[AllowedAction, ...]:
    allowed = []
    for action in actions:
        if action.limit is not None and record.ledger.figure(action.limit) <= 0:
            continue
        allowed.append(AllowedAction(action.name, _limit(action, record)))
    return tuple(allowed)


def check_action(chart: Chart, table: StateActions, record: ObjectRecord, name: str,
                 amount: Money | None) -> ActionCheck:
    """Pre-check one merchant action: ``refund 500`` → refused, "refundable is 300"."""
    known = {a.name for a in chart.spec.actions}
    if name not in known:
        return ActionCheck(name, False, f"`{name}` is not an action of {chart.name} "
                           f"(known: {', '.join(sorted(known)) or 'none'})")
    action = next((a for a in table.get(record.state, ()) if a.name == name), None)
    if action is None:
        states = ", ".join(o for a in chart.spec.actions if a.name == name for o in a.origins)
        return ActionCheck(name, False, f"`{name}` is not allowed in `{record.state}` "
                           f"(only from {states})")
    limit = _limit(action, record)
    if action.limit is None:
        return ActionCheck(name, True, "allowed")
    available = record.ledger.figure(action.limit)
    if amount is not None and limit is not None and amount.currency != limit.currency:
        return ActionCheck(name, False, f"currency {amount.currency} is not the object's "
                           f"{limit.currency}", limit)
    shown = limit if limit is not None else available
    if available <= 0:
        return ActionCheck(name, False, f"{action.limit} is {shown}", limit)
    if amount is not None and (amount.amount <= 0 or amount.amount > available):
        return ActionCheck(name, False, f"{action.limit} is {shown}", limit)
    return ActionCheck(name, True, f"allowed; {action.limit} is {shown}", limit)
