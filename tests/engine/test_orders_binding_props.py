"""Binding as a property (issue 14): whatever mix of requests logged before their provider id,
answers, callbacks and refusals arrives, one pending attempt is bound to at most one provider
object, one provider object binds at most one attempt, a refused attempt is never bound, and
every object is in at most one order."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, Event, Orchestrator
from paychart.attempts import BOUND_TO, PENDING_ID, REFUSED, is_pending
from paychart.orders import orders_of

from .support import event, shop_charts

CHARTS = shop_charts()
_REFERENCES = st.sampled_from(("R1", "R2"))
_OPS = st.lists(st.one_of(
    st.tuples(st.just("request"), _REFERENCES),
    st.tuples(st.just("answer"), st.sampled_from(("p1", "p2", "p3")),
              st.one_of(st.none(), _REFERENCES)),
    st.tuples(st.just("callback"), st.sampled_from(("p1", "p2", "p3")), _REFERENCES),
    st.tuples(st.just("refusal"), _REFERENCES),
), max_size=16)


def _input(n: int, op: tuple[str, ...]) -> Event:
    name = op[0]
    if name == "request":
        return event(PENDING_ID, "start", "pending", amount=1000, channel=Channel.REQUEST,
                     key=f"k{n}", reference=op[1])
    if name == "refusal":
        return Event("shop", "payment", "", "refused", Channel.RESPONSE, f"k{n}",
                     refusal="403: no", reference=op[1])
    channel = Channel.RESPONSE if name == "answer" else Channel.CALLBACK
    trigger, state = ("start", "pending") if name == "answer" else ("pay", "paid")
    return event(op[1], trigger, state, amount=1000, channel=channel, key=f"k{n}",
                 reference=op[2])


@given(_OPS)
def test_binding_never_attaches_one_attempt_to_two_objects(ops: list[tuple[str, ...]]) -> None:
    orchestrator = Orchestrator(CHARTS)
    for n, op in enumerate(ops):
        orchestrator.apply(_input(n, op))
    records = list(orchestrator.store.objects())
    pending = [r for r in records if is_pending(r.object_id)]
    targets = [dict(r.remembered)[BOUND_TO] for r in pending if BOUND_TO in dict(r.remembered)]
    assert len(targets) == len(set(targets))  # an object binds at most one attempt
    binds = Counter(pair for entry in orchestrator.store.journal()
                    for pair in _bound_in(entry.decision.warnings))
    assert all(n == 1 for n in binds.values())  # an attempt is bound once, to one object
    assert len(binds) == len(targets)
    for record in pending:
        kept = dict(record.remembered)
        reference = record.object_id.removeprefix("pending ").rsplit(" #", 1)[0]
        if BOUND_TO in kept:
            assert record.reference is None and REFUSED not in kept
            bound = orchestrator.record("shop", "payment", kept[BOUND_TO])
            assert bound is not None and bound.reference == reference
        else:
            assert record.reference == reference
    keys = [key for order in orders_of(records, orchestrator.canonical)
            for a in order.attempts
            for key in (a.record.key, *(child.key for child, _ in a.children))]
    assert len(keys) == len(set(keys))


def _bound_in(warnings: tuple[str, ...]) -> list[str]:
    prefix = "binds the merchant's request journaled as "
    return [w.removeprefix(prefix).split(":", 1)[0] for w in warnings if w.startswith(prefix)]
