"""read_xlsx: the whole SheetTable of a good sheet, and the whole message of every refusal.

Workbooks are made in the test with openpyxl; the hostile ones (rows out of order, cells beyond
Excel's limits, zip bombs) are made by writing the archive's bytes directly.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]

from allocator.errors import SheetError
from allocator.inputs import xlsx
from allocator.inputs.sheets import SheetTable
from allocator.inputs.xlsx import cell_text, read_xlsx, read_xlsx_bytes, xlsx_sheet

SHEET_XML = "xl/worksheets/sheet1.xml"
HEAD = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
TAIL = b"</sheetData></worksheet>"


def _book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with these sheets, in order; each row written from column A."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _bytes(rows: list[list[Any]]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _with_sheet_xml(rows_xml: bytes, prolog: bytes = b"") -> bytes:
    """A real workbook whose first sheet's XML is replaced: rows as a hostile writer would put them."""
    good = zipfile.ZipFile(io.BytesIO(_bytes([["id"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            data = prolog + HEAD + rows_xml + TAIL if info.filename == SHEET_XML else good.read(info)
            z.writestr(info.filename, data)
    return out.getvalue()


def _text(ref: str, value: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def _error(raw: bytes, sheet: str | None = None) -> str:
    with pytest.raises(SheetError) as info:
        read_xlsx_bytes(raw, "clients.xlsx", sheet)
    return str(info.value)


def _file_error(path: Path) -> str:
    with pytest.raises(SheetError) as info:
        read_xlsx(path, path.name)
    return str(info.value)


# --- cells as text -----------------------------------------------------------------------------


def test_cells_become_the_text_a_planner_reads_in_excel(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [" 客户编码 ", "档位", "订单", "金额", "日期", "标志"],
        ["002683", "九档", 2683, 0.1, dt.datetime(2025, 9, 15), True],
        [104203100001, "二十三档", 2683.0, 1 / 3, dt.datetime(2025, 9, 15, 8, 30), False],
        ["2683", None, "2683.0", 1e-07, dt.date(2025, 9, 16), None],
        [" x ", "一档", -0.0, 1e20, dt.time(8, 30), "=1+1"],
    ]
    got = read_xlsx(_book(tmp_path / "clients.xlsx", {"客户": rows}), "clients.xlsx")
    assert got == SheetTable(
        "clients.xlsx",
        ["客户编码", "档位", "订单", "金额", "日期", "标志"],
        [
            (2, ["002683", "九档", "2683", "0.1", "2025-09-15", "TRUE"]),
            (3, ["104203100001", "二十三档", "2683", "0.3333333333333333", "2025-09-15T08:30:00", "FALSE"]),
            (4, ["2683", "", "2683.0", "1e-07", "2025-09-16", ""]),
            # a formula is its saved value; openpyxl saves none, so the cell reads as empty
            (5, [" x ", "一档", "0", "1e+20", "08:30:00", ""]),
        ],
    )


def test_cell_text_of_every_kind() -> None:
    assert [
        cell_text(v)
        for v in (
            None, "", " a ", True, 7, -7, 2683.0, 0.5, 2.0**53, 2.0**53 + 2, -5.5e300, float("inf"), float("nan"),
            dt.datetime(2025, 1, 2, 3, 4, 5, 600), dt.timedelta(hours=30, minutes=5, seconds=1.5),
            -dt.timedelta(minutes=1),
        )
    ] == [
        "", "", " a ", "TRUE", "7", "-7", "2683", "0.5", "9007199254740992", "9007199254740994.0", "-5.5e+300",
        "inf", "nan", "2025-01-02T03:04:05.000600", "30:05:01.5", "-0:01:00",
    ]  # fmt: skip


def test_numbers_as_excel_writes_them_keep_every_digit() -> None:
    # Excel writes 17 significant digits; the cell is the double they name, in its shortest form
    cells = ("0.33333333333333331", "100000000000000.75", "2683", "2683.0", "1E-7", "12345678901234567")
    row = b"".join(b'<c r="%s2"><v>%s</v></c>' % (chr(65 + i).encode(), v.encode()) for i, v in enumerate(cells))
    header = b"".join(_text(f"{chr(65 + i)}1", f"n{i}") for i in range(len(cells)))
    raw = _with_sheet_xml(b'<row r="1">' + header + b'</row><row r="2">' + row + b"</row>")
    assert read_xlsx_bytes(raw, "clients.xlsx").rows == [
        (2, ["0.3333333333333333", "100000000000000.75", "2683", "2683", "1e-07", "12345678901234567"])
    ]


# --- rows, header, sheets --------------------------------------------------------------------


def test_header_is_the_first_row_that_is_not_blank_and_blank_rows_keep_their_numbers(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "id", "volume"  # a margin: column A and rows 1-2 are empty
    ws["B4"], ws["C4"] = "c1", 5
    ws["B6"], ws["C6"] = "   ", " "  # white space only: blank
    ws["B8"], ws["C8"] = "c2", 7
    wb.save(tmp_path / "clients.xlsx")
    sheet = xlsx_sheet((tmp_path / "clients.xlsx").read_bytes(), "clients.xlsx")
    assert sheet.header_row == 3
    assert sheet.table == SheetTable("clients.xlsx", ["", "id", "volume"], [(4, ["", "c1", "5"]), (8, ["", "c2", "7"])])


def test_the_first_sheet_by_default_and_a_named_one_on_request(tmp_path: Path) -> None:
    path = _book(tmp_path / "clients.xlsx", {"本周": [["id"], ["c1"]], "上周": [["id"], ["c9"]]})
    assert read_xlsx(path, "clients.xlsx") == SheetTable("clients.xlsx", ["id"], [(2, ["c1"])])
    assert read_xlsx(path, "clients.xlsx", "上周") == SheetTable("clients.xlsx, sheet 上周", ["id"], [(2, ["c9"])])


def test_an_unknown_sheet_names_the_sheets_there_with_a_suggestion(tmp_path: Path) -> None:
    path = _book(tmp_path / "clients.xlsx", {"客户": [["id"]], "Plans": [["id"]]})
    assert _error(path.read_bytes(), "plans") == (
        "clients.xlsx: no sheet named 'plans'; did you mean 'Plans'? (the sheets are: '客户', 'Plans')"
    )
    assert _error(path.read_bytes(), "订单") == "clients.xlsx: no sheet named '订单' (the sheets are: '客户', 'Plans')"


def test_a_chart_sheet_is_not_read_and_the_first_worksheet_is(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "clients"
    ws.append(["id", "volume"])
    ws.append(["c1", 3])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=2))
    wb.create_chartsheet("图表", 0).add_chart(chart)
    wb.save(tmp_path / "clients.xlsx")
    raw = (tmp_path / "clients.xlsx").read_bytes()
    assert read_xlsx_bytes(raw, "clients.xlsx") == SheetTable("clients.xlsx", ["id", "volume"], [(2, ["c1", "3"])])
    assert _error(raw, "图表") == (
        "clients.xlsx: sheet '图表' is a chart sheet, not a worksheet; the sheets are: '图表', 'clients'"
    )


def test_a_sheet_with_only_a_header_has_no_rows_and_an_empty_sheet_is_refused(tmp_path: Path) -> None:
    assert read_xlsx_bytes(_bytes([["id", "volume"]]), "clients.xlsx") == SheetTable(
        "clients.xlsx", ["id", "volume"], []
    )
    assert _error(_bytes([[None, "  "]])) == (
        "clients.xlsx: the sheet is empty; expected a header row, then one row per line of data"
    )


def test_values_outside_the_named_columns_are_every_one_reported() -> None:
    rows: list[list[Any]] = [
        ["id", None, "volume"],
        ["c1", None, 1, None, "note"],
        ["c2", "x", 2],
        ["c3", "y", 3, "z"],
    ]
    assert _error(_bytes(rows)) == (
        "clients.xlsx: row 2: a value in column E, right of the header's last column C (1 more row like this)\n"
        "clients.xlsx: row 3, column B: a value in a column whose header (row 1) is empty (1 more row like this)"
    )


def test_a_cell_longer_than_excel_allows_is_named_by_row_and_column() -> None:
    x = "x" * 32_768
    rows = [_text("A1", "id") + _text("B1", "note"), _text("A2", x), _text("A3", x) + _text("B3", x)]
    raw = _with_sheet_xml(b"".join(b'<row r="%d">%s</row>' % (i, r) for i, r in enumerate(rows, 1)))
    assert _error(raw) == (
        "clients.xlsx: row 2, column id: 32768 characters; a cell holds at most 32767 (1 more row like this)\n"
        "clients.xlsx: row 3, column note: 32768 characters; a cell holds at most 32767"
    )


# --- hostile sheets ----------------------------------------------------------------------------


def test_rows_out_of_order_are_refused_not_dropped() -> None:
    # openpyxl's own iter_rows() would silently skip row 3
    raw = _with_sheet_xml(
        b'<row r="1">' + _text("A1", "id") + b'</row><row r="5"><c r="A5"><v>5</v></c></row>'
        b'<row r="3"><c r="A3"><v>3</v></c></row>'
    )
    assert _error(raw) == (
        "clients.xlsx: row 3 comes after row 5: rows out of order or repeated, which Excel never writes;"
        " open the file in Excel and save it again"
    )


def test_a_cell_out_of_place_is_refused() -> None:
    raw = _with_sheet_xml(b'<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>')
    assert _error(raw) == (
        "clients.xlsx: row 1: a cell out of place (column 1 of row 1, after column 2), which Excel never"
        " writes; open the file in Excel and save it again"
    )


def test_rows_and_columns_beyond_excels_limits_are_refused_without_reading_the_gap() -> None:
    far_row = _with_sheet_xml(b'<row r="1">' + _text("A1", "id") + b'</row><row r="2000000"><c><v>1</v></c></row>')
    assert _error(far_row) == "clients.xlsx: a row numbered 2000000; Excel numbers rows from 1 to 1048576"
    far_column = _with_sheet_xml(b'<row r="1">' + _text("A1", "id") + b'<c r="ZZZ1"><v>1</v></c></row>')
    assert _error(far_column) == "clients.xlsx: row 1: a cell in column 18278, beyond Excel's last column XFD"


def test_the_cells_read_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_CELLS", 5)
    assert _error(_bytes([["id", "volume"], ["c1", 1], ["c2", 2]])) == (
        "clients.xlsx: more than 5 cells (counting empty ones before a cell)"
    )


def test_a_cell_openpyxl_cannot_parse_names_the_row_before_it() -> None:
    raw = _with_sheet_xml(b'<row r="1">' + _text("A1", "id") + b'</row><row r="2"><c r="A2"><v>nan</v></c></row>')
    assert _error(raw) == (
        "clients.xlsx: cannot be read as an xlsx sheet after row 1: invalid literal for int() with base 10: 'nan'"
    )


def test_an_xml_entity_bomb_is_stopped_by_the_parser() -> None:
    # ten to the tenth 'a's, from a few hundred bytes: expat refuses the amplification
    entities = b"".join(b'<!ENTITY e%d "%s">' % (i + 1, b"&e%d;" % i * 10) for i in range(9))
    prolog = b'<!DOCTYPE w [<!ENTITY e0 "aaaaaaaaaa">' + entities + b"]>"
    raw = _with_sheet_xml(b'<row r="1">' + _text("A1", "&e9;") + b"</row>", prolog)
    assert _error(raw) == (
        "clients.xlsx: cannot be read as an xlsx workbook: limit on input amplification factor (from DTD and"
        " entities) breached: line 1, column 665"
    )


# --- files that are not xlsx, and zip bombs ----------------------------------------------------


def test_files_that_are_not_xlsx_say_what_they_are(tmp_path: Path) -> None:
    assert _error(b"client_id,volume\nc1,3\n") == (
        "clients.xlsx: not an xlsx file: it is text, not a zip archive as an xlsx file is; a CSV file must be named .csv"
    )
    assert _error(b"") == "clients.xlsx: not an xlsx file: the file is empty"
    assert _error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == (
        "clients.xlsx: not an xlsx file: it is an Excel 97-2003 workbook (.xls) or a password-protected one;"
        ' save it as "Excel Workbook (.xlsx)" without a password'
    )
    assert _error(bytes(range(256)) * 4) == (
        "clients.xlsx: not an xlsx file: an xlsx file is a zip archive, and this file is not one"
    )
    good = _bytes([["id"], ["c1"]])
    assert _error(good[: len(good) // 2]) == (
        "clients.xlsx: not an xlsx file: a damaged zip archive (File is not a zip file)"
    )
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("notes.txt", "hello")
    assert _error(other.getvalue()) == "clients.xlsx: not an xlsx file: a zip archive, but not an Excel workbook"


def test_a_member_that_unpacks_far_beyond_its_size_is_refused_before_unpacking() -> None:
    bomb = io.BytesIO(_bytes([["id"], ["c1"]]))
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/image1.png", bytes(3_000_000))  # 3 MB of zeros: about 3 KB deflated
    assert _error(bomb.getvalue()) == (
        "clients.xlsx: refused: 'xl/media/image1.png' would unpack 2923 bytes to 3000000, more than 200 times"
        " (this is how a zip bomb looks)"
    )


def _declared_size(raw: bytes, member: str, size: int, *, local: bool) -> bytes:
    """The archive with `member`'s uncompressed size rewritten in its central directory entry (and,
    when `local`, in its local header too): how a zip bomb hides or lies about what it holds."""
    out = bytearray(raw)
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo(member)
    at = out.find(b"PK\x01\x02")
    while out[at + 46 : at + 46 + struct.unpack_from("<H", out, at + 28)[0]] != member.encode():
        at = out.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", out, at + 24, size)
    if local:
        struct.pack_into("<I", out, info.header_offset + 22, size)
    return bytes(out)


def test_an_archive_declaring_more_than_the_limit_is_refused() -> None:
    raw = _declared_size(_bytes([["id"], ["c1"]]), SHEET_XML, 2**31, local=False)
    total = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    assert _error(raw) == (
        f"clients.xlsx: refused: the archive would unpack to {total} bytes, above the limit of 1073741824"
        " (this is how a zip bomb looks)"
    )


def test_a_member_unpacking_to_more_than_it_declares_fails_its_check() -> None:
    # zipfile stops at the declared size, so the CRC of what it unpacked cannot match
    raw = _declared_size(_bytes([["id"], ["c1"]]), SHEET_XML, 10, local=True)
    assert _error(raw) == (
        "clients.xlsx: cannot be read as an xlsx workbook: Bad CRC-32 for file 'xl/worksheets/sheet1.xml'"
    )


def test_too_many_members_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_MEMBERS", 5)
    raw = _bytes([["id"]])
    n = len(zipfile.ZipFile(io.BytesIO(raw)).infolist())
    assert _error(raw) == f"clients.xlsx: refused: the archive has {n} members; an xlsx has a few dozen"


def test_only_a_regular_file_of_a_bounded_size_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = tmp_path / "fifo.xlsx"
    os.mkfifo(fifo)
    assert _file_error(fifo) == "fifo.xlsx: is a named pipe (FIFO), not a regular file"  # and nothing blocks
    (tmp_path / "folder.xlsx").mkdir()
    assert _file_error(tmp_path / "folder.xlsx") == "folder.xlsx: is a directory, not a file"
    assert _file_error(tmp_path / "missing.xlsx") == "missing.xlsx: no such file"
    big = tmp_path / "big.xlsx"
    big.write_bytes(_bytes([["id"], ["c1"]]))
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", 1000)
    assert _file_error(big) == f"big.xlsx: the file is {big.stat().st_size} bytes; xlsx files are limited to 1000"
