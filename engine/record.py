"""The stored state of one provider object: a plain record, never a state machine."""

from __future__ import annotations

import attrs

from .ledger import EMPTY_LEDGER, Ledger


@attrs.frozen(slots=True)
class ChildEffect:
    """A child's parent effect that could not apply yet, kept until it can.

    On a parent (``ObjectRecord.pending``) it waits for the parent to be seen or to reach a
    state where it applies; on an unlinked child (``ObjectRecord.unlinked``) it waits for an
    input that names the parent. ``edge`` is the child chart's transition index, the money
    is the child event's.
    """

    child: str
    chart: str
    edge: int
    amount: int | None = None
    currency: str | None = None


@attrs.frozen(slots=True)
class ObjectRecord:
    """State, ledger and version of one object; the version drives optimistic concurrency.

    ``chart`` is the chart name (shared string), ``parent`` the parent's store key for child
    objects, ``sequence`` the newest provider timestamp/sequence applied, ``remembered`` the
    facts kept for later verification (never a full card number), ``skipped`` the edges a
    composite move jumped over (spec transition indexes), which a late message may fill in,
    and ``deferred`` the ledger effects (transition index, amount) that could not apply until
    those steps arrive. ``visited`` is a bitmask of the chart states this object has been in
    or skipped past (bit *i* is the chart's *i*-th declared state): what ``stale`` is judged
    by. ``pending`` are children's effects waiting on this object, ``unlinked`` this child's
    own effect waiting for its parent to be named. A ``placeholder`` is a parent not seen
    yet that only holds its children's pending effects. ``reference`` is the merchant's
    order reference, kept from the first input that carried it (orders group by it).
    """

    key: str
    chart: str
    state: str
    version: int = 1
    ledger: Ledger = EMPTY_LEDGER
    parent: str | None = None
    sequence: int | None = None
    remembered: tuple[tuple[str, str], ...] = ()
    skipped: tuple[int, ...] = ()
    deferred: tuple[tuple[int, int | None], ...] = ()
    visited: int = 0
    pending: tuple[ChildEffect, ...] = ()
    unlinked: tuple[ChildEffect, ...] = ()
    placeholder: bool = False
    reference: str | None = None

    @property
    def object_id(self) -> str:
        """The provider's id, the last part of the key (kept once: memory per object counts)."""
        return self.key.split("/", 2)[2]

    @property
    def object_kind(self) -> str:
        return self.key.split("/", 2)[1]


def at_version(record: ObjectRecord, version: int) -> ObjectRecord:
    """``record`` at ``version``: ``attrs.evolve`` without its per-call introspection (every
    write of every decision goes through here)."""
    return ObjectRecord(record.key, record.chart, record.state, version, record.ledger,
                        record.parent, record.sequence, record.remembered, record.skipped,
                        record.deferred, record.visited, record.pending, record.unlinked,
                        record.placeholder, record.reference)
