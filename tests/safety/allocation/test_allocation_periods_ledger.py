"""The ledger takes previous tiers from the latest earlier period by meaning, not by text order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from allocator.outputs.ledger import Ledger, RunInfo

TINY = Path(__file__).resolve().parents[2] / "cli" / "fixtures" / "tiny"


def record(ledger: Ledger, period: str, tier: str) -> int:
    info = RunInfo("s.yaml", "0" * 64, period, 1, "0" * 64, "0" * 64, "0" * 64, "0.1.0", "out")
    run = ledger.start(info)
    tiers = pl.DataFrame({"client_id": ["c1"], "ladder": ["shops"], "tier": [tier]})
    ledger.finish(run, period, tiers, [])
    return run


def test_week_ten_takes_its_tiers_from_week_nine(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        record(ledger, "2026W9", "B")
        record(ledger, "2026W1", "C")  # as text, "2026W1" < "2026W10" is the latest earlier
        record(ledger, "2026Q1", "A")  # another kind of period is never "earlier"
        record(ledger, "2026W11", "A")
        found = ledger.previous_tiers("2026W10")
    assert found is not None
    run, period, frame = found
    assert (run, period, frame.rows()) == (1, "2026W9", [("c1", "shops", "B")])


def test_the_latest_run_of_the_latest_earlier_period_wins(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as ledger:
        record(ledger, "2026-W08", "C")
        record(ledger, "2026W9", "C")
        record(ledger, "2026-W09", "B")  # the same week written the other way, recorded later
        found = ledger.previous_tiers("2026W10")
        assert ledger.previous_tiers("2026W8") is None
    assert found is not None
    assert (found[0], found[1], found[2].rows()) == (3, "2026-W09", [("c1", "shops", "B")])


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    tiering = (tmp_path / "tiny" / "tiering.yaml").read_text()
    tiering = tiering.replace(
        "  volume: {type: number, min: 0}\n",
        "  volume: {type: number, min: 0}\n  current_tier: {type: tier, optional: true}\n",
    )
    (tmp_path / "tiny" / "tiering.yaml").write_text(tiering)
    return tmp_path / "tiny"


def test_batch_with_a_ledger_refuses_a_period_it_cannot_order(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tiny / "scenario.yaml"
    # validate refuses such a form where it is written; `none` passes it but no ledger can order it
    scenario.write_text(scenario.read_text().replace("period: 2026Q1", "period: none"))
    code = main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"])
    out, err = capsys.readouterr()
    message = (
        "period 'none' cannot be ordered; use a year (2026), a quarter (2026Q4 or 2026-Q4), "
        "a month (2026-09 or 202609), a week (2026W10 or 2026-W10, ISO weeks) or a date (2026-09-14)"
    )
    assert (code, err) == (2, message + "\n")
    failed = json.loads(out.splitlines()[-1])
    assert (failed["step"], failed["exit"], failed["error"], failed["message"]) == ("failed", 2, "PeriodError", message)
    assert not Path("out").exists()
