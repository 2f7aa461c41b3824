"""Hostile snapshots found by review: each test asserts the whole message, or the whole frame.

Rows are numbered as a spreadsheet shows them (the CSV header is row 1); Parquet rows count from 1.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from allocator.errors import SnapshotError
from allocator.inputs.models import FieldSpec
from allocator.inputs.reading import file_problem
from allocator.inputs.snapshot_cells import Column
from allocator.inputs.snapshots import SnapshotWarning, load_snapshot, read_snapshot

COLUMNS = {
    "market": Column("market", FieldSpec(type="category", values=["city", "village"]), ("city", "village")),
    "volume": Column("volume", FieldSpec(type="number", min=0)),
    "violations": Column("violations", FieldSpec(type="integer", min=0)),
    "order_p1": Column("order_p1", FieldSpec(type="integer", min=0)),
}
HEADER = "client_id,market,volume,violations,order_p1\n"
SCHEMA = {
    "_row": pl.UInt32,
    "client_id": pl.String,
    "market": pl.String,
    "volume": pl.Float64,
    "violations": pl.Int64,
    "order_p1": pl.Int64,
}
LIMIT = 2**53 - 1


def _write(tmp_path: Path, content: str | bytes, name: str = "clients.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def _error(path: Path, columns: dict[str, Column] = COLUMNS) -> str:
    with pytest.raises(SnapshotError) as info:
        load_snapshot(path, path.name, columns)
    return str(info.value)


def _parquet(tmp_path: Path, frame: pl.DataFrame) -> Path:
    path = tmp_path / "clients.parquet"
    frame.write_parquet(path)
    return path


# --- integers stay exact ------------------------------------------------------------------------


def test_orders_beyond_the_exact_range_are_refused_not_read_as_no_order(tmp_path: Path) -> None:
    rows = (
        "c1,city,1,0,99999999999999999999\n"
        "c2,city,1,0,9223372036854775807\n"  # the int64 maximum
        "c3,city,1,0,9007199254740992\n"  # 2^53: the first integer a float cannot tell from its neighbour
        "c4,city,9007199254740993,0,1\n"
        "c5,city,1,-99999999999999999999,1\n"
        "c6,city,1e400,1e400,1\n"
    )
    assert _error(_write(tmp_path, HEADER + rows)) == (
        "clients.csv: row 2, column order_p1: 99999999999999999999 is out of range"
        " (the limit is ±9007199254740991, 2^53 - 1) (2 more rows like this)\n"
        "clients.csv: row 5, column volume: 9007199254740993 is out of range"
        " (the limit is ±9007199254740991, 2^53 - 1) (1 more row like this)\n"
        "clients.csv: row 6, column violations: -99999999999999999999 is out of range"
        " (the limit is ±9007199254740991, 2^53 - 1) (1 more row like this)"
    )


def test_integers_up_to_the_limit_load_exactly(tmp_path: Path) -> None:
    rows = f"c1,city,{LIMIT},{LIMIT},{LIMIT}\nc2,city,-0,2.0,1e3\nc3,city,0.5,+7,007\n"
    got = load_snapshot(_write(tmp_path, HEADER + rows), "clients.csv", COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [2, 3, 4],
            "client_id": ["c1", "c2", "c3"],
            "market": ["city"] * 3,
            "volume": [float(LIMIT), -0.0, 0.5],
            "violations": [LIMIT, 2, 7],
            "order_p1": [LIMIT, 1000, 7],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got, expected)


def test_a_fraction_a_float_would_round_to_a_whole_number_is_not_whole(tmp_path: Path) -> None:
    # 2^52 + 0.5 rounds to 2^52 as a float: it must still be "not a whole number".
    rows = "c1,city,1,4503599627370496.5,1\nc2,city,1,1.5e0,1\n"
    assert _error(_write(tmp_path, HEADER + rows)) == (
        "clients.csv: row 2, column violations: 4503599627370496.5 is not a whole number (1 more row like this)"
    )


def test_parquet_integers_out_of_range_and_floats_in_integer_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "client_id": [1, 2, 3],
            "market": ["city", "city", "village"],
            "volume": pl.Series([1.0, 1e20, 2.5]),
            "violations": pl.Series([0, 1, 2], dtype=pl.UInt8),
            "order_p1": pl.Series([2**64 - 1, 9223372036854775807, 5], dtype=pl.UInt64),
        }
    )
    assert _error(_parquet(tmp_path, frame)) == (
        "clients.parquet: row 1, column order_p1: 18446744073709551615 is out of range"
        " (the limit is ±9007199254740991, 2^53 - 1) (1 more row like this)\n"
        "clients.parquet: row 2, column volume: 100000000000000000000 is out of range"
        " (the limit is ±9007199254740991, 2^53 - 1)"
    )


def test_parquet_integer_column_of_whole_floats_and_decimals_loads_exactly(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "client_id": ["p1", "p2"],
            "market": pl.Series(["city", "village"], dtype=pl.Categorical),
            "volume": pl.Series(["1.25", "3"], dtype=pl.Decimal(20, 2)),
            "violations": pl.Series([2.0, float(LIMIT)], dtype=pl.Float64),
            "order_p1": pl.Series([LIMIT, 0], dtype=pl.Int64),
        }
    )
    got = load_snapshot(_parquet(tmp_path, frame), "clients.parquet", COLUMNS)
    expected = pl.DataFrame(
        {
            "_row": [1, 2],
            "client_id": ["p1", "p2"],
            "market": ["city", "village"],
            "volume": [1.25, 3.0],
            "violations": [2, LIMIT],
            "order_p1": [LIMIT, 0],
        },
        schema=SCHEMA,
    )
    assert_frame_equal(got, expected)


# --- headers ------------------------------------------------------------------------------------


def test_a_duplicated_header_is_refused_with_both_columns(tmp_path: Path) -> None:
    text = "client_id,market,volume,violations,order_p1,note,volume\nc1,city,1,0,1,x,2\n"
    assert _error(_write(tmp_path, text)) == "clients.csv: row 1: column 'volume' appears twice (columns 3 and 7)"


def test_headers_equal_but_for_whitespace_or_a_bom_are_duplicates(tmp_path: Path) -> None:
    text = "\ufeffclient_id,market, volume,violations,order_p1,\ufeffvolume ,market\u00a0,market\nc1,city,1,0,1,2,3,4\n"
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: row 1: column 'market' appears 3 times (columns 2, 7 and 8)\n"
        "clients.csv: row 1: column 'volume' appears twice (columns 3 and 6)"
    )


def test_surrounding_whitespace_in_a_header_is_ignored(tmp_path: Path) -> None:
    text = " client_id ,market,\tvolume ,violations,order_p1\nc1,city,1,0,1\n"
    got = load_snapshot(_write(tmp_path, text), "clients.csv", COLUMNS)
    assert got.columns == ["_row", "client_id", "market", "volume", "violations", "order_p1"]
    assert got.row(0) == (2, "c1", "city", 1.0, 0, 1)


def test_empty_header_names_and_undeclared_duplicates_do_not_show_their_names(tmp_path: Path) -> None:
    text = "client_id,,market,volume,violations,order_p1,password,password,  \nc1,,city,1,0,1,hunter2,hunter2,\n"
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: row 1: column 2 has no name\n"
        "clients.csv: row 1: a column the rules do not read appears twice (columns 7 and 8)\n"
        "clients.csv: row 1: column 9 has no name"
    )


def test_missing_columns_do_not_list_undeclared_headers(tmp_path: Path) -> None:
    text = "user,password,markt\nbob,hunter2,city\n"
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: missing column 'client_id'\n"
        "clients.csv: missing column 'market'; did you mean 'markt'?\n"
        "clients.csv: missing column 'volume'\n"
        "clients.csv: missing column 'violations'\n"
        "clients.csv: missing column 'order_p1'\n"
        "clients.csv: the file has 3 columns, none of them read by the rules"
    )


def test_missing_column_lists_the_declared_headers_and_counts_the_rest(tmp_path: Path) -> None:
    text = "client_id,secret,market,volume,violations,pin\nc1,hunter2,city,1,0,1234\n"
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: missing column 'order_p1'\n"
        "clients.csv: the columns are: client_id, market, volume, violations and 2 the rules do not read"
    )


def test_values_of_undeclared_columns_never_appear(tmp_path: Path) -> None:
    text = HEADER.replace("\n", ",password\n") + 'c1,city,1,0,1,hunter2\nc2,city,x,0,1,"hunter2"x"\n'
    message = _error(_write(tmp_path, text))
    assert (
        message
        == "clients.csv: row 3: a value goes on after its closing quote; quote the whole value and double any quote inside it"
    )


# --- Parquet types ------------------------------------------------------------------------------


def test_parquet_columns_of_the_wrong_type_name_both_types(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "client_id": pl.Series([b"p1", b"p2"], dtype=pl.Binary),
            "market": pl.Series([["city"], ["village"]]),
            "volume": pl.Series([dt.date(2026, 1, 1), dt.date(2026, 1, 2)]),
            "violations": pl.Series([True, False]),
            "order_p1": pl.Series([{"a": 1}, {"a": 2}]),
        }
    )
    assert _error(_parquet(tmp_path, frame)) == (
        "clients.parquet: column client_id: its Parquet type is Binary, but client ids must be text or integers\n"
        "clients.parquet: column market: its Parquet type is List, but market is declared a category\n"
        "clients.parquet: column volume: its Parquet type is Date, but volume is declared a number\n"
        "clients.parquet: column violations: its Parquet type is Boolean, but violations is declared an integer\n"
        "clients.parquet: column order_p1: its Parquet type is Struct, but order_p1 is declared an integer"
    )


def test_parquet_undeclared_columns_of_any_type_are_ignored(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "client_id": ["p1"],
            "market": ["city"],
            "volume": [1.5],
            "violations": [0],
            "order_p1": [3],
            "when": [dt.datetime(2026, 1, 1, 12)],
            "tags": [["a", "b"]],
            "blob": [b"\x00\xff"],
            "nested": [{"a": 1, "b": [1.5]}],
            "nothing": pl.Series([None], dtype=pl.Null),
            "money": pl.Series(["1.5"], dtype=pl.Decimal(10, 2)),
        }
    )
    got = load_snapshot(_parquet(tmp_path, frame), "clients.parquet", COLUMNS)
    assert got.rows() == [(1, "p1", "city", 1.5, 0, 3)]
    assert dict(got.schema) == SCHEMA


# --- lookalike client ids -----------------------------------------------------------------------


def test_client_ids_that_differ_only_in_invisible_characters_or_unicode_form_are_refused(tmp_path: Path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "é1"), unicodedata.normalize("NFD", "é1")
    ids = ["c1", "c1\u200b", "\ufeffc1", nfc, nfd, "ｃ２", "c2"]
    text = HEADER + "".join(f"{i},city,1,0,1\n" for i in ids)
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: row 3, column client_id: client id 'c1\\u200b' looks the same as 'c1' (row 2):"
        " they differ only in invisible characters or Unicode form (3 more rows like this)"
    )


def test_ids_differing_only_in_case_or_with_invisible_characters_load_with_warnings(tmp_path: Path) -> None:
    text = HEADER + "c1,city,1,0,1\nC1,city,1,0,1\nx3\u200d,city,1,0,1\nC3,city,1,0,1\nc3,city,1,0,1\n"
    got = read_snapshot(_write(tmp_path, text), "clients.csv", COLUMNS)
    assert got.clients["client_id"].to_list() == ["C1", "C3", "c1", "c3", "x3\u200d"]
    assert got.warnings == (
        SnapshotWarning(3, "client_id", "client id 'C1' differs from 'c1' (row 2) only in letter case", 1),
        SnapshotWarning(4, "client_id", "client id 'x3\\u200d' has invisible characters in it"),
    )
    assert [w.render("clients.csv") for w in got.warnings] == [
        "clients.csv: row 3, column client_id: warning: client id 'C1' differs from 'c1' (row 2) only in letter case"
        " (1 more row like this)",
        "clients.csv: row 4, column client_id: warning: client id 'x3\\u200d' has invisible characters in it",
    ]


# --- line endings and quotes --------------------------------------------------------------------


def test_cr_only_line_endings_are_read_as_lines(tmp_path: Path) -> None:
    text = HEADER.replace("\n", "\r") + "c2,city,1,0,1\rc1,village,2,3,4\r"
    got = load_snapshot(_write(tmp_path, text), "clients.csv", COLUMNS)
    assert got.rows() == [(3, "c1", "village", 2.0, 3, 4), (2, "c2", "city", 1.0, 0, 1)]


def test_an_unclosed_quote_names_the_row_where_the_value_starts(tmp_path: Path) -> None:
    text = HEADER + 'c1,city,1,0,1\nc2,"city,1,0,1\nc3,city,1,0,1\n'
    assert _error(_write(tmp_path, text)) == 'clients.csv: row 3: a quoted value is never closed (a " is missing)'


def test_a_nul_byte_is_refused_with_its_row(tmp_path: Path) -> None:
    text = HEADER + "c1,city,1,0,1\nc2\x00,city,1,0,1\n"
    assert _error(_write(tmp_path, text)) == (
        "clients.csv: row 3: a NUL byte (0x00) at offset 60; this is not a text file"
    )


# --- files that are not regular files -----------------------------------------------------------


def _load_in_subprocess(path: Path) -> subprocess.CompletedProcess[str]:
    # In a child process, so that a blocking open fails the test instead of hanging it.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from allocator.errors import SnapshotError\n"
        "from allocator.inputs.snapshots import load_snapshot\n"
        "try:\n"
        "    load_snapshot(Path(sys.argv[1]), 'clients.csv', {})\n"
        "except SnapshotError as exc:\n"
        "    print(exc)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    os.mkfifo(path)
    done = _load_in_subprocess(path)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "clients.csv: is a named pipe (FIFO), not a regular file\n",
        "",
    )
    assert file_problem(path) == "is a named pipe (FIFO), not a regular file"


def test_a_character_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.symlink_to("/dev/zero")  # endless: reading it would never finish
    done = _load_in_subprocess(path)
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "clients.csv: is a character device, not a regular file\n",
        "",
    )


def test_a_symlink_loop_and_a_dangling_symlink(tmp_path: Path) -> None:
    loop, other = tmp_path / "clients.csv", tmp_path / "other.csv"
    loop.symlink_to(other)
    other.symlink_to(loop)
    assert _error(loop) == "clients.csv: is a symbolic link that loops"
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "gone.csv")
    assert _error(dangling) == "dangling.csv: no such file"
    assert file_problem(loop) == "is a symbolic link that loops"
    assert file_problem(dangling) == "no such file"


def test_a_directory(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").mkdir()
    assert _error(tmp_path / "clients.csv") == "clients.csv: is a directory, not a file"
    assert file_problem(tmp_path / "clients.csv") == "is a directory, not a file"
    assert file_problem(tmp_path) == "is a directory, not a file"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, who may read anything: the refusal itself is simulated.
    path = _write(tmp_path, HEADER + "c1,city,1,0,1\n")

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    assert _error(path) == "clients.csv: permission denied"


# --- encodings ----------------------------------------------------------------------------------


def test_gbk_is_named_with_the_fix(tmp_path: Path) -> None:
    text = "client_id,name,market,volume,violations,order_p1\nc1,中华烟酒店,city,1,0,1\n"
    raw = text.encode("gbk")
    assert _error(_write(tmp_path, raw)) == (
        "clients.csv: row 2: not UTF-8 text (byte 0xd6 at offset 52); it looks like GBK/GB18030 (Chinese Excel):"
        ' save it as "CSV UTF-8"'
    )


def test_utf16_is_named_with_the_fix(tmp_path: Path) -> None:
    raw = (HEADER + "c1,city,1,0,1\n").encode("utf-16")
    assert _error(_write(tmp_path, raw)) == (
        'clients.csv: row 1: not UTF-8 text (byte 0xff at offset 0); it looks like UTF-16 (Excel "Unicode Text"):'
        ' save it as "CSV UTF-8"'
    )


def test_windows_1252_is_named_with_the_fix(tmp_path: Path) -> None:
    raw = (HEADER + "café1,city,1,0,1\n").encode("cp1252")
    assert _error(_write(tmp_path, raw)) == (
        "clients.csv: row 2: not UTF-8 text (byte 0xe9 at offset 47); it looks like Windows-1252 (Western Excel):"
        ' save it as "CSV UTF-8"'
    )


def test_a_quote_inside_an_unquoted_value_is_a_character_of_it(tmp_path: Path) -> None:
    # polars refuses this file; the csv module's reading (a literal quote) decides, as for any quoted file.
    text = HEADER + '"c1",city,1,0,1\nc"2,village,"2,5",0,1\n'
    with pytest.raises(SnapshotError) as info:
        load_snapshot(_write(tmp_path, text), "clients.csv", COLUMNS)
    assert str(info.value) == "clients.csv: row 3, column volume: '2,5' is not a number"
    good = HEADER + '"c1",city,1,0,1\nc"2,village,2.5,0,1\n'
    got = load_snapshot(_write(tmp_path, good), "clients.csv", COLUMNS)
    assert got.rows() == [(3, 'c"2', "village", 2.5, 0, 1), (2, "c1", "city", 1.0, 0, 1)]  # sorted by id
