"""`allocator diff`: the Markdown impact of a rule change; exit 1 when anything differs."""

from __future__ import annotations

import sys
from pathlib import Path

from allocator.review.impact import impact
from allocator.review.impact_markdown import render_impact


def diff(before: str, after: str, snapshot: Path | None, scenario: Path | None) -> int:
    """Print the Markdown impact of a rule change; exit 1 when anything differs, 0 when nothing does."""
    found = impact(before, after, snapshot, scenario)
    sys.stdout.write(render_impact(found))
    return 1 if found.changed else 0
