"""Diagrams: what each rendering shows, the pack's freshness against the bundled specs, and
the ``paychart diagram`` entry point (static charts and one object's traced path)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from paychart import diagrams
from paychart._audit_trace import find_trail, trails
from paychart._diagram_dot import FAN_IN, bundles, to_dot
from paychart._diagram_index import index
from paychart._diagram_render import CAUSE_COLORS, Highlight, Step, edge_label, to_mermaid
from paychart.chart import Chart
from paychart.charts import ChartSet
from paychart.cli import main
from paychart.spec import CausedBy
from paychart.validate import validate_file

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "tests/engine/fixtures/audit/shop_payment.toml"
"""A frozen copy of the engine's test chart, so these assertions do not move with it."""
REFUND = ROOT / "tests/engine/fixtures/audit/shop_refund.toml"
ENGINE_SHOP = ROOT / "tests/engine/charts/shop_payment.toml"
TRAFFIC = ROOT / "tests/engine/fixtures/audit/shop_traffic.jsonl"
PACK = ROOT / "diagrams"
REGENERATE = "paychart diagram --out diagrams"


@pytest.fixture(scope="module")
def shop() -> Chart:
    return ChartSet.from_paths([SHOP, REFUND]).named("shop_payment")


def every_chart() -> list[Chart]:
    return [*ChartSet.from_paths([SHOP, REFUND]), *ChartSet.from_paths([ENGINE_SHOP]),
            *sorted(ChartSet.bundled(), key=lambda c: c.name)]


def _need_dot() -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz `dot` is required (Debian: apt-get install graphviz); "
                    ".ci/run installs it")


def _diagram(*argv: str, charts: tuple[Path, ...] = (SHOP, REFUND)) -> int:
    """``paychart diagram ARGV`` with the frozen test charts loaded too."""
    loaded = [arg for path in charts for arg in ("--chart", str(path))]
    return main(["diagram", *argv, *loaded])


# -- what a static diagram shows ----------------------------------------------------------

def test_mermaid_shows_states_canonical_finals_causes_guards_and_overrides(shop: Chart) -> None:
    text = to_mermaid(shop)
    assert text.startswith('---\ntitle: "shop_payment"\n---\nstateDiagram-v2\n')
    assert 'state "paid [succeeded]" as paid' in text
    assert 'state "declined [failed, final]" as declined' in text
    for final in ("refunded", "declined", "voided", "lost"):
        assert f"  {final} --> [*]" in text
    assert "  pending --> [*]" not in text
    assert "  [*] --> created" in text
    assert "created --> pending: start (customer)" in text
    assert "[refunds_all] / refund" in text
    assert "declined --> paid: pay (provider) / sale override: allow_late_approval" in text


def test_dot_draws_overrides_dashed_finals_doubled_and_colours_by_cause(shop: Chart) -> None:
    text = to_dot(shop)
    override = next(line for line in text.splitlines() if '"declined" -> "paid"' in line)
    assert 'style="dashed"' in override
    assert "override: allow_late_approval" in override
    assert f'color="{CAUSE_COLORS[shop.spec.transitions[-1].caused_by]}"' in text
    refunded = next(line for line in text.splitlines() if line.startswith('  "refunded" ['))
    assert 'peripheries="2"' in refunded
    assert "«refunded»" in refunded
    capture = next(line for line in text.splitlines() if '"held" -> "paid"' in line)
    assert "capture (merchant)" in capture
    assert f'color="{CAUSE_COLORS[CausedBy.MERCHANT]}"' in capture
    assert '"paid" -> "paid"' in text
    assert "[refunds_part]" in text


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.name)
def test_every_state_and_edge_of_every_chart_is_drawn(chart: Chart) -> None:
    mermaid, dot = to_mermaid(chart), to_dot(chart)
    for name, state in chart.spec.states.items():
        assert re.search(rf'state "{re.escape(name)} \[{state.canonical.value}(, final)?\]" '
                         rf"as {re.escape(name)}\n", mermaid)
        assert f'"{name}" [label="{name}\\n«{state.canonical.value}»' in dot
        assert (f"  {name} --> [*]" in mermaid) is state.final
    for edge in chart.edges:
        head = f"{edge.trigger} ({edge.caused_by.value})"
        assert re.search(rf"^  {re.escape(edge.origin)} --> {re.escape(edge.target)}: .*"
                         rf"{re.escape(head)}", mermaid, re.MULTILINE)
        assert head in dot
        if edge.override:
            assert f"override: {edge.override}" in mermaid
    fans, parallel = bundles(chart)
    drawn = sorted(p for bundle in (*fans, *parallel) for p in bundle.positions)
    assert drawn == list(range(len(chart.edges)))  # every edge in exactly one arrow
    for bundle in parallel:
        assert f'"{bundle.origin}" -> "{bundle.target}" [' in dot
        assert {(chart.edges[p].origin, chart.edges[p].target) for p in bundle.positions} == {
            (bundle.origin, bundle.target)}
    for fan in fans:
        assert f'  {fan.origin} -> "{fan.target}" [' in dot
        note = next(line for line in dot.splitlines() if line.startswith(f"  {fan.origin} ["))
        for position in fan.positions:
            assert chart.edges[position].origin in note
    assert dot.count(" -> ") == len(fans) + len(parallel) + 1  # plus the initial arrow


def test_a_trigger_from_many_states_is_one_note_with_one_arrow() -> None:
    chart = ChartSet.bundled().named("invoices_payment_invoice")
    terminate = [e for e in chart.edges if e.trigger == "terminate"]
    assert len({e.origin for e in terminate}) >= FAN_IN
    dot = to_dot(chart)
    assert not any(f'"{e.origin}" -> "{e.target}"' in dot for e in terminate)
    fans, _parallel = bundles(chart)
    fan = next(f for f in fans if chart.edges[f.positions[0]].trigger == "terminate")
    note = next(line for line in dot.splitlines() if line.startswith(f"  {fan.origin} ["))
    assert "terminate (provider)" in note
    assert "from any of:" in note
    assert dot.count(f"  {fan.origin} -> ") == 1


def test_parallel_edges_are_one_arrow_with_a_line_per_edge_in_its_colour() -> None:
    chart = ChartSet.bundled().named("platform_transaction")
    loops = [e for e in chart.edges if e.origin == e.target == "PENDING"]
    assert len(loops) > 1
    dot = to_dot(chart)
    arrows = [line for line in dot.splitlines() if '"PENDING" -> "PENDING"' in line]
    assert len(arrows) == 1
    for edge in loops:
        assert (f'<FONT COLOR="{CAUSE_COLORS[edge.caused_by]}">{edge_label(edge, sep=" ")}'
                "</FONT>") in arrows[0]


_MERMAID_LINE = re.compile(
    r'^(---|title: "[^"]+"|'
    r"stateDiagram-v2|  direction LR|  classDef s_\w+ [\w:#,-]+|"
    r'  state "[^"]+" as [\w]+|  Class [\w]+ s_\w+|  (\[\*\]|[\w]+) --> (\[\*\]|[\w]+)'
    r"(: [^;#\n]+)?|)$")


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.name)
def test_mermaid_lines_are_statements_mermaid_accepts(chart: Chart) -> None:
    """A line grammar for the subset we emit: labels never carry ``;`` or ``#``, which end a
    Mermaid statement or start an entity code."""
    for line in to_mermaid(chart).splitlines():
        assert _MERMAID_LINE.match(line), line


def test_traced_mermaid_lines_are_statements_mermaid_accepts() -> None:
    run = validate_file(TRAFFIC, charts=ChartSet.from_paths([SHOP, REFUND]))
    found = trails(run)
    assert len(found) == 5
    for trail in found:
        for line in to_mermaid(trail.chart, trail.highlight).splitlines():
            assert _MERMAID_LINE.match(line), line


def test_dot_renders_to_svg_with_every_state(shop: Chart) -> None:
    _need_dot()
    svg = diagrams.render_svg(to_dot(shop))
    assert svg.lstrip().startswith("<?xml")
    assert "</svg>" in svg
    assert "Generated by graphviz" not in svg
    for name in shop.spec.states:
        assert f"<title>{name}</title>" in svg


# -- the auditors' index ------------------------------------------------------------------

def test_index_tables_list_states_and_transitions(shop: Chart) -> None:
    text = index([shop], svg=True)
    assert "| state | canonical status | final | lossy | blocks parent | description |" in text
    assert ("| trigger | from | to | caused by | guard | effect | override | parent | "
            "documentary source |") in text
    assert "| `declined` | failed | yes | no | no | declined by the issuer |" in text
    assert ("| `pay` | `declined` | `paid` | provider | – | sale | `allow_late_approval` "
            "(dashed) | – | test: late approval when the merchant enabled it |") in text
    assert '```mermaid\n---\ntitle: "shop_payment"' in text
    assert "![shop_payment lifecycle](shop_payment.svg)" in text
    assert "[shop_payment](#shop_payment)" in text
    assert "shop_payment.svg" not in index([shop], svg=False)


# -- the committed pack --------------------------------------------------------------------

def test_committed_pack_matches_the_bundled_specs() -> None:
    """``diagrams/`` is exactly what ``paychart diagram --out diagrams`` writes today."""
    _need_dot()
    charts = sorted(ChartSet.bundled(), key=lambda c: c.name)
    expected, skipped = diagrams.pack_files(charts)
    assert skipped is None
    present = {p.name: p for p in PACK.iterdir() if p.is_file()} if PACK.is_dir() else {}
    missing = sorted(set(expected) - set(present))
    extra = sorted(set(present) - set(expected))
    stale = sorted(name for name in set(expected) & set(present)
                   if present[name].read_text(encoding="utf-8") != expected[name])
    problems = {"missing": missing, "not generated": extra, "differing": stale}
    assert not any(problems.values()), (
        f"diagrams/ is out of date: {problems}; run `{REGENERATE}` "
        "(and delete files of removed charts)")


def test_pack_without_graphviz_writes_mermaid_and_dot_and_says_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("paychart.diagrams.shutil.which", lambda _name: None)
    status = _diagram("shop_payment", "--out", str(tmp_path))
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md", "shop_payment.dot", "shop_payment.mmd"]
    assert "SVG skipped: Graphviz `dot` is not on PATH" in capsys.readouterr().err
    assert "SVG files were not generated" in (tmp_path / "README.md").read_text()


def test_pack_with_graphviz_writes_svg(tmp_path: Path) -> None:
    _need_dot()
    assert _diagram("shop_payment", "--out", str(tmp_path)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md", "shop_payment.dot", "shop_payment.mmd", "shop_payment.svg"]


# -- the command ---------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "start"), [(None, '---\ntitle: "shop_payment"'),
                                            ("mermaid", '---\ntitle: "shop_payment"'),
                                            ("dot", 'digraph "shop_payment" {')])
def test_diagram_prints_a_chart(fmt: str | None, start: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram("shop_payment", *(("--format", fmt) if fmt else ())) == 0
    assert capsys.readouterr().out.startswith(start)


def test_diagram_refuses_an_unknown_chart(capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram("nope") == 2
    err = capsys.readouterr().err
    assert "unknown chart nope" in err
    assert "shop_payment" in err


def test_trace_numbers_the_taken_edges_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram("shop_payment", "--trace", str(TRAFFIC), "--object", "p-100") == 0
    text = capsys.readouterr().out
    assert "created --> pending: (1) start (customer)" in text
    assert "pending --> paid: (2) pay (issuer)" in text
    assert "paid --> paid: (3) refund (merchant) [refunds_part]" in text
    assert "paid --> refunded: (4) refund (merchant) [refunds_all]" in text
    assert "Class refunded s_current" in text
    assert "Class held s_faded" in text


def test_trace_of_an_object_first_seen_later_starts_from_unknown_history(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram("--trace", str(TRAFFIC), "--object", "shop/payment/p-200",
                    "--format", "dot") == 0
    text = capsys.readouterr().out
    assert '__start -> "held" [label="(1) first seen,\\nhistory unknown"' in text
    assert '"held" -> "paid" [label="(2)\\ncapture (merchant)' in text
    assert '"paid" -> "chargeback" [label="(3)\\nchargeback (issuer)' in text
    assert '__start -> "created"' not in text


def test_trace_writes_files(tmp_path: Path) -> None:
    _need_dot()
    assert _diagram("shop_payment", "--trace", str(TRAFFIC), "--object", "p-300",
                    "--out", str(tmp_path)) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"shop_payment__p-300.{ext}" for ext in ("dot", "mmd", "svg")]
    assert "«failed»" in (tmp_path / "shop_payment__p-300.svg").read_text()


@pytest.mark.parametrize(("argv", "status", "message"), [
    (("--trace", str(TRAFFIC)), 2, "--trace needs --object"),
    (("--object", "p-100"), 2, "--object needs --trace"),
    (("--trace", str(TRAFFIC), "--object", "p-999"), 1, "no single object `p-999`"),
    (("--trace", "/nonexistent.jsonl", "--object", "p-100"), 2, "No such file"),
    (("--trace", str(TRAFFIC), "--object", "p-100", "--option", "nope"), 2,
     "unknown option nope; known: allow_late_approval"),
])
def test_trace_errors(argv: tuple[str, ...], status: int, message: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram("shop_payment", *argv) == status
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_parent_moved_by_a_child_gets_a_noted_step(capsys: pytest.CaptureFixture[str]) -> None:
    run = validate_file(TRAFFIC, charts=ChartSet.from_paths([SHOP, REFUND]))
    trail = find_trail(trails(run), "p-400")
    assert trail is not None
    steps = [(s.number, s.origin, s.target, s.trigger, s.note) for s in trail.highlight.steps]
    assert steps == [(1, None, "paid", "pay", ""),
                     (2, "paid", "refunded", "refunds_complete", "by refund r-400")]
    assert [(row.line, row.step) for row in trail.rows] == [(13, 1), (14, 2)]
    assert _diagram("shop_payment", "--trace", str(TRAFFIC), "--object", "p-400",
                    "--format", "dot") == 0
    arrow = next(line for line in capsys.readouterr().out.splitlines()
                 if '"paid" -> "refunded"' in line)
    assert '<FONT COLOR="#d62728">(2) refunds_complete (provider)' in arrow
    assert arrow.endswith('color="#d62728", penwidth="2.5"];')


def test_a_step_off_the_chart_is_drawn_with_its_note(shop: Chart) -> None:
    noted = Highlight((Step(1, "held", "refunded", "settle", note="by refund r-1"),),
                      "refunded", "t")
    assert "held --> refunded: (1) settle by refund r-1" in to_mermaid(shop, noted)
    assert ('"held" -> "refunded" [label="(1) settle\\nby refund r-1", color="#d62728"'
            in to_dot(shop, noted))


def test_diagram_without_names_prints_every_bundled_chart(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _diagram(charts=()) == 0
    out = capsys.readouterr().out
    assert out.count("stateDiagram-v2") == len(ChartSet.bundled())
