"""`lang: zh` / `--lang zh`: the terminal tables, the report, the workbook and the notice in Chinese;
the CSVs keep their English column ids; English output is untouched."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest

from allocator.cli import main
from allocator.labels import PHRASES

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "cli" / "fixtures" / "tiny" / "scenario.yaml"
ZH = ROOT / "tests" / "report" / "fixtures" / "zh" / "scenario.yaml"  # lang: zh, 30 Chinese tiers

TINY_ZH = """\
tiny · 周期 2026Q1 · 随机种子 7 · 客户 6 户
基准
品规 ┃ 档位序列 ┃ 档位 ┃ 客户数 ┃ 订单量 ┃ 应投放量 ┃ 投放量 ┃ 订单满足率 ┃ 断货率 ┃ 订足面 ┃ 投放面 ┃ 备注
━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━
p1   │ shops    │ A    │      2 │      7 │        5 │      4 │      57.1% │   0.0% │  50.0% │ 100.0% │
p1   │ shops    │ B    │      2 │      4 │        2 │      1 │      25.0% │   0.0% │   0.0% │  50.0% │
p1   │ shops    │ C    │      2 │      4 │        2 │      2 │      50.0% │   0.0% │  50.0% │ 100.0% │
p1   │ 预留     │      │        │        │          │      1 │            │        │        │        │ 为 managers 预留
p1   │ 未分配   │      │        │        │          │      0 │            │        │        │        │ 货源 8，可投放 7
基准：各品规（全部档位）
品规 ┃ 客户数 ┃ 订单量 ┃ 投放量 ┃ 订单满足率 ┃ 订足面 ┃ 投放面 ┃ 需求缺口率 ┃ 前10%集中度 ┃ 基尼系数
━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━
p1   │      6 │     15 │      7 │      46.7% │  40.0% │  83.3% │      53.3% │       28.6% │    0.309
已写入 out/（tiers.csv, quotas.csv, summary.csv, manifest.json, report.html）
"""


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def test_run_lang_zh_prints_the_tables_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _run(["run", str(TINY), "--out", "out", "--lang", "zh"], capsys) == TINY_ZH


def test_lang_en_on_the_command_line_wins_over_the_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    out = _run(["run", str(ZH), "--out", "en", "--lang", "en"], capsys)
    assert out.splitlines()[0] == "三十档城网投放（第38周） · period 2025W38 · seed 38 · 90 clients"
    assert '<html lang="en">' in Path("en/report.html").read_text(encoding="utf-8")
    assert openpyxl.load_workbook("en/workbook.xlsx").sheetnames == [
        "summary", "tier amounts", "quotas", "comparison", "segments"
    ]  # fmt: skip


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zh fixture run once (its scenario says lang: zh), and once more with --lang en."""
    out = tmp_path_factory.mktemp("zh")
    assert main(["run", str(ZH), "--out", str(out / "zh")]) == 0
    assert main(["run", str(ZH), "--out", str(out / "en"), "--lang", "en"]) == 0
    return out


def test_the_report_in_zh_has_its_headings_and_captions_in_chinese(zh_run: Path) -> None:
    page = (zh_run / "zh" / "report.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert 'body{font-family:"Noto Sans CJK SC",' in page
    assert re.findall(r"<h[23][^>]*>(.*?)</h[23]>", page) == [
        "货源", "方案", "方案并列对比", "每户投放量", "档位", "各档位客户数", "档位变动", "huanghelou-soft", "指标",
        "投放量分布", "zhonghua-hard", "指标", "投放量分布", "汇总表",
    ]  # fmt: skip
    assert re.findall(r"<caption>(.*?)</caption>", page) == [
        "各品规、各方案的货源", "各品规的方案并列对比", "各档位、各品规每户投放量（基准）", "城网: 上期档位 → 本期档位",
        "huanghelou-soft：各档位指标（基准）", "huanghelou-soft：每户投放量", "zhonghua-hard：各档位指标（基准）",
        "zhonghua-hard：每户投放量", "base", "货源减少两成",
    ]  # fmt: skip


def _visible(page: str) -> list[str]:
    """The report's text outside code, SVG marks' titles and the summary cells (data, not labels)."""
    page = re.sub(r"<style>.*?</style>|<code>.*?</code>|<title>.*?</title>", "", page, flags=re.S)
    page = re.sub(r'<td data-col="[^"]*" data-value="[^"]*" class="[^"]*">[^<]*</td>', "", page)
    return [t.strip() for t in re.split(r"<[^>]+>", page) if t.strip()]


def test_no_english_label_is_left_in_the_zh_report(zh_run: Path) -> None:
    """Every catalogue phrase of two or more words, or a column id, shown in English in the zh report."""
    zh = (zh_run / "zh" / "report.html").read_text(encoding="utf-8")
    en = (zh_run / "en" / "report.html").read_text(encoding="utf-8")
    english = {p for p in PHRASES if "{" not in p and (" " in p or "_" in p) and p in " ".join(_visible(en))}
    assert len(english) > 20  # the English report shows them
    assert sorted(p for p in english if p in " ".join(_visible(zh))) == []


def test_the_workbook_in_zh_has_chinese_sheets_and_headers_and_the_csvs_keep_their_ids(zh_run: Path) -> None:
    book = openpyxl.load_workbook(zh_run / "zh" / "workbook.xlsx")
    assert book.sheetnames == ["汇总", "档位投放量", "客户投放量", "方案对比", "区域"]
    heads = {ws.title: [c.value for c in ws[1]] for ws in book}
    assert heads["汇总"] == [
        "品规", "行类型", "区域", "档位序列", "档位", "客户数", "订单量", "应投放量", "投放量", "订单满足率", "断货率",
        "订足面", "投放面", "需求缺口率", "前10%集中度", "基尼系数", "最小投放量", "最大投放量", "备注",
    ]  # fmt: skip
    assert heads["档位投放量"] == ["区域", "档位序列", "档位", "huanghelou-soft", "zhonghua-hard"]
    assert heads["客户投放量"] == ["客户编号", "name", "district", "档位序列", "档位", "区域", "huanghelou-soft",
                                   "zhonghua-hard"]  # fmt: skip
    assert heads["方案对比"] == ["品规", "区域", "档位序列", "档位", "方案", "客户数", "投放量", "订单满足率", "断货率",
                                 "订足面", "投放面", "档位变动客户数"]  # fmt: skip
    assert heads["区域"] == ["品规", "行类型", "区域", "客户数", "订单量", "投放量", "可投放量"]
    for name in ("summary.csv", "quotas.csv", "tier_amounts.csv", "comparison.csv", "tiers.csv"):
        with (zh_run / "zh" / name).open(encoding="utf-8") as f, (zh_run / "en" / name).open(encoding="utf-8") as g:
            assert list(csv.reader(f)) == list(csv.reader(g)), name
    assert book["汇总"].cell(2, 10).number_format == "0.0%"  # the formats follow the column ids


def test_english_report_of_the_zh_fixture_has_no_chinese_label(zh_run: Path) -> None:
    en = (zh_run / "en" / "report.html").read_text(encoding="utf-8")
    assert not set(PHRASES.values()) & set(_visible(en))


def test_the_zh_summary_tables_name_each_line_in_chinese_and_keep_the_csv_text(zh_run: Path) -> None:
    page = (zh_run / "zh" / "report.html").read_text(encoding="utf-8")
    shown = sorted(set(re.findall(r'data-col="line" data-value="([^"]*)" class="[^"]*">([^<]*)<', page)))
    assert shown == [("outside", "区域外"), ("product", "品规"), ("reserve", "预留"), ("tier", "档位"),
                     ("unallocated", "未分配")]  # fmt: skip
