"""The stored state of one provider object: a plain record, never a state machine."""

from __future__ import annotations

import attrs

from .ledger import EMPTY_LEDGER, Ledger


@attrs.frozen(slots=True)
class ObjectRecord:
    """State, ledger and version of one object; the version drives optimistic concurrency.

    ``chart`` is the chart name (shared string), ``parent`` the parent's store key for child
    objects, ``sequence`` the newest provider timestamp/sequence applied, ``remembered`` the
    facts kept for later verification (never a full card number), ``skipped`` the edges a
    composite move jumped over (spec transition indexes), which a late message may fill in,
    and ``deferred`` the ledger effects (transition index, amount) that could not apply until
    those steps arrive.
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

    @property
    def object_id(self) -> str:
        """The provider's id, the last part of the key (kept once: memory per object counts)."""
        return self.key.split("/", 2)[2]
