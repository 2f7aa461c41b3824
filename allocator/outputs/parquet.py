"""Parquet outputs (`outputs: {format: parquet}`): tiers.parquet and quotas.parquet, long format,
the same columns, rows and order as tiers.csv and quotas.csv.

Why Parquet: it is columnar and compressed, so a quotas table of millions of rows is some twenty
times smaller than its CSV, and readers (polars, pandas, DuckDB, Spark) load the columns they
need without parsing the rest. The text columns repeat a few values (product, ladder, tier,
segment, source), and polars writes such a column dictionary-encoded: each distinct value once
per row group, then small integer codes. polars chooses per column chunk: where every value of a
row group is distinct (client_id of a million clients) it stores them plain, as a dictionary
would only add size. Numbers stay typed (integers as 64-bit integers).

No formula guard: Parquet is not a spreadsheet format (Excel does not open it), so a text that
starts with `=` is stored as it is, and readers get the values the run had. An empty text is
stored as null, as the CSV writes it (an empty cell), so the two formats hold the same rows.

The bytes depend only on the values and the polars version (its footer names it): polars writes
no timestamp, the compression and its level are fixed here, and the row groups do not depend on
the number of threads (1M x 20 checked with POLARS_MAX_THREADS=1 and 2; tests/outputs_parquet
checks two runs byte for byte).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

import polars as pl
from polars.io.plugins import register_io_source

COMPRESSION: Final = "zstd"
COMPRESSION_LEVEL = 3  # polars' default, written down so that a new default cannot change the bytes


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    """One frame as a Parquet file: text as text (an empty one as null), numbers typed."""
    write_parquet_parts([df], path)


def write_parquet_parts(parts: Iterable[pl.DataFrame], path: Path) -> None:
    """Several frames with the same columns as one Parquet file, one at a time, in order.

    quotas.parquet is one part per product: the parts are pulled from `parts` as the writer
    needs them, so at most one of them is in memory beside what the run holds anyway (never one
    frame of all of them: 10 M clients x 20 products would be 200 M rows)."""
    stream = iter(parts)
    first = next(stream, None)
    if first is None:
        raise ValueError("write_parquet_parts needs at least one part")
    schema = _stored(first).schema

    def source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        del batch_size  # a part is a product: its size is the number of clients
        left = n_rows
        for part in itertools.chain([first], stream):
            df = _stored(part)
            if df.schema != schema:  # the run gives every product the same columns; a bug if not
                raise ValueError(f"a part of {path.name} has the columns {df.schema}, not {schema}")
            if predicate is not None:
                df = df.filter(predicate)
            if with_columns is not None:
                df = df.select(with_columns)
            if left is not None:
                df, left = df.head(left), left - min(left, df.height)
            yield df
            if left == 0:
                return

    lazy = register_io_source(source, schema=schema, explain_name="allocator parts")
    lazy.sink_parquet(path, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL, maintain_order=True)


def _stored(df: pl.DataFrame) -> pl.DataFrame:
    """The part as stored: text columns as String, an empty text as null (only the columns that
    hold one are rewritten, so the usual part is written from the run's own buffers)."""
    fixed = []
    for name, dtype in df.schema.items():
        if not _is_text(dtype):
            continue
        text = df[name].cast(pl.String)
        if (text == "").any():
            fixed.append(text.replace("", None))
        elif dtype != pl.String:
            fixed.append(text)
    return df.with_columns(fixed) if fixed else df


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


__all__ = ["COMPRESSION", "COMPRESSION_LEVEL", "write_parquet", "write_parquet_parts"]
