"""A cycle of one round is today's single run: the same quotas and summary, byte for byte, except
that the cycle's last round gives the reserve's unassigned units to the policy (so that the month
lands on its supply), which a single run does with `unassigned: release`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main

SHOPS = Path(__file__).parents[1] / "manual" / "fixtures" / "shops"


def test_a_cycle_of_one_round_gives_the_single_runs_quotas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("single", "cycle"):
        shutil.copytree(SHOPS, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    allocation = Path("single/allocation.yaml")
    text = allocation.read_text(encoding="utf-8")
    allocation.write_text(text.replace("li: 0.5}}", "li: 0.5}, unassigned: release}"), encoding="utf-8")
    scenario = Path("cycle/scenario.yaml")
    scenario.write_text(
        scenario.read_text(encoding="utf-8")
        + "cycle: {id: 2026-03, rounds: [month], supply: {zhonghua-soft: 40, yuxi: 30}}\nround: month\n",
        encoding="utf-8",
    )
    assert main(["run", "single/scenario.yaml", "--out", "out-single"]) == 0
    assert main(["run", "cycle/scenario.yaml", "--out", "out-cycle"]) == 0
    for f in ("quotas.csv", "summary.csv", "tiers.csv"):
        assert Path("out-cycle", f).read_bytes() == Path("out-single", f).read_bytes(), f
