"""Fail closed on authenticity: an adapter wrapper the engine puts around every provider.

When the secrets file has a table for a provider, each of its callbacks must come out of the
adapter ``valid`` (or ``invalid``): a callback the adapter left ``unchecked`` or ``absent``
(a typo'd key it never read, a missing signature header) would otherwise be applied on the
word of anyone who can reach the endpoint, so the whole input becomes ``invalid``. The wrapper
also remembers what the last parse produced (its events' signature status and the adapter's
``defect``), which ``Orchestrator.ingest`` does not hand back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import attrs

from .adapter import Adapter, AdapterContext, ParseResult, RawInput, SecretsSchema, SignatureScope
from .errors import InputError
from .event import Channel, Event, SignatureStatus
from .rulebook import Rules

UNVERIFIED = frozenset({SignatureStatus.UNCHECKED, SignatureStatus.ABSENT})


def unauthenticated(event: Event, scope: SignatureScope) -> InputError:
    """The error for a callback that should have verified and did not, naming the
    mechanism (header or field) the provider authenticates with."""
    what = ("carries no signature" if event.signature is SignatureStatus.ABSENT
            else "was not verified")
    return InputError("signature", f"callback {what} although secrets for {event.provider} "
                      f"are configured; expected {scope.mechanism}", provider=event.provider,
                      object_kind=event.object_kind, object_id=event.object_id)


@attrs.define
class Authenticated:
    """An ``Adapter`` whose callbacks must verify when ``required`` (the provider has
    secrets); ``events`` and ``defect`` are those of the last parse."""

    adapter: Adapter
    required: bool
    events: tuple[Event, ...] = ()
    defect: str | None = None

    @property
    def provider(self) -> str:
        return self.adapter.provider

    @property
    def rules(self) -> Rules:
        return self.adapter.rules

    @property
    def signature(self) -> SignatureScope:
        return self.adapter.signature

    @property
    def secrets(self) -> SecretsSchema:
        return self.adapter.secrets

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        result = self.adapter.parse(raw, context)
        self.defect = result.defect
        self.events = result.events if result.error is None else ()
        if not self.required or result.error is not None:
            return result
        for event in result.events:
            if event.channel is Channel.CALLBACK and event.signature in UNVERIFIED:
                self.events = ()
                return ParseResult(error=unauthenticated(event, self.adapter.signature),
                                   reply=result.reply, defect=result.defect)
        return result


def unverified_by_provider(statuses: Iterable[tuple[str, str | None, SignatureStatus | None]]
                           ) -> dict[str, int]:
    """(provider, channel, signature status) of decided events → callbacks per provider
    that nobody authenticated (``unchecked``: no secret was given)."""
    counts: Counter[str] = Counter(
        provider for provider, channel, status in statuses
        if channel == Channel.CALLBACK.value and status is SignatureStatus.UNCHECKED)
    return dict(sorted(counts.items()))
