"""Snapshot warnings (ids that differ only in letter case) reach validate, run and batch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from allocator.cli import main

TINY = Path(__file__).parent / "fixtures" / "tiny"
WARNING = "tiny/clients.csv: row 8, column client_id: warning: client id 'C1' differs from 'c1' (row 3) only in letter case"


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    clients = tmp_path / "tiny" / "clients.csv"
    clients.write_text(clients.read_text() + "C1,10,1\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


def test_validate_lists_the_warning_and_strict_exits_1(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tiny/scenario.yaml"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == WARNING
    assert main(["validate", "--strict", "tiny/scenario.yaml"]) == 1


def test_run_prints_the_warning_on_stderr(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    assert capsys.readouterr().err == WARNING + "\n"


def test_batch_logs_the_warning(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out/run"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["message"] for line in lines if line["step"] == "warning"] == [WARNING]
