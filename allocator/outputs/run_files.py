"""Reading a run's tables back from its output folder, whichever format the run wrote them in.

tiers and quotas are CSV or Parquet (`outputs: {format: ...}`); summary, tier_amounts and
comparison are always CSV. Every reader of a run folder goes through here, so that both formats
give the same frame: the values the run had, the CSV's formula guard (a `'` before a text that
a spreadsheet would run) taken off again, integers as integers, an empty text as null.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from allocator.errors import OutputError
from allocator.inputs.rule_files import display_path
from allocator.outputs.tables import FORMULA_START

FORMATS = ("parquet", "csv")  # where both are listed (no run writes both), the Parquet file is read
INTEGERS = frozenset({"ordered", "entitled", "quota", "assigned"})  # quotas' integer columns


def table_file(folder: Path, stem: str, listed: Collection[str] | None = None) -> Path:
    """The file that holds the run's table `stem` ("quotas"): the one the manifest lists when
    `listed` (its `outputs` names) is given, else the one in the folder; .parquet before .csv."""
    for suffix in FORMATS:
        path = folder / f"{stem}.{suffix}"
        if (path.name in listed) if listed is not None else path.is_file():
            return path
    raise OutputError(f"{display_path(folder)}: holds neither {stem}.csv nor {stem}.parquet; it is not a run folder")


def scan_text(folder: Path, stem: str, listed: Collection[str] | None = None) -> pl.LazyFrame:
    """The run's table `stem` with every column as text, as the run had it (for the notice)."""
    path = table_file(folder, stem, listed)
    if path.suffix == ".parquet":
        return pl.scan_parquet(path).select(pl.all().cast(pl.String))
    lines = pl.scan_csv(path, infer_schema=False)  # polars drops a UTF-8 BOM (outputs: {csv_bom: true})
    return lines.select(_unguarded(name) for name in lines.collect_schema().names())


def scan_table(folder: Path, stem: str, listed: Collection[str] | None = None) -> pl.LazyFrame:
    """The run's table `stem` as the run had it: text columns as text, integer columns as Int64."""
    path = table_file(folder, stem, listed)
    if path.suffix == ".parquet":
        return pl.scan_parquet(path)
    text = scan_text(folder, stem, listed)
    return text.with_columns(pl.col(n).cast(pl.Int64) for n in text.collect_schema().names() if n in INTEGERS)


def read_quotas(folder: Path, listed: Collection[str] | None = None) -> pl.DataFrame:
    """quotas.csv or quotas.parquet of a run (or variant) folder, as the run had it."""
    return scan_table(folder, "quotas", listed).collect()


def read_tiers(folder: Path, listed: Collection[str] | None = None) -> pl.DataFrame:
    """tiers.csv or tiers.parquet of a run (or variant) folder, as the run had it."""
    return scan_table(folder, "tiers", listed).collect()


def _unguarded(name: str) -> pl.Expr:
    """A CSV text cell without the `'` that the CSV writer put before a formula-like text."""
    text = pl.col(name)
    quoted = text.str.starts_with("'") & text.str.slice(1).str.contains(FORMULA_START)
    return pl.when(quoted).then(text.str.slice(1)).otherwise(text).alias(name)


__all__ = ["FORMATS", "INTEGERS", "read_quotas", "read_tiers", "scan_table", "scan_text", "table_file"]
