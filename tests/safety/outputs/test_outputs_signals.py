"""SIGINT and SIGTERM at many moments: one clean line, exit 130/143, nothing half-written, nothing left."""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.safety.outputs.outputs_helpers import tree

DEMO = Path(__file__).resolve().parents[3] / "scenarios"
ALLOCATOR = [sys.executable, "-m", "allocator"]
TRIALS = 12
NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


def _scenarios(tmp: Path) -> None:
    for name, seed in (("a", 1), ("b", 2)):
        text = (DEMO / "demo.yaml").read_text().replace("seed: 2026", f"seed: {seed}")
        text = text.replace("data/demo-clients.csv", str(DEMO / "data" / "demo-clients.csv"))
        text = text.replace("../rules/", str(DEMO.parent / "rules") + "/")
        (tmp / f"{name}.yaml").write_text(text)


def _handlers_installed(pid: int) -> bool:
    """True once allocator catches SIGTERM (Python alone catches only SIGINT).

    Until the child has exec'ed, /proc shows the parent's (pytest's) handlers: check the command line too."""
    try:
        if b"-m\x00allocator\x00" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return False
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    found = re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.M)
    return found is not None and bool(int(found.group(1), 16) & (1 << (signal.SIGTERM - 1)))


def _wait_for_handlers(proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not _handlers_installed(proc.pid) and proc.poll() is None:
        assert time.monotonic() < deadline, "the handlers were never installed"
        time.sleep(0.005)


def _batch(tmp: Path, name: str) -> list[str]:
    return [*ALLOCATOR, "batch", str(tmp / f"{name}.yaml"), "--out", str(tmp / "out"),
            "--ledger", str(tmp / "ledger.sqlite")]  # fmt: skip


def _no_running_rows_and_intact(ledger: Path) -> None:
    db = sqlite3.connect(ledger)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone() == (0,)
    finally:
        db.close()


def test_sigint_and_sigterm_in_batch_at_many_moments(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    reference = {}
    for name in ("a", "b"):
        done = subprocess.run(_batch(tmp_path, name), capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr
        reference[name] = tree(tmp_path / "out")
    rnd = random.Random(20261201)
    interrupted = 0
    for trial in range(TRIALS):
        name = "a" if trial % 2 == 0 else "b"
        sig = signal.SIGINT if trial % 2 == 0 else signal.SIGTERM
        before = tree(tmp_path / "out")
        proc = subprocess.Popen(_batch(tmp_path, name), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        moment = trial % 3
        if moment == 0:  # start-up and loading
            _wait_for_handlers(proc)
            time.sleep(rnd.uniform(0.0, 0.8))
        else:  # the engine phase, or just as the outputs are written and recorded
            wanted = b'"step": "loaded"' if moment == 1 else b'"step": "variants"'
            for line in proc.stdout:
                if wanted in line:
                    break
            time.sleep(rnd.uniform(0.0, 0.15))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        after = tree(tmp_path / "out")
        assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == [], trial
        _no_running_rows_and_intact(tmp_path / "ledger.sqlite")
        if proc.returncode == 0:  # finished before the signal came
            assert after == reference[name]
            continue
        interrupted += 1
        code = 128 + sig
        untouched = f"allocator: interrupted by {NAMES[sig]}; the previous outputs are untouched\n"
        in_place = f"allocator: interrupted by {NAMES[sig]}; the new outputs are written and recorded\n"
        assert (proc.returncode, err.decode()) in ((code, untouched), (code, in_place)), (trial, err)
        last = json.loads(out.decode().splitlines()[-1])
        last.pop("time")
        assert last == {"step": "failed", "exit": code, "error": NAMES[sig], "message": err.decode()[11:-1]}
        assert after == (before if err.decode() == untouched else reference[name]), trial
    assert interrupted >= TRIALS // 2


def test_sigint_during_a_plain_run_prints_one_line(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    rnd = random.Random(7)
    for trial in range(4):
        proc = subprocess.Popen(
            [*ALLOCATOR, "run", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "out")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        _wait_for_handlers(proc)
        time.sleep(rnd.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
        if proc.returncode == 0:
            continue
        assert (proc.returncode, err.decode()) in (
            (130, "allocator: interrupted by SIGINT; the previous outputs are untouched\n"),
            (130, "allocator: interrupted by SIGINT; the new outputs are written\n"),
        ), (trial, err)


def test_a_closed_log_pipe_stops_batch_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    proc = subprocess.Popen(_batch(tmp_path, "a"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert b'"step": "start"' in proc.stdout.readline()
    proc.stdout.close()  # as `allocator batch ... | head -1` does
    err = proc.stderr.read().decode()
    assert (proc.wait(timeout=60), err) == (141, "allocator: stopped: the output pipe was closed\n")
    # It stops at the next log line, "locked": before the ledger is opened or anything is written.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "a.yaml", "b.yaml", "ledger.sqlite.lock"]


SIGNAL_AS_THE_ROW_COMMITS = """
import os, signal, sys
from allocator.cli import main
from allocator.outputs.ledger import Ledger

started = Ledger.start

def start(self, info):  # the signal comes just as the running row is committed
    run_id = started(self, info)
    os.kill(os.getpid(), signal.SIGTERM)
    return run_id

Ledger.start = start
sys.exit(main(sys.argv[1:]))
"""


def test_a_signal_as_the_running_row_is_committed_marks_it_failed(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    argv = _batch(tmp_path, "a")[3:]  # after python -m allocator
    done = subprocess.run([sys.executable, "-c", SIGNAL_AS_THE_ROW_COMMITS, *argv], capture_output=True, timeout=120)
    assert (done.returncode, done.stderr.decode()) == (
        143, "allocator: interrupted by SIGTERM; the previous outputs are untouched\n"
    )
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    try:
        assert db.execute("SELECT id, status, message FROM runs").fetchall() == [(1, "failed", "interrupted by SIGTERM")]
    finally:
        db.close()
    assert not (tmp_path / "out").exists()
