"""workbook.xlsx (`outputs: {xlsx: true}`), read back with openpyxl cell by cell against the CSVs."""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocator.cli import main
from allocator.errors import OutputError
from allocator.outputs.workbook import Sheet, display_width, write_workbook
from tests.outputs_files.conftest import LESS, RunTo, csv_rows, same_cell, scenario_text, sheet_rows

TEXT_COLUMNS = {"product", "line", "segment", "ladder", "tier", "variant", "note", "client_id", "name"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_each_folder_has_its_workbook_with_its_sheets_and_its_sha256_in_the_manifest(run_to: RunTo) -> None:
    out = run_to()
    for folder, sheets in (
        (out, ["summary", "tier amounts", "quotas", "comparison", "segments"]),
        (out / "variants" / "less", ["summary", "tier amounts", "quotas", "segments"]),
    ):
        assert openpyxl.load_workbook(folder / "workbook.xlsx").sheetnames == sheets
        outputs = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["outputs"]
        assert sorted(outputs) == ["quotas.csv", "summary.csv", "tier_amounts.csv", "tiers.csv", "workbook.xlsx"]
        assert outputs["workbook.xlsx"] == _sha(folder / "workbook.xlsx")


@pytest.mark.parametrize(("folder", "sheet", "csv_file"), [
    ("out", "summary", "summary.csv"),
    ("out/variants/less", "summary", "summary.csv"),
    ("out", "comparison", "comparison.csv"),
])  # fmt: skip
def test_summary_and_comparison_are_their_csvs_cell_by_cell(
    run_to: RunTo, folder: str, sheet: str, csv_file: str
) -> None:
    run_to()
    book = sheet_rows(Path(folder) / "workbook.xlsx", sheet)
    table = csv_rows(Path(folder) / csv_file)
    assert [list(book[0]), len(book)] == [table[0], len(table)]
    for r, (cells, texts) in enumerate(zip(book[1:], table[1:], strict=True), start=2):
        for name, value, text in zip(table[0], cells, texts, strict=True):
            assert same_cell(text, value), (sheet, r, name, text, value)
            assert value is None or isinstance(value, str) == (name in TEXT_COLUMNS), (sheet, r, name, value)


def test_tier_amounts_are_cartons_per_shop_by_tier_and_product(run_to: RunTo) -> None:
    out = run_to()
    # 中华 (per_tier): the summary's min–max quota of each tier (one number when they agree);
    # p2 (tier_amounts): tier_amounts.csv's amount of each segment and tier, shops or not.
    assert sheet_rows(out / "workbook.xlsx", "tier amounts") == [
        ("segment", "ladder", "tier", "中华", "p2"),
        (None, "shops", "A", "1–2", None),
        (None, "shops", "B", "0–1", None),
        (None, "shops", "C", 1, None),
        ("农村", "shops", "A", None, 3),
        ("农村", "shops", "B", None, 3),
        ("农村", "shops", "C", None, 1),
        ("城区", "shops", "A", None, 0),
        ("城区", "shops", "B", None, 0),
        ("城区", "shops", "C", None, 0),
    ]
    summary = {(r[0], r[4]): (r[16], r[17]) for r in csv_rows(out / "summary.csv")[1:] if r[1] == "tier"}
    assert summary[("中华", "A")] == ("1", "2") and summary[("中华", "C")] == ("1", "1")
    amounts = [(r[1], r[3], int(r[4])) for r in csv_rows(out / "tier_amounts.csv")[1:]]
    assert amounts == [("农村", "A", 3), ("农村", "B", 3), ("农村", "C", 1), ("城区", "A", 0), ("城区", "B", 0),
                       ("城区", "C", 0)]  # fmt: skip


def test_quotas_are_one_row_per_shop_and_one_column_per_product(run_to: RunTo) -> None:
    out = run_to()
    rows = sheet_rows(out / "workbook.xlsx", "quotas")
    assert rows == [
        ("client_id", "name", "ladder", "tier", "segment", "中华", "p2"),
        ("=cmd|' /C calc'!A0", "烟酒店甲", "shops", "A", "城区", 2, 0),
        ("c2", "便利店乙", "shops", "A", "城区", 1, 0),
        ("c3", "超市丙", "shops", "B", "农村", 1, 3),
        ("c4", "小卖部丁", "shops", "B", "农村", 0, 3),
        ("c5", "Shop, E", "shops", "C", "城区", 1, 0),
        ("c6", None, "shops", "C", "农村", 1, 1),
    ]
    # The same, pivoted from quotas.csv: each (client, product) row's quota in its product's column.
    table = csv_rows(out / "quotas.csv")
    assert table[0] == ["client_id", "name", "product", "ladder", "tier", "segment", "ordered", "entitled",
                        "excluded_by", "quota", "source"]  # fmt: skip
    by_shop: dict[str, dict[str, str]] = {}
    for client, name, product, ladder, tier, segment, *_, quota, _source in table[1:]:
        shop = by_shop.setdefault(client, {"name": name, "ladder": ladder, "tier": tier})
        shop[product] = quota
        if segment:
            shop["segment"] = segment
    for row in rows[1:]:
        shop = by_shop[as_csv_id(row[0])]
        assert all(same_cell(shop[h], v) for h, v in zip(rows[0][1:], row[1:], strict=True)), row


def as_csv_id(client: str) -> str:
    return "'" + client if client.startswith("=") else client


def test_segments_sheet_counts_each_segment_from_the_quotas(run_to: RunTo) -> None:
    out = run_to()
    assert sheet_rows(out / "workbook.xlsx", "segments") == [
        ("product", "line", "segment", "clients", "ordered", "allocated", "available"),
        ("p2", "segment", "农村", 3, None, 7, None),
        ("p2", "segment", "城区", 3, None, 0, None),
        ("p2", "outside", None, 0, None, 0, None),
        ("p2", "total", None, 6, None, 7, 7),
    ]
    p2 = [r for r in csv_rows(out / "quotas.csv")[1:] if r[2] == "p2"]
    assert [sum(int(r[9]) for r in p2 if r[5] == s) for s in ("农村", "城区")] == [7, 0]
    assert json.loads((out / "manifest.json").read_text())["products"][1]["available"] == 7


def test_number_formats_frozen_header_widths_and_filter(run_to: RunTo) -> None:
    out = run_to()
    book = openpyxl.load_workbook(out / "workbook.xlsx")
    summary, quotas = book["summary"], book["quotas"]
    header = [c.value for c in summary[1]]
    formats = {h: summary.cell(2, i + 1).number_format for i, h in enumerate(header)}
    chosen = ("product", "clients", "fill_rate", "stockout_rate", "gini", "max_quota")
    assert {h: formats[h] for h in chosen} == {
        "product": "General", "clients": "#,##0", "fill_rate": "0.0%", "stockout_rate": "0.0%", "gini": "0.000",
        "max_quota": "#,##0",
    }  # fmt: skip
    assert (summary.freeze_panes, quotas.freeze_panes) == ("A2", "B2")
    assert (summary.auto_filter.ref, quotas.auto_filter.ref) == (summary.dimensions, "A1:G7")
    assert all(c.font.b for c in quotas[1])
    # Widths: the longest cell or header plus 2; 烟酒店甲 is 4 CJK characters, 8 columns wide.
    widths = {
        quotas.cell(1, c).value: quotas.column_dimensions[quotas.cell(1, c).column_letter].width for c in (1, 2, 5)
    }
    assert widths == {"client_id": 20.7109375, "name": 10.7109375, "segment": 9.7109375}


def test_display_width_counts_cjk_and_full_width_characters_twice() -> None:
    assert [display_width(t) for t in ("abc", "城区", "四档 A", "ＡＢ", "ｱ", "𠀀")] == [3, 4, 6, 4, 1, 2]


def test_text_from_the_data_is_never_a_formula(run_to: RunTo) -> None:
    out = run_to()
    book = openpyxl.load_workbook(out / "workbook.xlsx")
    cell = book["quotas"]["A2"]
    assert (cell.value, cell.data_type) == ("=cmd|' /C calc'!A0", "s")
    with zipfile.ZipFile(out / "workbook.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and all(b"<f>" not in z.read(n) for n in sheets)
        core = z.read("docProps/core.xml").decode()
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">1980-01-01T00:00:00Z</dcterms:created>' in core


def test_two_runs_write_byte_identical_workbooks(run_to: RunTo) -> None:
    first, second = run_to("one"), run_to("two")
    for name in ("workbook.xlsx", "variants/less/workbook.xlsx", "manifest.json"):
        assert _sha(first / name) == _sha(second / name), name


def test_without_xlsx_no_workbook_and_the_same_files(run_to: RunTo) -> None:
    plain = run_to("plain", scenario_text(None, LESS))
    off = run_to("off", scenario_text("{xlsx: false}", LESS))
    assert not list(plain.rglob("*.xlsx")) and not list(off.rglob("*.xlsx"))
    for path in sorted(plain.rglob("*")):
        twin = off / path.relative_to(plain)
        if path.name == "manifest.json":  # the scenario's own sha256 differs, and only it
            a, b = json.loads(path.read_text()), json.loads(twin.read_text())
            assert a["scenario"]["sha256"] != b["scenario"]["sha256"]
            a["scenario"]["sha256"] = b["scenario"]["sha256"]
            assert a == b, path
        elif path.is_file() and path.name not in ("timings.json", "report.html"):
            assert path.read_bytes() == twin.read_bytes(), path


def test_run_on_the_command_line_writes_the_workbook(run_to: RunTo, capsys: pytest.CaptureFixture[str]) -> None:
    (Path("scenario.yaml")).write_text(scenario_text("{xlsx: true}"), encoding="utf-8")
    assert main(["run", "scenario.yaml", "--out", "cli"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in Path("cli").iterdir()) == [
        "manifest.json", "quotas.csv", "report.html", "summary.csv", "tier_amounts.csv", "tiers.csv", "timings.json",
        "workbook.xlsx",
    ]  # fmt: skip
    assert openpyxl.load_workbook("cli/workbook.xlsx").sheetnames == ["summary", "tier amounts", "quotas", "segments"]


def test_a_cell_longer_than_excel_holds_is_refused_before_anything_is_written(run_to: RunTo) -> None:
    clients = Path("clients.csv").read_text(encoding="utf-8").replace("烟酒店甲", "店" * 40_000)
    Path("clients.csv").write_text(clients, encoding="utf-8")
    with pytest.raises(OutputError) as info:
        run_to()
    assert str(info.value) == (
        "workbook.xlsx: the quotas sheet, row 2, column name: a text of 40,000 characters, more than an Excel "
        "cell holds (32,767); keep fewer columns, or leave xlsx out of the scenario's outputs"
    )
    assert not Path("out").exists()


def test_too_many_columns_for_excel_are_refused(tmp_path: Path) -> None:
    sheet = Sheet("quotas", tuple(f"p{i}" for i in range(16_385)), pl.DataFrame({f"c{i}": [1] for i in range(16_385)}))
    with pytest.raises(OutputError) as info:
        write_workbook([sheet], tmp_path / "workbook.xlsx", "t")
    assert str(info.value) == (
        "workbook.xlsx: the quotas sheet needs 16,385 columns, more than Excel's 16,384; leave xlsx out of the "
        "scenario's outputs and use the CSVs"
    )


# Text a workbook keeps exactly: no control characters (Excel stores them as _xHHHH_), no "_"
# (a literal _x0041_ is escaped to _x005F_x0041_, which openpyxl does not unescape).
_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="_"), max_size=12),
    st.sampled_from(["=1+1", "=cmd|' /C calc'!A0", "+33", "-3", "@SUM(A1)", "1e5", "0012", "TRUE", "城区", "四档"]),
)


@settings(max_examples=60, deadline=None)
@example([("=", 0, 0.0)])  # found when text went through xlsxwriter's write(), which made it a formula
@given(st.lists(st.tuples(_TEXT, st.integers(-(2**53) + 1, 2**53 - 1), st.floats(0, 1)), min_size=1, max_size=30))
def test_any_text_stays_text_and_any_number_a_number(rows: list[tuple[str, int, float]]) -> None:
    frame = pl.DataFrame(rows, schema={"t": pl.String, "n": pl.Int64, "r": pl.Float64}, orient="row")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "workbook.xlsx"
        write_workbook([Sheet("s", ("text", "units", "fill_rate"), frame)], path, "t")
        sheet = openpyxl.load_workbook(path)["s"]
        got = [tuple((c.value, c.data_type) for c in row) for row in sheet.iter_rows(min_row=2)]
    # Text as a string cell (an empty text an empty cell), numbers as number cells, rates as the CSV rounds them.
    expected = [((t, "s") if t else (None, "n"), (n, "n"), (float(f"{r:.4f}"), "n")) for t, n, r in rows]
    assert [(t, n, (float(r[0]), r[1])) for t, n, r in got] == expected


def test_rows_past_excel_s_last_row_go_on_in_a_second_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from allocator.outputs import workbook

    monkeypatch.setattr(workbook, "EXCEL_ROWS", 4)  # a header and 3 rows a sheet, as 1,048,576 would be
    frame = pl.DataFrame({"c0": [f"c{i}" for i in range(7)], "c1": list(range(7))})
    write_workbook([Sheet("quotas", ("client_id", "p1"), frame, freeze=(1, 1))], tmp_path / "workbook.xlsx", "t")
    book = openpyxl.load_workbook(tmp_path / "workbook.xlsx")
    assert book.sheetnames == ["quotas", "quotas (2)", "quotas (3)"]
    assert [[r for r in book[s].iter_rows(values_only=True)] for s in book.sheetnames] == [
        [("client_id", "p1"), ("c0", 0), ("c1", 1), ("c2", 2)],
        [("client_id", "p1"), ("c3", 3), ("c4", 4), ("c5", 5)],
        [("client_id", "p1"), ("c6", 6)],
    ]
