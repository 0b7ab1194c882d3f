"""Orders in the reports: ``validate --format json`` and text, the audit's orders section,
and ``paychart objects STORE --order REF``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paychart.cli import main
from paychart.exit import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE

FIXTURES = Path(__file__).parents[1] / "adapters" / "fixtures"
DOUBLE = "ORDER-12345"


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A CARDLINK payment and a platform sale for one order (a double charge), and a
    CARDLINK order paid once."""
    card = (FIXTURES / "cardlink/callback_pay_approved.json").read_text()
    lines = [
        {"provider": "cardlink", "channel": "callback",
         "body": card.replace('"orderNumber": "10442"', f'"orderNumber": "{DOUBLE}"')},
        {"provider": "platform", "channel": "response",
         "body": (FIXTURES / "platform/real/sale_response_success.json").read_text()},
        {"provider": "cardlink", "channel": "poll", "operation": "order",
         "body": (FIXTURES / "cardlink/poll_order.json").read_text()},
    ]
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_validate_json_lists_orders_anomalies_first(recording: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _status, out, _ = _run(capsys, "validate", str(recording), "--format", "json",
                           "--allow-unverified", "cardlink")
    orders = json.loads(out)["orders"]
    assert [(o["reference"], o["status"], o["anomalies"]) for o in orders] == [
        (DOUBLE, "paid", ["paid_twice", "currency_mismatch"]), ("10450", "expired", [])]
    first = orders[0]
    assert sorted(first) == ["anomalies", "attempts", "reference", "status", "totals"]
    assert [(a["provider"], a["object"], a["state"], a["canonical"])
            for a in first["attempts"]] == [("cardlink", "payment", "approved", "succeeded"),
                                            ("platform", "transaction", "SETTLED", "succeeded")]
    assert first["totals"]["USD"]["captured"] == 2


def test_validate_text_puts_orders_with_anomalies_before_objects(
        recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _status, out, _ = _run(capsys, "validate", str(recording), "--allow-unverified",
                           "cardlink")
    assert "orders (2), 1 with anomalies:" in out
    flagged = next(line for line in out.splitlines() if line.strip().startswith(DOUBLE))
    assert "paid_twice, currency_mismatch" in flagged and "cardlink payment" in flagged
    assert "the others by status: 1 expired" in out
    assert out.index(DOUBLE) < out.index("objects (")


def test_objects_order_shows_one_order(recording: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:{tmp_path / 'orders.sqlite'}"
    _run(capsys, "validate", str(recording), "--store", store, "--allow-unverified",
         "cardlink")
    status, out, _ = _run(capsys, "objects", store, "--order", DOUBLE)
    assert status == EXIT_FINDINGS
    assert out.splitlines()[0] == (f"order {DOUBLE}: ANOMALIES paid_twice, currency_mismatch; "
                                   "status paid")
    assert "platform transaction aaaff66a-904f-11ea-833e-0242ac1f0007  SETTLED" in out
    status, out, _ = _run(capsys, "objects", store, "--order", "10450", "--format", "json")
    assert status == EXIT_OK
    assert json.loads(out)["status"] == "expired"
    status, out, err = _run(capsys, "objects", store, "--order", "nope")
    assert status == EXIT_FINDINGS and out == ""
    assert err == "paychart objects: no object keeps the merchant reference 'nope'\n"
    status, _, err = _run(capsys, "objects", store, "--order", " ")
    assert status == EXIT_USAGE and len(err.splitlines()) == 1 and "--order" in err


def test_audit_shows_the_orders_section(recording: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", str(recording), "--out", str(tmp_path), "--allow-unverified", "cardlink"])
    capsys.readouterr()
    html = (tmp_path / "audit.html").read_text()
    section = html[html.index('<section id="orders">'):]
    section = section[:section.index("</section>")]
    assert "2 orders by merchant reference, 1 with anomalies." in section
    assert section.index(DOUBLE) < section.index("10450")
    assert "<code>paid_twice</code>, <code>currency_mismatch</code>" in section
    assert 'href="#obj-platform-transaction-aaaff66a-904f-11ea-833e-0242ac1f0007"' in section


def test_a_double_charge_fails_validate_and_the_verdict_names_it(
        recording: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every input is applied and every callback allowed unverified: only the order's
    anomalies make the run a finding."""
    status, out, _ = _run(capsys, "validate", str(recording), "--allow-unverified",
                          "cardlink")
    assert status == EXIT_FINDINGS
    verdict = next(line for line in out.splitlines() if line.startswith("verdict:"))
    assert verdict == ("verdict: ORDER ANOMALIES (2: paid_twice 1, currency_mismatch 1; "
                       "see orders)")


def test_a_day_whose_orders_show_no_anomaly_stays_clean(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "once.jsonl"
    path.write_text(json.dumps({"provider": "cardlink", "channel": "callback", "body": (
        FIXTURES / "cardlink/callback_pay_approved.json").read_text()}) + "\n")
    status, out, _ = _run(capsys, "validate", str(path), "--allow-unverified", "cardlink")
    assert status == EXIT_OK and "verdict: clean" in out
