"""The webhook receiver: an ASGI app (Starlette) a backend mounts, or ``paychart serve`` runs.

``POST /webhooks/{provider}`` exists for every discovered provider. The raw body is read once
(at most ``max_body_bytes``), handed with its headers to the provider's adapter untouched,
decided, journaled, and answered so that the provider retries exactly the messages we do
not hold. The engine is synchronous: it runs in worker threads, as many as the store has
connections (``store.max_connections`` when the store declares it, else 4).

The journaled decisions (applied, duplicate, stale, rejected) answer:

| provider             | journaled                   | invalid: not authentic (what failed)   |
|----------------------|-----------------------------|----------------------------------------|
| cardlink             | 200, empty body             | 401, body field `signature`            |
| platform             | 200, body `OK` (text/plain) | 401, body field `hash`                 |
| paylink              | 200, empty body             | 401, `Authorization`/`Content-Signature` |
| invoices             | 200, empty body             | 401, `X-Signature` header              |
| transaction_services | 200, empty body             | 401, body field `checksum`             |

Any other ``invalid`` is 400, and a callback that journaled nothing is 503, for every provider.

Every provider retries until it gets its acknowledgement (docs/PROVIDERS.md: HTTP 200, or the
body ``OK`` for the platform protocol); none asks for a JSON body. ``invalid`` is 401 when
authentication failed and 400 otherwise (unparseable, a status the protocol lacks), with a
JSON ``{"outcome", "field", "reason"}`` whose reason never holds a secret; a body over the
limit is 413; a store that journaled nothing (``StoreError``, an SQLite error,
``RetriesExhaustedError``) and any internal error are 503 with a generic reason, so the
provider retries; never a 500. ``GET /healthz`` is 200 while the store answers, else 503.

With an ``operator_token``: ``GET /objects/{provider}/{kind}/{id}`` (state, canonical status,
ledger), ``GET /orders/{reference}`` (the order across providers: status, totals, attempts,
anomalies) and ``GET /metrics`` (Prometheus), all behind ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._server_answers import Answer, too_large, unavailable
from ._server_operator import authorized, object_route, order_route, refused
from ._server_receiver import Receiver, Subscriber
from .adapter import MAX_BODY_BYTES
from .exit import where_failed
from .orchestrator import Orchestrator
from .providers import available
from .secrets import Secrets

if TYPE_CHECKING:
    from .metrics import ReceiverMetrics

__all__ = ["create_app"]

log = logging.getLogger("paychart.asgi")
T = TypeVar("T")

DEFAULT_THREADS = 4
"""Worker threads for a store that does not say how many connections it has: SQLite gives
each thread its own connection, and one writer holds the lock at a time."""


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or ``None`` as soon as it is known to exceed ``limit`` (from its declared
    length, or while it streams in): nothing past the limit is read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def received_headers(request: Request) -> Mapping[str, str]:
    """Headers as sent (names lower-cased by HTTP/ASGI); a repeated one is joined with
    ``, `` as HTTP allows, so a second ``Authorization`` cannot slip past the first."""
    headers: dict[str, str] = {}
    for name, value in request.headers.raw:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _response(answer: Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)


class _App:
    """The routes' shared state: receiver, limits, metrics, and the thread limiter, which is
    made on first use (an ASGI app may be built before any event loop runs)."""

    def __init__(self, receiver: Receiver, max_body_bytes: int, threads: int,
                 operator_token: str | None) -> None:
        self.receiver = receiver
        self.max_body_bytes = max_body_bytes
        self.threads = threads
        self.operator_token = operator_token
        self._limiter: anyio.CapacityLimiter | None = None
        self.metrics: ReceiverMetrics | None = None
        if operator_token is not None:  # prometheus-client is imported only when it is used
            from .metrics import ReceiverMetrics

            self.metrics = ReceiverMetrics()

    async def offload(self, call: Callable[[], T]) -> T:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def webhook(self, provider: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            try:
                body = await read_body(request, self.max_body_bytes)
                if body is None:
                    answer = too_large(self.max_body_bytes)
                else:
                    headers = received_headers(request)
                    answer = await self.offload(
                        lambda: self.receiver.receive(provider, body, headers))
            except ClientDisconnect:
                answer = unavailable("the request ended before its body")
            except Exception as exc:  # never a 500 with a traceback
                log.error("%s callback: internal error %s; answered 503", provider,
                          where_failed(exc))
                answer = unavailable("internal error; retry later")
            if self.metrics is not None:
                self.metrics.observe(provider, answer.outcomes, time.perf_counter() - started)
            return _response(answer)
        return endpoint

    async def healthz(self, _request: Request) -> Response:
        if await self.offload(self.receiver.healthy):
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "store unavailable"}, status_code=503)

    def guarded(self, route: Callable[[Request], Any]) -> Callable[[Request], Any]:
        token = self.operator_token
        assert token is not None

        async def endpoint(request: Request) -> Response:
            if not authorized(request, token):
                return refused()
            try:
                response: Response = await route(request)
            except Exception as exc:  # the store is down, or a bug: no 500, no traceback
                log.error("operator route %s: %s; answered 503", request.url.path,
                          where_failed(exc))
                return JSONResponse({"error": "unavailable; retry later"}, status_code=503)
            return response
        return endpoint

    async def objects(self, request: Request) -> Response:
        return await object_route(request, self.receiver.engine, self.offload)

    async def orders(self, request: Request) -> Response:
        return await order_route(request, self.receiver.engine, self.offload)

    async def metrics_route(self, _request: Request) -> Response:
        assert self.metrics is not None  # the route exists only with the operator token
        return Response(self.metrics.render(), media_type=self.metrics.content_type)


def create_app(engine: Orchestrator, secrets: Secrets, *, max_body_bytes: int = MAX_BODY_BYTES,
               operator_token: str | None = None,
               on_decision: Iterable[Subscriber] = ()) -> Starlette:
    """The receiver over ``engine`` (and its store). ``secrets`` turn signature checking on
    per provider, failing closed; ``on_decision`` callables are called as ``(decision, seq)``
    for every committed decision, ``seq`` its journal entry's (their failures are logged and
    never change the answer); ``operator_token`` enables
    the operator routes (an empty token is refused: it would let anyone in)."""
    if operator_token is not None and not operator_token.strip():
        raise ValueError("operator_token must not be empty")
    if max_body_bytes < 1:
        raise ValueError("max_body_bytes must be positive")
    threads = getattr(engine.store, "max_connections", None) or DEFAULT_THREADS
    app = _App(Receiver(engine, secrets, on_decision), max_body_bytes, int(threads),
               operator_token)
    routes = [Route(f"/webhooks/{provider}", app.webhook(provider), methods=["POST"])
              for provider in available()]
    routes.append(Route("/healthz", app.healthz, methods=["GET"]))
    if operator_token is not None:
        routes += [Route("/objects/{provider}/{kind}/{object_id:path}",
                         app.guarded(app.objects), methods=["GET"]),
                   Route("/orders/{reference:path}", app.guarded(app.orders), methods=["GET"]),
                   Route("/metrics", app.guarded(app.metrics_route), methods=["GET"])]
    return Starlette(routes=routes)
