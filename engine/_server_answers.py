"""What the webhook receiver answers for the decisions about one callback.

The HTTP answer tells the provider one thing: whether to send the message again. Every
decision that is durably journaled (applied, duplicate, stale, rejected) answers 2xx with
exactly the acknowledgement the protocol expects, so a message we already hold is not retried;
``invalid`` answers 4xx (401 when authentication failed), and a store that journaled nothing
answers 503 so that the provider retries. The table is in ``paychart.asgi``'s docstring.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import attrs

from .decision import Decision, Outcome
from .redact import mask_every_digit_run

AUTHENTICATION_FIELDS = frozenset({
    "signature",          # the authenticity wrapper, CARDLINK, the platform's hash, invoices
    "hash",               # the platform's body field
    "checksum",           # transaction services' body field
    "authorization",      # PayLink's HTTP Basic credentials
    "content-signature",  # PayLink's RSA signature of the body
    "x-signature",        # the invoices platform's HMAC header
})
"""Fields (compared without case) whose ``invalid`` means "not authentic": answered 401."""

MAX_REASON = 200
"""Characters of an ``invalid`` reason shown to the sender: enough to debug a misconfigured
provider, too few to turn the endpoint into an oracle."""

EMPTY_OK = b""
"""The acknowledgement of every protocol without a reply body: HTTP 200, nothing else."""


@attrs.frozen
class Answer:
    """An HTTP answer: status, body bytes, media type, and the outcome labels to count."""

    status: int
    body: bytes = b""
    media_type: str = "text/plain; charset=utf-8"
    outcomes: tuple[str, ...] = ()


def _json(status: int, data: dict[str, str | None], outcomes: tuple[str, ...]) -> Answer:
    return Answer(status, json.dumps(data).encode("utf-8"), "application/json", outcomes)


def is_authentication(decision: Decision) -> bool:
    return (decision.field or "").lower() in AUTHENTICATION_FIELDS


def shown_reason(reason: str) -> str:
    """A reason safe to send back: digit runs that could be card numbers masked, bounded."""
    text = mask_every_digit_run(reason)
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 1] + "…"


def answer_for(decisions: Sequence[Decision]) -> Answer:
    """The answer to one callback's decisions (a batch has several): an ``invalid`` one
    makes the whole message refused, since the provider can only resend all of it; the
    decisions that did apply are duplicates on that resend."""
    outcomes = tuple(d.outcome.value for d in decisions)
    refused = [d for d in decisions if d.outcome is Outcome.INVALID]
    if refused:
        worst = next((d for d in refused if is_authentication(d)), refused[0])
        status = 401 if is_authentication(worst) else 400
        return _json(status, {"outcome": "invalid", "field": worst.field,
                              "reason": shown_reason(worst.reason)}, outcomes)
    reply = next((d.reply for d in decisions if d.reply is not None), None)
    body = EMPTY_OK if reply is None else reply.encode("utf-8")
    return Answer(200, body, outcomes=outcomes)


def unavailable(reason: str) -> Answer:
    """Nothing was journaled: the provider must retry (``reason`` is generic, never the
    exception's text, which may quote input)."""
    return _json(503, {"outcome": "unavailable", "reason": reason}, ("unavailable",))


def too_large(limit: int) -> Answer:
    return _json(413, {"outcome": "invalid", "field": "body",
                       "reason": f"body exceeds the {limit}-byte limit"}, ("too_large",))
