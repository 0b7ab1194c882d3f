from __future__ import annotations

from pathlib import Path

import pytest

from paychart import SpecError, load_spec, parse_spec
from paychart.loader import bundled_specs

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
