"""The audit report: what the HTML says about a recorded run, that it needs no network, and
that a real headless browser (Debian ``chromium``) renders it without script errors."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from paychart import audit
from paychart.charts import ChartSet
from paychart.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/engine/fixtures/audit"
SHOP = FIXTURES / "shop_payment.toml"
REFUND = FIXTURES / "shop_refund.toml"
TRAFFIC = FIXTURES / "shop_traffic.jsonl"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def _charts() -> ChartSet:
    return ChartSet.from_paths([SHOP, REFUND])


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit")
    path, _run = audit.write_audit(TRAFFIC, out, charts=_charts())
    return path


class _Cells(HTMLParser):
    """Table rows (as lists of cell texts) per table class, and every element's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.attrs.append((tag, values))
        if tag == "table":
            self._table = values.get("class") or ""
            self.tables.setdefault(self._table, [])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(html: str) -> _Cells:
    cells = _Cells()
    cells.feed(html)
    return cells


def _sections(html: str) -> dict[str, str]:
    parts = re.split(r'(?=<section class="object")', html)
    return {re.search(r'data-key="([^"]+)"', p)[1]: p  # type: ignore[index]
            for p in parts if p.startswith("<section")}


# -- content -------------------------------------------------------------------------------

def test_summary_counts_every_outcome(report: Path) -> None:
    tables = _parse(report.read_text()).tables
    assert tables["summary"] == [
        ["inputs", "applied", "duplicate", "stale", "rejected", "invalid", "internal errors"],
        ["14", "10", "1", "1", "1", "1", "0"]]
    assert "Verdict: NEEDS ATTENTION" in report.read_text()


def test_objects_table_gives_final_state_and_canonical_status(report: Path) -> None:
    rows = _parse(report.read_text()).tables["objects"]
    assert [row[:4] for row in rows[1:]] == [
        ["shop/payment/p-100", "shop_payment", "refunded", "refunded"],
        ["shop/payment/p-200", "shop_payment", "chargeback", "disputed"],
        ["shop/payment/p-300", "shop_payment", "declined", "failed"],
        ["shop/payment/p-400", "shop_payment", "refunded", "refunded"],
        ["shop/refund/r-400", "shop_refund", "settled", "succeeded"]]
    assert rows[2][4] == ("authorized 5.00 USD, captured 5.00 USD, refunded 0.00 USD, "
                          "charged back 5.00 USD")


def test_every_decision_not_applied_is_listed_with_its_reason(report: Path) -> None:
    rows = _parse(report.read_text()).tables["problems"][1:]
    assert [(r[0], r[3], r[5]) for r in rows] == [
        ("3", "shop/payment/p-100", "duplicate"), ("7", "(unidentified input)", "invalid"),
        ("9", "shop/payment/p-200", "stale"), ("12", "shop/payment/p-300", "rejected")]
    reasons = [r[7] for r in rows]
    assert reasons[0] == "same message already decided"
    assert reasons[1].startswith("field line: not JSON")
    assert reasons[2] == "reports `held`, which `paid` has already passed"
    assert "override that needs option `allow_late_approval` (disabled)" in reasons[3]


def test_each_object_has_its_numbered_path_and_timeline(report: Path) -> None:
    html = report.read_text()
    sections = _sections(html)
    assert list(sections) == ["shop/payment/p-100", "shop/payment/p-200", "shop/payment/p-300",
                              "shop/payment/p-400", "shop/refund/r-400"]
    p100 = sections["shop/payment/p-100"]
    timeline = _parse(p100).tables["timeline"]
    assert [row[:7] for row in timeline[1:]] == [
        ["1", "1", "2026-03-01T10:00:00+00:00", "response", "start", "applied",
         "created → pending"],
        ["2", "2", "2026-03-01T10:01:00+00:00", "callback", "pay", "applied",
         "pending → paid"],
        ["", "3", "2026-03-01T10:02:00+00:00", "callback", "pay", "duplicate", ""],
        ["3", "4", "2026-03-01T10:03:00+00:00", "response", "refund", "applied",
         "paid → paid"],
        ["4", "5", "2026-03-01T10:04:00+00:00", "response", "refund", "applied",
         "paid → refunded"]]
    svg = p100[p100.index("<svg"):p100.index("</svg>")]
    for label in ("(1)", "(2)", "(3)", "(4)"):
        assert f">{label}</text>" in svg
    assert "(5)" not in svg
    p400 = _parse(sections["shop/payment/p-400"]).tables["timeline"]
    assert p400[2][4] == "refund r-400: settle"
    assert p400[2][6] == "paid → refunded"
    assert "step (2): paid → refunded by refund r-400" in sections["shop/payment/p-400"]


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text()
    cells = _parse(html)
    for tag, attrs in cells.attrs:
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        assert not (tag == "script" and attrs.get("src")), attrs
        for name in ("href", "src", "xlink:href"):
            value = attrs.get(name) or ""
            assert value == "" or value.startswith("#"), (tag, name, value)
    ids = {attrs.get("id") for _tag, attrs in cells.attrs}
    targets = {(attrs.get("href") or "")[1:] for tag, attrs in cells.attrs if tag == "a"}
    assert targets <= ids, targets - ids
    assert "@import" not in html
    assert "url(" not in html
    assert html.count("<svg") == 5


def test_override_option_changes_the_report(tmp_path: Path) -> None:
    path, _run = audit.write_audit(TRAFFIC, tmp_path, charts=_charts(),
                                  options=["allow_late_approval"])
    html = path.read_text()
    assert "override options enabled: allow_late_approval" in html
    assert "override `allow_late_approval` used: `declined → paid`" in html
    rows = _parse(html).tables["objects"]
    assert rows[3][:4] == ["shop/payment/p-300", "shop_payment", "paid", "succeeded"]


# -- the command ---------------------------------------------------------------------------

def _audit(file: Path | str, out: Path, *extra: str) -> int:
    return main(["audit", str(file), "--out", str(out), "--chart", str(SHOP), "--chart",
                 str(REFUND), *extra])


def test_audit_command_writes_the_report_and_exits_like_validate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit(TRAFFIC, tmp_path) == 1
    assert (tmp_path / audit.REPORT_NAME).is_file()
    assert ("14 inputs, 10 applied, 1 duplicate, 1 stale, 1 rejected, 1 invalid, "
            "0 internal errors") in capsys.readouterr().out
    clean = tmp_path / "clean.jsonl"
    clean.write_text("\n".join(TRAFFIC.read_text().splitlines()[:2]) + "\n")
    assert _audit(clean, tmp_path / "clean") == 0


@pytest.mark.parametrize(("file", "extra", "message"), [
    ("missing.jsonl", (), "No such file"),
    ("traffic", ("--secrets", "missing.toml"), "cannot read secrets file"),
    ("empty.jsonl", (), "holds no input"),
    ("traffic", ("--option", "nope"), "unknown option nope; known: allow_late_approval"),
])
def test_audit_command_reports_unreadable_inputs(tmp_path: Path, file: str,
                                                 extra: tuple[str, ...], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n")
    path = TRAFFIC if file == "traffic" else tmp_path / file
    extra = tuple(str(tmp_path / a) if a.endswith(".toml") else a for a in extra)
    assert _audit(path, tmp_path / "out", *extra) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / audit.REPORT_NAME).exists()


# -- a real browser ------------------------------------------------------------------------

def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("the headless-browser test needs Debian `chromium` (apt-get install -y "
                "chromium); .ci/run installs it")


def _browse(report: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - our own argv
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra,
         report.as_uri()], capture_output=True, timeout=180, check=False)


def _png_pixels_vary(png: bytes) -> int:
    """How many distinct byte values the decoded image data has (a blank page has ~2)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, data = 8, b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(data)))


def _dom(report: Path, profile: Path) -> tuple[str, str | None]:
    """The rendered DOM and the script errors the page recorded on its ``<html>`` element."""
    done = _browse(report, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    dom = done.stdout.decode("utf-8")
    html_tag = re.search(r"<html[^>]*>", dom)
    assert html_tag is not None
    errors = re.search(r'data-errors="([^"]*)"', html_tag[0])
    return dom, errors[1] if errors else None


def test_browser_check_catches_script_errors(report: Path, tmp_path: Path) -> None:
    """The error probe works: a page whose script throws is caught by it."""
    broken = tmp_path / "broken.html"
    broken.write_text(report.read_text().replace(
        "</body>", "<script>null.boom();</script></body>"))
    _dom_text, errors = _dom(broken, tmp_path / "profile")
    assert errors is not None
    assert "null" in errors


def test_browser_renders_the_report(report: Path, tmp_path: Path) -> None:
    dom, errors = _dom(report, tmp_path / "profile")
    assert errors is None, errors
    assert 'data-script="ok"' in dom, "the page's script did not run to its end"
    for key in ("shop/payment/p-100", "shop/payment/p-200", "shop/payment/p-300",
                "shop/payment/p-400", "shop/refund/r-400"):
        assert f'data-key="{key}"' in dom
    problems = _parse(dom).tables["problems"]
    assert [row[5] for row in problems[1:]] == ["duplicate", "invalid", "stale", "rejected"]
    assert dom.count("<svg") == 5


def test_browser_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "audit.png"
    done = _browse(report, tmp_path / "profile", f"--screenshot={shot}",
                   "--window-size=1200,1600", "--hide-scrollbars")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert shot.stat().st_size > 10_000
    assert _png_pixels_vary(shot.read_bytes()) > 50
