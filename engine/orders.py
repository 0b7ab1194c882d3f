"""Orders: every attempt that shares the merchant's reference, across providers.

A backend thinks in orders; providers in objects. An *attempt* is one provider object made
for the order (its record keeps the merchant's reference, ``attempts.py``) together with its
children (refunds, disputes, captures) and the objects that are the same attempt seen from
elsewhere (a PayLink checkout and the transaction it made: ``attempts.SAME_ATTEMPT``). A
child belongs to its parent's order whatever the child itself carries (to none when the
parent keeps no reference), so an object is in at most one order. The order's money is the
sum of its attempts' ledgers (a parent's ledger already holds its children's effects, so
children are listed, never summed), per currency. A merchant request the provider refused
before giving an id (``attempts.REFUSED``) is a ``failed`` attempt of its order.

Anomalies have stable codes a backend can act on:

* ``paid_twice`` — more than one attempt holds captured money not refunded: a double charge;
* ``amount_mismatch`` — the captured total differs from the amount the merchant asked for
  (``attempts.REQUESTED``: the request's amount, or the first sighting's without a request;
  the largest when attempts asked differently); not judged when no attempt knows it;
* ``open_after_paid`` — an attempt still waiting (created, processing, action or hold
  pending) while another attempt paid the order: it may still charge the customer;
* ``currency_mismatch`` — attempts in different currencies (totals cannot be compared).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs

from .attempts import REFUSED, SAME_ATTEMPT, requested
from .canonical import Canonical
from .money import Money
from .record import ObjectRecord
from .stores.base import Store

CanonicalOf = Callable[[ObjectRecord], str]
"""An object's refined canonical status (``Orchestrator.canonical``)."""

PAID_TWICE = "paid_twice"
AMOUNT_MISMATCH = "amount_mismatch"
OPEN_AFTER_PAID = "open_after_paid"
CURRENCY_MISMATCH = "currency_mismatch"
ANOMALIES = (PAID_TWICE, AMOUNT_MISMATCH, OPEN_AFTER_PAID, CURRENCY_MISMATCH)

_WAITING = frozenset({Canonical.CREATED, Canonical.PROCESSING, Canonical.REQUIRES_ACTION,
                      Canonical.AUTHORIZED, Canonical.UNKNOWN})
_PAID = frozenset({Canonical.SUCCEEDED, Canonical.PARTIALLY_REFUNDED, Canonical.REFUNDED,
                   Canonical.DISPUTED, Canonical.DISPUTE_WON, Canonical.DISPUTE_LOST})
_DISPUTED = frozenset({Canonical.DISPUTED, Canonical.DISPUTE_LOST})
_OPEN = frozenset({Canonical.CREATED, Canonical.PROCESSING, Canonical.UNKNOWN})
FIGURES = ("authorized", "captured", "refunded", "charged_back")


@attrs.frozen
class Attempt:
    """One provider object made for the order, its canonical status, and its children."""

    record: ObjectRecord
    canonical: str
    children: tuple[tuple[ObjectRecord, str], ...] = ()

    @property
    def provider(self) -> str:
        return self.record.key.split("/", 1)[0]

    @property
    def outstanding(self) -> int:
        """Captured money still with the merchant (not refunded or charged back)."""
        ledger = self.record.ledger
        return ledger.captured - ledger.refunded - ledger.charged_back

    @property
    def refused(self) -> str | None:
        """The provider's refusal of the merchant's request, when it refused it."""
        return dict(self.record.remembered).get(REFUSED)

    @property
    def paid(self) -> bool:
        return self.record.ledger.captured > 0 or self.canonical in _PAID


@attrs.frozen
class Totals:
    """The order's figures in one currency, minor units."""

    currency: str
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    charged_back: int = 0

    def plus(self, record: ObjectRecord) -> Totals:
        ledger = record.ledger
        return Totals(self.currency, *(getattr(self, name) + getattr(ledger, name)
                                       for name in FIGURES))

    def describe(self) -> str:
        """``authorized 10.00 EUR, captured 10.00 EUR, …`` for people."""
        return ", ".join(f"{name.replace('_', ' ')} {Money(getattr(self, name), self.currency)}"
                         for name in FIGURES)


@attrs.frozen
class Order:
    """Every attempt sharing one merchant reference, with status, totals and anomalies."""

    reference: str
    status: str
    attempts: tuple[Attempt, ...]
    totals: tuple[Totals, ...]
    anomalies: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The ``validate --format json`` shape of one order (children follow their
        attempt, naming it as ``parent``; a refused request says ``refused``)."""
        attempts: list[dict[str, Any]] = []
        for attempt in self.attempts:
            shown = _shown(attempt.record, attempt.canonical)
            attempts.append(shown if attempt.refused is None else
                            {**shown, "refused": attempt.refused})
            attempts += [{**_shown(child, canonical), "parent": attempt.record.object_id}
                         for child, canonical in attempt.children]
        return {"reference": self.reference, "status": self.status,
                "totals": {t.currency: {name: getattr(t, name) for name in FIGURES}
                           for t in self.totals},
                "attempts": attempts, "anomalies": list(self.anomalies)}


def _shown(record: ObjectRecord, canonical: str) -> dict[str, Any]:
    return {"provider": record.key.split("/", 1)[0], "object": record.object_kind,
            "id": record.object_id, "state": record.state, "canonical": canonical}


# -- grouping -------------------------------------------------------------------------------

def _attempt_of(record: ObjectRecord, lookup: Callable[[str], ObjectRecord | None]
                ) -> ObjectRecord | None:
    """The attempt an object belongs to: itself, the object it is the same attempt as (when
    seen), or for a child its parent, when that keeps a reference. A child of a parent
    without one is in no order: a refund's own ledger is not money the customer paid, so it
    never stands for an attempt."""
    if record.parent is None:
        same = dict(record.remembered).get(SAME_ATTEMPT)
        other = lookup(same) if same is not None and same != record.key else None
        if other is None or other.placeholder or other.parent is not None:
            return record
        return other
    parent = lookup(record.parent)
    if parent is None or parent.placeholder or parent.reference is None:
        return None
    return parent


def orders_of(records: Iterable[ObjectRecord], canonical: CanonicalOf) -> list[Order]:
    """Every order among ``records`` (a store's objects, or what a run wrote), by
    reference; objects whose attempt keeps no reference are in no order."""
    by_key = {record.key: record for record in records if not record.placeholder}
    return list(iter_orders(by_key.values(), by_key.__getitem__, canonical))


Links = tuple[str | None, str | None, str | None]
"""(parent, same attempt, reference) of one object: all the grouping needs to know."""


def iter_orders(records: Iterable[ObjectRecord], fetch: Callable[[str], ObjectRecord],
                canonical: CanonicalOf) -> Iterator[Order]:
    """``orders_of`` one order at a time, by reference: ``records`` is read once, keeping
    of each object only where it belongs, and ``fetch`` gives an order's objects back by
    key when it is built. A million objects read from a store then cost an index of keys,
    not a million records held at once."""
    links: dict[str, Links] = {}
    for record in records:
        if not record.placeholder:
            same = dict(record.remembered).get(SAME_ATTEMPT) if record.parent is None else None
            links[record.key] = (record.parent, same, record.reference)
    members: dict[str, list[str]] = {}
    for key, link in links.items():
        head = _head_of(key, link, links)
        if head is None:
            continue
        if head != key:
            members.setdefault(head, []).append(key)
        else:
            members.setdefault(key, [])
    grouped: dict[str, list[tuple[str, list[str]]]] = {}
    for key, children in members.items():
        reference = links[key][2]
        if reference is not None:
            grouped.setdefault(reference, []).append((key, children))
    del links, members
    for reference in sorted(grouped):
        yield build(reference, [_attempt(fetch(key), map(fetch, children), canonical)
                                for key, children in grouped.pop(reference)])


def _head_of(key: str, link: Links, links: Mapping[str, Links]) -> str | None:
    """``_attempt_of`` over links: the key of the attempt an object belongs to."""
    parent, same, _reference = link
    if parent is None:
        other = links.get(same) if same is not None and same != key else None
        return key if other is None or other[0] is not None else same
    found = links.get(parent)
    return None if found is None or found[2] is None else parent


def order_of(store: Store, providers: Iterable[str], reference: str,
             canonical: CanonicalOf) -> Order | None:
    """The order with ``reference`` across ``providers``, read from ``store`` through its
    reference index; ``None`` when no object keeps that reference."""
    heads: dict[str, ObjectRecord] = {}
    same: dict[str, list[ObjectRecord]] = {}
    for provider in sorted(set(providers)):
        for record in store.by_reference(provider, reference):
            head = _attempt_of(record, store.get)
            if head is not None and head.reference == reference:
                heads.setdefault(head.key, head)
                if head.key != record.key and record.parent is None:
                    same.setdefault(head.key, []).append(record)
    if not heads:
        return None
    attempts = [_attempt(head, [*store.children(head.key), *same.get(key, ())], canonical)
                for key, head in sorted(heads.items())]
    return build(reference, attempts)


def _attempt(head: ObjectRecord, children: Iterable[ObjectRecord],
             canonical: CanonicalOf) -> Attempt:
    ordered = sorted((c for c in children if not c.placeholder), key=lambda c: c.key)
    return Attempt(head, _canonical(head, canonical), tuple((c, canonical(c)) for c in ordered))


def _canonical(head: ObjectRecord, canonical: CanonicalOf) -> str:
    """A request the provider refused is ``failed`` whatever state its chart starts in."""
    refused = any(name == REFUSED for name, _ in head.remembered)
    return Canonical.FAILED.value if refused else canonical(head)


# -- the view -------------------------------------------------------------------------------

def build(reference: str, attempts: Iterable[Attempt]) -> Order:
    """The order of ``attempts``: totals, status and anomalies."""
    ordered = tuple(sorted(attempts, key=lambda a: a.record.key))
    totals: dict[str, Totals] = {}
    for attempt in ordered:
        currency = attempt.record.ledger.currency
        if currency is not None:
            totals[currency] = totals.get(currency, Totals(currency)).plus(attempt.record)
    shown = tuple(totals[c] for c in sorted(totals))
    return Order(reference, status(ordered, shown), ordered, shown, anomalies(ordered, shown))


def status(attempts: tuple[Attempt, ...], totals: tuple[Totals, ...]) -> str:
    """``disputed`` over the paid family (``refunded``, ``partially_refunded``, ``paid``),
    then ``authorized``, ``requires_action``, ``open``, ``expired``, ``failed``."""
    canonicals = {attempt.canonical for attempt in attempts}
    if canonicals & _DISPUTED or any(t.charged_back for t in totals):
        return "disputed"
    captured = sum(t.captured for t in totals)
    refunded = sum(t.refunded for t in totals)
    if captured or any(a.paid for a in attempts):
        if (captured and refunded >= captured) or canonicals == {Canonical.REFUNDED.value}:
            return "refunded"
        if refunded or Canonical.PARTIALLY_REFUNDED in canonicals:
            return "partially_refunded"
        return "paid"
    for wanted, name in ((Canonical.AUTHORIZED, "authorized"),
                         (Canonical.REQUIRES_ACTION, "requires_action")):
        if wanted in canonicals:
            return name
    if canonicals & _OPEN or not canonicals:
        return "open"
    if canonicals == {Canonical.EXPIRED.value}:
        return "expired"
    return "failed"


def anomalies(attempts: tuple[Attempt, ...], totals: tuple[Totals, ...]) -> tuple[str, ...]:
    """The order's anomaly codes, in the fixed order of ``ANOMALIES``."""
    found = set()
    if sum(1 for a in attempts if a.outstanding > 0) > 1:
        found.add(PAID_TWICE)
    if len(totals) > 1:
        found.add(CURRENCY_MISMATCH)
    elif totals and totals[0].captured:
        asked = [amount for a in attempts if (amount := _asked(a, totals[0].currency))]
        if asked and totals[0].captured != max(asked):
            found.add(AMOUNT_MISMATCH)
    if any(a.paid for a in attempts) and any(a.canonical in _WAITING and not a.paid
                                             for a in attempts):
        found.add(OPEN_AFTER_PAID)
    return tuple(code for code in ANOMALIES if code in found)


def _asked(attempt: Attempt, currency: str) -> int | None:
    """What the merchant asked this attempt for, in ``currency``; ``None`` if unknown."""
    found = requested(attempt.record)
    return found[0] if found is not None and found[1] == currency else None


def by_attention(orders: Iterable[Order]) -> list[Order]:
    """Orders with anomalies first (most anomalies first), then by reference."""
    return sorted(orders, key=lambda order: (-len(order.anomalies), order.reference))


def counts(orders: Iterable[Order]) -> Mapping[str, int]:
    """How many orders show each anomaly (zero counts included)."""
    found = dict.fromkeys(ANOMALIES, 0)
    for order in orders:
        for code in order.anomalies:
            found[code] += 1
    return found


@attrs.frozen
class OrdersSummary:
    """What the text report says about orders, gathered in one pass: how many, those with
    anomalies (to list one by one, most anomalies first), the others counted by status."""

    count: int
    flagged: tuple[Order, ...]
    statuses: Mapping[str, int]
    """Orders without anomalies per status, most frequent first."""
    anomalies: Mapping[str, int]
    """Orders per anomaly code (``counts``: zero counts included)."""


def summarize(orders: Iterable[Order]) -> OrdersSummary:
    """``OrdersSummary`` of ``orders``, keeping only the flagged ones."""
    count = 0
    flagged: list[Order] = []
    statuses: dict[str, int] = {}
    found = dict.fromkeys(ANOMALIES, 0)
    for order in orders:
        count += 1
        if order.anomalies:
            flagged.append(order)
            for code in order.anomalies:
                found[code] += 1
        else:
            statuses[order.status] = statuses.get(order.status, 0) + 1
    ranked = dict(sorted(statuses.items(), key=lambda kv: -kv[1]))
    return OrdersSummary(count, tuple(by_attention(flagged)), ranked, found)
