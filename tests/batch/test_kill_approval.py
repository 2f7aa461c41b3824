"""SIGKILL during approve and during publish, at random moments: afterwards the ledger passes
SQLite's integrity check, each run is in its old state or its new one with the act present iff the
state changed, and the notice folder is absent, the previous notice, or the complete new one."""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.outputs.tables import sha256_file

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"
ALLOCATOR = [sys.executable, "-m", "allocator"]
KILLS = 8


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _ledger() -> tuple[dict[int, str | None], list[tuple[int, str, str | None]]]:
    """Each run's state, and the acts (run, kind, detail), after checking the file's integrity."""
    db = sqlite3.connect("ledger.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        states = dict(db.execute("SELECT id, state FROM runs").fetchall())
        acts = db.execute("SELECT run_id, kind, detail FROM acts ORDER BY id").fetchall()
    finally:
        db.close()
    return states, acts


def _timed(argv: list[str], cwd: Path) -> float:
    """How long one whole run of the command takes here (the kills are spread over that)."""
    t0 = time.monotonic()
    done = subprocess.run([*ALLOCATOR, *argv], cwd=cwd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - t0


def _until(argv: list[str], cwd: Path, appears: Path) -> float:
    """How long the command takes here until `appears` exists (the moment its notice is put in place)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([*ALLOCATOR, *argv], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not appears.exists() and proc.poll() is None:
        time.sleep(0.002)
    moment = time.monotonic() - t0
    assert proc.wait(timeout=60) == 0 and appears.exists()
    return moment


def _killed(argv: list[str], cwd: Path, after: float) -> bool:
    """Start the command, SIGKILL it `after` seconds later; whether it had finished by then."""
    proc = subprocess.Popen([*ALLOCATOR, *argv], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    return proc.wait(timeout=60) == 0


def _moments(rnd: random.Random, around: float) -> list[float]:
    """KILLS moments spread from half of `around` to a third past it, in random order with some
    jitter: whatever this machine's speed, some kills land before the commit and some after."""
    spread = [around * (0.5 + 0.8 * k / (KILLS - 1)) + rnd.uniform(-0.03, 0.03) for k in range(KILLS)]
    rnd.shuffle(spread)
    return spread


def test_sigkill_during_approve_leaves_the_old_state_or_the_new_one_with_its_acts(work: Path) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out0", "--ledger", "ledger.sqlite"]) == 0
    assert main(["batch", "tiny/scenario.yaml", "--out", "spare", "--ledger", "ledger.sqlite"]) == 0
    whole = _timed(["approve", "2", "--ledger", "ledger.sqlite", "--by", "timer"], work)  # run 2: only to time it
    moments = _moments(random.Random(20261201), whole)
    approved, target, outcomes = 2, None, []
    for kill in range(KILLS):
        if target is None:  # a new run that supersedes the approved one, to be approved under fire
            argv = ["--out", f"out{kill + 1}", "--supersede", str(approved), "--reason", f"kill {kill}"]
            assert main(["batch", "tiny/scenario.yaml", *argv, "--ledger", "ledger.sqlite"]) == 0
            target = max(_ledger()[0])
        before_states, before_acts = _ledger()
        argv = ["approve", str(target), "--ledger", "ledger.sqlite", "--by", f"k{kill}"]
        finished = _killed(argv, work, moments[kill])
        states, acts = _ledger()
        new = acts[len(before_acts) :]
        assert acts[: len(before_acts)] == before_acts, f"kill {kill}: an act changed"
        if states[target] == "draft":  # nothing happened, all of it
            assert (states, new, finished) == (before_states, [], False), f"kill {kill}"
            outcomes.append("before")
            continue
        assert states == {**before_states, target: "approved", approved: "superseded"}, f"kill {kill}"
        assert new == [(approved, "supersede", str(target)), (target, "approve", None)], f"kill {kill}"
        outcomes.append("after")
        approved, target = target, None
    assert len(outcomes) == KILLS
    print("approve kills:", outcomes)


def _notice(folder: Path) -> tuple[int, str, str] | None:
    """The notice in `folder` (run, page with the publication time taken out, CSV), checked complete."""
    if not folder.exists():
        return None
    assert sorted(p.name for p in folder.iterdir()) == ["notice.csv", "notice.html", "notice.json"]
    stamp = json.loads((folder / "notice.json").read_text())
    assert stamp["files"] == {n: sha256_file(folder / n) for n in ("notice.csv", "notice.html")}, "a mixed notice"
    page = re.sub(r"<dt>published</dt><dd>[^<]*</dd>", "", (folder / "notice.html").read_text())
    return stamp["run"], page, (folder / "notice.csv").read_text()


def test_sigkill_during_publish_leaves_the_previous_notice_or_the_whole_new_one(work: Path) -> None:
    scenario = work / "tiny" / "scenario.yaml"
    for run, period in enumerate(("2026Q1", "2026Q2", "2026Q3", "2026Q4"), start=1):
        scenario.write_text(re.sub(r"period: \S+", f"period: {period}", scenario.read_text()))
        assert main(["batch", "tiny/scenario.yaml", "--out", f"out{run}", "--ledger", "ledger.sqlite"]) == 0
        assert main(["approve", str(run), "--ledger", "ledger.sqlite", "--by", "zhang"]) == 0
    argv = ["publish", "4", "--ledger", "ledger.sqlite", "--out", "timing"]
    exchange = _until(argv, work, work / "timing" / "notice.json")  # run 4: only to time it
    moments = _moments(random.Random(20261202), exchange)
    seen, current, outcomes = [], _notice(work / "notice"), []
    for kill in range(KILLS):
        run = kill % 3 + 1  # runs 1-3: a first publication (a state change), then publications again
        before_states, before_acts = _ledger()
        argv = ["publish", str(run), "--ledger", "ledger.sqlite", "--out", "notice", "--by", f"k{kill}"]
        _killed(argv, work, moments[kill])
        states, acts = _ledger()
        new = acts[len(before_acts) :]
        assert acts[: len(before_acts)] == before_acts, f"kill {kill}: an act changed"
        assert new in ([], [(run, "publish", str(work / "notice"))]), f"kill {kill}"
        changed = before_states[run] == "approved" and bool(new)
        assert states == {**before_states, run: "published" if changed else before_states[run]}, f"kill {kill}"
        notice = _notice(work / "notice")
        assert notice == current or (notice is not None and notice[0] == run), f"kill {kill}: not a notice of run {run}"
        if new:  # recorded: the notice in place is this publication's (the exchange precedes the commit)
            assert notice is not None and notice[0] == run, f"kill {kill}"
        current = notice
        if notice is not None:
            seen.append(notice)
        outcomes.append((run, "recorded" if new else "not recorded", notice[0] if notice else None))
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice"]) == 0  # cleans up the last kill's
    for run in (1, 2, 3):  # the reference notices, written without a kill
        assert main(["publish", str(run), "--ledger", "ledger.sqlite", "--out", f"ref{run}"]) == 0
    references = {run: _notice(work / f"ref{run}") for run in (1, 2, 3)}
    for run, page, csv in seen:
        assert (run, page, csv) == references[run], "a notice that is not the whole of one publication"
    assert [p.name for p in work.iterdir() if ".tmp-" in p.name] == []
    print("publish kills: (run, ledger, notice in place):", outcomes)
