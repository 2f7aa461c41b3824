"""Field and derived names in Chinese: `derive: {条均价: 金额 / 销量}`, read, run and explained."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main
from allocator.inputs.expressions import ExpressionError, columns_of, evaluate_row, parse_expression

TIERING = """\
kind: tiering
version: 1
fields:
  销量: {type: number, min: 0}
  金额: {type: number, min: 0}
derive:
  条均价: 金额 / 销量
  每条毛利: (金额 - 销量 * 100) / 销量
ladders:
  档位: [一档, 二档, 三档]
placement:
  - {id: 高价, when: {条均价: {gte: 200}, 每条毛利: {gte: 100}}, tier: 一档}
  - {id: 中价, when: {条均价: {gte: 150}}, tier: 二档}
default_tier: 三档
"""
ALLOCATION = """\
kind: allocation
version: 1
products:
  - {id: 中华, supply: 5, per_client: {一档: 3, 二档: 2, 三档: 1}}
"""
SCENARIO = """\
kind: scenario
version: 1
name: 条均价
snapshot: clients.csv
tiering: tiering.yaml
allocation: allocation.yaml
period: 2026W10
"""
CLIENTS = "client_id,销量,金额\nc1,10,2500\nc2,10,1600\nc3,10,900\nc4,0,500\n"


@pytest.fixture
def chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in (("tiering.yaml", TIERING), ("allocation.yaml", ALLOCATION), ("scenario.yaml", SCENARIO),
                       ("clients.csv", CLIENTS)):  # fmt: skip
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_chinese_names_in_expressions_parse_and_evaluate() -> None:
    node = parse_expression("(金额 - 销量 * 100) / 销量")
    assert [(c.name, c.position) for c in columns_of(node)] == [("金额", 2), ("销量", 7), ("销量", 19)]
    assert evaluate_row(node, {"金额": 2500, "销量": 10}) == 150.0
    with pytest.raises(ExpressionError) as info:
        parse_expression("金额 ／ 销量")  # a full-width slash is no operator
    assert (str(info.value), info.value.position) == ("unexpected character '／'", 4)


def test_a_scenario_with_chinese_derived_fields_runs(chinese: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    capsys.readouterr()
    # c1: 250 a carton and 150 over 100 a carton; c2: 160; c3: 90; c4 sold nothing (条均价 missing).
    assert Path("out/tiers.csv").read_text(encoding="utf-8") == (
        "client_id,ladder,previous_tier,placed_tier,tier,placed_by,adjustments,move_limit\n"
        "c1,档位,,一档,一档,高价,,\n"
        "c2,档位,,二档,二档,中价,,\n"
        "c3,档位,,三档,三档,,,\n"
        "c4,档位,,三档,三档,,,\n"
    )
    assert main(["explain", "c1", "scenario.yaml"]) == 0
    derived = capsys.readouterr().out.split("Derived\n")[1].split("\n\n")[0]
    assert derived == "  条均价 = 金额 / 销量 → 250\n  每条毛利 = (金额 - 销量 * 100) / 销量 → 150"
