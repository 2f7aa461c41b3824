"""load_snapshot: the whole message of every SnapshotError, and the whole frame of a good load.

Rows are numbered as a spreadsheet shows them: the CSV header is row 1, so the first client is
row 2; Parquet rows count from 1.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from allocator.errors import SnapshotError
from allocator.inputs.models import FieldSpec
from allocator.inputs.snapshot_cells import Column
from allocator.inputs.snapshots import load_snapshot

COLUMNS = {
    "market": Column("market", FieldSpec(type="category", values=["city", "village"]), ("city", "village")),
    "volume": Column("volume", FieldSpec(type="number", min=0, max=1000)),
    "violations": Column("violations", FieldSpec(type="integer", min=0)),
    "current_tier": Column("current_tier", FieldSpec(type="tier", optional=True), ("A", "B", "C")),
}
HEADER = "client_id,market,volume,violations,current_tier\n"
SCHEMA = {
    "_row": pl.UInt32,
    "client_id": pl.String,
    "market": pl.String,
    "volume": pl.Float64,
    "violations": pl.Int64,
    "current_tier": pl.String,
}


def _write(tmp_path: Path, text: str | bytes, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path, path.name, COLUMNS)
    return str(info.value)


def _csv_error(tmp_path: Path, text: str | bytes, name: str = "clients.csv") -> str:
    return _error(_write(tmp_path, text, name))


# --- successful loads -------------------------------------------------------------------------


def test_good_csv_loads_typed_sorted_by_client_id_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "c2,city,10,0,A\n"
        + "c10,village,2.5,3,\n"  # empty optional cell
        + " c3 ,city, 7 ,1,B\n"  # cells are stripped
        + "c1,village,0,2.0,C\n",  # 2.0 is a whole number
    )
    got = load_snapshot(path, "clients.csv", COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [5, 3, 2, 4],
            "client_id": ["c1", "c10", "c2", "c3"],
            "market": ["village", "village", "city", "city"],
            "volume": [0.0, 2.5, 10.0, 7.0],
            "violations": [2, 3, 0, 1],
            "current_tier": ["C", None, "A", "B"],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got, expected)


def test_optional_column_absent_entirely_loads_as_all_null(tmp_path: Path) -> None:
    path = _write(tmp_path, "client_id,market,volume,violations\nc2,city,1,0\nc1,village,2,1\n")
    got = load_snapshot(path, "clients.csv", COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [3, 2],
            "client_id": ["c1", "c2"],
            "market": ["village", "city"],
            "volume": [2.0, 1.0],
            "violations": [1, 0],
            "current_tier": [None, None],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got, expected)


def test_good_parquet_loads_with_rows_counted_from_one(tmp_path: Path) -> None:
    path = tmp_path / "clients.parquet"
    pl.DataFrame(
        {
            "client_id": ["p2", "p1"],
            "market": ["city", "village"],
            "volume": [1.5, 3.0],
            "violations": [0, 1],
            "current_tier": ["A", None],
            "unused": ["x", "y"],
        }
    ).write_parquet(path)
    got = load_snapshot(path, "clients.parquet", COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [2, 1],
            "client_id": ["p1", "p2"],
            "market": ["village", "city"],
            "volume": [3.0, 1.5],
            "violations": [1, 0],
            "current_tier": [None, "A"],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got, expected)


def test_bad_parquet_values_name_rows_counted_from_one(tmp_path: Path) -> None:
    path = tmp_path / "clients.parquet"
    pl.DataFrame(
        {"client_id": ["p1", "p2"], "market": ["city", "village"], "volume": [1.5, None], "violations": [0, -1]}
    ).write_parquet(path)
    assert _error(path) == (
        "clients.parquet: row 2, column violations: -1 is below the minimum 0\n"
        "clients.parquet: row 2, column volume: empty, but this column may not be empty"
    )


# --- columns ----------------------------------------------------------------------------------


def test_missing_columns_with_did_you_mean_and_the_column_list(tmp_path: Path) -> None:
    text = "client_id,markt,volume,current_tier\nc1,city,1,A\n"
    assert _csv_error(tmp_path, text) == (
        "clients.csv: missing column 'market'; did you mean 'markt'?\n"
        "clients.csv: missing column 'violations'\n"
        "clients.csv: the columns are: client_id, volume, current_tier and 1 the rules do not read"
    )


def test_missing_client_id_column(tmp_path: Path) -> None:
    text = "id,market,volume,violations\nc1,city,1,0\n"
    assert _csv_error(tmp_path, text) == (
        "clients.csv: missing column 'client_id'\n"
        "clients.csv: the columns are: market, volume, violations and 1 the rules do not read"
    )


# --- client ids -------------------------------------------------------------------------------


def test_duplicate_client_ids_name_the_first_row_and_count_the_rest(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\nc2,city,1,0,A\nc1,city,1,0,A\nc2,city,1,0,A\n c1 ,city,1,0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 4, column client_id: duplicate client id 'c1' (first on row 2) (2 more rows like this)"
    )


def test_empty_client_ids(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\n,city,1,0,A\n  ,city,1,0,A\n,city,1,0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column client_id: a client id is empty (2 more rows like this)"
    )


def test_one_more_row_is_singular(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\n,city,1,0,A\n,city,1,0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column client_id: a client id is empty (1 more row like this)"
    )


# --- values -----------------------------------------------------------------------------------


def test_non_numeric_values(tmp_path: Path) -> None:
    rows = 'c1,city,lots,0,A\nc2,city,12a,0,A\nc3,city,"1,5",0,A\nc4,city,1,x,A\n'
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 2, column volume: 'lots' is not a number (2 more rows like this)\n"
        "clients.csv: row 5, column violations: 'x' is not a number"
    )


def test_below_the_minimum(tmp_path: Path) -> None:
    rows = "c1,city,-3,0,A\nc2,city,5,0,A\nc3,city,5,-1,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 2, column volume: -3 is below the minimum 0\n"
        "clients.csv: row 4, column violations: -1 is below the minimum 0"
    )


def test_above_the_maximum(tmp_path: Path) -> None:
    rows = "c1,city,1000,0,A\nc2,city,1000.5,0,A\nc3,city,2000,0,A\nc4,city,1001,0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column volume: 1000.5 is above the maximum 1000 (2 more rows like this)"
    )


def test_non_integer_in_an_integer_column(tmp_path: Path) -> None:
    rows = "c1,city,1,1.5,A\nc2,city,1,2.0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == ("clients.csv: row 2, column violations: 1.5 is not a whole number")


def test_nan_and_infinity_are_reported_once_as_not_finite(tmp_path: Path) -> None:
    # NaN and inf are not also "above the maximum" or "below the minimum": one problem per cell.
    rows = "c1,city,NaN,0,A\nc2,city,inf,0,A\nc3,city,-inf,0,A\nc4,city,1,inf,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 2, column volume: NaN is not a finite number (2 more rows like this)\n"
        "clients.csv: row 5, column violations: inf is not a finite number"
    )


def test_unknown_category_value(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\nc2,town,1,0,A\nc3,towm,1,0,A\nc4,City,1,0,A\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column market: unknown value 'town'; expected one of city, village (2 more rows like this)"
    )


def test_unknown_tier(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\nc2,city,1,0,E\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column current_tier: unknown tier 'E'; expected one of A, B, C"
    )


def test_null_in_non_optional_columns(tmp_path: Path) -> None:
    rows = "c1,,1,0,A\nc2,city,,0,A\nc3,city,1,,\nc4,city,  ,0,\nc5,city,,0,B\n"
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 2, column market: empty, but this column may not be empty\n"
        "clients.csv: row 3, column volume: empty, but this column may not be empty (2 more rows like this)\n"
        "clients.csv: row 4, column violations: empty, but this column may not be empty"
    )


def test_several_problems_at_once_sorted_by_row(tmp_path: Path) -> None:
    rows = (
        "c1,city,1,0,A\n"
        "c2,town,5,0.5,A\n"  # row 3: market, violations
        "c1,city,x,0,A\n"  # row 4: client_id, volume
        "c3,city,1,0,E\n"  # row 5: current_tier
    )
    assert _csv_error(tmp_path, HEADER + rows) == (
        "clients.csv: row 3, column market: unknown value 'town'; expected one of city, village\n"
        "clients.csv: row 3, column violations: 0.5 is not a whole number\n"
        "clients.csv: row 4, column client_id: duplicate client id 'c1' (first on row 2)\n"
        "clients.csv: row 4, column volume: 'x' is not a number\n"
        "clients.csv: row 5, column current_tier: unknown tier 'E'; expected one of A, B, C"
    )


# --- the file itself --------------------------------------------------------------------------


def test_header_only(tmp_path: Path) -> None:
    assert _csv_error(tmp_path, HEADER) == "clients.csv: no client rows (only a header)"


def test_empty_file(tmp_path: Path) -> None:
    assert _csv_error(tmp_path, "") == "clients.csv: the file is empty; expected a header row and client rows"


def test_no_such_file(tmp_path: Path) -> None:
    assert _error(tmp_path / "clients.csv") == "clients.csv: no such file"


def test_not_utf8_names_the_row_and_the_byte(tmp_path: Path) -> None:
    # 中华 in GBK; the bad byte is at offset 65, counting from 0 (header 48 bytes, first row 14, then "c2,").
    raw = HEADER.encode() + b"c1,city,1,0,A\nc2,\xd6\xd0,1,0,A\n"
    assert _csv_error(tmp_path, raw) == (
        "clients.csv: row 3: not UTF-8 text (byte 0xd6 at offset 65);"
        ' it looks like GBK/GB18030 (Chinese Excel): save it as "CSV UTF-8"'
    )


def test_ragged_row_with_too_many_values(tmp_path: Path) -> None:
    rows = "c1,city,1,0,A\nc2,city,1,0,A,extra\n"
    assert _csv_error(tmp_path, HEADER + rows) == "clients.csv: row 3: 6 values, but the header has 5 columns"


def test_ragged_row_with_too_few_values_is_not_read_as_empty_cells(tmp_path: Path) -> None:
    # The missing cell is an optional column: reading it as empty would hide a broken row.
    rows = "c1,city,1,0,A\nc2,city,1,0\n"
    assert _csv_error(tmp_path, HEADER + rows) == "clients.csv: row 3: 4 values, but the header has 5 columns"


def test_unknown_suffix(tmp_path: Path) -> None:
    assert _csv_error(tmp_path, HEADER, "clients.xls") == (
        "clients.xls: unknown snapshot format '.xls'; use .csv, .parquet or .xlsx"
    )
