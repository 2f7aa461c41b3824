"""The verbs' tables as plain text, laid out as rich lays them out, in a fraction of the time.

rich measures and renders cell by cell: a run's base table of 20 products (some 200 rows) took
over a second to print. Off a terminal, where the output is plain text, the tables the verbs
build (`Table(title=..., title_justify="left", show_edge=False, pad_edge=False)`, heavy head,
text cells of one line each) are laid out here directly: each column as wide as its widest
cell (East Asian wide characters count two), one space of padding inside the separators, the
header underlined. Any table this does not cover, or one wider than the console (rich would
shrink and wrap it), goes to rich as before; tests/unit/test_plain_table.py checks the two
agree on random tables, CJK text included.
"""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text


def plain_lines(table: Table, width: int) -> list[str] | None:
    """The table's lines as rich prints them without colour at `width`, right blanks stripped;
    None when the table is not one this covers (then rich prints it)."""
    if not _covered(table):
        return None
    columns = table.columns
    heads = [_text(c.header) for c in columns]
    bodies = [[_text(cell) for cell in c.cells] for c in columns]
    if any(h is None for h in heads) or any(v is None for cells in bodies for v in cells):
        return None
    head = [h or "" for h in heads]
    rows = list(zip(*([v or "" for v in cells] for cells in bodies), strict=True)) if columns else []
    widths = [max([cell_len(head[i]), *(cell_len(r[i]) for r in rows)]) for i in range(len(columns))]
    last = len(columns) - 1
    pads = [(0 if i == 0 else 1, 0 if i == last else 1) for i in range(len(columns))]
    total = sum(w + a + b for w, (a, b) in zip(widths, pads, strict=True)) + last
    too_wide = total > width or cell_len(str(table.title or "")) > width  # rich would wrap or shrink
    if too_wide or not columns or 0 in widths:  # an empty column: rich has rules of its own
        return None
    justify = [c.justify for c in columns]

    def line(values: tuple[str, ...] | list[str], bar: str) -> str:
        parts = []
        for i, value in enumerate(values):
            if justify[i] == "right":  # rich drops trailing blanks before it pads on the left
                value = value.rstrip()
            room = widths[i] - cell_len(value)
            text = " " * room + value if justify[i] == "right" else value + " " * room
            parts.append(" " * pads[i][0] + text + " " * pads[i][1])
        return bar.join(parts).rstrip()

    out = []
    if table.title:  # rich leaves an empty title out
        out.append(str(table.title).rstrip())
    out.append(line(head, "┃"))
    out.append("╇".join("━" * (w + a + b) for w, (a, b) in zip(widths, pads, strict=True)))
    out += [line(r, "│") for r in rows]
    return out


def _covered(table: Table) -> bool:
    """The one table style the verbs use, with nothing that changes the layout."""
    return (
        table.box is box.HEAVY_HEAD
        and table.show_header
        and not table.show_edge
        and not table.pad_edge
        and not table.show_footer
        and not table.show_lines
        and not table.expand
        and table.width is None
        and table.min_width is None
        and table.caption is None
        and table.padding == (0, 1, 0, 1)
        and table.collapse_padding is False
        and table.leading == 0
        and table.title_justify == "left"
        and not any(row.end_section for row in table.rows)  # add_section draws a line between rows
        and isinstance(table.title, str | Text | None)
        and (table.title is None or "\n" not in str(table.title))
        and all(
            c.justify in ("left", "right") and c.width is None and c.min_width is None and c.max_width is None
            and c.ratio is None and not c.no_wrap
            for c in table.columns
        )
    )  # fmt: skip


def _text(value: object) -> str | None:
    """A cell's plain text, or None for anything but one line of text."""
    if isinstance(value, Text):
        value = value.plain
    if not isinstance(value, str) or "\n" in value or "\t" in value or "\r" in value:
        return None
    return value


__all__ = ["plain_lines"]
