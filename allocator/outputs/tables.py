"""Output files: CSVs (spreadsheet formulas defused, a fixed float format), JSON and sha256.

CSVs and manifest.json depend only on the inputs and the seed (timings go to timings.json), so
the same run twice gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

FORMULA_START = r"^(?:[\t\r]|\s*[=+\-@])"  # what a spreadsheet may run as a formula (OWASP)
BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark: Excel reads a CSV that starts with it as UTF-8


def write_csv(df: pl.DataFrame, path: Path, *, bom: bool = False) -> None:
    """CSV with a fixed float format, so the bytes depend only on the values; empty text unquoted."""
    write_csv_parts([df], path, bom=bom)


def write_csv_parts(parts: Iterable[pl.DataFrame], path: Path, *, bom: bool = False) -> None:
    """Several frames with the same columns as one CSV, one at a time (memory stays flat).

    A text cell that starts with = + - @, a tab or a carriage return, or with blanks and then
    = + - @, gets a leading `'`, so that a spreadsheet shows it as text instead of running it
    (`=cmd|' /C calc'!A0`). Only text columns: numbers, negative ones too, stay numbers. With
    `bom`, the file starts with a UTF-8 BOM (`outputs: {csv_bom: true}`), without which Excel on
    a Chinese Windows reads UTF-8 as GBK and garbles 城区.
    """
    guard = _Guard()
    with path.open("wb") as f:
        if bom:
            f.write(BOM)
        for i, df in enumerate(parts):
            df = df.with_columns(guard(df[c]) for c, t in df.schema.items() if _is_text(t))
            df.write_csv(f, include_header=i == 0, float_precision=4, null_value="")


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


def _as_text(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.String)
    guarded = pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text)
    return guarded.replace("", None).alias(name)


class _Guard:
    """The formula guard of one file's text columns, done once per distinct column.

    The parts of quotas.csv (one per product) repeat most columns: client_id, ladder and tier
    are the same in every part, source and excluded_by usually are, and product is one value.
    A column equal to the one the previous part had takes its guarded copy (a comparison, not a
    regex pass over a million rows); a column of one value is guarded once.
    """

    def __init__(self) -> None:
        self.seen: dict[str, tuple[pl.Series, pl.Series]] = {}

    def __call__(self, column: pl.Series) -> pl.Series:
        before = self.seen.get(column.name)
        if before is not None and before[0].equals(column, check_dtypes=True, null_equal=True):
            return before[1]
        guarded = self._guarded(column)
        self.seen[column.name] = (column, guarded)
        return guarded

    @staticmethod
    def _guarded(column: pl.Series) -> pl.Series:
        text = column.cast(pl.String)
        if text.len() and text.null_count() == 0 and (text == text[0]).all():  # one value: product
            value = _guarded_value(text[0])
            return text if value == text[0] else pl.repeat(value, text.len(), eager=True, dtype=pl.String).alias(column.name)
        if not (text.str.contains(FORMULA_START).any() or (text == "").any()):
            return text  # the usual case, found without building a new column
        return text.to_frame().select(_as_text(column.name)).to_series()


def _guarded_value(value: str) -> str | None:
    """One text cell as the CSV holds it: `'` before a would-be formula, None for empty text."""
    if value == "":
        return None
    return "'" + value if re.match(FORMULA_START, value) else value


def write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def synced_sha256(path: Path) -> str:
    """The file's sha256, and the file flushed to disk (fsync: the run's exchange needs it there)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
        os.fsync(f.fileno())
    return h.hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
