"""workbook.xlsx: a run's figures as planners open them in Excel (`outputs: {xlsx: true}`).

One workbook per variant folder, beside its CSVs: `summary` (summary.csv as it is), `tier
amounts` (cartons per shop, one row per segment, ladder and tier, one column per product),
`quotas` (one row per shop, one column per product), `comparison` (in the base folder's
workbook, when there are variants) and `segments` (when a product has segments).

Every text cell is written as a string and every number as a number, each by its own call, never
through a guess from the value: a client id `=cmd|' /C calc'!A0` is text in the workbook, as it
is in the run (the CSVs guard it with a leading `'`; a string cell is never a formula, so the
workbook needs no guard). The bytes depend only on the inputs: xlsxwriter dates every zip member
1980-01-01, and the document's created date is fixed here, so two runs give the same file. The
sheets are written in xlsxwriter's constant-memory mode, row by row, so memory stays flat
whatever the number of shops; the time grows with the cells (see the README).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter  # type: ignore[import-untyped]
from xlsxwriter.exceptions import FileCreateError  # type: ignore[import-untyped]

from allocator import __version__
from allocator.errors import OutputError
from allocator.inputs.scenarios import BASE
from allocator.labels import words
from allocator.pipeline.run import RunResult, VariantResult

EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header's included
EXCEL_COLUMNS = 16_384
EXCEL_CELL_CHARS = 32_767
CREATED = datetime(1980, 1, 1, tzinfo=UTC)  # fixed, like the zip members' dates
MAX_WIDTH = 60  # characters: a column of long notes stays on the screen
UNITS, RATE, GINI, DECIMALS = "#,##0", "0.0%", "0.000", "#,##0.0000"
_CHUNK = 20_000  # rows turned into Python values at a time
# East Asian wide and full-width characters: two columns of a spreadsheet's width each.
_WIDE = (
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)

_WIDE_CHARS = re.compile(_WIDE)

Cell = str | int | float | None
# the column ids of summary.csv, tier_amounts.csv, comparison.csv, quotas.csv and the segments
# sheet: in a zh workbook each is shown by its label (the CSVs keep the ids, a contract)
COLUMN_IDS = frozenset({
    "product", "line", "segment", "ladder", "tier", "clients", "ordered", "entitled", "allocated", "fill_rate",
    "stockout_rate", "full_fill_rate", "coverage", "gap_rate", "top10_share", "gini", "min_quota", "max_quota",
    "note", "available", "client_id", "variant", "tier_changed", "amount", "customers",
})  # fmt: skip


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name and headers, and its rows, as a frame (one column per header, in
    order, whatever their names) whose text columns are written as strings and numeric ones as
    numbers, or as rows of cells (a small table mixing numbers and text in a column)."""

    name: str
    headers: tuple[str, ...]
    frame: pl.DataFrame | None = None
    cells: tuple[tuple[Cell, ...], ...] = ()
    freeze: tuple[int, int] = (1, 0)  # rows and columns frozen: the header row (and client_id in quotas)
    titles: tuple[str, ...] = ()  # the header row as shown (zh labels); empty: the headers themselves

    @property
    def shown(self) -> tuple[str, ...]:
        """The header row as the sheet shows it; `headers` stay the column ids (they pick the formats)."""
        return self.titles or self.headers

    @property
    def height(self) -> int:
        return self.frame.height if self.frame is not None else len(self.cells)

    def formats(self) -> list[str | None]:
        """Each column's number format: units, rates as percentages, the Gini coefficient."""
        if self.frame is None:
            return [UNITS if any(isinstance(r[c], int | float) for r in self.cells) else None for c in self._columns()]
        return [_format(h, t) for h, t in zip(self.headers, self.frame.dtypes, strict=True)]

    def widths(self) -> list[int]:
        """Each column's width in characters: its header's or its longest cell's, CJK counted twice."""
        shown = [display_width(h) for h in self.shown]
        if self.frame is not None:
            content = [_frame_width(self.frame[c], f) for c, f in zip(self.frame.columns, self.formats(), strict=True)]
        else:
            content = [max((_cell_width(r[c]) for r in self.cells), default=0) for c in self._columns()]
        return [min(max(h, w) + 2, MAX_WIDTH) for h, w in zip(shown, content, strict=True)]

    def longest_text(self) -> tuple[int, int, int] | None:
        """(characters, column, row) of the longest text cell, or None without text."""
        found: tuple[int, int, int] | None = None
        if self.frame is not None:
            for c, s in enumerate(self.frame.get_columns()):
                if s.dtype == pl.String and s.null_count() < len(s):
                    lengths = s.str.len_chars()
                    n, at = lengths.max(), lengths.arg_max()
                    if isinstance(n, int) and at is not None and (found is None or n > found[0]):
                        found = (n, c, at)
            return found
        for at, row in enumerate(self.cells):
            for c, v in enumerate(row):
                if isinstance(v, str) and (found is None or len(v) > found[0]):
                    found = (len(v), c, at)
        return found

    def rows(self, start: int, stop: int) -> Iterator[tuple[Cell, ...]]:
        """The rows start..stop as Python values; floats as the CSV writes them (4 decimals)."""
        if self.frame is None:
            yield from self.cells[start:stop]
            return
        for offset in range(start, stop, _CHUNK):
            part = self.frame.slice(offset, min(_CHUNK, stop - offset))
            columns = [_values(s) for s in part.get_columns()]
            yield from zip(*columns, strict=True)

    def _columns(self) -> range:
        return range(len(self.headers))


def _values(s: pl.Series) -> list[Any]:
    if s.dtype.is_float():
        return [None if v is None or not math.isfinite(v) else float(f"{v:.4f}") for v in s.to_list()]
    if s.dtype == pl.String or s.dtype.is_numeric():
        return s.to_list()
    return s.cast(pl.String).to_list()  # categories, booleans: as their text


def _format(name: str, dtype: pl.DataType) -> str | None:
    if dtype.is_integer():
        return UNITS
    if not dtype.is_float():
        return None
    if name.endswith(("_rate", "_share")) or name == "coverage":
        return RATE
    return GINI if name == "gini" else DECIMALS


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: two for a CJK or full-width character, one otherwise."""
    return len(text) + len(_WIDE_CHARS.findall(text))


def _cell_width(value: Cell) -> int:
    if value is None:
        return 0
    return display_width(value) if isinstance(value, str) else len(f"{value:,}")


def _frame_width(s: pl.Series, fmt: str | None) -> int:
    """The widest cell of a column as shown: text with CJK counted twice, numbers as formatted."""
    if s.null_count() == len(s):
        return 0
    if s.dtype == pl.String:
        widest: Any = (s.str.len_chars() + s.str.count_matches(_WIDE)).max()
        return int(widest)
    if not s.dtype.is_numeric():
        widest = s.cast(pl.String).str.len_chars().max()
        return int(widest)
    return max(len(_as_shown(v, fmt)) for v in (s.min(), s.max()))


def _as_shown(value: Any, fmt: str | None) -> str:
    """A number as its format shows it (near enough for a width)."""
    if fmt == RATE:
        return f"{float(value):.1%}"
    if fmt in (GINI, DECIMALS):
        return f"{float(value):,.4f}"
    return f"{value:,}"


# --- the sheets of a variant --------------------------------------------------------------------


def variant_sheets(result: RunResult, variant: VariantResult, kept: pl.DataFrame | None) -> list[Sheet]:
    """The sheets of one variant's workbook: summary, tier amounts, quotas, then the comparison
    (the base's workbook, when there are variants) and the segments (when a product has them)."""
    sheets = [
        _table("summary", variant.summary),
        tier_amounts_sheet(result, variant),
        quotas_sheet(result, variant, kept),
    ]
    if variant.name == BASE and len(result.variants) > 1:
        sheets.append(_table("comparison", result.comparison))
    if any(p.in_segments is not None for p in variant.products):
        sheets.append(segments_sheet(variant))
    lang = result.scenario.spec.lang
    if lang == "en":
        return sheets
    data = {p.product for p in variant.products} | set(kept.columns[1:] if kept is not None else ())
    return [in_language(sheet, lang, frozenset(data)) for sheet in sheets]


def in_language(sheet: Sheet, lang: str, data: frozenset[str] = frozenset()) -> Sheet:
    """The sheet with its name and header row in `lang`: each column id of the run's outputs is
    shown by its label; `data` (product ids, kept snapshot columns) stays as it is."""
    w = words(lang)
    titles = tuple(
        h if h in data else w(h) if h in COLUMN_IDS else _segment_title(h, w) for h in sheet.headers
    )
    return replace(sheet, name=w(sheet.name), titles=titles)


def _segment_title(header: str, w: Callable[..., str]) -> str:
    """`segment (district, market_type)` -> `区域 (district, market_type)`; anything else as it is."""
    return w("segment") + header[len("segment") :] if header.startswith("segment (") else header


def _table(name: str, frame: pl.DataFrame) -> Sheet:
    return Sheet(name, tuple(frame.columns), frame)


def tier_amounts_sheet(result: RunResult, variant: VariantResult) -> Sheet:
    """Cartons per shop: one row per [segment,] ladder and tier, one column per product. A
    tier_amounts product gives its amount; another its tier's quota when every shop of the tier
    got the same, else `min–max`."""
    summary = variant.summary.filter(pl.col("line") == "tier")
    keys = ["segment", "ladder", "tier"] if "segment" in summary.columns else ["ladder", "tier"]
    cells: dict[tuple[str, ...], dict[str, Cell]] = {}
    amounts = variant.tier_amounts
    planned = set() if amounts is None else set(amounts["product"].to_list())
    for row in summary.iter_rows(named=True):
        if row["product"] not in planned:
            low, high = row["min_quota"], row["max_quota"]
            value: Cell = low if low == high else f"{low}–{high}"
            cells.setdefault(tuple(row[k] or "" for k in keys), {})[row["product"]] = value
    for row in [] if amounts is None else amounts.iter_rows(named=True):
        cells.setdefault(tuple(row[k] or "" for k in keys), {})[row["product"]] = row["amount"]
    products = [p.product for p in variant.products]
    ladders = result.scenario.tiering.ladder_table.tiers
    segments = {s: i for i, s in enumerate(dict.fromkeys(k[0] for k in cells))} if len(keys) == 3 else {}

    def order(key: tuple[str, ...]) -> tuple[int, int, int, tuple[str, ...]]:
        ladder, tier = key[-2], key[-1]
        tiers = ladders.get(ladder, ())
        rank = tiers.index(tier) if tier in tiers else len(tiers)
        where = list(ladders).index(ladder) if ladder in ladders else len(ladders)
        return segments.get(key[0], 0), where, rank, key

    rows = tuple((*key, *(cells[key].get(p) for p in products)) for key in sorted(cells, key=order))
    return Sheet("tier amounts", (*keys, *products), cells=rows)


def quotas_sheet(result: RunResult, variant: VariantResult, kept: pl.DataFrame | None) -> Sheet:
    """One row per shop: client_id, the kept snapshot columns, ladder, tier, its segment (one
    column per way the products segment shops), then one column per product with its quota."""
    tiers = (variant.tiers if variant.tiers is not None else result.tiers).select("client_id", "ladder", "tier")
    headers = ["client_id"]
    columns = [tiers["client_id"]]
    if kept is not None:
        joined = tiers.select("client_id").join(kept, on="client_id", how="left", maintain_order="left")
        headers.extend(kept.columns[1:])
        columns.extend(joined.get_columns()[1:])
    headers.extend(["ladder", "tier"])
    columns.extend([tiers["ladder"], tiers["tier"]])
    ways = _segment_ways(result, variant)
    for name, p in ways.items():
        headers.append(name)
        columns.append(_aligned(tiers, p.tiers["client_id"], p.segment))
    for p in variant.products:
        headers.append(p.product)
        columns.append(_aligned(tiers, p.tiers["client_id"], p.columns["quota"]))
    frame = pl.DataFrame([s.alias(f"c{i}") for i, s in enumerate(columns)])
    return Sheet("quotas", tuple(headers), frame, freeze=(1, 1))


def _segment_ways(result: RunResult, variant: VariantResult) -> dict[str, Any]:
    """The first product of each way of segmenting shops (its `by` fields), under the header its
    column gets: `segment` when there is one way, else `segment (district, market_type)`."""
    by = {p.id: tuple(p.spec.segments.by) for p in result.scenario.allocation.products if p.spec.segments}
    first: dict[tuple[str, ...], Any] = {}
    for p in variant.products:
        if p.segment is not None and p.product in by:
            first.setdefault(by[p.product], p)
    if len(first) == 1:
        return {"segment": next(iter(first.values()))}
    return {f"segment ({', '.join(fields)})": p for fields, p in first.items()}


def _aligned(tiers: pl.DataFrame, ids: pl.Series, values: pl.Series) -> pl.Series:
    """`values` (one per id of `ids`) in the order of `tiers`' clients."""
    if ids.equals(tiers["client_id"]):
        return values
    frame = pl.DataFrame({"client_id": ids, "_v": values})
    return tiers.select("client_id").join(frame, on="client_id", how="left", maintain_order="left")["_v"]


def segments_sheet(variant: VariantResult) -> Sheet:
    """Per segmented product: each segment's clients, orders and units allocated, the clients
    outside the chosen segments, and the product's total with the units it had available."""
    parts = []
    for p in variant.products:
        if p.in_segments is None or p.segment is None:
            continue
        q = p.quotas.with_columns(pl.Series("_in", p.in_segments))
        inside = q.filter(pl.col("_in"))
        per = inside.group_by("segment").agg(_sums()).sort("segment")
        outside = q.filter(~pl.col("_in")).select(_sums())
        parts.append(per.select(pl.lit(p.product).alias("product"), pl.lit("segment").alias("line"), pl.all()))
        parts.append(outside.select(pl.lit(p.product).alias("product"), pl.lit("outside").alias("line"), pl.all()))
        total = inside.select(_sums()).with_columns(pl.lit(p.available, dtype=pl.Int64).alias("available"))
        parts.append(total.select(pl.lit(p.product).alias("product"), pl.lit("total").alias("line"), pl.all()))
    frame = pl.concat(parts, how="diagonal_relaxed").select(
        "product", "line", "segment", "clients", "ordered", "allocated", "available"
    )
    return _table("segments", frame)


def _sums() -> list[pl.Expr]:
    ordered = pl.col("ordered")  # empty when no client's order is known, as in summary.csv
    return [
        pl.len().cast(pl.Int64).alias("clients"),
        pl.when(ordered.is_not_null().any()).then(ordered.sum()).cast(pl.Int64).alias("ordered"),
        pl.col("quota").sum().cast(pl.Int64).alias("allocated"),
    ]


# --- writing ------------------------------------------------------------------------------------


def write_workbook(sheets: Sequence[Sheet], path: Path, title: str) -> None:
    """Write the sheets into one workbook at `path`; a sheet longer than Excel allows goes on in
    `NAME (2)`, and so on. Raise OutputError for what Excel cannot hold (a cell over 32,767
    characters, more than 16,384 columns)."""
    for sheet in sheets:
        _check_fits(sheet, path.name)
    # xlsxwriter's row files go beside the workbook, in the run's temporary folder, not in /tmp.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".workbook-") as tmp:
        options = {"constant_memory": True, "tmpdir": tmp, "strings_to_formulas": False, "strings_to_urls": False,
                   "strings_to_numbers": False, "nan_inf_to_errors": False}  # fmt: skip
        book = xlsxwriter.Workbook(str(path), options)
        book.set_properties({"title": title, "created": CREATED, "comments": f"allocator {__version__}"})
        bold = book.add_format({"bold": True})
        formats = {f: book.add_format({"num_format": f}) for f in (UNITS, RATE, GINI, DECIMALS)}
        for sheet in sheets:
            for name, start, stop in _parts(sheet):
                _write_sheet(book.add_worksheet(name), sheet, (start, stop), bold, formats)
        try:
            book.close()
        except FileCreateError as exc:
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            if cause is None:
                raise
            raise cause from None  # the place or the disk: the caller names it as the run's


def _parts(sheet: Sheet) -> Iterator[tuple[str, int, int]]:
    """(worksheet name, first row, end row) of each worksheet the sheet's rows need."""
    per = EXCEL_ROWS - 1
    for k, start in enumerate(range(0, max(sheet.height, 1), per)):
        yield (sheet.name if k == 0 else f"{sheet.name} ({k + 1})"), start, min(start + per, sheet.height)


def _check_fits(sheet: Sheet, file: str) -> None:
    if len(sheet.headers) > EXCEL_COLUMNS:
        raise OutputError(
            f"{file}: the {sheet.name} sheet needs {len(sheet.headers):,} columns, more than Excel's "
            f"{EXCEL_COLUMNS:,}; leave xlsx out of the scenario's outputs and use the CSVs"
        )
    longest = sheet.longest_text()
    if longest is not None and longest[0] > EXCEL_CELL_CHARS:
        chars, column, row = longest
        raise OutputError(
            f"{file}: the {sheet.name} sheet, row {row + 2:,}, column {sheet.headers[column]}: a text of "
            f"{chars:,} characters, more than an Excel cell holds ({EXCEL_CELL_CHARS:,}); keep fewer columns, "
            "or leave xlsx out of the scenario's outputs"
        )


def _write_sheet(ws: Any, sheet: Sheet, span: tuple[int, int], bold: Any, formats: dict[str, Any]) -> None:
    """The header row, then the rows of `span`, each cell by its type; widths, frozen panes, filter."""
    text, number = ws.write_string, ws.write_number
    for c, (name, width) in enumerate(zip(sheet.shown, sheet.widths(), strict=True)):
        ws.set_column(c, c, width)
        text(0, c, name, bold)
    ws.freeze_panes(*sheet.freeze)
    shown = [formats.get(f) if f is not None else None for f in sheet.formats()]
    r = 0
    for r, row in enumerate(sheet.rows(*span), start=1):
        for c, value in enumerate(row):
            if isinstance(value, str):
                if value:  # an empty text is an empty cell, as in the CSV
                    text(r, c, value)
            elif value is not None:
                number(r, c, value, shown[c])
    ws.autofilter(0, 0, max(r, 1), len(sheet.headers) - 1)


__all__ = ["CREATED", "EXCEL_ROWS", "Sheet", "display_width", "variant_sheets", "write_workbook"]
