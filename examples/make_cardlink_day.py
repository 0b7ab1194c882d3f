"""Write ``cardlink_day.jsonl``: one realistic day of CARDLINK traffic for ``paychart validate``.

Deterministic (fixed seed): run ``python examples/make_cardlink_day.py`` and commit the output.
The day mixes payments (hosted checkout, host-to-host with 3-D Secure, two-step, p2p), refunds,
payouts and disputes with the faults a backend really sees: retried callbacks (duplicates),
late ``pending`` after ``approved`` (stale), forged signatures (invalid), an unsigned callback,
``declined → approved`` changes without the merchant option (rejected), a double refund that
exceeds the payment (rejected), a status change while a dispute is pending (rejected) and 403
error responses. Callbacks are signed with the key in ``cardlink_secrets.toml``.

    paychart validate examples/cardlink_day.jsonl --secrets examples/cardlink_secrets.toml
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = tomllib.loads((HERE / "cardlink_secrets.toml").read_text())["cardlink"]["private_key"]
DAY = datetime(2026, 11, 20, tzinfo=UTC)
BASE = "https://business.cardlinkpro.com"
SIGNED = ("token", "type", "status", "extraReturnParam", "orderNumber", "amount", "currency",
          "gatewayAmount", "gatewayCurrency")
PANS_3DS = {"approved": "4617611794313933", "declined": "4626233193837898"}
PANS_PLAIN = {"approved": "4392963203551251", "declined": "4730198364688516"}
PANS_PAYOUT = {"approved": "4627342642639018", "declined": "4968357931420422"}
PRODUCTS = ["Wireless earbuds", "Annual subscription", "Gift card 50", "Running shoes",
            "Espresso machine", "Mechanical keyboard", "Language course", "Phone case"]

rng = random.Random(20261120)  # noqa: S311 - a reproducible example, not a secret
Step = tuple[float, dict[str, Any]]


def token() -> str:
    return f"{rng.getrandbits(128):032x}"


def signed(tok: str, kind: str, status: str, amount: int, currency: str, **extra: Any
           ) -> dict[str, Any]:
    """A callback body signed by the length-prefixed MD5 scheme (docs/PROVIDERS.md §1)."""
    body: dict[str, Any] = {"token": tok, "type": kind, "status": status, **extra,
                            "amount": amount, "currency": currency}
    base = ""
    for name in SIGNED:
        value = "" if body.get(name) is None else str(body[name])
        if name in ("extraReturnParam", "orderNumber") and not value:
            continue
        base += f"{len(value)}{value}"
    body["signature"] = hashlib.md5((base + KEY).encode()).hexdigest()
    return body


def rec(channel: str, body: dict[str, Any], operation: str | None = None,
        ref: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"provider": "cardlink", "channel": channel,
                            "headers": {"Content-Type": "application/json"},
                            "body": json.dumps(body, ensure_ascii=False)}
    if channel == "request":
        line["headers"]["Authorization"] = "Bearer [merchant private key]"
    if ref is not None:
        line["ref"] = ref
    if operation is not None:
        line["operation"] = operation
    return line


def create_response(tok: str, amount: int, currency: str, status: str = "init", *,
                    two_stage: bool | None = None, three_ds: bool = False,
                    methods: bool = False) -> dict[str, Any]:
    payment: dict[str, Any] = {"amount": str(amount), "currency": currency, "status": status}
    if two_stage is not None:
        payment.update(gateway_amount=amount, two_stage_mode=two_stage)
    body: dict[str, Any] = {"success": True, "errors": [], "token": tok,
                            "processingUrl": f"{BASE}/p/{tok}", "payment": payment}
    if methods:
        body["processingUrl"] = [{m: f"{BASE}/p/{tok}/{m}?locale=en"}
                                 for m in ("bank_card", "webmoney", "qiwi_wallet")]
        body["selectorURL"] = f"{BASE}/select/{tok}/"
    if three_ds:
        term = f"{BASE}/checkout_results/{tok}/callback_3ds"
        body["redirectRequest"] = {"url": "https://acs.issuer.example/pareq", "type": "post",
                                   "params": {"PaReq": f"eJzV{tok[:20]}", "TermUrl": term}}
    return body


def pay_request(amount: int, currency: str, order: str, pan: str | None,
                two_stage: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"product": rng.choice(PRODUCTS), "amount": amount,
                            "currency": currency, "callbackUrl": "https://shop.example/cb",
                            "redirectSuccessUrl": "https://shop.example/ok",
                            "redirectFailUrl": "https://shop.example/fail",
                            "orderNumber": order, "locale": "en"}
    if two_stage:
        body["needConfirmation"] = True
    if pan:
        body["card"] = {"pan": pan, "expires": f"{rng.randint(1, 12):02d}/20{rng.randint(27, 31)}",
                        "holder": "JANE DOE", "cvv": f"{rng.randint(100, 999)}"}
        body["customer"] = {"email": "jane.doe@example.com", "ip": "178.175.50.34"}
    return body


def poll(tok: str, status: str, amount: int, currency: str, at: float,
         kind: str = "pay") -> dict[str, Any]:
    moment = (DAY + timedelta(seconds=at)).isoformat(timespec="milliseconds")
    return {"success": True, "errors": [], "status": 200, "payment": {
        "id": rng.randint(2000, 99999), "status": status, "token": tok, "currency": currency,
        "amount": amount, "created_at": moment, "updated_at": moment.replace("+00:00", "Z"),
        "operation_type": kind}}


class Day:
    """Flows of steps (seconds after the flow's start, record), merged by time at the end."""

    def __init__(self) -> None:
        self.steps: list[tuple[float, int, dict[str, Any]]] = []
        self.order = 10000

    def flow(self, steps: list[Step], start: float | None = None) -> None:
        begin = rng.uniform(300, 84000) if start is None else start
        for offset, line in steps:
            self.steps.append((begin + offset, len(self.steps), line))

    def next_order(self) -> str:
        self.order += rng.randint(1, 4)
        return str(self.order)

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for at, _, line in sorted(self.steps, key=lambda s: (s[0], s[1])):
            out.append({**line, "received_at": (DAY + timedelta(seconds=at)).isoformat()})
        return out


def amount_for(currency: str) -> int:
    if currency == "JPY":
        return rng.choice([100, 500, 1000, 2500, 9900])
    return rng.randint(199, 25000)


def checkout(day: Day, outcome: str, *, currency: str | None = None, faults: bool = True,
             p2p: bool = False, start: float | None = None) -> tuple[str, int, str]:
    """Hosted checkout (or p2p trader page): create → pending → outcome, with retries."""
    cur = currency or rng.choice(["EUR", "EUR", "USD", "USD", "CNY", "JPY"])
    tok, amt, order = token(), amount_for(cur), day.next_order()
    kind = "pay" if rng.random() < 0.8 else "payment"
    steps: list[Step] = [(0, rec("response", create_response(tok, amt, cur,
                                                             methods=rng.random() < 0.3,
                                                             two_stage=False if p2p else None),
                                 "create"))]
    t = rng.uniform(20, 200)
    if rng.random() < 0.7:
        steps.append((t, rec("callback", signed(tok, kind, "pending", amt, cur,
                                                orderNumber=order))))
    t += rng.uniform(30, 900 if outcome != "expired" else 3600)
    final = signed(tok, kind, outcome, amt, cur, orderNumber=order,
                   **({"sanitizedMask": "439296******1251", "gatewayAmount": amt,
                       "gatewayCurrency": cur} if outcome == "approved" else {}))
    steps.append((t, rec("callback", final)))
    if faults and rng.random() < 0.35:  # the platform retries: our 200 got lost
        steps.append((t + rng.uniform(60, 600), rec("callback", final)))
    if faults and rng.random() < 0.25:  # the reconciliation job polls the status
        steps.append((t + rng.uniform(900, 4000), rec("poll", poll(tok, outcome, amt, cur, t),
                                                      "status")))
    day.flow(steps, start)
    return tok, amt, cur


def host_to_host(day: Day, outcome: str, three_ds: bool) -> None:
    cur = rng.choice(["EUR", "USD"])
    tok, amt, order = token(), amount_for(cur), day.next_order()
    pan = (PANS_3DS if three_ds else PANS_PLAIN)[outcome]
    steps: list[Step] = [(0, rec("request", pay_request(amt, cur, order, pan), "create", tok))]
    if not three_ds and outcome == "declined":
        steps.append((1.2, rec("response", create_response(tok, amt, cur, "declined"), "create")))
    else:
        steps.append((1.5, rec("response", create_response(tok, amt, cur, three_ds=three_ds),
                               "create")))
        steps.append((rng.uniform(40, 240), rec("callback", signed(tok, "pay", outcome, amt, cur,
                                                                   orderNumber=order))))
    day.flow(steps)


def two_step(day: Day, confirm: bool) -> None:
    cur = "USD"
    tok, amt, order = token(), amount_for(cur), day.next_order()
    done = {"amount": amt, "gateway_amount": amt, "currency": cur,
            "status": "approved" if confirm else "declined", "two_stage_mode": True}
    hold = signed(tok, "pay", "approved", amt, cur, orderNumber=order)
    t = rng.uniform(1800, 7200)
    day.flow([
        (0, rec("request", pay_request(amt, cur, order, None, two_stage=True), "create", tok)),
        (1.1, rec("response", create_response(tok, amt, cur, two_stage=True), "create")),
        (rng.uniform(60, 400), rec("callback", hold)),
        (t, rec("response", {"success": True, "result": 0, "status": 200, "payment": done},
                "confirm" if confirm else "decline", tok)),
        (t + rng.uniform(5, 60), rec("callback", hold)),  # the platform re-sends `approved`
    ])


def refunds(day: Day, payment: tuple[str, int, str], parts: list[int], *, echo_payment: bool,
            start: float, callbacks: bool = True) -> None:
    tok, amt, cur = payment
    steps: list[Step] = []
    t = 0.0
    for part in parts:
        ref = token()
        steps.append((t, rec("response", {"success": True, "errors": [], "token": tok,
                                          "processingUrl": f"{BASE}/p/{tok}",
                                          "refund": {"token": ref, "amount": str(part),
                                                     "currency": cur, "status": "approved"}},
                             "refund")))
        if callbacks:
            steps.append((t + rng.uniform(5, 90), rec("callback", signed(ref, "refund",
                                                                          "approved", part, cur))))
        t += rng.uniform(600, 3600)
    if echo_payment:
        steps.append((t, rec("callback", signed(tok, "pay", "refunded", amt, cur))))
    day.flow(steps, start)


def payout(day: Day, outcome: str, p2p: bool) -> None:
    tok = token() if not p2p else token()[:31]
    cur = "RUB" if p2p else rng.choice(["EUR", "CNY", "USD"])
    amt, order = amount_for(cur) * (10 if p2p else 1), day.next_order()
    if p2p:
        first = rec("response", {"success": True, "result": 0, "status": 200, "token": tok,
                                 "processingUrl": [{"trader": f"{BASE}/payout/{tok}"}],
                                 "selectorUrl": f"{BASE}/select/payout/{tok}",
                                 "payment": {"amount": amt, "currency": cur,
                                             "gateway_amount": amt, "gateway_currency": cur,
                                             "status": "init"}}, "payout")
        steps: list[Step] = [(0, first)]
    else:
        request = {"amount": amt, "currency": cur, "orderNumber": order,
                   "card": {"pan": PANS_PAYOUT[outcome], "expires": "08/2029"},
                   "customer": {"email": "payee@example.com", "ip": "1.1.1.1"}}
        stamp = (DAY + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        steps = [(0, rec("request", request, "payout", tok)),
                 (0.9, rec("response", {"success": True, "errors": [], "payout": {
                     "token": tok, "status": "pending", "timestamp": stamp}}, "payout"))]
    steps.append((rng.uniform(30, 1800), rec("callback", signed(tok, "payout", outcome, amt, cur,
                                                                orderNumber=order))))
    day.flow(steps)


def dispute(day: Day, won: bool) -> None:
    """A p2p payment stuck in pending; the merchant files a dispute with the receipt."""
    tok, amt, cur = token()[:31], rng.randint(50000, 300000), "RUB"
    steps: list[Step] = [
        (0, rec("response", create_response(tok, amt, cur, two_stage=False), "create")),
        (60, rec("callback", signed(tok, "pay", "pending", amt, cur))),
        (3600, rec("request", {"token": tok, "description": "customer paid, receipt attached",
                               "document": "receipt.png"}, "dispute")),
        (3601, rec("response", {"success": True, "result": 0, "status": 200}, "dispute", tok)),
    ]
    if won:
        steps += [(9000, rec("callback", signed(tok, "dispute", "approved", amt, cur))),
                  (9060, rec("callback", signed(tok, "pay", "approved", amt, cur)))]
    else:
        steps += [(5400, rec("callback", signed(tok, "pay", "approved", amt, cur))),  # blocked
                  (9000, rec("callback", signed(tok, "dispute", "declined", amt, cur))),
                  (9900, rec("callback", signed(tok, "pay", "expired", amt, cur)))]
    day.flow(steps)


def faults(day: Day) -> None:
    """Inputs that must not change anything, or must be flagged to a person."""
    for _ in range(3):  # late `pending` after `approved`
        tok, amt, cur = checkout(day, "approved", faults=False, start=rng.uniform(300, 60000))
        day.flow([(0, rec("callback", signed(tok, "pay", "pending", amt, cur)))],
                 rng.uniform(84000, 86000))
    for _ in range(3):  # forged `approved` for an expired or declined payment
        tok, amt, cur = checkout(day, rng.choice(["declined", "expired"]), faults=False,
                                 start=rng.uniform(300, 60000))
        forged = {**signed(tok, "pay", "declined", amt, cur), "status": "approved"}
        day.flow([(0, rec("callback", forged))], rng.uniform(85000, 86000))
    for _ in range(2):  # the gateway changed a declined payment without the merchant option
        tok, amt, cur = checkout(day, "declined", faults=False, start=rng.uniform(300, 60000))
        day.flow([(0, rec("callback", signed(tok, "pay", "approved", amt, cur)))],
                 rng.uniform(85000, 86300))
    tok, amt, cur = checkout(day, "approved", faults=False, start=rng.uniform(300, 60000))
    # a callback without signature, from a proxy that strips it
    unsigned = {k: v for k, v in signed(tok, "pay", "approved", amt, cur).items()
                if k != "signature"}
    day.flow([(0, rec("callback", unsigned))], rng.uniform(85000, 86300))
    day.flow([(0, rec("response", {"success": False, "result": 1, "status": 403, "errors": [
        {"code": "amount_less_than_minimum", "kind": "invalid_request_error"}]}, "payout"))])
    day.flow([(0, rec("response", {"success": False, "result": 1, "status": 403, "errors": {
        "list": [{"code": "order_number_already_exists", "kind": "invalid_request_error"}]}},
        "create"))])
    day.flow([(0, rec("response", {"success": False, "result": 1, "status": 403, "errors": [
        {"code": "amount_less_than_balance", "kind": "processing_error"}]}, "payout"))])


def build() -> list[dict[str, Any]]:
    day = Day()
    for outcome, count in (("approved", 70), ("declined", 14), ("expired", 8)):
        for _ in range(count):
            checkout(day, outcome)
    for _ in range(6):
        checkout(day, rng.choice(["approved", "approved", "declined"]), currency="RUB", p2p=True)
    for outcome, three_ds, count in (("approved", True, 8), ("declined", True, 3),
                                     ("approved", False, 4), ("declined", False, 4)):
        for _ in range(count):
            host_to_host(day, outcome, three_ds)
    for confirm in [True] * 5 + [False] * 2:
        two_step(day, confirm)
    for i in range(14):  # refunds of payments made early in the day
        payment = checkout(day, "approved", currency=rng.choice(["EUR", "USD"]), faults=False,
                           start=rng.uniform(300, 30000))
        when = rng.uniform(40000, 70000)
        if i < 5:
            refunds(day, payment, [payment[1]], echo_payment=True, start=when)
        elif i < 12:
            refunds(day, payment, [payment[1] // 3], echo_payment=False, start=when)
        else:  # a retried refund call created a second refund beyond the payment
            refunds(day, payment, [payment[1] // 2, payment[1] // 2 + 1, payment[1] // 2],
                    echo_payment=False, start=when, callbacks=False)
    for outcome, p2p, count in (("approved", False, 8), ("declined", False, 3),
                                ("approved", True, 5), ("declined", True, 2)):
        for _ in range(count):
            payout(day, outcome, p2p)
    dispute(day, won=True)
    dispute(day, won=False)
    faults(day)
    return day.lines()


def main(out: Path = HERE / "cardlink_day.jsonl") -> None:
    lines = build()
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                   encoding="utf-8")
    print(f"wrote {len(lines)} inputs to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "cardlink_day.jsonl")
