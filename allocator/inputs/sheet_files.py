"""Sheets read from files: plan sheets, assignments and locks alike, from an .xlsx file (its
first sheet, or the one named) or a UTF-8 .csv file, at most a bounded number of bytes, opened
without blocking (a FIFO never hangs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from allocator.errors import SheetError, SnapshotError
from allocator.inputs.csv_reading import read_csv_text
from allocator.inputs.plan_text import shown
from allocator.inputs.reading import file_problem, kind_problem, os_problem
from allocator.inputs.sheets import SheetTable


class Kind(NamedTuple):
    """What a sheet holds, for its messages: 'plan sheet', the key naming its sheet, what a row is."""

    name: str
    sheet_key: str
    rows_are: str
    max_bytes: int


def read_sheet(path: Path, display: str, sheet: str | None, kind: Kind) -> SheetTable:
    """The cells of a sheet: .xlsx (its first sheet, or `sheet`) or a UTF-8 .csv file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from allocator.inputs.xlsx import read_xlsx  # openpyxl is loaded only when a sheet is read

        return read_xlsx(path, display, sheet)
    if suffix != ".csv":
        hint = "; save it as .xlsx (Excel 2007 or later)" if suffix == ".xls" else ""
        raise SheetError(f"{display}: unknown {kind.name} format '{suffix}'; use .xlsx or .csv{hint}")
    if sheet is not None:
        raise SheetError(f"{display}: a CSV file has no sheets, but {kind.sheet_key} is '{shown(sheet)}'; remove it")
    raw = _read_bytes(path, display, kind)
    if not raw.removeprefix(b"\xef\xbb\xbf").strip():
        raise SheetError(f"{display}: the file is empty; expected a header row and {kind.rows_are}")
    try:
        header, frame = read_csv_text(raw, display)
    except SnapshotError as exc:  # the CSV reader is the snapshots' one; here its error is a sheet's
        raise SheetError(str(exc)) from None
    rows = [(n, ["" if c is None else str(c) for c in cells]) for n, cells in enumerate(frame.iter_rows(), 2)]
    # Blank rows are skipped; their numbers are not reused.
    return SheetTable(display, header, [(n, cells) for n, cells in rows if any(c.strip() for c in cells)])


def _read_bytes(path: Path, display: str, kind: Kind) -> bytes:
    """At most kind.max_bytes of a regular file, opened without blocking (a FIFO never hangs)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as exc:
        raise SheetError(f"{display}: {file_problem(path) or os_problem(exc)}") from None
    raw = b""
    try:
        why = kind_problem(os.fstat(fd).st_mode)
        if why is None:
            with os.fdopen(os.dup(fd), "rb") as f:
                raw = f.read(kind.max_bytes + 1)
    except OSError as exc:
        why = os_problem(exc)
    finally:
        os.close(fd)
    if why:
        raise SheetError(f"{display}: {why}")
    if len(raw) > kind.max_bytes:
        raise SheetError(f"{display}: the file has more than {kind.max_bytes} bytes; {kind.name}s are limited to that")
    return raw
