"""The adapter contract: how a provider package turns raw input into events.

Every provider package (``adapters/<provider>/``) exports one ``ProviderAdapter`` as
``ADAPTER``. Its parsers all have one shape, ``(body, headers, context) -> ParseResult``, one
per channel the protocol uses; the adapter checks the envelope (body size, channel) and turns
any error into a ``ParseResult``, so ``parse`` never raises for bad input. Adapters parse and
authenticate; they never change state and never encode orchestrator policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

import attrs

from .errors import InputError
from .event import Channel, Event
from .rulebook import Rules

MAX_BODY_BYTES = 1 << 20
"""Default body size limit (1 MiB): no provider message comes near it, a hostile one may."""


def _channel(value: object) -> Channel:
    if isinstance(value, Channel):
        return value
    if isinstance(value, str):
        try:
            return Channel(value)
        except ValueError:
            pass
    raise ValueError(f"channel must be one of {', '.join(c.value for c in Channel)}, "
                     f"got {value!r}")


def _body(_instance: object, _attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"body must be the bytes exactly as received, got "
                        f"{type(value).__name__} (encode text with .encode('utf-8'))")


def _headers(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise TypeError("headers must be a mapping of str to str")
    return value


def _optional_str(_instance: object, attribute: attrs.Attribute[str | None],
                  value: str | None) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str or None, got {type(value).__name__}")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup ignoring case, as HTTP requires."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, found in headers.items():
        if key.lower() == lowered:
            return found
    return None


@attrs.frozen
class RawInput:
    """Bytes exactly as received, with the envelope a backend knows about them.

    ``ref`` is the provider object id when the body lacks it (a status response),
    ``operation`` the merchant call a response answers (create, capture, refund…). Headers
    are not shown by ``repr``: they carry credentials (HTTP Basic, bearer tokens).
    """

    provider: str = attrs.field(validator=attrs.validators.instance_of(str))
    channel: Channel = attrs.field(converter=_channel)
    body: bytes = attrs.field(validator=_body, repr=lambda body: f"<{len(body)} bytes>")
    headers: Mapping[str, str] = attrs.field(factory=dict, converter=_headers, repr=False)
    received_at: datetime | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(datetime)))
    ref: str | None = attrs.field(default=None, validator=_optional_str)
    operation: str | None = attrs.field(default=None, validator=_optional_str)

    def header(self, name: str) -> str | None:
        return header(self.headers, name)


Remembered = Callable[[str, str], Mapping[str, str]]
"""(object kind, object id) → facts the engine kept for that object of this provider."""


def _nothing_remembered(_kind: str, _object_id: str) -> Mapping[str, str]:
    return {}


@attrs.frozen
class AdapterContext:
    """What a parser may use besides body and headers: its secrets, facts kept earlier, and
    the envelope of the input (``ref``, ``operation``, ``received_at`` from ``RawInput``).

    ``secrets`` is this provider's table of the secrets file; an empty mapping means the
    signatures cannot be checked and events are marked ``unchecked``.
    """

    secrets: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    remembered: Remembered = attrs.field(default=_nothing_remembered, repr=False)
    ref: str | None = None
    operation: str | None = None
    received_at: datetime | None = None

    def for_input(self, raw: RawInput) -> AdapterContext:
        """This context with the envelope of ``raw``."""
        return AdapterContext(self.secrets, self.remembered, raw.ref, raw.operation,
                              raw.received_at)


class JsonNumber(str):
    """A JSON number of a parsed document (``ParseResult.document``) kept as its text, so money
    is never a float; to readers it is a plain ``str``."""

    __slots__ = ()


class JsonInt(JsonNumber):
    """A JSON number ``json.loads`` reads as an ``int`` (no fraction, no exponent)."""

    __slots__ = ()


class JsonFloat(JsonNumber):
    """A JSON number ``json.loads`` reads as a ``float``."""

    __slots__ = ()


@attrs.frozen
class ParseResult:
    """Events parsed from one input, or the error that makes it ``invalid``.

    ``reply`` is the body the provider expects as acknowledgement (``OK``), when it has one.
    ``defect`` is set when the parser itself failed (a bug, not bad input): the input is
    still ``invalid`` and journaled, and the run reports an internal error.
    ``document`` is the JSON document the parser read from the body exactly as received
    (``Wire.load_json`` of the unmodified bytes, never changed afterwards): the journal
    redacts it instead of parsing the body again. Leave it ``None`` when the parser read
    anything else (a form, text it rewrote first); redaction then parses the body itself.
    """

    events: tuple[Event, ...] = ()
    error: InputError | None = None
    reply: str | None = None
    defect: str | None = None
    document: object = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def of(cls, *events: Event, reply: str | None = None,
           document: object = None) -> ParseResult:
        return cls(events=events, reply=reply, document=document)


Parser = Callable[[bytes, Mapping[str, str], AdapterContext], ParseResult]
"""``parse_callback`` / ``parse_response`` / ``parse_poll`` / ``parse_request``."""


@attrs.frozen
class StatusMove:
    """One row of a provider's status table: what a status means for one object.

    ``via`` distinguishes the same status reported in another way where that changes its
    meaning (CARDLINK's ``approved`` in two-stage mode is a hold); ``state`` is the chart
    state the status reports, ``None`` only where it names no single state.
    """

    object_kind: str
    status: str
    trigger: str
    state: str | None
    via: str = ""


@attrs.frozen
class SignatureScope:
    """What a provider's authentication covers, declared by its ``signature`` module.

    ``fields`` are the body fields the signature binds (``"*"`` when it covers the raw body
    byte for byte, as an RSA signature does); ``mechanism`` says how, in one line.
    """

    mechanism: str
    fields: frozenset[str] = frozenset()

    @property
    def whole_body(self) -> bool:
        return "*" in self.fields

    def covers(self, name: str) -> bool:
        return self.whole_body or name in self.fields


@attrs.frozen
class SecretsSchema:
    """The keys a provider's table in the secrets file may hold. ``redacted_fields`` are
    body fields that hold a credential in this protocol (CARDGATE's bearer token under
    ``metadata.token``): redaction drops them wherever they appear."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    choices: Mapping[str, frozenset[str]] = attrs.field(factory=dict)
    redacted_fields: frozenset[str] = frozenset()

    @property
    def keys(self) -> frozenset[str]:
        return self.required | self.optional


@attrs.frozen
class Encoded:
    """One message as the provider sends it: what ``parse`` reads back into the event.
    ``repr`` hides headers and body (they carry credentials and signatures)."""

    channel: Channel
    body: bytes = attrs.field(repr=lambda body: f"<{len(body)} bytes>")
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    ref: str | None = None
    operation: str | None = None


Encoder = Callable[[Event, Mapping[str, str], Mapping[str, str]], Encoded]
"""``encode(event, object facts, secrets)``: the wire form of ``event`` on its channel,
signed with the provider's secrets table; ``ValueError`` when the protocol cannot say it."""


class Adapter(Protocol):
    """One provider protocol, as the engine sees it."""

    @property
    def provider(self) -> str: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def signature(self) -> SignatureScope: ...
    @property
    def secrets(self) -> SecretsSchema: ...

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult: ...


@attrs.frozen
class ProviderAdapter:
    """The one ``Adapter`` shape every provider package instantiates as ``ADAPTER``."""

    provider: str
    parsers: Mapping[Channel, Parser]
    rules: Rules
    signature: SignatureScope
    secrets: SecretsSchema
    max_body_bytes: int = MAX_BODY_BYTES
    encode: Encoder | None = None
    """Renders events as wire traffic (``paychart simulate``); every bundled provider has one."""

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        """Parse one input; errors are returned, never raised."""
        if len(raw.body) > self.max_body_bytes:
            return ParseResult(error=InputError(
                "body", f"{len(raw.body)} bytes exceed the {self.max_body_bytes}-byte limit",
                provider=self.provider))
        parser = self.parsers.get(raw.channel)
        if parser is None:
            return ParseResult(error=InputError(
                "channel", f"{self.provider} sends no {raw.channel.value} input (one of "
                f"{', '.join(c.value for c in self.parsers)})", provider=self.provider))
        try:
            return parser(raw.body, raw.headers, context.for_input(raw))
        except InputError as error:
            return ParseResult(error=error)
        except (ArithmeticError, LookupError, RecursionError, TypeError, ValueError,
                UnicodeError) as exc:
            # A parser bug must not take a run down: the input is invalid and journaled,
            # and ``defect`` makes the run report an internal error.
            return ParseResult(
                error=InputError("body", "the adapter could not read this input",
                                 provider=self.provider),
                defect=f"{self.provider} {raw.channel.value} parser: {type(exc).__name__}")
