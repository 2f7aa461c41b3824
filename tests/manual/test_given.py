"""Assignments and locks given on the command line or as a list in the scenario: the same checks,
located where they were written (the file's row and column, or the scenario's line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main


def test_command_line_files_replace_the_scenarios(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("other-locks.csv").write_text("client_id,product,quota,reason,by\nS05,zhonghua-soft,0,stock count,zhou\n")
    Path("no-assignments.csv").write_text("owner,client_id,product,units,reason\n")
    argv = ["--assignments", "no-assignments.csv", "--locks", "other-locks.csv"]
    assert main(["run", "scenario.yaml", "--out", "out", *argv]) == 0
    lines = Path("out/quotas.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].endswith(",quota,source,assigned")
    mine = [line for line in lines if ",zhonghua-soft," in line and (",lock," in line or "assignment" in line)]
    assert mine == ["S05,zhonghua-soft,shops,B,,3,0,,0,lock,0"]


def test_locks_listed_in_the_scenario_are_checked_by_line(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path("scenario.yaml").read_text(encoding="utf-8").replace("locks: locks.csv\n", "")
    text += (
        "locks:\n"
        "  - {client_id: S02, product: zhonghua-soft, quota: 2, reason: complaint, by: wang}\n"
        "  - {client_id: S99, product: zhonghua-soft, quota: 1, reason: typo, by: wang}\n"
        "  - {client_id: S03, product: zhonghua-sof, quota: 1, reason: typo, by: wang}\n"
        "  - {client_id: S02, product: zhonghua-soft, quota: 9, reason: again, by: wang}\n"
    )
    Path("scenario.yaml").write_text(text, encoding="utf-8")
    assert main(["run", "scenario.yaml", "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        "scenario.yaml:12:17: locks[1].client_id: unknown client 'S99' (not in the snapshot); did you mean 'S09'?\n"
        "scenario.yaml:13:31: locks[2].product: unknown product 'zhonghua-sof'; did you mean 'zhonghua-soft'?\n"
        "scenario.yaml:14:17: locks[3].client_id: a second lock of the same quota (first at line 11)\n"
    )


def test_max_per_client_is_the_cap_an_assignment_is_checked_against(
    shops: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path("allocation.yaml").read_text(encoding="utf-8")
    Path("allocation.yaml").write_text(text.replace("    per_client: {A: 5, B: 3, C: 1}\n",
                                                    "    per_client: {A: 5, B: 3, C: 1}\n    max_per_client: 4\n"),
                                       encoding="utf-8")  # fmt: skip
    Path("assignments.csv").write_text("owner,client_id,product,units,reason\nzhang,S01,zhonghua-soft,5,flagship\n")
    assert main(["run", "scenario.yaml", "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        "assignments.csv: row 2, column units: client S01 would get 5 units of zhonghua-soft by assignment, "
        "above its cap 4 (max_per_client)\n"
    )
