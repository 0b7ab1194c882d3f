from __future__ import annotations

import re
from pathlib import Path

import pytest

from paychart import SpecError, load_spec, parse_spec
from paychart.checks import unwatched_warnings, waiting_states
from paychart.loader import bundled_spec_texts, bundled_specs

from .support import SHOP_FILES

SHOP = SHOP_FILES[0].read_text(encoding="utf-8")


def findings(text: str) -> tuple[str, ...]:
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "my_chart.toml")
    assert caught.value.file == "my_chart.toml"
    return caught.value.findings


def test_shop_charts_load() -> None:
    specs = [load_spec(path) for path in SHOP_FILES]
    assert [s.name for s in specs] == ["shop_payment", "shop_refund", "shop_dispute"]
    assert specs[0].states["paid"].canonical == "succeeded"
    assert specs[0].transitions[0].origins == ("created",)


def test_every_bundled_chart_loads_and_passes_the_checks() -> None:
    for spec in bundled_specs():
        assert spec.transitions, spec.name
        assert all(t.source.strip() for t in spec.transitions), spec.name


def test_unknown_key_names_key_path_and_line() -> None:
    text = SHOP.replace('[[transitions]]\ntrigger = "void"', '[[transitons]]\ntrigger = "void"')
    (finding,) = findings(text)
    line = text.splitlines().index("[[transitons]]") + 1
    assert finding == f"unknown key `transitons` at $ (line {line})"


def test_unknown_key_inside_a_state_names_its_path() -> None:
    text = SHOP.replace('canonical = "refunded"\n', 'canonical = "refunded"\nfinall = true\n')
    (finding,) = findings(text)
    assert finding.startswith("unknown key `finall` at $.states.refunded")


def test_wrong_type_names_the_path() -> None:
    (finding,) = findings(SHOP.replace('to = "voided"', "to = 3"))
    assert "$.transitions[4].to" in finding


def test_unknown_guard_names_the_transition() -> None:
    text = SHOP.replace('guard = "refunds_part"', 'guard = "refund_everything"')
    assert findings(text) == ("unknown guard `refund_everything` at transitions[7].guard",)


def test_unknown_canonical_status_is_refused() -> None:
    (finding,) = findings(SHOP.replace('canonical = "authorized"', 'canonical = "on_hold"'))
    assert "$.states.held.canonical" in finding


def test_unreachable_and_dead_end_states() -> None:
    text = SHOP + '''
[states.limbo]
canonical = "unknown"
description = "nothing leads here and nothing leaves"
'''
    assert set(findings(text)) == {"unreachable state `limbo`",
                                   "non-final state `limbo` cannot reach a final state"}


def test_final_state_with_outgoing_edge() -> None:
    text = SHOP.replace('override = "allow_late_approval"\n', "")
    (finding,) = findings(text)
    assert finding.startswith("final state `declined` has an outgoing edge")


def test_non_deterministic_trigger() -> None:
    text = SHOP.replace('to = "paid"\nby = "merchant"\nguard = "refunds_part"',
                        'to = "refunded"\nby = "merchant"\nguard = "refunds_part"')
    (finding,) = findings(text)
    assert finding.startswith("non-deterministic trigger `refund` from `paid`")


def test_override_must_be_declared() -> None:
    text = SHOP.replace('allow_late_approval = "a declined payment may still be approved later"',
                        "")
    assert findings(text) == ("undeclared option `allow_late_approval` at transitions[11]"
                              ".override (declare it under [options])",)


def test_unknown_ledger_figure_in_action() -> None:
    text = SHOP.replace('limit = "capturable"', 'limit = "holdable"')
    (finding,) = findings(text)
    assert finding.startswith("unknown ledger figure `holdable` at actions[0].limit")


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = ", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(path)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "absent.toml")


# -- timers and polls ---------------------------------------------------------------------------

def _bundled(name: str) -> str:
    return dict(bundled_spec_texts())[f"{name}.toml"]


CHECKOUT = _bundled("paylink_checkout")


def test_bundled_checkout_declares_its_expiry_and_status_query() -> None:
    (spec,) = [s for s in bundled_specs() if s.name == "paylink_checkout"]
    state = spec.states["open"]
    assert (state.timer, state.deadline, state.after) == ("expire", "expired_at", "24h")
    assert state.poll == ("5m", "15m", "1h", "6h", "1d") and state.query == "checkout"


def test_a_duration_that_does_not_parse_names_its_key() -> None:
    (finding,) = findings(CHECKOUT.replace('after = "24h"', 'after = "24 hours"', 1))
    assert finding.startswith("duration '24 hours' is not a positive number")
    assert finding.endswith("at states.open.after")


def test_a_zero_wait_in_a_poll_schedule_is_refused() -> None:
    (finding,) = findings(CHECKOUT.replace('poll = ["5m", "15m"', 'poll = ["5m", "0m"', 1))
    assert finding.endswith("at states.open.poll[1]")


def test_a_timer_needs_an_edge_from_its_state() -> None:
    (finding,) = findings(CHECKOUT.replace('timer = "expire"', 'timer = "vanish"', 1))
    assert finding.startswith("timer `vanish` at states.open.timer has no edge from `open`")


def test_a_timer_needs_a_moment_and_a_moment_needs_a_timer() -> None:
    text = CHECKOUT.replace('deadline = "expired_at"\nafter = "24h"\n', "", 1)
    assert findings(text) == ("timer `expire` at states.open.timer needs `after` or "
                              "`deadline`",)
    text = CHECKOUT.replace('timer = "expire"\n', "", 1)
    assert findings(text) == ("states.open declares when a timer fires but no `timer` "
                              "trigger",)


def test_a_poll_needs_its_query() -> None:
    (finding,) = findings(CHECKOUT.replace('query = "checkout"\n', "", 1))
    assert finding.startswith("states.open needs both `poll`")


def test_a_query_the_adapter_cannot_parse_the_answer_of_is_refused() -> None:
    text = _bundled("cardlink_payment").replace('query = "status"', 'query = "statsu"', 1)
    (finding,) = findings(text)
    assert finding.startswith("query `statsu` at states.init.query: the cardlink adapter "
                              "cannot parse its answer (unknown CARDLINK operation 'statsu'")


def test_a_query_of_a_provider_without_adapter_is_refused() -> None:
    text = SHOP.replace('description = "customer is paying"\n',
                        'description = "customer is paying"\npoll = ["5m"]\nquery = "status"\n'
                        'wait_source = "test"\n')
    assert findings(text) == ("query `status` at states.pending.query: no adapter for "
                              "provider `shop` parses its answer",)


def test_a_final_state_waits_for_nothing() -> None:
    text = CHECKOUT.replace('canonical = "expired"\n',
                            'canonical = "expired"\npoll = ["1d"]\nquery = "checkout"\n'
                            'wait_source = "test"\n', 1)
    (finding,) = findings(text)
    assert finding.startswith("final state `expired` declares a timer or a poll")


def test_a_timer_or_poll_cites_its_source() -> None:
    text = re.sub(r'wait_source = "[^"]*"\n', "", CHECKOUT, count=1)
    assert findings(text) == ("states.open declares a timer or a poll without `wait_source` "
                              "(where the documentation supports it)",)


def test_waiting_states_without_timer_or_poll_are_warnings_not_findings() -> None:
    text = CHECKOUT.replace('poll = ["5m", "15m", "1h", "6h", "1d"]\nquery = "checkout"\n', "")
    text = re.sub(r'(timer|deadline|after|wait_source) = "[^"]*"\n', "", text)
    spec = parse_spec(text, "checkout.toml")
    assert unwatched_warnings(spec) == (
        "`open` waits on the provider with neither a timer nor a poll",
        "`in_progress` waits on the provider with neither a timer nor a poll")
    assert "open" in waiting_states(spec)


def test_the_bundled_charts_leave_only_the_documented_states_unwatched() -> None:
    """docs/PROVIDERS.md says why each of these has neither a timer nor a poll."""
    found = {(s.name, w.split("`")[1]) for s in bundled_specs() for w in unwatched_warnings(s)}
    assert found == {("cardlink_dispute", "pending"), ("cardlink_refund", "init"),
                     ("cardlink_refund", "pending")}
