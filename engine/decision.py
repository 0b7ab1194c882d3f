"""What the engine decided about one input, and what the merchant may do next."""

from __future__ import annotations

import enum

import attrs

from .canonical import Canonical
from .event import CustomerAction
from .ledger import Ledger
from .money import Money


class Outcome(enum.StrEnum):
    """Exactly one per input; see ARCHITECTURE.md for the contract of each."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    REJECTED = "rejected"
    INVALID = "invalid"


CONSUMES_DEDUPE_KEY = frozenset({Outcome.APPLIED, Outcome.STALE})
"""Decided inputs whose key makes a redelivery a duplicate. An ``invalid`` input never claims
its key: a forged callback must not shadow the genuine one that carries the same key. A
``rejected`` one does not either: the provider's retry is decided afresh, so a callback
refused while a dispute was pending or before its parent was known applies once it can."""


@attrs.frozen(slots=True)
class AllowedAction:
    """A merchant call allowed now, with the most it may move (``refund`` up to 300 USD)."""

    name: str
    limit: Money | None = None

    def __str__(self) -> str:
        return f"{self.name} up to {self.limit}" if self.limit is not None else self.name


@attrs.frozen(slots=True)
class ActionCheck:
    """The answer to "may I refund 500 now?", with the reason when the answer is no."""

    action: str
    allowed: bool
    reason: str
    limit: Money | None = None


@attrs.frozen(slots=True)
class ParentMove:
    """A parent's status change caused by its child's edge (a full refund ends the payment)."""

    object_id: str
    trigger: str
    from_state: str
    to_state: str


@attrs.frozen(slots=True)
class Decision:
    """The engine's answer to one input. ``from_state`` is ``None`` when the input created the
    object; ``history_unknown`` says the object was first seen in a later state."""

    outcome: Outcome
    reason: str
    provider: str | None = None
    object_kind: str | None = None
    object_id: str | None = None
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    canonical: Canonical | None = None
    ledger: Ledger | None = None
    field: str | None = None
    """For ``invalid``: the input field at fault."""
    history_unknown: bool = False
    warnings: tuple[str, ...] = ()
    allowed: tuple[AllowedAction, ...] = ()
    customer_action: CustomerAction | None = None
    reply: str | None = None
    """The body the provider expects back (``OK`` for the platform protocol), if any."""
    parent_move: ParentMove | None = None
    facts: tuple[tuple[str, str], ...] = ()
    """The provider's own words about the outcome (error code, resolution, decline reason)."""
    confirmed: bool = True
    """``False`` when the move rests on fields the provider's signature does not cover (the
    platform hash binds neither status nor amount): ``confirm_by`` names the status query
    that confirms it."""
    confirm_by: str | None = None


def with_reply(decision: Decision, reply: str | None) -> Decision:
    """``decision`` carrying the body the provider expects back: ``attrs.evolve`` without its
    per-call introspection (every input of a protocol that wants an answer goes through)."""
    d = decision
    return Decision(d.outcome, d.reason, d.provider, d.object_kind, d.object_id, d.trigger,
                    d.from_state, d.to_state, d.canonical, d.ledger, d.field, d.history_unknown,
                    d.warnings, d.allowed, d.customer_action, reply, d.parent_move, d.facts,
                    d.confirmed, d.confirm_by)
