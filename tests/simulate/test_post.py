"""``--post``: loopback receivers only, bounded count and rate, each input as the provider
sends it with the envelope in ``X-Paychart-…`` headers."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from paychart._sim_post import PostError, check_loopback, post
from paychart.cli import main
from paychart.exit import EXIT_OK

RECORD = {"provider": "cardlink", "channel": "response", "headers": {"Content-Type": "x/y"},
          "body": "{}", "ref": "tok", "operation": "confirm"}
CALLBACK = {"provider": "platform", "channel": "callback", "headers": {}, "body": "a=1"}


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://localhost:9/",
                                 "http://[::1]:8000", "https://127.0.0.2/x"])
def test_loopback_urls_pass(url: str) -> None:
    assert check_loopback(url) == url


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://example.com/", "file:///etc",
                                 "http://127.0.0.1.example.com/", "127.0.0.1:80"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(PostError):
        check_loopback(url)


def test_count_and_rate_are_bounded() -> None:
    sent: list[urllib.request.Request] = []
    pauses: list[float] = []

    def sender(request: urllib.request.Request) -> int:
        sent.append(request)
        return 200

    done = post([RECORD] * 10, "http://127.0.0.1:1/", limit=4, rate=20, every_channel=True,
                sender=sender, sleep=pauses.append)
    assert (done.sent, done.failed, dict(done.statuses)) == (4, 0, {200: 4})
    assert pauses == [0.05] * 4
    request = sent[0]
    assert request.get_method() == "POST" and request.data == b"{}"
    assert request.get_header("X-paychart-channel") == "response"
    assert request.get_header("X-paychart-operation") == "confirm"
    assert request.get_header("Content-type") == "x/y"


def test_only_callbacks_by_default_to_each_providers_route() -> None:
    urls: list[str] = []

    def sender(request: urllib.request.Request) -> int:
        urls.append(request.full_url)
        return 204

    done = post([RECORD, CALLBACK, RECORD], "http://127.0.0.1:8000/webhooks/{provider}",
                limit=10, rate=0, sender=sender)
    assert urls == ["http://127.0.0.1:8000/webhooks/platform"]
    assert (done.sent, dict(done.statuses)) == (1, {204: 1})


def test_an_unreachable_receiver_counts_as_failed() -> None:
    def sender(_request: urllib.request.Request) -> int:
        raise ConnectionRefusedError

    done = post([CALLBACK] * 3, "http://127.0.0.1:1/", limit=10, rate=0, sender=sender)
    assert (done.sent, done.failed) == (0, 3)


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        _Receiver.bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_simulate_posts_to_a_loopback_receiver(secrets_file: Path, tmp_path: Path,
                                               receiver: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _Receiver.bodies = []
    status = main(["simulate", "invoices", "--objects", "3", "--seed", "1",
                   "--secrets", str(secrets_file), "--out", str(tmp_path / "a.jsonl"),
                   "--expect", str(tmp_path / "a.json"), "--post", receiver,
                   "--post-limit", "5", "--post-rate", "1000", "--post-all"])
    assert status == EXIT_OK
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(_Receiver.bodies) == min(5, len(lines))
    assert _Receiver.bodies[0] == json.loads(lines[0])["body"].encode()
    assert "posted" in capsys.readouterr().out
