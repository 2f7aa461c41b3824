"""Alert lines and the notes of summary.csv in Chinese: each alert of the field fixture said whole
in zh (alert_text) while the line itself stays the English the batch log writes; every kind of
line (segment, ladder, tier, all tiers, a fill-rate gap, a variant) and every note template."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import polars as pl
import pytest

from allocator import run_scenario
from allocator.labels import NOTES, PHRASES, Said, note_text
from allocator.pipeline.alerts import alert_text, alerts_of
from allocator.pipeline.run import RunResult

FIELD = Path(__file__).parents[1] / "metrics" / "fixtures" / "field"

ZH = [
    "预警：p，档位 B：订足面 0%，低于 50%",
    "预警：p，全部档位：订足面 33.33%，低于 50%",
    "预警：p：档位 A（66.67%）与 档位 B（42.86%）的订单满足率差 23.81%，高于 20%",
    "预警：q，全部档位：投放面 62.5%，低于 70%",
    "预警：p，档位 A：订足面 0%，低于 50%（方案 half）",
    "预警：p，档位 B：订足面 0%，低于 50%（方案 half）",
    "预警：p，档位 C：订足面 0%，低于 50%（方案 half）",
    "预警：p，全部档位：订足面 0%，低于 50%（方案 half）",
    "预警：p：档位 A（33.33%）与 档位 C（0%）的订单满足率差 33.33%，高于 20%（方案 half）",
    "预警：q，全部档位：投放面 62.5%，低于 70%（方案 half）",
]


@pytest.fixture(scope="module")
def field() -> RunResult:
    return run_scenario(FIELD / "scenario.yaml")


def test_every_alert_of_the_field_fixture_in_zh(field: RunResult) -> None:
    assert [alert_text(a, "zh") for a in field.alerts] == ZH
    assert [alert_text(a, "en") for a in field.alerts] == list(field.alerts)
    # the line itself is its English text: the batch log and the JSON get that
    assert field.alerts[0] == "alert: p, tier B: full fill rate 0% is below 50%"
    assert json.dumps(list(field.alerts[:1])) == '["alert: p, tier B: full fill rate 0% is below 50%"]'
    again = pickle.loads(pickle.dumps(field.alerts))
    assert (again, [alert_text(a, "zh") for a in again]) == (field.alerts, ZH)
    assert alert_text("alert: made elsewhere", "zh") == "alert: made elsewhere"


def _summary(rows: list[dict[str, object]]) -> pl.DataFrame:
    base = {"product": "中华", "line": "tier", "segment": "", "ladder": "", "tier": "", "fill_rate": None,
            "full_fill_rate": None, "coverage": None, "gap_rate": None, "top10_share": None, "gini": None}  # fmt: skip
    return pl.DataFrame([{**base, **r} for r in rows])


def test_segments_ladders_and_every_figure_in_zh() -> None:
    summary = _summary([
        {"segment": "城区", "ladder": "城网", "tier": "一档", "fill_rate": 0.9, "coverage": 0.2, "gini": 0.61},
        {"segment": "城区", "ladder": "城网", "tier": "二档", "fill_rate": 0.4, "gap_rate": 0.6, "top10_share": 0.5},
        {"line": "product", "fill_rate": 0.5, "full_fill_rate": 0.1},
    ])  # fmt: skip
    limits = {"中华": {"fill_rate_below": 0.45, "full_fill_rate_below": 0.2, "coverage_below": 0.3, "gap_rate_above": 0.5,
                       "top10_share_above": 0.4, "gini_above": 0.6, "fill_rate_gap_above": 0.3}}  # fmt: skip
    open_ = {"中华": {("城区", "城网", "一档"), ("城区", "城网", "二档")}}
    alerts = alerts_of(summary, limits, open_, several_ladders=True, variant="少两成")
    assert [alert_text(a, "zh") for a in alerts] == [
        "预警：中华，区域 城区，档位序列 城网，档位 一档：投放面 20%，低于 30%（方案 少两成）",
        "预警：中华，区域 城区，档位序列 城网，档位 一档：基尼系数 0.61，高于 0.6（方案 少两成）",
        "预警：中华，区域 城区，档位序列 城网，档位 二档：订单满足率 40%，低于 45%（方案 少两成）",
        "预警：中华，区域 城区，档位序列 城网，档位 二档：需求缺口率 60%，高于 50%（方案 少两成）",
        "预警：中华，区域 城区，档位序列 城网，档位 二档：前10%集中度 50%，高于 40%（方案 少两成）",
        "预警：中华，全部档位：订足面 10%，低于 20%（方案 少两成）",
        "预警：中华，区域 城区：档位序列 城网，档位 一档（90%）与 档位序列 城网，档位 二档（40%）的订单满足率差 50%，"
        "高于 30%（方案 少两成）",
    ]
    assert alerts[6] == (
        "alert: 中华, segment 城区: fill-rate gap 50% between ladder 城网, tier 一档 (90%) and ladder 城网, tier 二档 "
        "(40%) is above 30% (variant 少两成)"
    )
    one = alerts_of(summary.with_columns(pl.lit("").alias("segment")), limits, {"中华": {("", "城网", "一档")}}, False)
    assert [alert_text(a, "zh") for a in one] == ["预警：中华，档位 一档：投放面 20%，低于 30%",
                                                  "预警：中华，档位 一档：基尼系数 0.61，高于 0.6",
                                                  "预警：中华，全部档位：订足面 10%，低于 20%"]  # fmt: skip


def test_said_needs_its_phrase_in_the_catalogue() -> None:
    assert Said("tier {tier}", tier="A").in_lang("zh") == "档位 A"
    with pytest.raises(KeyError):
        Said("no such phrase {x}", x=1).in_lang("zh")
    assert "alert: {product}, {where}: {figure} {value} is {way} {threshold}{variant}" in PHRASES


NOTES_ZH = [
    ("held for managers", "为 managers 预留"),
    ("supply 8, available 7", "货源 8，可投放 7"),
    ("amount 3", "每户 3 条"),
    ("not in the chosen segments: quota 0", "不在选定区域内：投放量 0"),
    ("supply 7, available 7; pool all, ladder shops: spread 1 between segments (proven smallest)",
     "货源 7，可投放 7；投放池 all，档位序列 shops：区域间差距 1（已证明最小）"),
    ("supply 9, available 9; min_per_client 2 not applied: 12 needed, 9 available; pool 城区: no client, its 3 units "
     "are left", "货源 9，可投放 9；未执行 min_per_client 2：需要 12，可投放 9；投放池 城区：没有客户，其 3 条未分配"),
    ("supply 5, available 5; pool all, ladder 城网: spread 2 between segments (the smallest found, not proven; the "
     "tie-break among such plans is not proven)", "货源 5，可投放 5；投放池 all，档位序列 城网：区域间差距 2（找到的最小值，"
     "未证明；同类方案间的取舍未证明）"),
    ("no client is in a segment: the 4 units are left", "没有客户在区域内：4 条未分配"),
    ("zhang: budget 4, assigned 3 to 1 client, 1 kept", "zhang：额度 4，已分配 3 给 1 户，1 保留"),
    ("li: budget 6, assigned 2 to 2 clients, 4 released to the policy", "li：额度 6，已分配 2 给 2 户，4 退回按规则投放"),
    ("1 quota locked, 1 unit (counted in the tier lines)", "锁定 1 户，1 条（已计入档位行）"),
    ("2 quotas locked, 5 units (counted in the tier lines)", "锁定 2 户，5 条（已计入档位行）"),
    ("reserve 10, assigned 5, released 4 to the policy, kept 1 (zhang 1)",
     "预留 10，已分配 5，4 退回按规则投放，保留 1（zhang 1）"),
    ("reserve 10, assigned 5, kept 5 (zhang 2, li 3)", "预留 10，已分配 5，保留 5（zhang 2, li 3）"),
    ("reserve 10, assigned 10", "预留 10，已分配 10"),
    ("not allocated: method '按人工' is not in plans.methods; remark 'x' is not in plans.remarks (a remark may change "
     "amounts) (row 7, 中华(软), 按人工)", "未投放：投放方法 '按人工' 不在 plans.methods 中；备注 'x' 不在 plans.remarks "
     "中（备注可能改变投放量）（第 7 行，中华(软)，按人工）"),
    ("a note of a newer allocator; supply 1, available 1", "a note of a newer allocator；货源 1，可投放 1"),
]  # fmt: skip


@pytest.mark.parametrize(("note", "zh"), NOTES_ZH)
def test_a_note_in_zh(note: str, zh: str) -> None:
    assert (note_text(note, "zh"), note_text(note, "en")) == (zh, note)


def test_every_note_template_has_chinese_with_the_same_fields() -> None:
    names = re.compile(r"\{(\w+)\}")
    assert [en for en, zh in NOTES.items() if not zh.strip()] == []
    assert [en for en, zh in NOTES.items() if sorted(names.findall(en)) != sorted(names.findall(zh))] == []
