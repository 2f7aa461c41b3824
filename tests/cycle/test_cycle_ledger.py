"""The cycle through the command line and the ledger: rounds batched and approved one after the
other, the status command, approved rounds locked, stale drafts refused, a replay giving the same
outputs, and a round killed at any moment leaving the cycle as it was."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from allocator.cli import main

MONTH = Path(__file__).parent / "fixtures" / "month"
ALLOCATOR = [sys.executable, "-m", "allocator"]


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(MONTH, tmp_path / "month")
    monkeypatch.chdir(tmp_path / "month")
    return tmp_path / "month"


def _round(name: str, out: str | None = None) -> int:
    folder = out or f"out-{name}"
    return main(["batch", "scenario.yaml", "--out", folder, "--ledger", "ledger.sqlite", "--round", name])


def _approve(run: int) -> int:
    return main(["approve", str(run), "--ledger", "ledger.sqlite", "--by", "lin"])


def _quotas(folder: str) -> list[str]:
    return Path(folder, "quotas.csv").read_text(encoding="utf-8").splitlines()


STATUS = """\
a month of six equal shops · cycle 2026-03 · scenario.yaml
rounds
round ┃ run ┃ state    ┃ draft runs
━━━━━━╇━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━
W1    │ 1   │ approved │
W2    │ 2   │ approved │
W3    │ 3   │ approved │
rotating · cycle supply 12 · issued 12 · remaining 0
ladder ┃ tier ┃ W1 ┃ W2 ┃ W3 ┃ issued ┃ ordered ┃  fill ┃ clients received ┃ spread
━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━
shops  │ A    │  4 │  4 │  4 │     12 │      90 │ 13.3% │                6 │      0
shops  │ B    │  0 │  0 │  0 │      0 │      15 │  0.0% │                0 │      0
───────┼──────┼────┼────┼────┼────────┼─────────┼───────┼──────────────────┼───────
total  │      │  4 │  4 │  4 │     12 │         │       │                  │
fixed · cycle supply 12 · issued 12 · remaining 0
ladder ┃ tier ┃ W1 ┃ W2 ┃ W3 ┃ issued ┃ ordered ┃  fill ┃ clients received ┃ spread
━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━
shops  │ A    │  4 │  4 │  4 │     12 │      90 │ 13.3% │                4 │      3
shops  │ B    │  0 │  0 │  0 │      0 │      15 │  0.0% │                0 │      0
───────┼──────┼────┼────┼────┼────────┼─────────┼───────┼──────────────────┼───────
total  │      │  4 │  4 │  4 │     12 │         │       │                  │
"""


def test_three_rounds_land_on_the_cycle_supply_and_rotation_spreads_the_ties(
    month: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for run, name in enumerate(("W1", "W2", "W3"), 1):
        assert _round(name) == 0
        assert _approve(run) == 0
    capsys.readouterr()
    assert main(["cycle", "scenario.yaml", "--ledger", "ledger.sqlite"]) == 0
    shown = capsys.readouterr().out
    assert "\n".join(line.rstrip() for line in shown.split("\n")) == STATUS  # rich pads cells with spaces


def test_an_approved_round_is_not_run_again_and_a_draft_may_be(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _round("W1", "first") == 0
    assert _round("W1", "second") == 0  # a draft: run again freely
    assert _approve(2) == 0
    capsys.readouterr()
    assert _round("W1", "third") == 2
    failed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert failed["message"] == (
        "scenario.yaml already has an approved run for period 2026-03, round W1: run 2, approved by lin "
        f"({failed['message'].split('lin (')[1].split(')')[0]}); to replace it, give --supersede 2 --reason TEXT"
    )
    assert _approve(1) == 2  # the other W1 draft: its round is issued already
    assert "cannot be approved: run 2 is already approved" in capsys.readouterr().err


def test_a_round_worked_out_before_an_earlier_one_was_approved_is_refused(
    month: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _round("W1") == 0
    assert _round("W2") == 0
    assert _approve(1) == 0
    capsys.readouterr()
    assert _approve(2) == 2
    assert capsys.readouterr().err == (
        "run 2 (scenario.yaml, period 2026-03, round W2) cannot be approved: it was worked out from no approved "
        "round of cycle 2026-03, and the approved rounds are now run 1; its supply and rotation are out of date: "
        "batch round W2 again and approve that run\n"
    )
    assert _round("W2", "again") == 0
    assert _approve(3) == 0


def test_an_override_above_what_the_cycle_has_left_is_refused(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _round("W1") == 0 and _approve(1) == 0
    text = Path("scenario.yaml").read_text(encoding="utf-8")
    Path("scenario.yaml").write_text(text + "supply: {rotating: 9}\n", encoding="utf-8")
    capsys.readouterr()
    assert _round("W2") == 2
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["message"] == (
        "scenario.yaml: supply.rotating: 9 is more than the 8 units cycle 2026-03 has left for round W2 "
        "(cycle supply 12, 4 issued by approved rounds)"
    )


def test_replaying_the_ledger_gives_the_same_round_outputs(month: Path) -> None:
    # The first ledger also holds what never counts: a draft of W2 that nobody approved, and a W3
    # draft worked out before W2 was approved (refused at approval, then batched again).
    files = ("quotas.csv", "summary.csv", "tiers.csv")
    assert _round("W1") == 0 and _approve(1) == 0
    assert _round("W2", "w2-draft") == 0  # run 2, left a draft
    assert _round("W2") == 0 and _approve(3) == 0
    assert _round("W3") == 0 and _approve(4) == 0
    firsts = {name: {f: Path(f"out-{name}", f).read_bytes() for f in files} for name in ("W1", "W2", "W3")}
    Path("ledger.sqlite").rename("first.sqlite")
    for name in ("W1", "W2", "W3"):
        shutil.rmtree(f"out-{name}")
    for run, name in enumerate(("W1", "W2", "W3"), 1):
        assert _round(name) == 0 and _approve(run) == 0
        again = {f: Path(f"out-{name}", f).read_bytes() for f in files}
        assert again == firsts[name], name


def _status(folder: Path) -> dict[str, object]:
    """The cycle as `allocator cycle --json` shows it, without the draft runs (a run the kill came
    too late for is a finished draft: the cycle is the same)."""
    done = subprocess.run(
        [*ALLOCATOR, "cycle", "scenario.yaml", "--ledger", "ledger.sqlite", "--json"],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    for r in data["rounds"]:  # type: ignore[attr-defined]
        r.pop("drafts")
    return data


def test_a_round_killed_at_any_moment_leaves_the_cycle_as_it_was(month: Path) -> None:
    assert _round("W1") == 0 and _approve(1) == 0
    before = _status(month)
    rnd = random.Random(20261201)
    for kill in range(8):
        proc = subprocess.Popen(
            [*ALLOCATOR, "batch", "scenario.yaml", "--out", f"out-W2-{kill}", "--ledger", "ledger.sqlite",
             "--round", "W2"],
            cwd=month, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.stdout is not None
        if kill % 2:
            for line in proc.stdout:
                if b'"step": "variants"' in line:
                    break
            time.sleep(rnd.uniform(0.0, 0.05))
        else:
            time.sleep(rnd.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert _status(month) == before, f"kill {kill}"  # a draft or a failed run: no round issued


def test_a_round_off_its_nominal_share_says_so(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path("scenario.yaml").read_text(encoding="utf-8")
    Path("scenario.yaml").write_text(text + "supply: {rotating: 2}\n", encoding="utf-8")
    assert _round("W1") == 0 and _approve(1) == 0
    Path("scenario.yaml").write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert _round("W2") == 0
    warnings = [json.loads(line)["message"] for line in capsys.readouterr().out.splitlines() if '"warning"' in line]
    assert warnings == [
        "scenario.yaml: round W2 of cycle 2026-03: rotating gets 5 units, +1 (+25.0%) off its nominal 4 "
        "(the approved rounds issued less than their shares)"
    ]
