"""The batch log: one JSON object per line, with the time, the step and what the step reports."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from allocator.escape import json_text

Log = Callable[..., None]


def log_line(step: str, **fields: Any) -> str:
    """One log line, newline included."""
    line = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "step": step, **fields}
    return json_text(json.dumps(line, ensure_ascii=False, sort_keys=False)) + "\n"  # no raw DEL, C1, bidi


def json_log(stream: TextIO | None = None) -> Log:
    """One JSON object per line (on stdout unless told otherwise): time, step, what the step reports."""

    def log(step: str, **fields: Any) -> None:
        out = stream if stream is not None else sys.stdout
        out.write(log_line(step, **fields))
        out.flush()

    return log


def quiet(step: str, **fields: Any) -> None:
    return None
