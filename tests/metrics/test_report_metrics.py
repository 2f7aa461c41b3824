"""The report's new tables, read back cell by cell: alerts, variants side by side, cartons per shop,
each product's metrics; Chinese tier names get room in the charts; long text wraps."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from allocator.outputs.report import render_report
from allocator.outputs.report_amounts import BRANDS_PER_TABLE
from allocator.outputs.report_style import CSS
from allocator.outputs.svg import CHAR, Scale, Series, grouped_bars, text_width
from allocator.pipeline.run import RunResult, run_scenario
from tests.metrics.test_field import ALERTS, FIELD

Reader = Callable[[str], Any]


@pytest.fixture(scope="module")
def field() -> RunResult:
    return run_scenario(FIELD / "scenario.yaml")


def _cells(page: Any, cls: str) -> list[list[list[str]]]:
    return [[[c.text for c in row] for row in table.rows] for table in page.table(cls)]


def test_alerts_come_near_the_top_with_the_thresholds(field: RunResult, read_page: Reader) -> None:
    text = render_report(field)
    assert text.index('id="alerts"') < text.index('id="supply"')
    assert '<h2>Alerts: 10 alerts</h2><ul class="alerts">' in text
    found = re.findall(r"<li>(alert: [^<]*)</li>", text)
    assert tuple(f.replace("&#x27;", "'") for f in found) == ALERTS
    assert "<li>p: full fill rate below 50%, fill-rate gap between tiers above 20%</li>" in text
    assert "<li>q: coverage below 70%, fill-rate gap between tiers above 20%</li>" in text
    nav = [a["href"] for tag, a in read_page(text).tags if tag == "a"]
    assert nav[:4] == ["#alerts", "#supply", "#variants", "#cartons"]


def test_variants_side_by_side(field: RunResult, read_page: Reader) -> None:
    assert _cells(read_page(render_report(field)), "side") == [
        [
            ["product", "figure", "base", "half"],
            ["p", "allocated", "9", "4"],
            ["fill rate", "56.2%", "25.0%"],
            ["coverage", "75.0%", "37.5%"],
            ["full fill rate", "33.3%", "0.0%"],
            ["q", "allocated", "10", "10"],
            ["fill rate", "–", "–"],
            ["coverage", "62.5%", "62.5%"],
            ["full fill rate", "–", "–"],
        ]
    ]


def test_cartons_per_shop_by_tier_and_brand(field: RunResult, read_page: Reader) -> None:
    # p (per_tier): the quotas its shops got, min–max where they differ; q (tier_amounts): its amounts
    page = read_page(render_report(field))
    assert _cells(page, "cartons") == [
        [
            ["tier", "shops", "p", "q黄鹤楼(软珍品)"],
            ["A", "2", "1–3", "2"],
            ["B", "3", "0–2", "2"],
            ["C", "3", "0–1", "0"],
        ]
    ]
    [table] = page.table("cartons")
    assert table.caption == "Cartons per shop by tier and brand, base"


def test_cartons_tables_split_wide_runs_for_print(tmp_path: Path, read_page: Reader) -> None:
    folder = tmp_path / "field"
    shutil.copytree(FIELD, folder)
    allocation = folder / "allocation.yaml"
    extra = "".join(f"  - {{id: b{i}, supply: {i}, per_client: {{A: 2, B: 1, C: 0}}}}\n" for i in range(1, 10))
    allocation.write_text(allocation.read_text() + extra)
    page = read_page(render_report(run_scenario(folder / "scenario.yaml")))
    tables = page.table("cartons")
    assert [t.caption for t in tables] == [
        "Cartons per shop by tier and brand, base (brands 1–8 of 11)",
        "Cartons per shop by tier and brand, base (brands 9–11 of 11)",
    ]
    assert [len(t.rows[0]) - 2 for t in tables] == [BRANDS_PER_TABLE, 3]
    # bi has i units for claims A 2, 2 and B 1, 1, 1 (webster: first units at 2/0.5 for A, 1/0.5 for B,
    # second A units at 2/1.5): b1 gives one A shop 1 (0–1), b2 to b5 give each A shop 1, b6 one of them 2
    assert [c.text for c in tables[0].rows[1]] == ["A", "2", "1–3", "2", "0–1", "1", "1", "1", "1", "1–2"]
    assert [c.text for c in tables[0].rows[2]] == ["B", "3", "0–2", "2", "0", "0", "0–1", "0–1", "1", "1"]


def test_each_product_shows_its_metrics_per_tier_and_as_a_whole(field: RunResult, read_page: Reader) -> None:
    metrics = _cells(read_page(render_report(field)), "metrics")
    head = ["tier", "clients", "ordered", "allocated", "fill rate", "full fill", "coverage", "gap", "top 10 %", "Gini"]
    assert metrics == [
        [
            head,
            ["A", "2", "6", "4", "66.7%", "50.0%", "100.0%", "33.3%", "75.0%", "0.250"],
            ["B", "3", "7", "3", "42.9%", "0.0%", "66.7%", "57.1%", "66.7%", "0.444"],
            ["C", "3", "3", "2", "66.7%", "50.0%", "66.7%", "33.3%", "50.0%", "0.333"],
            ["all tiers", "8", "16", "9", "56.2%", "33.3%", "75.0%", "43.8%", "33.3%", "0.431"],
        ],
        [
            head,
            ["A", "2", "–", "4", "–", "–", "100.0%", "–", "50.0%", "0.000"],
            ["B", "3", "–", "6", "–", "–", "100.0%", "–", "33.3%", "0.000"],
            ["C", "3", "–", "0", "–", "–", "0.0%", "–", "–", "–"],
            ["all tiers", "8", "–", "10", "–", "–", "62.5%", "–", "20.0%", "0.375"],
        ],
    ]


def test_segmented_metrics_add_up_the_segments_exactly(tmp_path: Path, read_page: Reader) -> None:
    folder = tmp_path / "field"
    shutil.copytree(FIELD, folder)
    allocation = folder / "allocation.yaml"
    allocation.write_text(
        allocation.read_text().replace(
            "    order_column: order_p\n", "    order_column: order_p\n    segments: {by: [district]}\n"
        )
    )
    result = run_scenario(folder / "scenario.yaml")
    [p_table, _] = _cells(read_page(render_report(result)), "metrics")
    # the same quotas as without segments (one pool): each tier's figures over both districts, and the Gini of
    # the whole tier, never an average of the districts' coefficients
    assert p_table[1:] == [
        ["A", "2", "6", "4", "66.7%", "50.0%", "100.0%", "33.3%", "75.0%", "0.250"],
        ["B", "3", "7", "3", "42.9%", "0.0%", "66.7%", "57.1%", "66.7%", "0.444"],
        ["C", "3", "3", "2", "66.7%", "50.0%", "66.7%", "33.3%", "50.0%", "0.333"],
        ["all tiers", "8", "16", "9", "56.2%", "33.3%", "75.0%", "43.8%", "33.3%", "0.431"],
    ]


def test_chinese_tier_names_get_room_for_every_character() -> None:
    assert text_width("D30") == 3 * CHAR
    assert text_width("三十档") == 6 * CHAR  # each CJK character counts double
    assert text_width("Ａ档") == 4 * CHAR  # fullwidth forms too
    tiers = [("城网", t) for t in ("三十档", "二十九档", "一档")]
    svg = grouped_bars("tiers", tiers, [Series("base", "#000", [1, 2, 3])], Scale(3, (0, 3), False))
    # labels end 8px before the bars, anchored at their end: the longest (4 CJK characters, 44px at 11px)
    # must start at or right of x = 0
    ends = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="end">', svg)]
    assert ends and min(ends) - 4 * 11 >= 0
    bars = re.findall(r'<rect x="([\d.]+)"', svg)
    assert float(bars[0]) == 12 + 8 * CHAR


def test_long_text_wraps_instead_of_running_off_the_page(tmp_path: Path, field: RunResult) -> None:
    assert "p,li,dd,caption,h1,h2,h3,.notes,footer{overflow-wrap:anywhere}" in CSS
    assert "table.summary td.wrap{white-space:normal;overflow-wrap:anywhere" in CSS
    assert "table.summary td,table.summary th{white-space:normal;overflow-wrap:anywhere" in CSS  # in print
    # the one box that hides what overflows is the fill meter, which holds no text
    meter = ".meter{display:inline-block;width:90px;height:8px;background:var(--line);border-radius:4px;overflow:hidden"
    assert re.findall(r"[.\w-]+\{[^}]*overflow:hidden", CSS) == [meter]
    assert "<td class='wrap'>" not in render_report(field)  # only not-allocated plans have such cells
