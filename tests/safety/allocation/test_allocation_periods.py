"""Periods are ordered by what they mean, not as text: 2026W10 follows 2026W9."""

from __future__ import annotations

import pytest

from allocator.errors import AllocatorError
from allocator.inputs.periods import PeriodError, latest_earlier, parse_period

ACCEPTED = (
    "a year (2026), a quarter (2026Q4 or 2026-Q4), a month (2026-09 or 202609), "
    "a week (2026W10 or 2026-W10, ISO weeks) or a date (2026-09-14)"
)


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("2026", "year", (2026,)),
        ("2026Q4", "quarter", (2026, 4)),
        ("2026-Q1", "quarter", (2026, 1)),
        ("2026-09", "month", (2026, 9)),
        ("202609", "month", (2026, 9)),
        ("2026W10", "week", (2026, 10)),
        ("2026-W09", "week", (2026, 9)),
        ("2026W1", "week", (2026, 1)),
        ("2026w5", "week", (2026, 5)),
        ("2020W53", "week", (2020, 53)),
        ("2026-09-14", "date", (2026, 9, 14)),
    ],
)
def test_accepted_forms(text: str, kind: str, key: tuple[int, ...]) -> None:
    period = parse_period(text)
    assert (period.kind, period.key, period.text) == (kind, key, text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2025-09-3", ""),
        ("Q4-2026", ""),
        ("autumn", ""),
        ("", ""),
        ("2026Q5", ": quarter 5 is not 1 to 4"),
        ("2026-13", ": month 13 is not 1 to 12"),
        ("2026W54", ": 2026 has no ISO week 54"),
        ("2025W53", ": 2025 has no ISO week 53"),
        ("2026W0", ": 2026 has no ISO week 0"),
        ("2026-02-30", ": 2026-02-30 is not a date"),
    ],
)
def test_a_period_that_cannot_be_ordered_is_refused_with_the_accepted_forms(text: str, why: str) -> None:
    with pytest.raises(AllocatorError) as info:
        parse_period(text)
    assert isinstance(info.value, PeriodError)
    assert str(info.value) == f"period {text!r} cannot be ordered{why}; use {ACCEPTED}"


def test_week_ten_follows_week_nine_not_week_one() -> None:
    assert sorted(["2026W10", "2026W9", "2026W1", "2025W52"], key=lambda p: parse_period(p).key) == [
        "2025W52",
        "2026W1",
        "2026W9",
        "2026W10",
    ]
    assert latest_earlier("2026W10", ["2026W1", "2026W9", "2026W11", "2026W10"]) == "2026W9"
    assert latest_earlier("2026-W10", ["2026W9", "2026-W08"]) == "2026W9"


def test_only_periods_of_the_same_kind_are_earlier() -> None:
    # a quarter, a month, a date or a foreign text is not "earlier" than a week
    assert latest_earlier("2026W10", ["2026Q1", "2026-01", "2026-01-05", "2025", "week 9"]) is None
    assert latest_earlier("2026Q2", ["2026Q1", "2025Q4", "2026W9"]) == "2026Q1"
    assert latest_earlier("2026Q1", []) is None
