"""``paychart simulate --post``: the simulated traffic sent to a receiver on this machine.

Only loopback addresses are accepted (simulated traffic must never leave the host, and a
typo must not aim it at someone's server), the count and the rate are bounded, and each
request has a timeout. What a provider POSTs is its callbacks, so only those are sent unless
``every_channel``; ``{provider}`` in the URL is replaced by the record's provider
(``http://127.0.0.1:8000/webhooks/{provider}`` for ``paychart serve``). The body and headers
go as the provider sends them; the envelope it does not send (``channel``, ``ref``,
``operation``) rides in ``X-Paychart-…`` headers, which a receiver may ignore.
"""

from __future__ import annotations

import ipaddress
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

MAX_POSTS = 100_000
TIMEOUT_SECONDS = 10.0


class PostError(ValueError):
    """A receiver URL that is not a loopback ``http://`` address."""


def check_loopback(url: str) -> str:
    """``url`` when it is ``http(s)://`` on a loopback address; ``PostError`` otherwise."""
    parts = urlsplit(url.replace("{provider}", "provider"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PostError(f"--post needs an http:// URL, got {url[:80]!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise PostError(f"--post sends only to loopback addresses (127.0.0.1, ::1, "
                            f"localhost), not {host[:80]!r}")
    return url


@attrs.frozen
class Posted:
    sent: int
    failed: int
    statuses: Mapping[int, int]


Sender = Callable[[urllib.request.Request], int]


def _send(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def post(records: Iterable[Mapping[str, Any]], url: str, *, limit: int, rate: float,
         every_channel: bool = False, sender: Sender = _send,
         sleep: Callable[[float], None] = time.sleep) -> Posted:
    """POST each callback record's body and headers (every record's when ``every_channel``)
    to ``url``, at most ``limit`` of them and ``rate`` a second; a receiver that cannot be
    reached counts as a failure."""
    check_loopback(url)
    sent = failed = 0
    statuses: dict[int, int] = {}
    gap = 1.0 / rate if rate > 0 else 0.0
    for record in records:
        if sent + failed >= min(limit, MAX_POSTS):
            break
        if not every_channel and record["channel"] != "callback":
            continue
        body = record.get("body")
        data = body.encode("utf-8") if isinstance(body, str) else b""
        headers = {**record.get("headers", {}), "X-Paychart-Provider": record["provider"],
                   "X-Paychart-Channel": record["channel"]}
        for key in ("ref", "operation"):
            if record.get(key) is not None:
                headers[f"X-Paychart-{key.title()}"] = record[key]
        request = urllib.request.Request(  # noqa: S310 - check_loopback allows http(s) only
            url.replace("{provider}", record["provider"]), data=data, headers=headers,
            method="POST")
        try:
            status = sender(request)
        except (OSError, ValueError):
            failed += 1
        else:
            sent += 1
            statuses[status] = statuses.get(status, 0) + 1
        if gap:
            sleep(gap)
    return Posted(sent, failed, dict(sorted(statuses.items())))
