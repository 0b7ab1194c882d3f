"""Operator status routes of the webhook receiver: one object's state, one order, and the
metrics.

Off unless ``create_app`` is given an ``operator_token``; then every route here wants
``Authorization: Bearer <token>``, compared in constant time. These routes read, never write.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._cli_commands import object_row
from .orchestrator import Orchestrator

Offload = Callable[[Callable[[], Any]], Awaitable[Any]]
"""Runs a blocking call off the event loop (the app's limited thread pool)."""


def authorized(request: Request, token: str) -> bool:
    """Whether the request carries the bearer token; the comparison takes the same time
    whatever prefix of the token a guess gets right."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return hmac.compare_digest(given.strip().encode("utf-8") if scheme.lower() == "bearer"
                               else b"", token.encode("utf-8"))


def refused() -> Response:
    return JSONResponse({"error": "operator routes need Authorization: Bearer <token>"},
                        status_code=401, headers={"WWW-Authenticate": "Bearer"})


def object_view(engine: Orchestrator, provider: str, kind: str,
                object_id: str) -> dict[str, Any] | None:
    """An object as ``paychart objects`` shows it, with its version and what the merchant
    may do now; ``None`` when the store has no such object."""
    record = engine.record(provider, kind, object_id)
    if record is None:
        return None
    view = object_row(record, engine.charts)
    view["version"] = record.version
    view["allowed"] = [str(action) for action in
                       engine.allowed_actions(provider, kind, object_id)]
    return view


async def object_route(request: Request, engine: Orchestrator, offload: Offload) -> Response:
    params = request.path_params
    provider, kind, object_id = params["provider"], params["kind"], params["object_id"]
    view = await offload(lambda: object_view(engine, provider, kind, object_id))
    if view is None:
        return JSONResponse({"error": f"no {kind} {object_id} of {provider}"}, status_code=404)
    return JSONResponse(view)


async def order_route(request: Request, engine: Orchestrator, offload: Offload) -> Response:
    """The order with the path's reference as ``validate --format json`` shows it (status,
    totals per currency, attempts with their children, anomaly codes); 404 when no attempt
    keeps that reference."""
    reference = request.path_params["reference"]
    order = await offload(lambda: engine.order(reference))
    if order is None:
        return JSONResponse({"error": "no attempt has that reference"}, status_code=404)
    return JSONResponse(order.to_json())
