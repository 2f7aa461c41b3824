"""Unattended runs: the ledger, the run lock, previous tiers from the ledger, and SIGKILL at random moments."""

from __future__ import annotations

import fcntl
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allocator.cli import main

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"
DEMO = Path(__file__).resolve().parents[2] / "scenarios"
ALLOCATOR = [sys.executable, "-m", "allocator"]


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


def _lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_batch_logs_one_json_line_per_step_and_records_the_run(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = _lines(out)
    steps = [(line.pop("step"), line.pop("time") is not None) for line in lines]
    assert [s for s, _ in steps] == [
        "start",
        "locked",
        "loaded",
        "tiered",
        "allocated",
        "variants",
        "written",
        "recorded",
        "done",
    ]
    for line in lines:
        line.pop("seconds", None)
    assert lines == [
        {"scenario": "tiny/scenario.yaml", "out": "out", "ledger": "ledger.sqlite", "version": "0.1.0"},
        {},
        {"clients": 6},
        {},
        {"product": "p1", "supply": 8, "reserve": 1, "allocated": 7, "unallocated": 0},
        {"count": 0},
        {"out": "out"},
        {"ledger": "ledger.sqlite", "run": 1},
        {"exit": 0},
    ]
    db = sqlite3.connect("ledger.sqlite")
    assert db.execute("SELECT id, status, period, seed, clients, products, quotas_issued FROM runs").fetchall() == [
        (1, "ok", "2026Q1", 7, 6, 1, 7)
    ]
    assert db.execute("SELECT client_id, quota FROM quotas ORDER BY client_id").fetchall() == [
        ("c1", 2), ("c2", 2), ("c3", 1), ("c4", 0), ("c5", 1), ("c6", 1)
    ]  # fmt: skip
    assert db.execute("SELECT client_id, tier FROM tier_history ORDER BY client_id").fetchall() == [
        ("c1", "A"), ("c2", "A"), ("c3", "B"), ("c4", "B"), ("c5", "C"), ("c6", "C")
    ]  # fmt: skip


def test_a_second_run_on_a_locked_output_folder_fails_clearly_and_touches_nothing(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out"]) == 0
    before = {p.name: p.read_bytes() for p in Path("out").iterdir()}
    capsys.readouterr()
    fd = os.open(".out.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, b"pid 4242, since 2026-11-28T02:00:00+00:00", 0)
    try:
        assert main(["batch", "tiny/scenario.yaml", "--out", "out", "--wait", "0.3"]) == 4
    finally:
        os.close(fd)
    out, err = capsys.readouterr()
    message = (
        "output folder out is in use by another allocator run (pid 4242, since 2026-11-28T02:00:00+00:00); "
        "waited 0.3 s; try again later or give --wait SECONDS"
    )
    assert err == message + "\n"
    assert [(line["step"], line.get("exit"), line.get("message")) for line in _lines(out)][-1] == ("failed", 4, message)
    assert {p.name: p.read_bytes() for p in Path("out").iterdir()} == before
    assert sqlite3.connect("ledger.sqlite").execute("SELECT count(*) FROM runs").fetchone() == (1,)


def test_the_next_review_takes_current_tiers_from_the_ledger(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiering = (tiny / "tiering.yaml").read_text()
    tiering = tiering.replace(
        "  volume: {type: number, min: 0}\n",
        "  volume: {type: number, min: 0}\n  current_tier: {type: tier, optional: true}\n",
    )
    (tiny / "tiering.yaml").write_text(tiering + "moves: {max_up: 0, max_down: 0}\n")
    assert main(["run", "tiny/scenario.yaml", "--out", "q1", "--ledger", "ledger.sqlite"]) == 0
    (tiny / "clients.csv").write_text("client_id,volume,order_p1\nc1,10,5\nc2,120,2\nc3,200,4\nc7,150,1\n")
    (tiny / "scenario.yaml").write_text((tiny / "scenario.yaml").read_text().replace("2026Q1", "2026Q2"))
    assert main(["run", "tiny/scenario.yaml", "--out", "q2", "--ledger", "ledger.sqlite"]) == 0
    capsys.readouterr()
    assert Path("q2/tiers.csv").read_text() == (
        "client_id,ladder,previous_tier,placed_tier,tier,placed_by,adjustments,move_limit\n"
        "c1,shops,A,C,A,,,max_down\n"
        "c2,shops,A,A,A,big,,\n"
        "c3,shops,B,A,B,big,,max_up\n"
        "c7,shops,,A,A,big,,\n"
    )
    manifest = json.loads(Path("q2/manifest.json").read_text())
    assert manifest["current_tier_from_ledger"] == {"from_run": 1, "period": "2026Q1", "clients_filled": 3}


# --- crash safety ---------------------------------------------------------------------------

KILLS = 24


def _snapshot_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "timings.json"
    }


def _check_ledger(path: Path) -> None:
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for run_id, status, clients, products in db.execute("SELECT id, status, clients, products FROM runs"):
        quotas = db.execute("SELECT count(*) FROM quotas WHERE run_id = ?", (run_id,)).fetchone()[0]
        tiers = db.execute("SELECT count(*) FROM tier_history WHERE run_id = ?", (run_id,)).fetchone()[0]
        if status == "ok":
            assert (quotas, tiers) == (clients * products, clients), run_id
        else:
            assert (quotas, tiers) == (0, 0), (run_id, status)
    db.close()


def test_sigkill_at_random_moments_never_leaves_half_written_outputs_or_ledger(tmp_path: Path) -> None:
    # Two scenarios that differ only in the seed give different quotas (ties break differently),
    # so after every kill the folder must be exactly one run's outputs, never a mix.
    for name, seed in (("a", 1), ("b", 2)):
        text = (DEMO / "demo.yaml").read_text().replace("seed: 2026", f"seed: {seed}")
        text = text.replace("data/demo-clients.csv", str(DEMO / "data" / "demo-clients.csv"))
        text = text.replace("../rules/", str(DEMO.parent / "rules") + "/")
        (tmp_path / f"{name}.yaml").write_text(text)
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    reference = {}
    for name in ("a", "b"):
        done = subprocess.run(
            [*ALLOCATOR, "batch", str(tmp_path / f"{name}.yaml"), "--out", str(out), "--ledger", str(ledger)],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        reference[name] = _snapshot_of(out)
    assert reference["a"] != reference["b"]
    rnd = random.Random(20261128)
    survived = 0
    current = "b"
    for kill in range(KILLS):
        name = "a" if kill % 2 == 0 else "b"
        proc = subprocess.Popen(
            [*ALLOCATOR, "batch", str(tmp_path / f"{name}.yaml"), "--out", str(out), "--ledger", str(ledger)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if kill % 3 == 0:
            time.sleep(rnd.uniform(0.0, 1.5))  # anywhere, start-up included
        else:
            assert proc.stdout is not None
            for line in proc.stdout:  # close to the dangerous part: writing and recording
                if b'"step": "variants"' in line:
                    break
            time.sleep(rnd.uniform(0.0, 0.12))
        proc.send_signal(signal.SIGKILL)
        finished = proc.wait(timeout=60) == 0
        after = _snapshot_of(out)
        assert after in (reference["a"], reference["b"]), f"kill {kill}: the output folder is a mix"
        if after == reference[name] and not finished:
            current = name
        _check_ledger(ledger)
        survived += 1
        if kill % 4 == 3:  # a re-run completes and cleans up what the killed runs left
            rerun = subprocess.run(
                [*ALLOCATOR, "batch", str(tmp_path / f"{current}.yaml"), "--out", str(out), "--ledger", str(ledger)],
                capture_output=True,
                timeout=120,
            )
            assert rerun.returncode == 0, rerun.stdout + rerun.stderr
            assert _snapshot_of(out) == reference[current]
            assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
            _check_ledger(ledger)
            db = sqlite3.connect(ledger)
            assert db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone() == (0,)
            db.close()
    assert survived == KILLS
