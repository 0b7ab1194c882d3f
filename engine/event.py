"""The normalized input: what an adapter makes of raw provider bytes."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from .money import Money


class Channel(enum.StrEnum):
    """How the input reached the backend."""

    REQUEST = "request"
    RESPONSE = "response"
    CALLBACK = "callback"
    POLL = "poll"
    TIMER = "timer"


CREATING_CHANNELS = frozenset({Channel.REQUEST, Channel.RESPONSE})
"""Inputs on these channels answer the merchant's own calls, so an unknown object starts fresh."""


class SignatureStatus(enum.StrEnum):
    """What the adapter could establish about the input's authenticity."""

    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"
    UNCHECKED = "unchecked"


@attrs.frozen(slots=True)
class CustomerAction:
    """What the customer must do next (3-D Secure page, hosted checkout…)."""

    url: str
    method: str = "GET"
    params: tuple[tuple[str, str], ...] = ()


@attrs.frozen(slots=True)
class Event:
    """One provider message about one object, normalized.

    ``trigger`` names the chart edge the message asks for; ``state`` is the chart state the
    provider reports, used to start an object seen first by a callback and to recognise a
    message that reports a state the object has already passed. ``sequence`` is the
    provider's own ordering (timestamp or counter) when the payload carries one.
    ``facts`` are short provider facts worth keeping (error code, resolution…) and
    ``remember`` those the object must keep for later verification (payer email, card mask).
    ``confirmed`` is ``False`` when the signature does not bind what the event decides
    (status, amount): only the provider's answer to ``confirm_by`` (a poll operation such as
    ``GET_TRANS_STATUS``) can confirm it. ``reference`` is the merchant's own order
    reference when the message carries it (docs/PROVIDERS.md per provider): what orders
    group attempts by, across providers. ``refusal`` is set on the provider's authenticated
    refusal of a merchant call (its error code and message): decided ``rejected`` on the
    object it names, never applied.
    """

    provider: str
    object_kind: str
    object_id: str
    trigger: str
    channel: Channel
    dedupe_key: str
    state: str | None = None
    money: Money | None = None
    parent_id: str | None = None
    sequence: int | None = None
    received_at: datetime | None = None
    signature: SignatureStatus = SignatureStatus.UNCHECKED
    customer_action: CustomerAction | None = None
    facts: tuple[tuple[str, str], ...] = ()
    remember: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    confirmed: bool = True
    confirm_by: str | None = None
    reference: str | None = None
    refusal: str | None = None
    key: str = attrs.field(init=False, eq=False, repr=False)
    """The store key of the object this event is about (computed once: every step uses it)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "key", object_key(self.provider, self.object_kind,
                                                   self.object_id))

    def fact(self, name: str) -> str | None:
        """The value of one provider fact, if the event carries it."""
        for key, value in self.facts:
            if key == name:
                return value
        return None


def object_key(provider: str, object_kind: str, object_id: str) -> str:
    """One string naming an object across providers: ``cardlink/payment/abc``."""
    return f"{provider}/{object_kind}/{object_id}"
