"""The error an input gets when concurrent writers keep changing what it read."""

from __future__ import annotations

from .errors import VersionConflictError


class RetriesExhaustedError(VersionConflictError):
    """An input re-decided ``attempts`` times, each time after another worker changed a
    record it read. Nothing was journaled: the caller must fail the delivery (HTTP 503) so
    that the provider retries it; the input is not lost."""

    def __init__(self, event_key: str, dedupe_key: str, attempts: int,
                 conflict: VersionConflictError) -> None:
        super().__init__(conflict.key, conflict.expected, conflict.found)
        self.event_key = event_key
        self.dedupe_key = dedupe_key
        self.attempts = attempts
        self.args = (f"input {dedupe_key!r} about {event_key}: not decided after {attempts} "
                     f"attempts; {conflict.key} kept changing (last read version "
                     f"{conflict.expected}, store has {conflict.found})",)
