"""'Did you mean' stays cheap on hostile files: long names and thousands of unknown names.

Before the bound, two such files took minutes in difflib. The child-process timeout only turns a
hang into a failure; the suggestions of normal files are checked elsewhere (tests/cases/errors).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from allocator.inputs.conditions import SUGGEST_BUDGET, did_you_mean, limited_suggestions


def _hostile_tiering(n_fields: int, n_rules: int, name_length: int) -> str:
    fields = "".join(f"  {'f' * (name_length - 6)}{i:06d}: {{type: number}}\n" for i in range(n_fields))
    rules = "".join(
        f"  - {{id: r{i}, when: {{{'f' * (name_length - 7)}g{i:06d}: 1}}, tier: A}}\n" for i in range(n_rules)
    )
    return f"kind: tiering\nversion: 1\nfields:\n{fields}ladders:\n  all: [A, B]\nplacement:\n{rules}"


def test_hostile_files_are_refused_quickly(tmp_path: Path) -> None:
    long_names = _hostile_tiering(400, 400, 1000)  # 1000-character names, each unknown one near many
    many_names = _hostile_tiering(900, 3000, 40)  # thousands of unknown names among 900 similar ones
    for name, text in (("long.yaml", long_names), ("many.yaml", many_names)):
        assert len(text.encode()) < 1_000_000
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "allocator", "validate", "long.yaml", "many.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stderr.splitlines()
    assert (done.returncode, len(lines)) == (2, 400 + 3000)
    long_name = "f" * 993 + "g000000"
    assert lines[0] == f"long.yaml:407:21: placement[0] (id=r0).when.{long_name}: unknown field '{long_name}'"
    # the first unknown names of many.yaml still get a suggestion; once the budget is spent, none do
    near, known = "f" * 33 + "g000000", "f" * 34 + "000000"
    assert lines[400] == (
        f"many.yaml:907:21: placement[0] (id=r0).when.{near}: unknown field '{near}'; did you mean '{known}'?"
    )
    near = "f" * 33 + "g002999"
    assert lines[-1] == f"many.yaml:3906:24: placement[2999] (id=r2999).when.{near}: unknown field '{near}'"
    assert sum("did you mean" in line for line in lines) == SUGGEST_BUDGET // 900


def test_normal_suggestions_are_kept_and_the_budget_runs_out() -> None:
    assert did_you_mean("volum", ["volume", "visits"]) == "; did you mean 'volume'?"
    assert did_you_mean("v" * 65, ["v" * 64]) == ""
    assert did_you_mean("volum", [f"x{i}" for i in range(1000)] + ["volume"]) == ""
    with limited_suggestions():
        for _ in range(SUGGEST_BUDGET // 2):
            assert did_you_mean("volum", ["volume", "visits"]) == "; did you mean 'volume'?"
        assert did_you_mean("volum", ["volume", "visits"]) == ""
    assert did_you_mean("volum", ["volume", "visits"]) == "; did you mean 'volume'?"
