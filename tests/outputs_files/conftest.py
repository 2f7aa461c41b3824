"""What planners open after a run: the shops scenario these tests write and run, and readers of
the files it writes (CSVs as their text, workbooks cell by cell with openpyxl)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from allocator.inputs.scenarios import load_scenario
from allocator.outputs.run_folder import write_outputs
from allocator.pipeline.run import run

TIERING = """\
kind: tiering
version: 1
fields:
  volume: {type: number, min: 0}
  district: {type: category, values: [城区, 农村]}
ladders:
  shops: [A, B, C]
placement:
  - {id: big, when: {volume: {gte: 100}}, tier: A}
  - {id: mid, when: {volume: {gte: 50}}, tier: B}
default_tier: C
"""

# 中华 by entitlement (orders known); p2 by tier amounts, one pool for both districts.
ALLOCATION = """\
kind: allocation
version: 1
products:
  - id: 中华
    supply: 6
    order_column: order_a
    per_client: {A: 3, B: 2, C: 1}
  - id: p2
    supply: 7
    policy: tier_amounts
    segments: {by: [district]}
"""

CLIENTS = """\
client_id,name,district,volume,order_a
=cmd|' /C calc'!A0,烟酒店甲,城区,150,5
c2,便利店乙,城区,120,2
c3,超市丙,农村,60,4
c4,小卖部丁,农村,55,0
c5,"Shop, E",城区,10,1
c6,,农村,5,3
"""


def scenario_text(outputs: str | None = "{xlsx: true, keep_columns: [name]}", variants: str = "") -> str:
    """The shops scenario with these `outputs:` (none when None) and variants (YAML lines)."""
    text = (
        "kind: scenario\nversion: 1\nname: 城区 week\nsnapshot: clients.csv\ntiering: tiering.yaml\n"
        "allocation: allocation.yaml\nperiod: 2026W10\nseed: 7\n"
    )
    if outputs is not None:
        text += f"outputs: {outputs}\n"
    return text + variants


LESS = "variants:\n  - name: less\n    supply_factor: {p2: 0.5}\n"


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shops scenario's folder, the working directory, with its rule files and snapshot."""
    folder = tmp_path / "shops"
    folder.mkdir()
    (folder / "tiering.yaml").write_text(TIERING, encoding="utf-8")
    (folder / "allocation.yaml").write_text(ALLOCATION, encoding="utf-8")
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    (folder / "scenario.yaml").write_text(scenario_text(variants=LESS), encoding="utf-8")
    monkeypatch.chdir(folder)
    return folder


RunTo = Callable[..., Path]


@pytest.fixture
def run_to(shops: Path) -> RunTo:
    """Run the shops scenario (given its text) into a folder through the Python API, as `run` does
    (the terminal table is left out), and return the folder."""

    def go(out: str = "out", text: str | None = None) -> Path:
        if text is not None:
            (shops / "scenario.yaml").write_text(text, encoding="utf-8")
        write_outputs(run(load_scenario(shops / "scenario.yaml")), shops / out)
        return shops / out

    return go


def csv_rows(path: Path) -> list[list[str]]:
    """A CSV of the run as its text cells (a UTF-8 BOM, if any, dropped)."""
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """A worksheet's rows as openpyxl reads its values."""
    book = openpyxl.load_workbook(path)
    return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]


_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_FORMULA_GUARD = re.compile(r"^'(?:[\t\r]|\s*[=+\-@])")


def same_cell(csv_text: str, value: Any) -> bool:
    """Whether a workbook cell holds what the CSV's cell says: the same text (the CSV's `'` before
    a formula-like text aside), the same number, or both empty."""
    if value is None:
        return csv_text == ""
    if isinstance(value, str):
        return csv_text == value or (csv_text == "'" + value and bool(_FORMULA_GUARD.match(csv_text)))
    if isinstance(value, bool) or not _NUMBER.fullmatch(csv_text):
        return False
    return float(csv_text) == value  # openpyxl reads 0.0 back as 0: the value is what counts
