"""What `allocator diff` prints and whether it exits 1, for the tests: impact, then its Markdown."""

from __future__ import annotations

from pathlib import Path

from allocator.review.impact import impact
from allocator.review.impact_markdown import render_impact


def diff(before: str, after: str, snapshot: Path | None, scenario: Path | None) -> tuple[str, bool]:
    found = impact(before, after, snapshot, scenario)
    return render_impact(found), found.changed
