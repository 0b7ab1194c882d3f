"""Attempts and the merchant's reference: what the orchestrator keeps so orders can group.

An attempt is one provider object (with its children) made for one merchant order. The
order's reference comes from the merchant (CARDLINK ``orderNumber``, the platform
``order_id``…), so the record keeps the first one an input carried; a later input naming
another reference does not move the object to another order (the first is what the merchant
asked for).
"""

from __future__ import annotations

import attrs

from .event import Event
from .record import ObjectRecord


def with_reference(record: ObjectRecord, event: Event) -> ObjectRecord | None:
    """``record`` carrying ``event``'s reference, or ``None`` when nothing changes."""
    if event.reference is None or record.reference is not None:
        return None
    return attrs.evolve(record, reference=event.reference)
