"""Client snapshots (CSV, Parquet or xlsx) read and checked column by column.

Every problem names the row (counting the CSV header as row 1, as a spreadsheet does; xlsx rows
as Excel numbers them, blank rows skipped but counted; Parquet rows count from 1) and the column,
and says how many more rows share it. No row is ever dropped: a value that cannot be used is an
error, not a silent skip. The column of client ids may have any name (`id_column`); it is
`client_id` in the checked snapshot and in every output.

Defences, each against a silent wrong answer:
- numbers are read from their text: integers stay exact, and any number beyond ±(2^53 - 1) is
  refused (beyond it a float cannot tell neighbouring integers apart, and order sums must fit);
- CSV rows and values are those of the strict csv module: polars reads the values only after a
  scan of the bytes has found every record and proved the quoting plain RFC 4180, and only when
  each row it reads holds exactly the bytes the scan counted; any other file is read by the csv
  module itself, so structure checks and values cannot disagree;
- header names are compared without surrounding whitespace, BOM or zero-width characters, so a
  column cannot appear twice under two spellings;
- Parquet columns must have a type that can hold the declared kind (no dates or booleans as
  numbers); columns the rules do not declare are never read;
- client ids that differ only in invisible characters or Unicode form are refused (they would be
  two clients with two quotas); ids that differ only in letter case are a warning;
- only regular files are opened, never blocking (a FIFO or a device is refused unread); an xlsx
  file is bounded in size, in what it unpacks to, and in rows, columns and cell length (xlsx.py);
- messages never show the values or the names of columns the rules do not read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from polars.exceptions import PanicException

from allocator.errors import SnapshotError
from allocator.inputs.client_ids import client_ids
from allocator.inputs.csv_reading import as_utf8, more_rows, read_csv_text
from allocator.inputs.models import FieldSpec
from allocator.inputs.reading import file_problem, kind_problem, os_problem
from allocator.inputs.snapshot_cells import (
    ID,
    ROW,
    CellProblem,
    Column,
    SnapshotWarning,
    header_name,
    quoted,
    report,
    resolve_columns,
    show_cell,
)
from allocator.inputs.snapshot_parquet import check_parquet_types, parquet_frame, parquet_header
from allocator.inputs.xlsx import read_xlsx_file, xlsx_sheet

MAX_MESSAGES = 50
LIMIT = 2**53 - 1  # the largest magnitude a snapshot number may have: exact as int64 and as float64
_OUT_OF_RANGE = "{value} is out of range (the limit is ±9007199254740991, 2^53 - 1)"


class Snapshot(NamedTuple):
    """A checked snapshot: the clients frame (as load_snapshot returns it), the warnings, the file's sha256."""

    clients: pl.DataFrame
    warnings: tuple[SnapshotWarning, ...]
    sha256: str = ""
    display: str = ""  # the file as messages name it (with the sheet, when one was named)
    kept: pl.DataFrame | None = None  # client_id and the columns a scenario keeps, as text, in clients' order


@dataclass(frozen=True)
class ParsedSnapshot:
    """A snapshot file read and split into cells, once, before any column is checked.

    CSV and xlsx: the header and every cell as text, with each row's number. Parquet: the header
    and the file's bytes (only the columns the rules read are ever decoded)."""

    display: str  # the file as the user named it, and the sheet when one was named
    suffix: str
    header: list[str]
    sha256: str
    cells: pl.DataFrame | None = None  # CSV and xlsx
    raw: bytes | None = None  # Parquet
    rows: pl.Series | None = None  # the row number of each row of `cells`, as messages name it
    header_row: int = 1  # where the header is (xlsx: the first row that is not blank)
    id_column: str = ID  # the header name of the column of client ids


def load_snapshot(path: Path, display: str, columns: Mapping[str, Column]) -> pl.DataFrame:
    """Read and check a snapshot; the result has client_id, every declared column typed, and _row."""
    return read_snapshot(path, display, columns).clients


def read_snapshot(path: Path, display: str, columns: Mapping[str, Column]) -> Snapshot:
    """Read and check a snapshot, and return the warnings as well (see load_snapshot)."""
    return check_snapshot(parse_snapshot(path, display), columns)


def parse_snapshot(
    path: Path,
    display: str,
    *,
    sheet: str | None = None,
    id_column: str = ID,
    encoding: str = "utf-8",
    declare_as: str | None = None,
) -> ParsedSnapshot:
    """Read a snapshot file (CSV, Parquet or xlsx: its first sheet or `sheet`) into cells; raise
    SnapshotError (SheetError for an xlsx that cannot be read) on a bad file. A CSV is read in
    `encoding` (utf-8, gbk, gb18030); `declare_as` is its path as a scenario names it, for the
    message that tells how to declare the encoding of a Chinese file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".parquet", ".xlsx"):
        raise SnapshotError(f"{display}: unknown snapshot format '{suffix}'; use .csv, .parquet or .xlsx")
    if sheet is not None and suffix != ".xlsx":
        raise SnapshotError(f"{display}: a sheet is named ('{show_cell(sheet)}'), but only an .xlsx file has sheets")
    if encoding != "utf-8" and suffix not in (".csv", ".txt"):
        raise SnapshotError(f"{display}: an encoding is declared ({encoding}), but only a CSV file has one")
    if suffix == ".xlsx":
        return _parse_xlsx(path, display, sheet, id_column)
    raw = _read_bytes(path, display)
    sha = hashlib.sha256(raw).hexdigest()
    if suffix == ".parquet":
        return ParsedSnapshot(display, suffix, parquet_header(raw, display), sha, raw=raw, id_column=id_column)
    text = raw if encoding == "utf-8" else as_utf8(raw, display, encoding)
    header, data = read_csv_text(text, display, declare_as)
    if data.height == 0:
        raise SnapshotError(f"{display}: no client rows (only a header)")
    rows = pl.int_range(2, 2 + data.height, dtype=pl.UInt32, eager=True).alias(ROW)
    return ParsedSnapshot(display, suffix, header, sha, cells=data, rows=rows, id_column=id_column)


def _parse_xlsx(path: Path, display: str, sheet: str | None, id_column: str) -> ParsedSnapshot:
    """An xlsx snapshot as text cells, each row with the number Excel shows."""
    raw = read_xlsx_file(path, display)
    table, header_row = xlsx_sheet(raw, display, sheet)
    if not table.rows:
        raise SnapshotError(f"{table.display}: no client rows (only a header)")
    width = len(table.header)
    columns = list(zip(*(cells for _, cells in table.rows), strict=True))
    cells = pl.DataFrame({f"c{i}": pl.Series(values=columns[i], dtype=pl.String) for i in range(width)})
    rows = pl.Series(ROW, [number for number, _ in table.rows], dtype=pl.UInt32)
    sha = hashlib.sha256(raw).hexdigest()
    return ParsedSnapshot(table.display, ".xlsx", table.header, sha, cells, None, rows, header_row, id_column)


def check_snapshot(parsed: ParsedSnapshot, columns: Mapping[str, Column], keep: Sequence[str] = ()) -> Snapshot:
    """The columns the rules read, each checked; raise SnapshotError listing every problem. The
    columns in `keep` are read as text, unchecked, into `kept` (for the outputs, not the rules)."""
    display, header, ids = parsed.display, parsed.header, header_name(parsed.id_column)
    if ids in keep:
        raise SnapshotError(f"{display}: column {ids} holds the client ids, which every output has as client_id")
    kept_as = {f"_keep{i}": name for i, name in enumerate(keep)}  # apart from the declared columns
    if parsed.raw is not None:
        found = resolve_columns(header, columns, display, display, ids, keep)
        frame = parquet_frame(
            parsed.raw, display, {name: header[i] for name, i in found.items() if name in columns or name == ID}
        )
        check_parquet_types(frame, columns, display, ids)
        if kept_as:
            frame = frame.hstack(_parquet_text(parsed.raw, display, {k: header[found[n]] for k, n in kept_as.items()}))
        rows = pl.int_range(1, 1 + frame.height, dtype=pl.UInt32, eager=True).alias(ROW)
    else:
        assert parsed.cells is not None and parsed.rows is not None
        data = parsed.cells
        # An xlsx header cell is empty only over an empty column (xlsx.py refuses values under it).
        where = f"{display}: row {parsed.header_row}"
        found = resolve_columns(header, columns, display, where, ids, keep, nameless=parsed.suffix == ".xlsx")
        chosen = {name: i for name, i in found.items() if name in columns or name == ID}
        chosen.update({k: found[n] for k, n in kept_as.items()})
        frame = data.select(pl.col(data.columns[i]).alias(name) for name, i in chosen.items())
        rows = parsed.rows
    if frame.height == 0:
        raise SnapshotError(f"{display}: no client rows")
    checked = _check(frame, rows, display, columns, ids, kept_as)
    return checked._replace(sha256=parsed.sha256, display=parsed.display)


def _parquet_text(raw: bytes, display: str, names: Mapping[str, str]) -> pl.DataFrame:
    """Kept Parquet columns as text; a type with no text form (a list, a struct) is refused."""
    frame = parquet_frame(raw, display, names)
    out, lines = [], []
    for name, source in names.items():
        try:
            out.append(frame[name].cast(pl.String))
        except (pl.exceptions.PolarsError, PanicException):
            dtype = frame[name].dtype.base_type()
            lines.append(f"{display}: column {source}: its Parquet type is {dtype}, which cannot be kept as text")
    if lines:
        raise SnapshotError("\n".join(lines))
    return pl.DataFrame(out)


# --- the file ---------------------------------------------------------------------------------


def _read_bytes(path: Path, display: str) -> bytes:
    """The file's bytes; a FIFO, device or socket is refused before anything is read from it."""
    problem = file_problem(path)
    if problem is None:
        try:
            # O_NONBLOCK: should the path turn into a FIFO after the check, opening it cannot hang.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            problem = os_problem(exc)
        else:
            with os.fdopen(fd, "rb") as f:
                problem = kind_problem(os.fstat(fd).st_mode)
                if problem is None:
                    return f.read()
    raise SnapshotError(f"{display}: {problem}")


# --- CSV --------------------------------------------------------------------------------------


# --- checking the values ----------------------------------------------------------------------


def _check(
    frame: pl.DataFrame,
    rows: pl.Series,
    display: str,
    columns: Mapping[str, Column],
    ids: str,
    kept_as: Mapping[str, str],
) -> Snapshot:
    """Every declared column checked, each row named by its number in `rows`; `ids` is the header
    name of the id column, as messages name it. The kept columns (`kept_as`: frame column to
    snapshot name) go along unchecked, an empty cell empty."""
    problems: list[CellProblem] = []
    warnings: list[SnapshotWarning] = []
    out = [rows, client_ids(frame[ID], rows, problems, warnings)]
    for name, col in columns.items():
        if name in frame.columns:
            out.append(_column(frame[name], rows, col, problems))
        else:
            out.append(pl.Series(name, [None] * frame.height, dtype=_dtype(col.spec)))
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        lines = [f"{display}: row {r}, column {ids if c == ID else c}: {m}{more_rows(n)}" for r, c, m, n in problems]
        if len(lines) > MAX_MESSAGES:
            lines = [*lines[:MAX_MESSAGES], f"{display}: ... and {len(lines) - MAX_MESSAGES} more problems"]
        raise SnapshotError("\n".join(lines))
    named = (w if w.column != ID else replace(w, column=ids) for w in warnings)
    out.extend(frame[k].replace("", None) for k in kept_as)
    table = pl.DataFrame(out)
    # one contiguous chunk per column either way (later passes over chunked columns copy them);
    # a snapshot written in id order (most are) is rechunked rather than sorted
    table = table.rechunk() if table[ID].is_sorted() else table.sort(ID)
    kept = table.select(ID, *(pl.col(k).alias(name) for k, name in kept_as.items())) if kept_as else None
    return Snapshot(table.drop(*kept_as), tuple(sorted(named)), kept=kept)


def _dtype(spec: FieldSpec) -> type[pl.DataType]:
    return {"number": pl.Float64, "integer": pl.Int64}.get(spec.type, pl.String)


def _show_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, int) else repr(value)


# --- values -----------------------------------------------------------------------------------


def _column(s: pl.Series, rows: pl.Series, col: Column, problems: list[CellProblem]) -> pl.Series:
    name, spec = col.name, col.spec
    if isinstance(s.dtype, pl.Categorical | pl.Enum | pl.Decimal):
        s = s.cast(pl.String)
    if s.dtype == pl.String:
        s = s.str.strip_chars()
        s = s.set(s == "", None)
    if not spec.optional:
        report(rows, s.is_null(), name, "empty, but this column may not be empty", problems)
    if spec.type == "number":
        values = _numbers(s, rows, name, problems)
    elif spec.type == "integer":
        values = _integers(s, rows, name, problems)
    else:
        text = s.cast(pl.String).alias(name)
        if col.allowed:
            unknown = ~text.is_in(list(col.allowed))
            what = "tier" if spec.type == "tier" else "value"
            message = f"unknown {what} {{value}}; expected one of {', '.join(col.allowed)}"
            report(rows, unknown, name, message, problems, text, quoted)
        return text
    shown, show = (s, show_cell) if s.dtype == pl.String else (s, _show_number)
    if spec.min is not None:
        message = "{value} is below the minimum " + _num(spec.min)
        report(rows, values < spec.min, name, message, problems, shown, show)
    if spec.max is not None:
        message = "{value} is above the maximum " + _num(spec.max)
        report(rows, values > spec.max, name, message, problems, shown, show)
    return values.alias(name)


class _Parsed(NamedTuple):
    """Text read as floats, with the cells that are no number, NaN or infinity, or too large."""

    values: pl.Series
    not_number: pl.Series
    not_finite: pl.Series
    huge: pl.Series


def _parse_floats(s: pl.Series) -> _Parsed:
    if s.dtype == pl.String:
        values = s.cast(pl.Float64, strict=False)
        not_number = values.is_null() & s.is_not_null()
        not_finite = pl.Series([False] * len(s))
        # Only a NaN or an infinity can have been written as a word (nan, inf, infinity).
        if (values.is_nan() | values.is_infinite()).any():
            word = s.str.to_lowercase().str.strip_chars_start("+-").is_in(["nan", "inf", "infinity"])
            not_finite = word & values.is_not_null()
    else:
        values = s.cast(pl.Float64)
        not_number = pl.Series([False] * len(s))
        not_finite = values.is_nan() | values.is_infinite()
    # An infinity that was not written as one (1e400) is a finite number too large to hold.
    huge = ~not_finite & (values.is_infinite() | (values.abs() > LIMIT))
    return _Parsed(values, not_number, not_finite.fill_null(False), huge.fill_null(False))


def _numbers(s: pl.Series, rows: pl.Series, name: str, problems: list[CellProblem]) -> pl.Series:
    """Float64 values; text that is no number, NaN, infinities and magnitudes beyond LIMIT are problems."""
    p = _parse_floats(s)
    show = show_cell if s.dtype == pl.String else _show_number
    report(rows, p.not_number, name, "{value} is not a number", problems, s, quoted)
    report(rows, p.not_finite, name, "{value} is not a finite number", problems, s, show)
    report(rows, p.huge, name, _OUT_OF_RANGE, problems, s, show)
    return p.values.set(p.not_finite | p.huge, None)


def _integers(s: pl.Series, rows: pl.Series, name: str, problems: list[CellProblem]) -> pl.Series:
    """Exact Int64 values: integers as written, whole numbers written as decimals; nothing rounded."""
    if s.dtype == pl.Null:
        s = s.cast(pl.Int64)
    if s.dtype.is_integer():
        wide = s.cast(pl.UInt64) if s.dtype.is_unsigned_integer() else s.cast(pl.Int64)
        huge = ((wide > LIMIT) if s.dtype.is_unsigned_integer() else (wide > LIMIT) | (wide < -LIMIT)).fill_null(False)
        report(rows, huge, name, _OUT_OF_RANGE, problems, s, _show_number)
        return s.set(huge, None).cast(pl.Int64)
    if s.dtype.is_float():
        values = _numbers(s, rows, name, problems)
        frac = (values.round(0) != values).fill_null(False)
        report(rows, frac, name, "{value} is not a whole number", problems, s, _show_number)
        return values.set(frac, None).cast(pl.Int64)
    # Text: plain integers are cast in bulk, then `2.000` too; other forms (1e3, 2.5) one by one.
    ints = s.cast(pl.Int64, strict=False)
    rest = ints.is_null() & s.is_not_null()
    if not rest.any():
        huge = ((ints > LIMIT) | (ints < -LIMIT)).fill_null(False)
        report(rows, huge, name, _OUT_OF_RANGE, problems, s, show_cell)
        return ints.set(huge, None)
    ints = s.str.replace(r"^([+-]?\d+)\.0*$", "${1}").cast(pl.Int64, strict=False)
    huge = ((ints > LIMIT) | (ints < -LIMIT)).fill_null(False)
    rest = ints.is_null() & s.is_not_null()
    p = _parse_floats(s.set(~rest, None))
    huge = huge | p.huge
    report(rows, p.not_number, name, "{value} is not a number", problems, s, quoted)
    report(rows, p.not_finite, name, "{value} is not a finite number", problems, s, show_cell)
    report(rows, huge, name, _OUT_OF_RANGE, problems, s, show_cell)
    candidates = (rest & ~p.not_number & ~p.not_finite & ~p.huge).arg_true()
    exact = pl.Series([_whole(t) for t in s.gather(candidates)], dtype=pl.Int64)
    frac = pl.Series([False] * len(s)).scatter(candidates, exact.is_null())
    report(rows, frac, name, "{value} is not a whole number", problems, s, show_cell)
    whole = pl.Series([None] * len(s), dtype=pl.Int64).scatter(candidates, exact)
    return ints.set(huge, None).fill_null(whole)


def _whole(text: str) -> int | None:
    """The integer `text` writes exactly (`1e3`, `-2.50e1`), or None when it is not whole."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return int(d) if d.is_finite() and d == d.to_integral_value() else None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
