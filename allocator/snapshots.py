"""Client snapshots (CSV or Parquet) read with polars and checked column by column.

Every problem names the row (counting the CSV header as row 1, as a spreadsheet does; Parquet
rows count from 1) and the column, and says how many more rows share it. No row is ever dropped:
a value that cannot be used is an error, not a silent skip.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from allocator.errors import SnapshotError
from allocator.models import FieldSpec

ROW = "_row"
ID = "client_id"
MAX_MESSAGES = 50


@dataclass(frozen=True)
class Column:
    """What the rules need of one snapshot column."""

    name: str
    spec: FieldSpec
    allowed: tuple[str, ...] = ()  # for category and tier columns


def _read(path: Path, display: str) -> tuple[pl.DataFrame, int]:
    """All columns as read; the offset that turns a 0-based index into the row number users see."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.read_parquet(path), 1
        if suffix in (".csv", ".txt"):
            raw = path.read_bytes()
            _check_text(raw, display)
            return pl.read_csv(raw, infer_schema=False), 2
    except FileNotFoundError:
        raise SnapshotError(f"{display}: no such file") from None
    except IsADirectoryError:
        raise SnapshotError(f"{display}: is a directory, not a file") from None
    except pl.exceptions.NoDataError:
        raise SnapshotError(f"{display}: the file is empty; expected a header row and client rows") from None
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SnapshotError(f"{display}: cannot be read as {suffix[1:].upper()}: {first}") from None
    raise SnapshotError(f"{display}: unknown snapshot format '{suffix}'; use .csv or .parquet")


def _check_text(raw: bytes, display: str) -> None:
    """UTF-8, and as many values in every row as in the header: polars would pad short rows."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise SnapshotError(
            f"{display}: row {row}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        return
    if '"' in text:
        counts = [len(record) for record in csv.reader(io.StringIO(text))]
    else:
        counts = [line.count(",") + 1 if line else 0 for line in text.removesuffix("\n").split("\n")]
    width = counts[0]
    bad = [(i + 1, n) for i, n in enumerate(counts) if n != width]
    if bad:
        row, n = bad[0]
        what = "an empty line" if n == 0 else f"{n} values"
        more = _more(len(bad) - 1)
        raise SnapshotError(f"{display}: row {row}: {what}, but the header has {width} columns{more}")


def _more(n: int) -> str:
    return "" if n == 0 else f" ({n} more row like this)" if n == 1 else f" ({n} more rows like this)"


def load_snapshot(path: Path, display: str, columns: Mapping[str, Column]) -> pl.DataFrame:
    """Read and check a snapshot; the result has client_id, every declared column typed, and _row."""
    raw, offset = _read(path, display)
    if raw.height == 0:
        raise SnapshotError(f"{display}: no client rows (only a header)")
    header = list(raw.columns)
    missing = [c for c in (ID, *columns) if c not in header and not (c in columns and columns[c].spec.optional)]
    if missing:
        from allocator.conditions import did_you_mean

        lines = []
        for c in missing:
            hint = did_you_mean(c, [h for h in header if h not in columns])
            lines.append(f"{display}: missing column '{c}'{hint}")
        lines.append(f"{display}: the columns are: {', '.join(header)}")
        raise SnapshotError("\n".join(lines))
    df = raw.with_row_index(ROW, offset=offset)
    problems: list[tuple[int, str, str, int]] = []  # row, column, message, more rows like it
    out: list[pl.Series] = [df[ROW], _client_ids(df, problems)]
    for name, col in columns.items():
        if name not in header:
            out.append(pl.Series(name, [None] * df.height, dtype=_dtype(col.spec)))
            continue
        out.append(_column(df, col, problems))
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        lines = [f"{display}: row {r}, column {c}: {m}{_more(n)}" for r, c, m, n in problems]
        if len(lines) > MAX_MESSAGES:
            lines = [*lines[:MAX_MESSAGES], f"{display}: ... and {len(lines) - MAX_MESSAGES} more problems"]
        raise SnapshotError("\n".join(lines))
    return pl.DataFrame(out).sort(ID)


def _dtype(spec: FieldSpec) -> type[pl.DataType]:
    return {"number": pl.Float64, "integer": pl.Int64}.get(spec.type, pl.String)


def _report(
    df: pl.DataFrame, bad: pl.Series, column: str, message: str, problems: list[tuple[int, str, str, int]]
) -> None:
    rows = df.filter(bad)
    if rows.height:
        first = rows.row(0, named=True)
        value = first.get(column)
        problems.append((int(first[ROW]), column, message.format(value=value), rows.height - 1))


def _client_ids(df: pl.DataFrame, problems: list[tuple[int, str, str, int]]) -> pl.Series:
    ids = df[ID].cast(pl.String)
    stripped = ids.str.strip_chars()
    _report(df, stripped.is_null() | (stripped == ""), ID, "a client id is empty", problems)
    dup = stripped.is_duplicated() & stripped.is_not_null() & (stripped != "")
    if dup.any():
        firsts = df.with_columns(stripped.alias("_id")).group_by("_id").agg(pl.col(ROW).min().alias("_first"))
        rows = df.with_columns(stripped.alias("_id")).filter(dup).join(firsts, on="_id").sort(ROW)
        later = rows.filter(pl.col(ROW) != pl.col("_first"))
        if later.height:
            r = later.row(0, named=True)
            msg = f"duplicate client id '{r['_id']}' (first on row {r['_first']})"
            problems.append((int(r[ROW]), ID, msg, later.height - 1))
    return stripped.alias(ID)


def _column(df: pl.DataFrame, col: Column, problems: list[tuple[int, str, str, int]]) -> pl.Series:
    name, spec = col.name, col.spec
    s = df[name]
    if s.dtype == pl.String:
        s = s.str.strip_chars()
        s = s.set(s == "", None)
    nulls = s.is_null()
    if not spec.optional:
        _report(df, nulls, name, "empty, but this column may not be empty", problems)
    if spec.type in ("number", "integer"):
        values = s.cast(pl.Float64, strict=False) if s.dtype == pl.String else s.cast(pl.Float64)
        unparsed = values.is_null() & ~nulls
        _report(df, unparsed, name, "'{value}' is not a number", problems)
        finite = values.is_finite().fill_null(True)
        _report(df, ~finite, name, "{value} is not a finite number", problems)
        if spec.type == "integer":
            frac = (values.is_not_null() & finite & (values.round(0) != values)).fill_null(False)
            _report(df, frac, name, "{value} is not a whole number", problems)
        if spec.min is not None:
            below = (finite & (values < spec.min)).fill_null(False)
            _report(df, below, name, "{value} is below the minimum " + _num(spec.min), problems)
        if spec.max is not None:
            above = (finite & (values > spec.max)).fill_null(False)
            _report(df, above, name, "{value} is above the maximum " + _num(spec.max), problems)
        clean = (
            values.set(~finite | (values.round(0) != values).fill_null(False), None)
            if spec.type == "integer"
            else values
        )
        return (clean.cast(pl.Int64, strict=False) if spec.type == "integer" else clean).alias(name)
    text = s.cast(pl.String)
    if col.allowed:
        unknown = (~text.is_in(list(col.allowed))).fill_null(False)
        what = "tier" if spec.type == "tier" else "value"
        _report(df, unknown, name, f"unknown {what} '{{value}}'; expected one of {', '.join(col.allowed)}", problems)
    return text.alias(name)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
