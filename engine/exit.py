"""Exit statuses of the ``paychart`` command, defined once, and the error that means "used
wrongly": the command line turns it into one line on stderr and status 2."""

from __future__ import annotations

import traceback
from pathlib import Path

from .errors import PaychartError

EXIT_OK = 0
"""Success: the recording is clean, the charts check, the replay matches."""
EXIT_FINDINGS = 1
"""Something was found: an input rejected or invalid, a chart finding, a replay difference."""
EXIT_USAGE = 2
"""The command was used wrongly or its input could not be read."""
EXIT_INTERNAL = 3
"""paychart itself failed (on at least one input of a run, or outright): please report."""


class UsageError(PaychartError):
    """A bad argument or unreadable input, said in one line."""


def where_failed(exc: BaseException) -> str:
    """Exception type and innermost frame, never the message: it may quote input or secrets."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    last = frames[-1]
    return f"{type(exc).__name__} at {Path(last.filename).name}:{last.lineno} in {last.name}"
