"""ORCHESTRATOR POLICY kept in the adapter for now: a refund callback whose payment is unknown.

This is not protocol knowledge and will move into the engine (its "child before parent" step
is being built); delete this module and its one call in ``parse.parse_callback`` then.
"""

from __future__ import annotations

import attrs

from paychart.event import Event


def hold_back_unlinked_refund(event: Event) -> Event:
    """Orchestrator policy, to move into the engine: a refund callback that arrives before
    the refund's request or response (so its payment is unknown) is reported without a state
    and under a ``:unlinked`` dedupe key.

    Applied now, the refund could never reach its payment's ledger (the engine links a child
    only when it first sees it). Without a state it is rejected under its own key, and the
    refund response or the platform's retry applies it to the payment later.
    """
    return attrs.evolve(
        event, state=None, dedupe_key=f"{event.dedupe_key}:unlinked",
        warnings=(*event.warnings,
                  f"{event.object_kind} {event.object_id}: its payment is not known yet (no "
                  "refund response or request seen); not applied, so that the refund response "
                  "or the platform's retry applies it to the payment"))
