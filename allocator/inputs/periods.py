"""Review periods: parsed, so that they are ordered by what they mean and not as text.

As text, "2026W10" sorts before "2026W9". A period is one of a few forms, each with a sortable
key; only periods of the same kind compare (a quarter is neither before nor after a week).
Anything else is refused, because the ledger could not tell which run came before it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from allocator.errors import AllocatorError

ACCEPTED = (
    "a year (2026), a quarter (2026Q4 or 2026-Q4), a month (2026-09 or 202609), "
    "a week (2026W10 or 2026-W10, ISO weeks) or a date (2026-09-14)"
)

_FORMS = (
    ("year", re.compile(r"(\d{4})")),
    ("quarter", re.compile(r"(\d{4})-?[Qq](\d)")),
    ("month", re.compile(r"(\d{4})-?(\d{2})")),
    ("week", re.compile(r"(\d{4})-?[Ww](\d{1,2})")),
    ("date", re.compile(r"(\d{4})-(\d{2})-(\d{2})")),
)


class PeriodError(AllocatorError):
    """A period in a form that cannot be ordered."""


@dataclass(frozen=True)
class Period:
    """A parsed period: its kind, a key that sorts periods of that kind, and the text given."""

    kind: str
    key: tuple[int, ...]
    text: str


def _refuse(text: str, why: str = "") -> PeriodError:
    return PeriodError(f"period {text!r} cannot be ordered{why}; use {ACCEPTED}")


def _check(text: str, kind: str, key: tuple[int, ...]) -> None:
    """Refuse a well-formed period that does not exist (quarter 5, month 13, week 54, 30 February)."""
    year = key[0]
    if kind == "quarter" and not 1 <= key[1] <= 4:
        raise _refuse(text, f": quarter {key[1]} is not 1 to 4")
    if kind == "month" and not 1 <= key[1] <= 12:
        raise _refuse(text, f": month {key[1]} is not 1 to 12")
    if kind == "week":
        try:
            dt.date.fromisocalendar(year, key[1], 1)
        except ValueError:
            raise _refuse(text, f": {year} has no ISO week {key[1]}") from None
    if kind == "date":
        try:
            dt.date(*key)
        except ValueError:
            raise _refuse(text, f": {text} is not a date") from None


def parse_period(text: str) -> Period:
    """The period's kind and sort key; PeriodError (a user error) for a form that cannot be ordered."""
    for kind, pattern in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            key = tuple(int(part) for part in match.groups())
            _check(text, kind, key)
            return Period(kind, key, text)
    raise _refuse(text)


def _parsed(text: str) -> Period | None:
    try:
        return parse_period(text)
    except PeriodError:
        return None


def latest_earlier(period: str, candidates: Iterable[str]) -> str | None:
    """The latest candidate strictly before `period` and of the same kind (None if there is none).

    `period` must parse; candidates that do not, or are of another kind, are never earlier.
    Candidates with equal keys (2026W9 and 2026-W09) are the same period: the last one given wins.
    """
    current = parse_period(period)
    best: Period | None = None
    for text in candidates:
        other = _parsed(text)
        if other is None or other.kind != current.kind or other.key >= current.key:
            continue
        if best is None or other.key >= best.key:
            best = other
    return best.text if best is not None else None
