"""The audit report: what the HTML says about a recorded run, that it needs no network, and
that a real headless browser (Debian ``chromium``) renders it without script errors."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import sqlite3
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest

from paychart import audit
from paychart._audit_source import paychart_version
from paychart.charts import ChartSet
from paychart.cli import main
from paychart.secrets import Secrets
from paychart.stores.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/engine/fixtures/audit"
SHOP = FIXTURES / "shop_payment.toml"
REFUND = FIXTURES / "shop_refund.toml"
TRAFFIC = FIXTURES / "shop_traffic.jsonl"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


SECTION_IDS = ["summary", "provenance", "exceptions", "objects"]


def _bench() -> ModuleType:
    """``benchmarks/bench_audit.py`` (not a package): its generator of big days."""
    spec = importlib.util.spec_from_file_location("bench_audit",
                                                  ROOT / "benchmarks/bench_audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def _heads(html: str) -> dict[str, str]:
    """Each object's one-line heading text, by key."""
    return {key: " ".join(re.sub(r"<[^>]+>", "", head).split())
            for key, head in re.findall(r'data-key="([^"]+)">\s*<h4>(.*?)</h4>', html, re.S)}


def test_sections_come_in_the_audit_order(report: Path) -> None:
    ids = re.findall(r'<section id="([a-z]+)"', report.read_text())
    assert ids == SECTION_IDS  # no orders in this run: no orders section


def test_objects_give_final_state_canonical_status_and_ledger(report: Path) -> None:
    heads = _heads(report.read_text())
    assert list(heads) == ["shop/payment/p-400", "shop/payment/p-100", "shop/payment/p-200",
                           "shop/payment/p-300", "shop/refund/r-400"] or sorted(heads) == [
        "shop/payment/p-100", "shop/payment/p-200", "shop/payment/p-300",
        "shop/payment/p-400", "shop/refund/r-400"]
    assert heads["shop/payment/p-200"].startswith("shop/payment/p-200 — chargeback «disputed»")
    assert heads["shop/payment/p-200"].endswith(
        "ledger: authorized 5.00 USD, captured 5.00 USD, refunded 0.00 USD, "
        "charged back 5.00 USD")
    assert "declined «failed»" in heads["shop/payment/p-300"]
    assert "settled «succeeded»" in heads["shop/refund/r-400"]


def test_exceptions_list_rejected_and_invalid_with_reasons_and_routine_by_count(
        report: Path) -> None:
    tables = _parse(report.read_text()).tables
    rows = tables["exceptions"][1:]
    assert [(r[0], r[1], r[4]) for r in rows] == [
        ("invalid", "7", "(unidentified input)"), ("rejected", "12", "shop/payment/p-300")]
    assert rows[0][6].startswith("field line: not JSON")
    assert "override that needs option `allow_late_approval` (disabled)" in rows[1][6]
    assert tables["routine"][1:] == [
        ["duplicate", "1", "same message already decided"],
        ["stale", "1", "reports `held`, which `paid` has already passed"]]


def test_verification_counts_per_provider(report: Path) -> None:
    rows = _parse(report.read_text()).tables["verification"]
    assert rows[1] == ["shop", "0", "13", "0", "no"]


def test_provenance_names_version_digests_options_and_secret_tables_never_values(
        tmp_path: Path) -> None:
    # `shop` is a test chart with no adapter, so no secrets file can hold its table (the
    # schema check refuses it) and a table for it would make its unchecked recorded events
    # invalid: give an unrelated table through the Python API, which must not be listed.
    secrets = Secrets({"other": {"key": "s3cr3t-value"}})
    audited = audit.audit_source(TRAFFIC, charts=ChartSet.bundled([SHOP, REFUND]),
                                 secrets=secrets, options=["allow_late_approval"],
                                 chart_files=[SHOP, REFUND])
    audit.write_input(audited, tmp_path / "out")
    html = (tmp_path / "out" / audit.REPORT_NAME).read_text()
    rows = {r[0]: r[1] for r in _parse(html).tables["provenance"]}
    assert rows["paychart version"] == paychart_version()
    assert rows["sha256 of the recording"] == hashlib.sha256(TRAFFIC.read_bytes()).hexdigest()
    assert rows["chain head"] == "not recorded"
    assert rows["override options"] == "allow_late_approval"
    assert rows["secrets tables used"] == "none"
    for name, path in (("shop_payment", SHOP), ("shop_refund", REFUND)):
        assert rows[f"chart {name} (sha256)"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "s3cr3t" not in html


def test_each_object_has_its_numbered_path_and_timeline(report: Path) -> None:
    html = report.read_text()
    sections = _sections(html)
    p100 = sections["shop/payment/p-100"]
    timeline = _parse(p100).tables["timeline"]
    assert timeline[0] == ["step", "input", "received", "channel", "trigger", "decision",
                           "move", "amount", "ledger after", "reason"]
    assert [row[:9] for row in timeline[1:]] == [
        ["1", "1", "2026-03-01T10:00:00+00:00", "response", "start", "applied",
         "created → pending", "", "auth 0 / capt 0 / refd 0 / cb 0"],
        ["2", "2", "2026-03-01T10:01:00+00:00", "callback", "pay", "applied",
         "pending → paid", "10.00 USD", "auth 10.00 / capt 10.00 / refd 0.00 / cb 0.00 USD"],
        ["", "3", "2026-03-01T10:02:00+00:00", "callback", "pay", "duplicate", "",
         "10.00 USD", ""],
        ["3", "4", "2026-03-01T10:03:00+00:00", "response", "refund", "applied",
         "paid → paid", "3.00 USD", "auth 10.00 / capt 10.00 / refd 3.00 / cb 0.00 USD"],
        ["4", "5", "2026-03-01T10:04:00+00:00", "response", "refund", "applied",
         "paid → refunded", "7.00 USD", "auth 10.00 / capt 10.00 / refd 10.00 / cb 0.00 USD"]]
    group = re.search(r'<a href="#(path-\d+)">', p100)
    assert group is not None
    path = html[html.index(f'id="{group[1]}"'):]
    svg = path[path.index("<svg"):path.index("</svg>")]
    for label in ("(1)", "(2)", "(3)", "(4)"):
        assert f">{label}" in svg
    assert "(5)" not in svg
    p400 = _parse(sections["shop/payment/p-400"]).tables["timeline"]
    assert p400[2][4] == "refund r-400: settle"
    assert p400[2][6] == "paid → refunded"


def test_objects_that_took_the_same_path_share_one_drawing(tmp_path: Path) -> None:
    twice = tmp_path / "twice.jsonl"
    lines = TRAFFIC.read_text().splitlines()[:2]
    twice.write_text("\n".join([*lines, *(line.replace("p-100", "p-101") for line in lines)])
                     + "\n")
    path, _run = audit.write_audit(twice, tmp_path / "out", charts=_charts())
    html = path.read_text()
    assert len(_sections(html)) == 2
    assert html.count("<svg") == 1
    assert 'data-objects="2"' in html


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
    assert html.count("<svg") == len(re.findall(r'<section class="path"', html))


def test_many_objects_continue_on_linked_pages(tmp_path: Path) -> None:
    audited = audit.audit_source(TRAFFIC, charts=_charts())
    pages = audit.write_input(audited, tmp_path, page_objects=2)
    assert [p.name for p in pages] == ["audit.html", "audit-objects-2.html",
                                       "audit-objects-3.html"]
    keys = [k for p in pages for k in _sections(p.read_text())]
    assert sorted(keys) == sorted(r.key for r in audited.run.written)
    ids = {p.name: {a.get("id") for _t, a in _parse(p.read_text()).attrs} for p in pages}
    for page in pages:
        for tag, attrs in _parse(page.read_text()).attrs:
            href = attrs.get("href") if tag == "a" else None
            if href:
                file, _sep, fragment = href.rpartition("#")
                assert fragment in ids[file or page.name], (page.name, href)
    audit.write_input(audited, tmp_path)  # a smaller run leaves no stale pages behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.html"]


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "shop.sqlite"
    assert main(["validate", str(TRAFFIC), "--store", f"sqlite:{db}", "--chart", str(SHOP),
                 "--chart", str(REFUND)]) == 1
    return db


def test_a_store_is_audited_read_only_from_its_journal(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    db = _store(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert _audit(f"sqlite:{db}", tmp_path / "out") == 1
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    html = (tmp_path / "out" / audit.REPORT_NAME).read_text()
    assert _parse(html).tables["summary"][1] == ["14", "10", "1", "1", "1", "1", "0"]
    rows = {r[0]: r[1] for r in _parse(html).tables["provenance"]}
    reader = SQLiteStore(db, read_only=True)
    seq, head = reader.chain_head()
    reader.close()
    assert rows["chain head"] == f"entry #{seq}: {head}" and seq == 14
    assert "sha256" in next(k for k in rows if k.startswith("journal head"))
    assert "14 inputs" in capsys.readouterr().out
    with sqlite3.connect(db) as live:  # a backend holding the store open (its -wal exists)
        live.execute("PRAGMA journal_mode=WAL")
        live.execute("SELECT count(*) FROM journal").fetchone()
        assert _audit(f"sqlite:{db}", tmp_path / "live") == 1


def test_a_window_keeps_only_inputs_received_in_it(tmp_path: Path) -> None:
    db = _store(tmp_path)
    window = ("--since", "2026-03-01T10:01:00+00:00", "--until", "2026-03-01T10:04:00")
    for source in (str(TRAFFIC), f"sqlite:{db}"):
        assert _audit(source, tmp_path / "w", *window) in (0, 1)
        html = (tmp_path / "w" / audit.REPORT_NAME).read_text()
        timeline = _parse(_sections(html)["shop/payment/p-100"]).tables["timeline"]
        assert [row[1] for row in timeline[1:]] == ["2", "3", "4"]
        assert "from 2026-03-01T10:01:00+00:00 until 2026-03-01T10:04:00+00:00" in html


def test_override_option_changes_the_report(tmp_path: Path) -> None:
    path, _run = audit.write_audit(TRAFFIC, tmp_path, charts=_charts(),
                                  options=["allow_late_approval"])
    html = path.read_text()
    assert "override options enabled: allow_late_approval" in html
    assert "override `allow_late_approval` used: `declined → paid`" in html
    assert "paid «succeeded»" in _heads(html)["shop/payment/p-300"]


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
    ("traffic", ("--since", "yesterday"), "--since wants an ISO time"),
    ("sqlite:missing.sqlite", (), "no store at"),
])
def test_audit_command_reports_unreadable_inputs(tmp_path: Path, file: str,
                                                 extra: tuple[str, ...], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n")
    path = TRAFFIC if file == "traffic" else (
        file.replace(":", f":{tmp_path}/") if file.startswith("sqlite:") else tmp_path / file)
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
    assert re.findall(r'<section id="([a-z]+)"', dom) == SECTION_IDS
    for key in ("shop/payment/p-100", "shop/payment/p-200", "shop/payment/p-300",
                "shop/payment/p-400", "shop/refund/r-400"):
        assert f'data-key="{key}"' in dom
    exceptions = _parse(dom).tables["exceptions"]
    assert [row[0] for row in exceptions[1:]] == ["invalid", "rejected"]
    links = re.findall(r'<a class="to-object" href="#([^"]+)">([^<]+)</a>', dom)
    assert links == [("obj-shop-payment-p-300", "shop/payment/p-300")]
    for fragment, key in links:  # the exception's link lands on that object's own section
        assert re.search(rf'<section class="object" id="{fragment}" data-key="{key}">', dom)


def test_browser_renders_a_big_day(tmp_path_factory: pytest.TempPathFactory) -> None:
    """11,880 CARDLINK inputs: one page, drawn once per distinct path, no script errors."""
    folder = tmp_path_factory.mktemp("big")
    day = _bench().scaled_day(11880, folder / "day.jsonl")
    audited = audit.audit_source(day, secrets=Secrets.load(
        ROOT / "examples/cardlink_secrets.toml"))
    pages = audit.write_input(audited, folder / "out")
    assert len(pages) == 1
    assert pages[0].stat().st_size < 15_000_000
    dom, errors = _dom(pages[0], folder / "profile")
    assert errors is None, errors
    assert 'data-script="ok"' in dom
    assert dom.count('<section class="object"') == len(audited.run.written)
    assert dom.count("<svg") == len(re.findall(r'<section class="path"', dom)) < 200
    verification = _parse(dom[:dom.index('id="provenance"')]).tables["verification"]
    assert verification[1][0] == "cardlink"
    assert int(verification[1][1]) > 0  # callbacks verified with the example's secrets


def test_browser_screenshot_is_not_blank(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "audit.png"
    done = _browse(report, tmp_path / "profile", f"--screenshot={shot}",
                   "--window-size=1200,1600", "--hide-scrollbars")
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert shot.stat().st_size > 10_000
    assert _png_pixels_vary(shot.read_bytes()) > 50
