"""Excel workbooks (.xlsx) read as a sheet of text cells, for snapshots and plan sheets.

An xlsx file is a zip archive of XML, and it arrives from other people, so it is untrusted: only a
regular file is opened (never blocking), its size is bounded, the archive's members are checked
against a zip bomb from the sizes its directory declares before anything is unpacked (Python's
zipfile never unpacks more than a member declares: a member that lies fails its CRC check), and
the rows, columns and cell lengths read are bounded while the sheet is read. Rows out of order
and cells out of place are refused, never skipped; an XML entity bomb stops in expat.

The reader is openpyxl in read-only mode: it streams the sheet and gives each cell its stored type
(a number, text, a date, a boolean), so a number stored as text keeps its text ('002683') and a
number keeps its exact value (calamine through fastexcel is 14 times faster, but turns the numbers
of a column that also holds text into text with 9 decimals). Cells become text the way a planner
reads them in Excel:
- integers, stored as numbers or as text, as their digits ('2683', also for 2683.0), up to 2^53;
- other numbers in their shortest exact form (Python's repr: '0.1', '1e-07', '1e+20');
- dates as ISO text ('2025-09-15', '2025-09-15T08:30:00'), booleans as TRUE / FALSE;
- formulas as the value Excel saved with them; empty cells as ''.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from allocator.errors import SheetError
from allocator.inputs.csv_reading import more_rows
from allocator.inputs.reading import file_problem, kind_problem, os_problem
from allocator.inputs.sheets import SheetTable
from allocator.inputs.snapshot_cells import quoted, show_cell

MAX_FILE_BYTES = 256 * 2**20  # Excel's 1,048,576 rows x 18 columns of real data are about 100 MB
MAX_UNCOMPRESSED = 2**30  # the sum of the sizes the members declare
MAX_RATIO = 200  # uncompressed / compressed for a member of more than RATIO_FROM bytes
RATIO_FROM = 2**20  # real sheets compress 10 to 20 times; a zip bomb about 1,000 times
MAX_MEMBERS = 10_000
MAX_ROWS = 1_048_576  # Excel's own limits
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
MAX_CELLS = 50_000_000  # cells read, counting the empty ones a row is padded with
MAX_MESSAGES = 50
MAX_SHEETS_SHOWN = 20
_REASON_CHARS = 160
_EXACT = 2**53  # every integer up to this magnitude is exact as a float

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), and encrypted .xlsx


def read_xlsx(path: Path, display: str, sheet: str | None = None) -> SheetTable:
    """The first sheet of an xlsx file, or the named one, as text; raise SheetError on any problem."""
    return read_xlsx_bytes(read_xlsx_file(path, display), display, sheet)


def read_xlsx_file(path: Path, display: str) -> bytes:
    """The bytes of an xlsx file: a regular file of at most MAX_FILE_BYTES, opened without blocking."""
    problem = file_problem(path)
    if problem is None:
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags)
        except (OSError, ValueError) as exc:
            problem = os_problem(exc)
        else:
            with os.fdopen(fd, "rb") as f:
                st = os.fstat(fd)
                problem = kind_problem(st.st_mode)
                if problem is None and st.st_size > MAX_FILE_BYTES:
                    problem = f"the file is {st.st_size} bytes; xlsx files are limited to {MAX_FILE_BYTES}"
                if problem is None:
                    raw = f.read(MAX_FILE_BYTES + 1)
                    if len(raw) <= MAX_FILE_BYTES:
                        return raw
                    problem = (
                        f"the file has more than {MAX_FILE_BYTES} bytes; xlsx files are limited to {MAX_FILE_BYTES}"
                    )
    raise SheetError(f"{display}: {problem}")


def read_xlsx_bytes(raw: bytes, display: str, sheet: str | None = None) -> SheetTable:
    """The sheet of an xlsx file already read (see read_xlsx); the archive is checked first."""
    return xlsx_sheet(raw, display, sheet).table


class XlsxSheet(NamedTuple):
    """A sheet as text, and the row number of its header (the first row that is not blank)."""

    table: SheetTable
    header_row: int


def xlsx_sheet(raw: bytes, display: str, sheet: str | None = None) -> XlsxSheet:
    """The sheet of an xlsx file already read, with its header's row number; raise SheetError."""
    check_archive(raw, display)
    # Imported here: only a command that reads an xlsx pays for it. No stubs: its objects are Any.
    import openpyxl  # type: ignore[import-untyped]

    # openpyxl warns about features it drops (data validation, default styles): noise for us.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # a hostile archive can raise almost anything from openpyxl's parsers
            raise SheetError(f"{display}: cannot be read as an xlsx workbook: {_reason(exc)}") from None
        try:
            name, ws = _worksheet(book, display, sheet)
            shown = display if sheet is None else f"{display}, sheet {show_cell(name)}"
            try:
                return _table(_numbered(_parsed_rows(book, ws), shown), shown)
            except SheetError:
                raise
            except Exception as exc:  # damaged XML inside the sheet, a member failing its CRC...
                raise SheetError(f"{shown}: cannot be read as an xlsx sheet: {_reason(exc)}") from None
        finally:
            book.close()


def _parsed_rows(book: Any, ws: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """Each row element of the sheet's XML: its number, and its cells (row, column, value).

    openpyxl's ws.iter_rows() pads each row to its last cell (up to 18,278 columns), believes the
    sheet's declared dimension, and silently skips a row that follows a higher-numbered one. The
    parser it reads with (internal to openpyxl 3.1, hence the version pin) gives each row and cell
    its number, so that _numbered can check them."""
    from openpyxl.worksheet._reader import WorkSheetParser  # type: ignore[import-untyped]

    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        yield from parser.parse()


def _numbered(rows: Iterator[tuple[int, list[dict[str, Any]]]], display: str) -> Iterator[tuple[int, list[Any]]]:
    """The rows in order, each as its values from column A on; rows, columns and cells bounded."""
    previous = cells_read = 0
    while True:
        try:
            item = next(rows, None)
        except Exception as exc:  # a cell openpyxl cannot parse ('nan' as a number, a bad string index)
            where = f"after row {previous}" if previous else "in its first row"
            raise SheetError(f"{display}: cannot be read as an xlsx sheet {where}: {_reason(exc)}") from None
        if item is None:
            return
        number, cells = item
        if number < 1 or number > MAX_ROWS:
            raise SheetError(f"{display}: a row numbered {number}; Excel numbers rows from 1 to {MAX_ROWS}")
        if number <= previous:
            raise SheetError(
                f"{display}: row {number} comes after row {previous}: rows out of order or repeated, which"
                " Excel never writes; open the file in Excel and save it again"
            )
        last = 0
        for cell in cells:
            column = cell["column"]
            if cell["row"] != number or column <= last:
                raise SheetError(
                    f"{display}: row {number}: a cell out of place (column {column} of row {cell['row']}, after"
                    f" column {last}), which Excel never writes; open the file in Excel and save it again"
                )
            last = column
        if last > MAX_COLUMNS:
            raise SheetError(f"{display}: row {number}: a cell in column {last}, beyond Excel's last column XFD")
        cells_read += last
        if cells_read > MAX_CELLS:
            raise SheetError(f"{display}: more than {MAX_CELLS} cells (counting empty ones before a cell)")
        values: list[Any] = [None] * last
        for cell in cells:
            values[cell["column"] - 1] = cell["value"]
        previous = number
        yield number, values


def check_archive(raw: bytes, display: str) -> None:
    """Refuse what is no xlsx (not a zip, an .xls, a damaged zip) and a zip bomb, before unpacking."""
    if not raw.startswith(_ZIP_MAGIC):
        raise SheetError(f"{display}: not an xlsx file: {_what_instead(raw)}")
    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise SheetError(f"{display}: not an xlsx file: a damaged zip archive ({_reason(exc)})") from None
    if len(members) > MAX_MEMBERS:
        raise SheetError(f"{display}: refused: the archive has {len(members)} members; an xlsx has a few dozen")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED:
        raise SheetError(
            f"{display}: refused: the archive would unpack to {total} bytes, above the limit of"
            f" {MAX_UNCOMPRESSED} (this is how a zip bomb looks)"
        )
    for m in members:
        if m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise SheetError(
                f"{display}: refused: {quoted(m.filename)} would unpack {m.compress_size} bytes to {m.file_size},"
                f" more than {MAX_RATIO} times (this is how a zip bomb looks)"
            )
    if not any(m.filename == "[Content_Types].xml" for m in members):
        raise SheetError(f"{display}: not an xlsx file: a zip archive, but not an Excel workbook")


def _what_instead(raw: bytes) -> str:
    if not raw:
        return "the file is empty"
    if raw.startswith(_OLE_MAGIC):
        return (
            "it is an Excel 97-2003 workbook (.xls) or a password-protected one;"
            ' save it as "Excel Workbook (.xlsx)" without a password'
        )
    try:
        raw[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 4092:  # not just a character cut at the end of the sample
            return "an xlsx file is a zip archive, and this file is not one"
    return "it is text, not a zip archive as an xlsx file is; a CSV file must be named .csv"


def _reason(exc: BaseException) -> str:
    """The first line of a library's error, escaped and cut (it may quote the file's bytes)."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    line = text.splitlines()[0]
    shown = "".join(show_cell(c) for c in line[:_REASON_CHARS])
    return shown + "…" if len(line) > _REASON_CHARS else shown


def _worksheet(book: Any, display: str, sheet: str | None) -> tuple[str, Any]:
    """The named worksheet, or the first; an unknown name lists the sheets there."""
    names: list[str] = list(book.sheetnames)
    worksheets = {ws.title: ws for ws in book.worksheets}
    if sheet is None:
        if not worksheets:
            raise SheetError(f"{display}: the workbook has no worksheet (only chart sheets)")
        first = next(iter(worksheets))
        return first, worksheets[first]
    if sheet in worksheets:
        return sheet, worksheets[sheet]
    from allocator.inputs.conditions import did_you_mean

    shown = ", ".join(quoted(n) for n in names[:MAX_SHEETS_SHOWN])
    if len(names) > MAX_SHEETS_SHOWN:
        shown += f" and {len(names) - MAX_SHEETS_SHOWN} more"
    if sheet in names:
        raise SheetError(f"{display}: sheet {quoted(sheet)} is a chart sheet, not a worksheet; the sheets are: {shown}")
    hint = did_you_mean(sheet, worksheets)
    raise SheetError(f"{display}: no sheet named {quoted(sheet)}{hint} (the sheets are: {shown})")


def cell_text(value: object) -> str:
    """A cell as text: integers as digits (2683.0 too), other numbers in their shortest exact form,
    dates as ISO text, booleans as TRUE / FALSE, an empty cell as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Beyond 2^53 a float's digits are not the number written; its shortest form is honest.
        return str(int(value)) if value.is_integer() and abs(value) <= _EXACT else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # a duration, as Excel's [h]:mm:ss shows it
        micro = value // dt.timedelta(microseconds=1)
        sign, micro = ("-", -micro) if micro < 0 else ("", micro)
        seconds, fraction = divmod(micro, 1_000_000)
        h, rest = divmod(seconds, 3600)
        tail = f".{fraction:06d}".rstrip("0") if fraction else ""
        return f"{sign}{h}:{rest // 60:02d}:{rest % 60:02d}{tail}"
    return str(value)


class _Problems:
    """Problems of the sheet's cells, one line per kind and column: the first row and how many more."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.first: dict[tuple[str, str], tuple[int, str]] = {}
        self.count: dict[tuple[str, str], int] = {}

    def add(self, row: int, where: str, kind: str, message: str) -> None:
        key = (kind, where)
        self.first.setdefault(key, (row, message))
        self.count[key] = self.count.get(key, 0) + 1

    def raise_any(self) -> None:
        lines = sorted((row, f"{msg}{more_rows(self.count[key] - 1)}") for key, (row, msg) in self.first.items())
        if lines:
            out = [f"{self.display}: {text}" for _, text in lines[:MAX_MESSAGES]]
            if len(lines) > MAX_MESSAGES:
                out.append(f"{self.display}: ... and {len(lines) - MAX_MESSAGES} more problems")
            raise SheetError("\n".join(out))


def _table(rows: Iterable[tuple[int, list[Any]]], display: str) -> XlsxSheet:
    """Header = the first row that is not blank; blank rows skipped, their numbers not reused."""
    problems = _Problems(display)
    header: list[str] | None = None
    header_row = 0
    out: list[tuple[int, list[str]]] = []
    for number, row in rows:
        cells = [cell_text(v) for v in row]
        if not any(c.strip() for c in cells):
            continue
        _cut_long(cells, header, number, problems)
        if header is None:
            names = [c.strip() for c in cells]
            while names and not names[-1]:
                names.pop()
            header, header_row = names, number
            continue
        _outside(cells, header, (header_row, number), problems)
        cells = cells[: len(header)]
        out.append((number, cells + [""] * (len(header) - len(cells))))
    problems.raise_any()
    if header is None:
        raise SheetError(f"{display}: the sheet is empty; expected a header row, then one row per line of data")
    return XlsxSheet(SheetTable(display, header, out), header_row)


def _cut_long(cells: list[str], header: list[str] | None, number: int, problems: _Problems) -> None:
    """A cell longer than Excel allows is a problem (and is not kept, nor shown)."""
    for i, c in enumerate(cells):
        if len(c) > MAX_CELL_CHARS:
            named = header is not None and i < len(header) and header[i]
            where = f"column {header[i]}" if header is not None and named else f"column {_letter(i + 1)}"
            msg = f"row {number}, {where}: {len(c)} characters; a cell holds at most {MAX_CELL_CHARS}"
            problems.add(number, where, "long", msg)
            cells[i] = ""


def _outside(cells: list[str], header: list[str], rows: tuple[int, int], problems: _Problems) -> None:
    """A value right of the header's last column, or under an empty header cell, belongs to no
    column: a problem, never dropped in silence."""
    header_row, number = rows
    width = len(header)
    for i, c in enumerate(cells):
        if not c.strip() or (i < width and header[i]):
            continue
        letter = _letter(i + 1)
        if i >= width:
            msg = f"row {number}: a value in column {letter}, right of the header's last column {_letter(width)}"
            problems.add(number, "", "beyond", msg)
        else:
            msg = f"row {number}, column {letter}: a value in a column whose header (row {header_row}) is empty"
            problems.add(number, letter, "nameless", msg)


def _letter(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


__all__ = [
    "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_ROWS", "XlsxSheet", "cell_text", "check_archive", "read_xlsx",
    "read_xlsx_bytes", "xlsx_sheet",
]  # fmt: skip
