"""The synchronous half of the webhook receiver: one callback in, its decisions journaled,
its subscribers told, and the HTTP answer out. It runs in a worker thread (the engine and
the stores are blocking), and it never raises: whatever goes wrong becomes an answer.

Authenticity fails closed exactly as in ``paychart validate`` (``authenticity.py``): a
provider with a table in the secrets file must verify every callback. A store that cannot
commit (``StoreError``, an SQLite error, a conflict that outlasted every retry) journaled
nothing, so the answer is 503 and the provider's retry is the recovery.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from paychart.adapters import get_adapter

from ._server_answers import Answer, answer_for, unavailable
from .adapter import AdapterContext, RawInput
from .authenticity import Authenticated
from .conflicts import RetriesExhaustedError
from .decision import Decision
from .errors import StoreError
from .event import Channel
from .exit import where_failed
from .orchestrator import Committed, Orchestrator
from .secrets import Secrets

log = logging.getLogger("paychart.asgi")

Subscriber = Callable[[Decision, int], object]
"""Called as ``subscriber(decision, seq)`` with every decision after it is committed, ``seq``
being its journal entry's (the ``seq`` of ``Store.entries`` and ``paychart tail``), in the
worker thread that decided it; what it returns is ignored and what it raises is logged.
Calls arrive in commit order per callback, not across concurrent callbacks: a subscriber
that needs one order sorts by ``seq``. A push, not the record: when the store fails halfway
through a batched callback, the decisions already committed are in the journal but were
not pushed, so a consumer that must see everything resumes from ``entries(after=seq)``."""

STORE_FAILURES: tuple[type[BaseException], ...] = (RetriesExhaustedError, StoreError,
                                                  sqlite3.Error)
"""Errors that mean nothing was journaled and a retry may succeed."""


class Receiver:
    """Decides callbacks of the discovered providers with one engine and one set of secrets."""

    def __init__(self, engine: Orchestrator, secrets: Secrets,
                 subscribers: Iterable[Subscriber] = ()) -> None:
        self.engine = engine
        self.secrets = secrets
        self.subscribers = tuple(subscribers)

    def receive(self, provider: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """Decide, journal and answer one callback exactly as it arrived."""
        try:
            decisions = self._decide(provider, body, headers)
        except STORE_FAILURES as exc:
            log.warning("%s callback not journaled (store unavailable: %s); answered 503",
                        provider, where_failed(exc))
            return unavailable("the store is unavailable; retry later")
        except Exception as exc:  # a bug of ours: never a traceback to the sender
            log.error("%s callback not decided (internal error: %s); answered 503",
                      provider, where_failed(exc))
            return unavailable("internal error; retry later")
        self._notify(decisions)
        return answer_for([done.decision for done in decisions])

    def _decide(self, provider: str, body: bytes,
                headers: Mapping[str, str]) -> tuple[Committed, ...]:
        raw = RawInput(provider, Channel.CALLBACK, body, headers,
                       received_at=datetime.now(UTC))
        adapter = Authenticated(get_adapter(provider), required=provider in self.secrets)
        context = AdapterContext(self.secrets.for_provider(provider),
                                 self.engine.remembered_for(provider))
        return self.engine.ingest_committed(raw, adapter, context)

    def _notify(self, decisions: Iterable[Committed]) -> None:
        """Subscribers learn each committed decision and its seq; one that fails is logged
        (type and place, never the message, which may quote input) and changes nothing else."""
        for decision, seq in decisions:
            for subscriber in self.subscribers:
                try:
                    subscriber(decision, seq)
                except Exception as exc:
                    log.error("on_decision subscriber %s failed on a %s decision: %s",
                              getattr(subscriber, "__qualname__", type(subscriber).__name__),
                              decision.outcome.value, where_failed(exc))

    def healthy(self) -> bool:
        """Whether the store answers a read now."""
        try:
            self.engine.store.get("")
        except Exception as exc:
            log.warning("health check: store unavailable (%s)", where_failed(exc))
            return False
        return True
