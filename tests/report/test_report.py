"""The HTML report: self-contained, deterministic, escaped, and its summary tables equal summary.csv."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from allocator.outputs.report import render_report
from allocator.pipeline.run import RunResult, run_scenario

TINY_FOLDER = Path(__file__).parents[1] / "cli" / "fixtures" / "tiny"
MOVES = Path(__file__).parent / "fixtures" / "moves" / "scenario.yaml"
# Anything a browser could fetch: external URLs, scripts, styles, fonts, images, frames.
FETCHES = ("http://", "https://", "src=", "srcset", "<script", "@import", "url(", "<link", "xlink:href")
LOADING_TAGS = {"script", "link", "img", "iframe", "frame", "object", "embed", "audio", "video", "source", "base"}

Reader = Callable[[str], Any]
CsvReader = Callable[[RunResult], dict[str, list[list[str]]]]


@pytest.mark.parametrize("name", ["tiny", "moves", "demo"])
def test_report_loads_nothing_from_outside(name: str, request: pytest.FixtureRequest, read_page: Reader) -> None:
    text = render_report(request.getfixturevalue(name))
    assert [s for s in FETCHES if s in text.lower()] == []
    page = read_page(text)
    assert {tag for tag, _ in page.tags} & LOADING_TAGS == set()
    hrefs = [a["href"] for _, a in page.tags if "href" in a]
    ids = {a["id"] for _, a in page.tags if "id" in a}
    assert hrefs, "the contents links are missing"
    assert [h for h in hrefs if not h.startswith("#") or h[1:] not in ids] == []


@pytest.mark.parametrize("name", ["tiny", "moves", "demo"])
def test_summary_tables_hold_exactly_the_csv_cells(
    name: str, request: pytest.FixtureRequest, read_page: Reader, csv_summaries: CsvReader
) -> None:
    result: RunResult = request.getfixturevalue(name)
    tables = read_page(render_report(result)).summaries()
    expected = csv_summaries(result)
    assert list(tables) == [v.name for v in result.variants]
    assert tables == expected
    assert [len(rows) - 1 for rows in tables.values()] == [v.summary.height for v in result.variants]


def test_demo_summary_cells_cover_rates_nulls_and_notes(demo: RunResult, read_page: Reader) -> None:
    rows = read_page(render_report(demo)).summaries()["base"]
    header, first = rows[0], rows[1]
    assert header == [
        "product", "line", "ladder", "tier", "clients", "ordered", "entitled", "allocated",
        "fill_rate", "stockout_rate", "full_fill_rate", "coverage", "gap_rate", "top10_share", "gini",
        "min_quota", "max_quota", "note",
    ]  # fmt: skip
    assert len(first[8]) == len("0.0000") and len(first[14]) == len("0.0000")  # four decimals, as in the CSV
    reserve = next(r for r in rows if r[1] == "reserve")
    assert reserve[4:7] == ["", "", ""] and reserve[17].startswith("held for ")
    product = next(r for r in rows if r[1] == "product")
    assert product[:5] == ["zhonghua-soft", "product", "", "", "3000"]


def test_same_result_and_same_inputs_give_the_same_bytes(tiny: RunResult, moves: RunResult, demo: RunResult) -> None:
    assert render_report(demo) == render_report(demo)
    again = run_scenario(TINY_FOLDER / "scenario.yaml")
    assert render_report(tiny).encode() == render_report(again).encode()
    # another process, another string-hash seed, another working directory: the same bytes
    code = (
        "import sys; from pathlib import Path; from allocator.pipeline.run import run_scenario; "
        "from allocator.outputs.report import render_report; "
        "sys.stdout.buffer.write(render_report(run_scenario(Path(sys.argv[1]))).encode())"
    )
    path = str(MOVES.resolve())
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, check=True, env=env, cwd="/")
    assert out.stdout == render_report(moves).encode()


def _cells(page: Any, cls: str) -> list[list[list[str]]]:
    return [[[c.text for c in row] for row in table.rows] for table in page.table(cls)]


def test_tiny_report_shows_the_run(tiny: RunResult, read_page: Reader) -> None:
    text = render_report(tiny)
    page = read_page(text)
    assert "<h1>tiny</h1>" in text
    assert "period <b>2026Q1</b> · seed <b>7</b> · 6 clients" in text
    assert _cells(page, "supply") == [
        [
            ["product", "variant", "supply", "reserve", "available", "allocated", "unallocated", "allocated of supply"],
            ["p1", "base", "8", "1 (managers)", "7", "7", "0", "87.5%"],
        ]
    ]
    # nobody has a previous tier: the matrix is the "new" row alone
    assert _cells(page, "matrix") == [
        [["before ↓ now →", "A", "B", "C", "total"], ["new", "2", "2", "2", "6"], ["total", "2", "2", "2", "6"]]
    ]
    assert _cells(page, "quotas") == [
        [
            ["ladder", "tier", "clients", "base"],
            ["range", "clients by quota"],
            ["shops", "A", "2", "2–2", ""],
            ["shops", "B", "2", "0–1", ""],
            ["shops", "C", "2", "1–1", ""],
        ]
    ]
    assert page.titles == [
        "Clients per tier, ladder shops",
        "base · shops A: 2 clients", "base · shops B: 2 clients", "base · shops C: 2 clients",
        "Fill rate per tier and variant, p1",
        "base · shops A: 57.1%", "base · shops B: 25.0%", "base · shops C: 50.0%",
        "Stock-out rate per tier and variant, p1",
        "base · shops A: 0.0%", "base · shops B: 0.0%", "base · shops C: 0.0%",
        "p1, base, shops A: clients by quota", "quota 2: 2 clients (100.0%)",
        "p1, base, shops B: clients by quota", "quota 0: 1 client (50.0%)", "quota 1: 1 client (50.0%)",
        "p1, base, shops C: clients by quota", "quota 1: 2 clients (100.0%)",
    ]  # fmt: skip


def test_migration_and_a_variant_that_moves_thresholds(moves: RunResult, read_page: Reader) -> None:
    # moves: c1 A->A, c2 C->B (max_up 1), c3 B->B, c4 new->B, c5 A->C, c6 new->C;
    # "lower bar" lets volume 5 into B, so c5 and c6 move from C to B.
    page = read_page(render_report(moves))
    assert _cells(page, "matrix") == [
        [
            ["before ↓ now →", "A", "B", "C", "total"],
            ["A", "1", "·", "1", "2"],
            ["B", "·", "1", "·", "1"],
            ["C", "·", "1", "·", "1"],
            ["new", "·", "1", "1", "2"],
            ["total", "1", "3", "2", "6"],
        ],
        [
            ["base ↓ variant →", "A", "B", "C", "total"],
            ["A", "1", "·", "·", "1"],
            ["B", "·", "3", "·", "3"],
            ["C", "·", "2", "·", "2"],
            ["total", "1", "5", "0", "6"],
        ],
    ]
    assert [t.caption for t in page.table("matrix")] == ["shops: previous tier → tier", "shops: base → lower bar"]
    # same quota per client, but in other tiers: the variant gets its own distribution
    assert _cells(page, "quotas") == [
        [
            ["ladder", "tier", "clients", "base", "lower bar"],
            ["range", "clients by quota", "range", "clients by quota"],
            ["shops", "A", "1", "2–2", "", "2–2", ""],
            ["shops", "B", "3", "0–2", "", "0–2", ""],
            ["shops", "C", "2", "1–1", "", "–", ""],
        ]
    ]
    assert page.titles[:7] == [
        "Clients per tier, ladder shops",
        "base · shops A: 1 client", "lower bar · shops A: 1 client",
        "base · shops B: 3 clients", "lower bar · shops B: 5 clients",
        "base · shops C: 2 clients", "lower bar · shops C: 0 clients",
    ]  # fmt: skip
    assert "p1, lower bar, shops B: clients by quota" in page.titles


def test_charts_and_tables_are_accessible(demo: RunResult, read_page: Reader) -> None:
    page = read_page(render_report(demo))
    svgs = [a for tag, a in page.tags if tag == "svg"]
    assert len(svgs) > 10
    assert page.untitled_svgs == 0
    assert all(a.get("role") == "img" and a.get("aria-label") for a in svgs)
    assert all(t.caption for t in page.tables)
    header_cells = [c for t in page.tables for c in t.rows[0] if c.tag == "th"]
    assert header_cells and all(c.attrs.get("scope") for c in header_cells)


def test_demo_report_compares_every_variant(demo: RunResult, read_page: Reader) -> None:
    page = read_page(render_report(demo))
    names = [v.name for v in demo.variants]
    products = demo.variants[0].products
    [supply] = page.table("supply")
    assert [row[-7].text for row in supply.rows[1:]] == names * len(products)
    # the quota table shows base and each variant whose quotas (or tiers) differ from base
    shown = []
    for table, product in zip(page.table("quotas"), products, strict=True):
        mine = [next(p for p in v.products if p.product == product.product) for v in demo.variants]
        differ = [
            v.name for v, p in zip(demo.variants, mine, strict=True)
            if v.tiers is not None or not p.columns["quota"].equals(mine[0].columns["quota"])
        ]  # fmt: skip
        shown.append([c.text for c in table.rows[0][3:]])
        assert shown[-1] == ["base", *differ]
    assert any(len(names) > 1 for names in shown)
    # one bar per variant and tier in each fill-rate and stock-out chart
    tiers = demo.variants[0].summary.filter(pl.col("line") == "tier").height
    marks = [t for t in page.titles if t.split(" · ")[0] in names and t.endswith("%")]
    assert len(marks) == 2 * len(names) * tiers


def test_strings_from_input_files_are_escaped(tmp_path: Path, read_page: Reader, csv_summaries: CsvReader) -> None:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY_FOLDER, folder)
    name = '<script>alert("name")</script> & co'
    variant = "<img src=x onerror=alert(1)>"
    product = 'p1<b>"&amp;'
    (folder / "scenario.yaml").write_text(
        "kind: scenario\nversion: 1\n"
        f"name: '{name}'\n"
        "description: '</p><script>alert(2)</script>'\n"
        "snapshot: clients.csv\ntiering: tiering.yaml\nallocation: allocation.yaml\n"
        "period: 2026Q1\nseed: 7\n"
        f"variants:\n  - name: '{variant}'\n    description: '</li><style>body{{display:none}}</style>'\n"
        f"    supply: {{'{product}': 6}}\n",
        encoding="utf-8",
    )
    allocation = folder / "allocation.yaml"
    allocation.write_text(allocation.read_text().replace("id: p1", f"id: '{product}'"), encoding="utf-8")
    tiering = folder / "tiering.yaml"
    tiering.write_text(tiering.read_text().replace("shops:", "'sh<o>ps':"), encoding="utf-8")
    result = run_scenario(folder / "scenario.yaml")
    text = render_report(result)
    lowered = text.lower()
    for raw in ("<script", "<img", "<style>body", "<o>", '<b>"'):
        assert raw not in lowered
    assert f"<h1>{html.escape(name)}</h1>" in text
    assert html.escape(variant) in text and html.escape(product) in text
    page = read_page(text)
    assert {tag for tag, _ in page.tags} & {"script", "img", "o"} == set()
    assert list(page.summaries()) == ["base", variant]
    assert page.summaries() == csv_summaries(result)
    [quotas] = page.table("quotas")
    assert quotas.caption == f"{product}: quota per client"
