"""Warnings of an xlsx snapshot name the sheet, as its errors do."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from allocator.cli import main

TIERING = """kind: tiering
version: 1
fields:
  volume: {type: number, min: 0}
ladders:
  all: [A, B]
placement:
  - {id: big, when: {volume: {gte: 10}}, tier: A}
default_tier: B
"""
ALLOCATION = """kind: allocation
version: 1
products:
  - {id: p, supply: 10, per_client: {A: 2, B: 1}}
"""
SCENARIO = """kind: scenario
version: 1
name: sheet warnings
snapshot: {path: clients.xlsx, sheet: 上周}
tiering: tiering.yaml
allocation: allocation.yaml
period: 2026W1
"""


def test_a_warning_names_the_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in (("tiering.yaml", TIERING), ("allocation.yaml", ALLOCATION), ("scenario.yaml", SCENARIO)):
        Path(name).write_text(text, encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = "本周"
    sheet = book.create_sheet("上周")
    for row in (["client_id", "volume"], ["c1", 12], ["C1", 3]):
        sheet.append(row)
    book.save("clients.xlsx")
    assert main(["validate", "scenario.yaml"]) == 0
    assert capsys.readouterr().out == (
        "scenario.yaml: ok (scenario 'sheet warnings': 0 variants, snapshot checked)\n"
        "clients.xlsx, sheet 上周: row 3, column client_id: warning: client id 'C1' differs from 'c1' (row 2) only in letter case\n"
    )
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    assert capsys.readouterr().err == (
        "clients.xlsx, sheet 上周: row 3, column client_id: warning: client id 'C1' differs from 'c1' (row 2) only in letter case\n"
    )
