"""`validate` analyses rule files with a thousand placement rules: no exit 3, no hang.

The decision-table analysis posts cells to rulesets of every placement rule; before, 513 rules
hung inside durable-rules, and a rule that can never fire was checked against a ruleset of every
earlier rule, so 1,000 copies of one rule compiled half a million engine rules. Each case runs
`allocator validate` in a child process, with a timeout that only turns a hang into a failure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HANG = 600  # seconds; a hang, not a speed bound

HEAD = """\
kind: tiering
version: 1
fields:
  volume: {type: number, min: 0}
  violations: {type: integer, min: 0}
ladders:
  shops: [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9]
default_tier: T9
placement:
"""


def _validate(tmp: Path, text: str) -> tuple[int, str, str]:
    (tmp / "t.yaml").write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "allocator", "validate", "t.yaml"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_thousand_placement_rules_and_adjustments_validate(tmp_path: Path) -> None:
    placement = [
        f"  - {{id: p{k}, when: {{volume: {{gte: {10 * (1000 - k)}}}}}, tier: T{k // 100}}}\n" for k in range(1000)
    ]
    adjust = [f"  - {{id: a{k}, when: {{violations: {{gte: {k}}}}}, demote: 1}}\n" for k in range(1, 1001)]
    assert _validate(tmp_path, HEAD + "".join(placement) + "adjust:\n" + "".join(adjust)) == (
        0,
        "t.yaml: ok (tiering: 1 ladders, 1000 placement rules, 1000 adjustments)\n"
        "t.yaml:7:3: ladders.shops: warning: no placement rule covers clients where volume < 10 on ladder shops;"
        " they get the default tier T9\n",
        "",
    )


def test_a_thousand_copies_of_one_rule_are_each_reported_unreachable(tmp_path: Path) -> None:
    placement = [f"  - {{id: p{k}, when: {{volume: {{gte: 100}}}}, tier: T{k % 10}}}\n" for k in range(1000)]
    unreachable = [
        f"t.yaml:{10 + k}:5: placement[{k}] (id=p{k}): warning: can never place a client on ladder shops:"
        " p0 always matches first\n"
        for k in range(1, 1000)
    ]
    assert _validate(tmp_path, HEAD + "".join(placement)) == (
        0,
        "t.yaml: ok (tiering: 1 ladders, 1000 placement rules, 0 adjustments)\n"
        + "".join(unreachable)
        + "t.yaml:7:3: ladders.shops: warning: no placement rule covers clients where volume < 100 on ladder shops;"
        " they get the default tier T9\n",
        "",
    )
