"""`outputs: {keep_columns: [...]}`: snapshot columns carried into quotas.csv and the workbook, as text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from tests.outputs_files.conftest import CLIENTS, RunTo, csv_rows, scenario_text, sheet_rows


def test_kept_columns_follow_client_id_in_quotas_csv_as_written(run_to: RunTo) -> None:
    clients = CLIENTS.replace('"Shop, E"', "+86 138").replace("c3,超市丙,农村,60,4", "c3, 超市丙 ,农村,60,4")
    Path("clients.csv").write_text(clients, encoding="utf-8")
    out = run_to(text=scenario_text("{keep_columns: [name, district, volume]}"))
    # As the snapshot writes them (spaces kept, 150 not 150.0); a formula-like text guarded as in every CSV.
    assert (out / "quotas.csv").read_text(encoding="utf-8").splitlines()[:7] == [
        "client_id,name,district,volume,product,ladder,tier,segment,ordered,entitled,excluded_by,quota,source",
        "'=cmd|' /C calc'!A0,烟酒店甲,城区,150,中华,shops,A,,5,3,,2,rules",
        "c2,便利店乙,城区,120,中华,shops,A,,2,2,,1,rules",
        "c3, 超市丙 ,农村,60,中华,shops,B,,4,2,,1,rules",
        "c4,小卖部丁,农村,55,中华,shops,B,,0,0,,0,rules",
        "c5,'+86 138,城区,10,中华,shops,C,,1,1,,1,rules",
        "c6,,农村,5,中华,shops,C,,3,1,,1,rules",
    ]
    assert not (out / "workbook.xlsx").exists()


def test_kept_columns_in_the_workbook_are_raw_text(run_to: RunTo) -> None:
    Path("clients.csv").write_text(CLIENTS.replace('"Shop, E"', "+86 138"), encoding="utf-8")
    out = run_to(text=scenario_text("{xlsx: true, keep_columns: [name, volume]}"))
    assert [r[:4] for r in sheet_rows(out / "workbook.xlsx", "quotas")] == [
        ("client_id", "name", "volume", "ladder"),
        ("=cmd|' /C calc'!A0", "烟酒店甲", "150", "shops"),
        ("c2", "便利店乙", "120", "shops"),
        ("c3", "超市丙", "60", "shops"),
        ("c4", "小卖部丁", "55", "shops"),
        ("c5", "+86 138", "10", "shops"),
        ("c6", None, "5", "shops"),
    ]


def test_a_parquet_snapshot_keeps_its_columns_as_their_text(run_to: RunTo) -> None:
    frame = pl.read_csv(Path("clients.csv"), schema_overrides={"volume": pl.Float64, "order_a": pl.Int64})
    frame.write_parquet("clients.parquet")
    text = scenario_text("{keep_columns: [name, volume, order_a]}").replace("clients.csv", "clients.parquet")
    out = run_to(text=text)
    assert [r[:5] for r in csv_rows(out / "quotas.csv")[:4]] == [
        ["client_id", "name", "volume", "order_a", "product"],
        ["'=cmd|' /C calc'!A0", "烟酒店甲", "150.0", "5", "中华"],
        ["c2", "便利店乙", "120.0", "2", "中华"],
        ["c3", "超市丙", "60.0", "4", "中华"],
    ]


def test_every_wrong_kept_column_is_located_at_once(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("scenario.yaml").write_text(scenario_text("{keep_columns: [nmae, client_id, tier, name, name]}"))
    assert main(["validate", "scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "scenario.yaml:9:26: outputs.keep_columns[0]: the snapshot has no column 'nmae'; did you mean 'name'?\n"
        "scenario.yaml:9:32: outputs.keep_columns[1]: 'client_id' holds the client ids, which every output has "
        "already, as client_id\n"
        "scenario.yaml:9:43: outputs.keep_columns[2]: 'tier' is a column of quotas.csv already; a kept column needs "
        "another name\n"
        "scenario.yaml:9:55: outputs.keep_columns[4]: 'name' is kept twice\n"
    )


def test_keep_columns_is_a_list_of_names(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("scenario.yaml").write_text(scenario_text("{keep_columns: name, xlsx: 1, csv_bom: yes, format: parquet}"))
    assert main(["validate", "scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "scenario.yaml:9:49: outputs.csv_bom: 'yes' is read as true by YAML 1.1 tools; write true, or quote it "
        "('yes') for text\n"
    )
    Path("scenario.yaml").write_text(scenario_text("{keep_columns: name, xlsx: 1, format: xls}"))
    assert main(["validate", "scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "scenario.yaml:9:25: outputs.keep_columns: expected a list, got 'name'\n"
        "scenario.yaml:9:37: outputs.xlsx: expected true or false, got 1\n"
        "scenario.yaml:9:48: outputs.format: 'xls' is not one of csv, parquet\n"
    )
