"""Findings grouped by reason: counted in full, the first lines named, the most frequent
first, and ids and figures left out so that one reason is one group."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paychart.reason_groups import SHOWN_LINES, ReasonGroups, generic_reason, without_figures


@given(st.lists(st.sampled_from(["a", "b", "c"]), max_size=60))
def test_groups_count_every_finding_and_name_the_first_lines(reasons: list[str]) -> None:
    groups = ReasonGroups()
    for line, reason in enumerate(reasons, start=1):
        groups.add(reason, line)
    assert groups.total == len(reasons) and bool(groups) == bool(reasons)
    rows = groups.rows()
    counts = [int(count.split(" ")[0]) for count, _ in rows]
    assert counts == sorted(counts, reverse=True) and sum(counts) == len(reasons)
    first_seen = list(dict.fromkeys(reasons))
    for (_count, text), n in zip(rows, counts, strict=True):
        reason = text.split(" (lines ")[0]
        lines = [i for i, r in enumerate(reasons, start=1) if r == reason]
        assert len(lines) == n
        shown = ", ".join(map(str, lines[:SHOWN_LINES]))
        more = f", … {n - SHOWN_LINES} more" if n > SHOWN_LINES else ""
        assert text == f"{reason} (lines {shown}{more})"
    ties = [text.split(" (")[0] for _c, text in rows]
    assert ties == sorted(ties, key=lambda r: (-reasons.count(r), first_seen.index(r)))


def test_ids_and_figures_are_left_out_but_quoted_names_of_warnings_stay() -> None:
    assert without_figures("parent cardlink/payment/6d4f56f3fbe8 is not known yet; "
                           "refund 56.94 EUR waits") == \
        "parent cardlink/payment/… is not known yet; refund … EUR waits"
    warning = ("the platform `hash` binds trans_id, payer email and card digits, not status "
               "or amount: unconfirmed until `GET_TRANS_STATUS` reports them")
    assert without_figures(warning) == warning
    assert generic_reason("provider sequence 20260101103619 is older than applied "
                          "20260101110609") == "provider sequence … is older than applied …"
    assert generic_reason("reports `paid`, which `p-1` has already passed") == \
        "reports `…`, which `…` has already passed"
