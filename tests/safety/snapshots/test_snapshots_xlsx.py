"""xlsx snapshots: the same checks and the same row and column messages as CSV, rows numbered as
Excel shows them, any id column, and hostile files refused with exit 2.

Workbooks are made in the test with openpyxl; the one real workbook is the peer's customer base,
copied unchanged into scenarios/peer-week/data/.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from allocator.cli import main
from allocator.errors import AllocatorError, SheetError, SnapshotError
from allocator.inputs.models import FieldSpec
from allocator.inputs.snapshot_cells import Column
from allocator.inputs.snapshots import check_snapshot, load_snapshot, parse_snapshot

ROOT = Path(__file__).parents[3]
TINY = ROOT / "tests" / "cli" / "fixtures" / "tiny"
PEER_BASE = ROOT / "scenarios" / "peer-week" / "data" / "base_customer_info.xlsx"

GRADES = ("一档", "二档", "三档")
COLUMNS = {
    "档位": Column("档位", FieldSpec(type="category", values=list(GRADES)), GRADES),
    "销量": Column("销量", FieldSpec(type="number", min=0)),
    "订单": Column("订单", FieldSpec(type="integer", min=0)),
}
SCHEMA = {"_row": pl.UInt32, "client_id": pl.String, "档位": pl.String, "销量": pl.Float64, "订单": pl.Int64}


def _book(
    path: Path, rows: list[list[Any]], title: str = "客户", more: dict[str, list[list[Any]]] | None = None
) -> Path:
    """A workbook whose first sheet holds `rows` from A1 ([] is a blank row); text stays text."""
    wb = openpyxl.Workbook()
    sheets = {title: rows, **(more or {})}
    wb.remove(wb.active)
    for name, content in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(content, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    cell = ws.cell(r, c, value)
                    if isinstance(value, str):
                        cell.data_type = "s"  # openpyxl would write '=...' as a formula
    wb.save(path)
    return path


def _error(path: Path, columns: dict[str, Column] = COLUMNS, **options: Any) -> str:
    with pytest.raises(AllocatorError) as info:
        check_snapshot(parse_snapshot(path, path.name, **options), columns)
    return str(info.value)


# --- the same clients, read alike -------------------------------------------------------------


def test_chinese_headers_an_id_column_and_numbers_stored_as_text(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [" 客户编码 ", "档位", "销量", "订单", "备注"],
        ["002683", " 一档 ", 12.5, "2683", "never read"],
        [104203100001, " 二档", "0.5", 2683.0, None],
        ["c3", "三档", 3, " 7 ", "x"],
        ["c4", "一档", "1e3", "2.000", None],
    ]
    path = _book(tmp_path / "clients.xlsx", rows)
    got = check_snapshot(parse_snapshot(path, "clients.xlsx", id_column="客户编码"), COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [2, 3, 4, 5],
            "client_id": ["002683", "104203100001", "c3", "c4"],
            "档位": ["一档", "二档", "三档", "一档"],
            "销量": [12.5, 0.5, 3.0, 1000.0],
            "订单": [2683, 2683, 7, 2],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got.clients, expected, check_exact=True)
    assert got.warnings == ()


def test_an_id_column_works_alike_for_csv_and_parquet(tmp_path: Path) -> None:
    csv = tmp_path / "clients.csv"
    csv.write_text("档位,CUST_CODE,销量,订单\n一档,c2,1,1\n二档,c1,2.5,3\n")
    parquet = tmp_path / "clients.parquet"
    pl.read_csv(csv).write_parquet(parquet)
    expected = pl.DataFrame(
        {"_row": [3, 2], "client_id": ["c1", "c2"], "档位": ["二档", "一档"], "销量": [2.5, 1.0], "订单": [3, 1]},
        schema=SCHEMA,
    )
    got = check_snapshot(parse_snapshot(csv, "clients.csv", id_column="CUST_CODE"), COLUMNS).clients
    assert_frame_equal(got, expected, check_exact=True)
    got = check_snapshot(parse_snapshot(parquet, "clients.parquet", id_column="CUST_CODE"), COLUMNS).clients
    assert_frame_equal(got, expected.with_columns(pl.col("_row") - 1), check_exact=True)  # Parquet counts from 1


def test_blank_rows_are_skipped_and_messages_keep_excels_row_numbers(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [],
        ["client_id", "档位", "销量", "订单"],  # the header: row 2
        ["c1", "一档", 1, 1],
        [],
        [None, "  "],  # white space only: blank too
        ["c2", "四档", 1, 1],
        [],
        ["c3", "一档", -4, 1],
    ]
    assert _error(_book(tmp_path / "clients.xlsx", rows)) == (
        "clients.xlsx: row 6, column 档位: unknown value '四档'; expected one of 一档, 二档, 三档\n"
        "clients.xlsx: row 8, column 销量: -4 is below the minimum 0"
    )


def test_every_located_problem_at_once_names_the_id_column_by_its_header(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        ["CUST_CODE", "档位", "销量", "订单", "备注"],
        ["c1", "一档", 5, "3"],
        [],
        ["", "四档", -1, 2.5],
        ["c1", "二档", "abc", "x"],
        ["c3", None, 1, 1, "note"],
        ["c\u200b3", "三档", 1, 1],
    ]
    assert _error(_book(tmp_path / "clients.xlsx", rows), id_column="CUST_CODE") == (
        "clients.xlsx: row 4, column CUST_CODE: a client id is empty\n"
        "clients.xlsx: row 4, column 档位: unknown value '四档'; expected one of 一档, 二档, 三档\n"
        "clients.xlsx: row 4, column 订单: 2.5 is not a whole number\n"
        "clients.xlsx: row 4, column 销量: -1 is below the minimum 0\n"
        "clients.xlsx: row 5, column CUST_CODE: duplicate client id 'c1' (first on row 2)\n"
        "clients.xlsx: row 5, column 订单: 'x' is not a number\n"
        "clients.xlsx: row 5, column 销量: 'abc' is not a number\n"
        "clients.xlsx: row 6, column 档位: empty, but this column may not be empty\n"
        "clients.xlsx: row 7, column CUST_CODE: client id 'c\\u200b3' looks the same as 'c3' (row 6):"
        " they differ only in invisible characters or Unicode form"
    )


def test_a_warning_names_the_id_column_by_its_header(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["CUST_CODE", "档位", "销量", "订单"], ["c1", "一档", 1, 1], ["C1", "一档", 1, 1]]
    got = check_snapshot(parse_snapshot(_book(tmp_path / "c.xlsx", rows), "c.xlsx", id_column="CUST_CODE"), COLUMNS)
    assert [w.render("c.xlsx") for w in got.warnings] == [
        "c.xlsx: row 3, column CUST_CODE: warning: client id 'C1' differs from 'c1' (row 2) only in letter case"
    ]


def test_a_missing_id_column_is_located_like_any_missing_column(tmp_path: Path) -> None:
    rows: list[list[Any]] = [["CUST_ID", "档位", "备注"], ["c1", "一档", "x"]]
    assert _error(_book(tmp_path / "clients.xlsx", rows), id_column="CUST_CODE") == (
        "clients.xlsx: missing column 'CUST_CODE'; did you mean 'CUST_ID'?\n"
        "clients.xlsx: missing column '销量'\n"
        "clients.xlsx: missing column '订单'\n"
        "clients.xlsx: the columns are: 档位 and 2 the rules do not read"
    )


def test_header_problems_name_the_header_row(tmp_path: Path) -> None:
    rows: list[list[Any]] = [[], [], ["client_id", "销量", "档位", "销量", "订单"], ["c1", 1, "一档", 1, 1]]
    assert _error(_book(tmp_path / "clients.xlsx", rows)) == (
        "clients.xlsx: row 3: column '销量' appears twice (columns 2 and 4)"
    )


def test_a_named_sheet_an_unknown_one_and_a_sheet_for_a_csv(tmp_path: Path) -> None:
    this_week: list[list[Any]] = [["client_id", "档位", "销量", "订单"], ["c1", "一档", 1, 1]]
    last_week: list[list[Any]] = [["client_id", "档位", "销量", "订单"], [], ["c9", "二档", 2, 2], ["c9", "二档", 2, 2]]
    path = _book(tmp_path / "clients.xlsx", this_week, "本周", {"上周": last_week})
    assert load_snapshot(path, "clients.xlsx", COLUMNS)["client_id"].to_list() == ["c1"]
    assert _error(path, sheet="上周") == (
        "clients.xlsx, sheet 上周: row 4, column client_id: duplicate client id 'c9' (first on row 3)"
    )
    assert _error(path, sheet="上一周") == (
        "clients.xlsx: no sheet named '上一周'; did you mean '上周'? (the sheets are: '本周', '上周')"
    )
    csv = tmp_path / "clients.csv"
    csv.write_text("client_id,档位,销量,订单\nc1,一档,1,1\n")
    assert _error(csv, sheet="本周") == "clients.csv: a sheet is named ('本周'), but only an .xlsx file has sheets"


def test_a_sheet_with_only_a_header_has_no_clients(tmp_path: Path) -> None:
    path = _book(tmp_path / "clients.xlsx", [["client_id", "档位", "销量", "订单"]])
    assert _error(path) == "clients.xlsx: no client rows (only a header)"


# --- hostile files ----------------------------------------------------------------------------


def test_hostile_files_named_xlsx_are_refused_unread(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)
    assert _error(fifo) == "fifo.xlsx: is a named pipe (FIFO), not a regular file"
    text = tmp_path / "text.xlsx"
    text.write_text("client_id,档位,销量,订单\nc1,一档,1,1\n")
    assert _error(text) == (
        "text.xlsx: not an xlsx file: it is text, not a zip archive as an xlsx file is; a CSV file must be named .csv"
    )
    bomb = _book(tmp_path / "bomb.xlsx", [["client_id", "档位", "销量", "订单"], ["c1", "一档", 1, 1]])
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.png", bytes(50_000_000))  # 50 MB of zeros, about 50 KB deflated
    info = zipfile.ZipFile(bomb).getinfo("xl/media/image1.png")
    assert _error(bomb) == (
        f"bomb.xlsx: refused: 'xl/media/image1.png' would unpack {info.compress_size} bytes to 50000000, more"
        " than 200 times (this is how a zip bomb looks)"
    )


# --- the peer's real customer base -------------------------------------------------------------

_ONES = "一二三四五六七八九"
# 一档 ... 三十档, D1 ... D30
PEER_GRADES = [
    (_ONES[n // 10 - 1] if n >= 20 else "") + ("十" if n >= 10 else "") + (_ONES[n % 10 - 1] if n % 10 else "") + "档"
    for n in range(1, 31)
]
# Clients per grade, 三十档 first: the peer's own count (customers_per_tier_all_D30_to_D1 in
# tobacco_30_tiers.json, made from the same workbook by the peer's code), not ours.
PEER_COUNTS_D30_TO_D1 = [
    149, 150, 299, 300, 451, 450, 450, 597, 597, 597, 601, 598, 747, 748, 746,
    746, 749, 763, 618, 624, 631, 599, 596, 447, 444, 447, 296, 299, 149, 130,
]  # fmt: skip


def test_the_peers_customer_base_loads_every_client_with_its_row() -> None:
    markets = ("城网", "农网")
    columns = {
        "GRADE": Column("GRADE", FieldSpec(type="category", values=PEER_GRADES, optional=True), tuple(PEER_GRADES)),
        "MARKET_TYPE": Column("MARKET_TYPE", FieldSpec(type="category", values=list(markets), optional=True), markets),
        "COMPANY_DISTRICT": Column("COMPANY_DISTRICT", FieldSpec(type="category")),
    }
    got = check_snapshot(parse_snapshot(PEER_BASE, PEER_BASE.name, id_column="CUST_CODE"), columns)
    clients = got.clients.sort("_row")
    assert (clients.height, got.warnings, clients["_row"].to_list()) == (15_020, (), list(range(2, 15_022)))
    assert clients.head(2).rows() + clients.tail(1).rows() == [
        (2, "104203100001", "九档", "城网", "城区烟草专卖局(营销部)"),
        (3, "104203200002", "十四档", "城网", "城区烟草专卖局(营销部)"),
        (15_021, "420325109160", None, None, "房县烟草专卖局(营销部)"),
    ]
    counts = dict(clients["GRADE"].value_counts().rows())
    assert [counts[g] for g in reversed(PEER_GRADES)] == PEER_COUNTS_D30_TO_D1
    assert counts[None] == 2
    assert dict(clients["MARKET_TYPE"].value_counts().rows()) == {"城网": 11_162, "农网": 3_857, None: 1}
    assert dict(clients["COMPANY_DISTRICT"].value_counts().rows()) == {
        "城区烟草专卖局(营销部)": 4_235,
        "丹江口市烟草专卖局(营销部)": 2_195,
        "房县烟草专卖局(营销部)": 1_945,
        "郧阳区烟草专卖局(营销部)": 1_794,
        "竹山县烟草专卖局(营销部)": 1_761,
        "郧西县烟草专卖局(营销部)": 1_745,
        "竹溪县烟草专卖局(营销部)": 1_345,
    }


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def tiny_xlsx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny CLI scenario with its clients in a sheet of an xlsx file, ids under 客户编码."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    lines = [line.split(",") for line in (folder / "clients.csv").read_text().splitlines()]
    rows: list[list[Any]] = [["客户编码", "volume", "order_p1"]]
    rows += [[cid, int(volume), order] for cid, volume, order in lines[1:]]  # orders stored as text
    _book(folder / "clients.xlsx", [["说明"]], "说明", {"客户": rows})
    scenario = (folder / "scenario.yaml").read_text()
    spec = "snapshot: {path: clients.xlsx, sheet: 客户, id_column: 客户编码}"
    (folder / "scenario.yaml").write_text(scenario.replace("snapshot: clients.csv", spec))
    monkeypatch.chdir(tmp_path)
    return folder


def test_run_reads_the_named_sheet_and_the_manifest_keeps_the_snapshot_as_written(
    tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    assert capsys.readouterr().err == ""
    assert Path("out/quotas.csv").read_text() == (
        "client_id,product,ladder,tier,ordered,entitled,excluded_by,quota,source\n"
        "c1,p1,shops,A,5,3,,2,rules\n"
        "c2,p1,shops,A,2,2,,2,rules\n"
        "c3,p1,shops,B,4,2,,1,rules\n"
        "c4,p1,shops,B,0,0,,0,rules\n"
        "c5,p1,shops,C,1,1,,1,rules\n"
        "c6,p1,shops,C,3,1,,1,rules\n"
    )
    sha = hashlib.sha256((tiny_xlsx / "clients.xlsx").read_bytes()).hexdigest()
    assert json.loads(Path("out/manifest.json").read_text())["inputs"]["snapshot"] == {
        "file": "clients.xlsx",
        "sheet": "客户",
        "id_column": "客户编码",
        "sha256": sha,
        "rows": 6,
    }


def test_validate_reports_every_problem_of_the_sheet_and_exits_2(
    tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[list[Any]] = [["客户编码", "volume", "order_p1"], ["c1", -5, 1], [], ["c1", 1, "many"]]
    _book(tiny_xlsx / "clients.xlsx", [["说明"]], "说明", {"客户": rows})
    assert main(["validate", "tiny/scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "tiny/clients.xlsx, sheet 客户: row 2, column volume: -5 is below the minimum 0\n"
        "tiny/clients.xlsx, sheet 客户: row 4, column 客户编码: duplicate client id 'c1' (first on row 2)\n"
        "tiny/clients.xlsx, sheet 客户: row 4, column order_p1: 'many' is not a number\n"
    )


def test_run_refuses_a_zip_bomb_and_writes_nothing(tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with zipfile.ZipFile(tiny_xlsx / "clients.xlsx", "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.png", bytes(20_000_000))
    size = zipfile.ZipFile(tiny_xlsx / "clients.xlsx").getinfo("xl/media/image1.png").compress_size
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        f"tiny/clients.xlsx: refused: 'xl/media/image1.png' would unpack {size} bytes to 20000000, more than 200"
        " times (this is how a zip bomb looks)\n"
    )
    assert not Path("out").exists()


def test_the_scenarios_snapshot_options_are_checked_where_they_stand(
    tiny_xlsx: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tiny_xlsx / "scenario.yaml"
    text = scenario.read_text()
    scenario.write_text(
        text.replace(
            "snapshot: {path: clients.xlsx, sheet: 客户, id_column: 客户编码}",
            "snapshot: {path: clients.csv, sheet: 客户, id_column: ' '}",
        )
    )
    assert main(["validate", "tiny/scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "tiny/scenario.yaml:4:38: snapshot.sheet: a sheet applies only to an .xlsx snapshot, and clients.csv is not one\n"
        "tiny/scenario.yaml:4:53: snapshot.id_column: the id column is empty; name the header of the column that"
        " holds client ids\n"
    )
    os.remove(tiny_xlsx / "clients.xlsx")
    os.mkfifo(tiny_xlsx / "clients.xlsx")
    scenario.write_text(text)
    assert main(["validate", "tiny/scenario.yaml"]) == 2
    assert capsys.readouterr().err == (
        "tiny/scenario.yaml:4:18: snapshot.path: is a named pipe (FIFO), not a regular file: tiny/clients.xlsx\n"
    )


# --- CSV and xlsx agree -----------------------------------------------------------------------

PROPERTY_COLUMNS = {
    "market": Column("market", FieldSpec(type="category", values=["城网", "农网"]), ("城网", "农网")),
    "volume": Column("volume", FieldSpec(type="number", min=0)),
    "orders": Column("orders", FieldSpec(type="integer", min=0)),
    "note": Column("note", FieldSpec(type="text", optional=True)),
}
PROPERTY_COLUMNS_HEADER = ["client_id", "market", "volume", "orders", "note"]
_ID_CHARS = st.sampled_from("0123456789abcXYZ城网客户-_")
# Text an xlsx can hold: no control characters, surrogates or noncharacters (XML cannot carry them).
_NOTE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp"))


@st.composite
def _clients(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Clients as cells: each value with the text a CSV holds and what an xlsx cell holds (a
    number, or the same text: numbers stored as text)."""
    ids = draw(st.lists(st.text(_ID_CHARS, min_size=1, max_size=8), min_size=1, max_size=12, unique_by=str.lower))
    clients = []
    for cid in ids:
        volume = draw(
            st.one_of(
                st.integers(0, 2**53 - 1),
                # openpyxl writes 16 significant digits (Excel writes 17): floats it can write exactly
                st.floats(0, 1e15, allow_nan=False, allow_infinity=False).map(lambda v: float(f"{v:.16g}")),
                st.sampled_from([0.1, 1 / 3, 2683.0, 1e-07, 5e-324]),
            )
        )
        orders = draw(st.integers(0, 2**53 - 1))
        note = draw(st.one_of(st.none(), st.text(_NOTE_CHARS, max_size=12)))
        clients.append(
            {
                "client_id": (cid, int(cid) if cid.isdigit() and cid[0] != "0" and draw(st.booleans()) else cid),
                "market": (m := draw(st.sampled_from(["城网", "农网", " 农网 "])), m),
                "volume": (repr(volume), volume if draw(st.booleans()) else repr(volume)),
                "orders": (str(orders), draw(st.sampled_from([orders, float(orders), str(orders)]))),
                "note": (note or "", note),
            }
        )
    return clients


def _csv_text(clients: list[dict[str, Any]]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    lines = [",".join(PROPERTY_COLUMNS_HEADER)]
    lines += [",".join(quoted(c[name][0]) for name in PROPERTY_COLUMNS_HEADER) for c in clients]
    return "\n".join(lines) + "\n"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(clients=_clients())
def test_the_same_clients_as_csv_and_as_xlsx_give_the_same_checked_snapshot(
    tmp_path: Path, clients: list[dict[str, Any]]
) -> None:
    csv = tmp_path / "clients.csv"
    csv.write_text(_csv_text(clients), encoding="utf-8")
    rows: list[list[Any]] = [PROPERTY_COLUMNS_HEADER]
    rows += [[c[name][1] for name in PROPERTY_COLUMNS_HEADER] for c in clients]
    book = _book(tmp_path / "clients.xlsx", rows)
    try:
        from_csv = check_snapshot(parse_snapshot(csv, "clients"), PROPERTY_COLUMNS)
    except SnapshotError as exc:  # ids the checks refuse (lookalikes): the xlsx must say the same
        with pytest.raises(SnapshotError) as info:
            check_snapshot(parse_snapshot(book, "clients"), PROPERTY_COLUMNS)
        assert str(info.value) == str(exc)
        return
    from_xlsx = check_snapshot(parse_snapshot(book, "clients"), PROPERTY_COLUMNS)
    assert_frame_equal(from_xlsx.clients, from_csv.clients, check_exact=True)
    assert from_xlsx.warnings == from_csv.warnings
    assert all(math.isfinite(v) for v in from_xlsx.clients["volume"])


def test_sheet_errors_are_sheet_errors(tmp_path: Path) -> None:
    path = tmp_path / "clients.xlsx"
    path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(SheetError) as info:
        parse_snapshot(path, "clients.xlsx")
    assert str(info.value) == "clients.xlsx: not an xlsx file: a damaged zip archive (File is not a zip file)"
