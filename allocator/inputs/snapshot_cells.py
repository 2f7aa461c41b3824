"""What snapshot messages are made of: the row and column of a problem, and a cell as shown.

A cell is shown with invisible and control characters escaped and long text cut, so that a
message can neither hide a character nor be flooded by one cell.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl

from allocator.inputs.csv_reading import more_rows
from allocator.inputs.models import FieldSpec

ROW = "_row"
ID = "client_id"
SHOWN_CHARS = 40  # a cell longer than this is cut in messages
# Default-ignorable characters that are neither format (Cf) nor control (Cc) characters.
_IGNORABLE = {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10), *range(0x180B, 0x1810)}

CellProblem = tuple[int, str, str, int]  # row, column, message, more rows like it


@dataclass(frozen=True, order=True)
class SnapshotWarning:
    """Something in a snapshot that loads but deserves a look, located like an error."""

    row: int
    column: str
    message: str
    more: int = 0

    def render(self, display: str) -> str:
        return f"{display}: row {self.row}, column {self.column}: warning: {self.message}{more_rows(self.more)}"


def report(
    rows: pl.Series,
    bad: pl.Series,
    column: str,
    message: str,
    problems: list[CellProblem],
    source: pl.Series | None = None,
    show: Callable[[Any], str] = str,
) -> None:
    """One problem for every row where `bad` holds: the first such row, and how many more."""
    where = bad.fill_null(False).arg_true()
    if len(where):
        i = int(where[0])
        value = show(source[i]) if source is not None else ""
        problems.append((int(rows[i]), column, message.format(value=value), len(where) - 1))


def show_cell(value: Any) -> str:
    """A cell as messages show it: invisible and control characters escaped, long text cut."""
    text = str(value)
    cut = len(text) > SHOWN_CHARS
    shown = "".join(_escape(c) for c in text[:SHOWN_CHARS])
    return shown + "…" if cut else shown


def quoted(value: Any) -> str:
    return f"'{show_cell(value)}'"


def _escape(c: str) -> str:
    if c.isprintable() and not invisible(c):
        return c
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def invisible(c: str) -> bool:
    return unicodedata.category(c) in ("Cf", "Cc") or ord(c) in _IGNORABLE or 0xE0100 <= ord(c) <= 0xE01EF


@dataclass(frozen=True)
class Column:
    """What the rules need of one snapshot column."""

    name: str
    spec: FieldSpec
    allowed: tuple[str, ...] = ()  # for category and tier columns


KIND_WORDS = {"number": "a number", "integer": "an integer", "category": "a category", "tier": "a tier", "text": "text"}
