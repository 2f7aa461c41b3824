"""Parquet snapshots: the header, the declared columns only, and column types that fit their kind."""

from __future__ import annotations

import io
from collections.abc import Mapping

import polars as pl
from polars.exceptions import PanicException

from allocator.errors import SnapshotError
from allocator.inputs.snapshot_cells import ID, KIND_WORDS, Column


def _parquet_errors() -> tuple[type[BaseException], ...]:
    return (pl.exceptions.PolarsError, OSError, ValueError, PanicException)


def parquet_header(raw: bytes, display: str) -> list[str]:
    try:
        return list(pl.read_parquet_schema(io.BytesIO(raw)))
    except _parquet_errors() as exc:
        raise SnapshotError(f"{display}: cannot be read as Parquet: {_first_line(exc)}") from None


def parquet_frame(raw: bytes, display: str, names: Mapping[str, str]) -> pl.DataFrame:
    """Only the columns the rules read: other columns may have any type, even unreadable ones."""
    try:
        frame = pl.read_parquet(io.BytesIO(raw), columns=list(names.values()))
    except _parquet_errors() as exc:
        raise SnapshotError(f"{display}: cannot be read as Parquet: {_first_line(exc)}") from None
    return frame.rename({source: name for name, source in names.items() if source != name})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_parquet_types(frame: pl.DataFrame, columns: Mapping[str, Column], display: str, ids: str = ID) -> None:
    """Refuse a declared column whose Parquet type cannot hold its kind; `ids` names the id column."""
    lines = []
    for name, dtype in frame.schema.items():
        kind = "text" if name == ID else columns[name].spec.type
        if not _holds(dtype, kind):
            needs = "client ids must be text or integers" if name == ID else f"{name} is declared {KIND_WORDS[kind]}"
            shown = ids if name == ID else name
            lines.append(f"{display}: column {shown}: its Parquet type is {dtype.base_type()}, but {needs}")
    if lines:
        raise SnapshotError("\n".join(lines))


def _holds(dtype: pl.DataType, kind: str) -> bool:
    """Whether a Parquet column of this type can hold values of a declared kind."""
    if dtype in (pl.String, pl.Null) or dtype.is_integer():
        return True
    if kind in ("number", "integer"):
        return dtype.is_float() or isinstance(dtype, pl.Decimal)
    return isinstance(dtype, pl.Categorical | pl.Enum)
