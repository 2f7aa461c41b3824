"""Hostile inputs that aim at memory and time, in a subprocess under RLIMIT_AS (3 GB).

The limit is set in the child only: in the pytest process it would starve every other test. Each
input goes through `allocator.cli.main` in that child; a MemoryError there is an exit 3, a kill by
the limit a negative return code, a hang the subprocess timeout. All of them fail the test.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import FUZZ_SETTINGS, REPO, assert_safe, invoke, workspace

MEMORY_LIMIT = 3 * 2**30
TIMEOUT = 300  # turns a hang into a failure; the inputs below answer in seconds

TINY_ALLOCATION_TIER_AMOUNTS = """\
kind: allocation
version: 1
products:
  - id: p1
    supply: {supply}
    policy: tier_amounts
    target: at_most
    window: {{highest: A, lowest: C}}
"""
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)
HOSTILE: dict[str, dict[str, str]] = {
    "alias bomb": {"tiny/tiering.yaml": "kind: tiering\nversion: 1\n" + LAUGHS},
    "deep flow nesting": {"tiny/tiering.yaml": "kind: tiering\nversion: 1\nfields: " + "[" * 100_000},
    "deep block nesting": {"tiny/tiering.yaml": "kind: tiering\nversion: 1\n" + "".join(" " * i + "k:\n" for i in range(3000))},
    "20 MB of comments": {"tiny/tiering.yaml": "# " + "x" * 78 + "\n" * 1 + ("# " + "x" * 78 + "\n") * 250_000},
    "a million-digit volume": {"tiny/clients.csv": "client_id,volume,order_p1\nc1," + "9" * 1_000_000 + ",1\n"},
    "20,000 columns": {"tiny/clients.csv": "client_id,volume,order_p1," + ",".join(f"x{i}" for i in range(20_000)) + "\n"},
    "supply 10**18 by tier amounts": {"tiny/allocation.yaml": TINY_ALLOCATION_TIER_AMOUNTS.format(supply=10**18)},
    "supply 10**9 by tier amounts": {"tiny/allocation.yaml": TINY_ALLOCATION_TIER_AMOUNTS.format(supply=10**9)},
    "supply 10**30 per tier": {"tiny/allocation.yaml": "kind: allocation\nversion: 1\nproducts:\n  - id: p1\n"
                               f"    supply: {10**30}\n    order_column: order_p1\n    per_client: {{A: {10**30}, B: 2, C: 1}}\n"},
}
CHILD = """
import json, sys, io, contextlib, os
from allocator.cli import main
results = []
for cwd, argv in json.loads(sys.argv[1]):
    os.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    results.append([code, (out.getvalue() + err.getvalue())[-600:]])
print(json.dumps(results))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_hostile_inputs_within_memory_limit() -> None:
    """All hostile inputs in one child process (one import of allocator), each in its own workspace."""
    with workspace() as ws:
        jobs = []
        for i, name in enumerate(sorted(HOSTILE)):
            case = ws.parent / f"case{i}"
            shutil.copytree(ws, case, symlinks=True)
            for rel, content in HOSTILE[name].items():
                (case / rel).write_text(content, encoding="utf-8")
            for argv in (["validate", "tiny/scenario.yaml"], ["run", "tiny/scenario.yaml", "--out", "out"]):
                jobs.append((name, str(case), argv))
        child = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps([[cwd, argv] for _, cwd, argv in jobs])],
            cwd=ws, capture_output=True, text=True, timeout=TIMEOUT, preexec_fn=_limit_memory,
            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        )
        assert child.returncode == 0, child.stderr[-3000:]
        bad = [
            f"{name}: allocator {' '.join(argv)} -> exit {code}\n{text}"
            for (name, _, argv), (code, text) in zip(jobs, json.loads(child.stdout), strict=True)
            if code not in (0, 1, 2) or "Traceback" in text
        ]
        assert bad == []


@settings(max_examples=3, **{**FUZZ_SETTINGS, "phases": [Phase.explicit, Phase.generate]})
@given(rows=st.integers(min_value=1, max_value=60))
@example(rows=40)
def test_tier_amounts_on_a_short_snapshot_of_tobacco_30(rows: int) -> None:
    """The real 30-tier plans on the first rows of the real snapshot (the workspace keeps 40): an
    answer, or a clean refusal, within the per-example alarm. No shrinking: each try may take the alarm."""
    with workspace() as ws:
        snapshot = ws / "scenarios/data/tobacco-30/clients.csv"
        source = (REPO / "scenarios/data/tobacco-30/clients.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        snapshot.write_text("".join(source[: rows + 1]), encoding="utf-8")
        outcome = invoke(["run", "scenarios/tobacco-30.yaml", "--out", "out"], ws)
        assert_safe(outcome)



