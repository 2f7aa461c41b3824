"""A sheet of rows from a spreadsheet or a CSV file: the header and every row as text, with the
row number a spreadsheet shows (the header is row 1), so that every problem can name its row and
column. Blank rows are skipped; their numbers are not reused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SheetTable:
    """The cells of one sheet, as text ('' for an empty cell)."""

    display: str  # the file as the user named it (and the sheet, when it was named)
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, one cell per header column)

    def column(self, name: str) -> int | None:
        """The index of a header column, or None."""
        try:
            return self.header.index(name)
        except ValueError:
            return None
