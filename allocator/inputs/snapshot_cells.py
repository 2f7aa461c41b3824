"""What snapshot messages are made of: the row and column of a problem, a cell as shown, and
the header's columns found by name (or the missing and repeated ones reported).

A cell is shown with invisible and control characters escaped and long text cut, so that a
message can neither hide a character nor be flooded by one cell.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from allocator.errors import SnapshotError
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


# --- headers ----------------------------------------------------------------------------------


def header_name(raw: str) -> str:
    """A header as the rules name it: without surrounding whitespace, BOM or zero-width characters."""
    start, end = 0, len(raw)
    while start < end and (raw[start].isspace() or invisible(raw[start])):
        start += 1
    while end > start and (raw[end - 1].isspace() or invisible(raw[end - 1])):
        end -= 1
    return unicodedata.normalize("NFC", raw[start:end])


def resolve_columns(
    header: list[str],
    columns: Mapping[str, Column],
    display: str,
    where: str,
    ids: str,
    keep: Sequence[str] = (),
    *,
    nameless: bool = False,
) -> dict[str, int]:
    """The position of each declared and each kept column (the id column `ids` as client_id);
    empty names (unless `nameless` allows them), repeated names and missing columns raise."""
    declared = {ids, *columns, *keep}
    names = [header_name(h) for h in header]
    positions: dict[str, list[int]] = {}
    lines: list[tuple[int, str]] = []
    for i, name in enumerate(names, 1):
        if name:
            positions.setdefault(name, []).append(i)
        elif not nameless:
            lines.append((i, f"{where}: column {i} has no name"))
    for name, found in positions.items():
        if len(found) > 1:
            what = f"column '{name}'" if name in declared else "a column the rules do not read"
            times = "twice" if len(found) == 2 else f"{len(found)} times"
            listed = ", ".join(map(str, found[:-1])) + f" and {found[-1]}"
            lines.append((found[0], f"{where}: {what} appears {times} (columns {listed})"))
    out = [line for _, line in sorted(lines)]
    out.extend(_missing(names, positions, columns, display, ids, keep))
    if out:
        raise SnapshotError("\n".join(out))
    at = {name: positions[name][0] - 1 for name in (*columns, *keep) if name in positions}
    return {ID: positions[ids][0] - 1, **at}


def _missing(
    names: list[str],
    positions: Mapping[str, list[int]],
    columns: Mapping[str, Column],
    display: str,
    ids: str,
    keep: Sequence[str] = (),
) -> list[str]:
    """A line per missing column, then which columns there are (undeclared ones only counted)."""
    from allocator.inputs.conditions import did_you_mean

    declared = {ids, *columns, *keep}
    wanted = dict.fromkeys((ids, *columns, *keep))
    missing = [c for c in wanted if c not in positions and not (c in columns and columns[c].spec.optional)]
    if not missing:
        return []
    others = [n for n in positions if n not in declared]
    lines = [f"{display}: missing column '{c}'{did_you_mean(c, others)}" for c in missing]
    present = [n for n in names if n in declared]
    rest = len(names) - len(present)
    if not present:
        lines.append(
            f"{display}: the file has {len(names)} column{'s' * (len(names) != 1)}, none of them read by the rules"
        )
    else:
        tail = f" and {rest} the rules do not read" if rest else ""
        lines.append(f"{display}: the columns are: {', '.join(present)}{tail}")
    return lines


# Columns quotas.csv has of its own: a kept column may not take one of their names.
QUOTA_COLUMNS = ("client_id", "product", "ladder", "tier", "segment", "ordered", "entitled", "excluded_by", "quota",
                 "source", "assigned")  # fmt: skip


def keep_problems(header: Sequence[str], id_column: str, keep: Sequence[str]) -> list[tuple[int, str]]:
    """What is wrong with the columns a scenario keeps, as (index in `keep`, message): a column
    the snapshot's header lacks (with "did you mean"), the id column, a name quotas.csv has, a
    repeat."""
    from allocator.inputs.conditions import did_you_mean

    names = [header_name(h) for h in header]
    ids = header_name(id_column)
    seen: set[str] = set()
    out = []
    for i, name in enumerate(keep):
        shown = show_cell(name)
        if name in seen:
            out.append((i, f"'{shown}' is kept twice"))
        elif name == ids:
            out.append((i, f"'{shown}' holds the client ids, which every output has already, as client_id"))
        elif name in QUOTA_COLUMNS:
            out.append((i, f"'{shown}' is a column of quotas.csv already; a kept column needs another name"))
        elif name not in names:
            out.append((i, f"the snapshot has no column '{shown}'{did_you_mean(name, names)}"))
        seen.add(name)
    return out
