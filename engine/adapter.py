"""The adapter protocol: how a provider module turns raw input into events.

Adapters live in ``paychart.adapters``; they parse and authenticate, never change state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from .errors import InputError
from .event import Channel, Event


@attrs.frozen
class RawInput:
    """Bytes exactly as received, with the envelope a backend knows about them.

    ``ref`` is the provider object id when the body lacks it (a status response),
    ``operation`` the merchant call a response answers (create, capture, refund…).
    """

    provider: str
    channel: Channel
    body: bytes
    headers: Mapping[str, str] = attrs.field(factory=dict)
    received_at: datetime | None = None
    ref: str | None = None
    operation: str | None = None

    def header(self, name: str) -> str | None:
        """Header lookup ignoring case, as HTTP requires."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


Remembered = Callable[[str, str], Mapping[str, str]]
"""(object kind, object id) → facts the engine kept for that object of this provider."""


def _nothing_remembered(_kind: str, _object_id: str) -> Mapping[str, str]:
    return {}


@attrs.frozen
class AdapterContext:
    """What an adapter may use besides the input: its secrets and facts kept earlier.

    ``secrets`` is this provider's table of the secrets file; an empty mapping means the
    signatures cannot be checked and events are marked ``unchecked``.
    """

    secrets: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    remembered: Remembered = _nothing_remembered


@attrs.frozen
class ParseResult:
    """Events parsed from one input, or the error that makes it ``invalid``.

    ``reply`` is the body the provider expects as acknowledgement (``OK``), when it has one.
    """

    events: tuple[Event, ...] = ()
    error: InputError | None = None
    reply: str | None = None


class Adapter(Protocol):
    """One provider protocol. ``parse`` never raises for bad input: it returns the error."""

    provider: str

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult: ...
