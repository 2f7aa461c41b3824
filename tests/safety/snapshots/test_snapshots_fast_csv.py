"""The fast CSV reading (a byte scan, then polars) gives exactly what the strict csv module reads.

Every CSV snapshot with plain RFC 4180 quoting is read by polars after a scan of its bytes; the
csv module reads the rest. Whatever the bytes, both must give the same header and rows, or the
same message.
"""

from __future__ import annotations

from unittest import mock

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from allocator.errors import SnapshotError
from allocator.inputs import csv_reading
from allocator.inputs.csv_reading import _parse_quoted, read_csv_text

# The bytes that decide CSV structure, and a few that must not.
PIECES = st.sampled_from(['"', '""', ",", "\n", "\r\n", "\r", "a", "b", " ", "é", "\u2028", "\x85", "1", '"x"'])


def _outcome(read: object, *args: object) -> tuple[list[str], list[tuple[str | None, ...]]] | str:
    try:
        header, frame = read(*args)  # type: ignore[operator]
    except SnapshotError as exc:
        return str(exc)
    # A value read as "" or as null is the same to the loader (empty cells are stripped to null).
    rows = [tuple(v or None for v in row) for row in frame.rows()]
    return header, rows


def _strict(raw: bytes) -> object:
    text = raw.decode().removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return _outcome(_parse_quoted, text, "clients.csv")


# The scan's block size: small blocks put block ends inside quoted values, doubled quotes and CRLF.
BLOCKS = st.sampled_from([1, 2, 3, 5, 8, csv_reading._SCAN_BLOCK])


@given(st.lists(PIECES, max_size=40).map("".join), BLOCKS)
@example('id,v\n"a\nb",1\n', 1)
@example('id,v\n"a""b",1\n"",2\n', 2)
@example('id,v\n"a"b,1\n', 3)
@example('id,v\nab"c,1\n', 1)
@example('id,v\n"a,1\n', 2)
@example('id,v\n"a",1\n"b"\n', 5)
@example('id,v\r"a",1\r"b",2', 1)
@example('"id","v"\n"a","1"\n\n', 3)
@example('id\n""\n', 1)
def test_fast_reading_is_the_strict_reading(text: str, block: int) -> None:
    raw = text.encode()
    if not text.strip():
        return  # refused before any reading: the file is empty
    with mock.patch.object(csv_reading, "_SCAN_BLOCK", block):
        fast = _outcome(read_csv_text, raw, "clients.csv")
    assert fast == _strict(raw)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id,v\n"a",1\n"b"\n', "clients.csv: row 3: 1 values, but the header has 2 columns"),
        (
            'id,v\n"a",1,2\n"b",2\n"c"\n',
            "clients.csv: row 2: 3 values, but the header has 2 columns (1 more row like this)",
        ),
        ('id,v\n"a\nb",1\n\n', "clients.csv: row 3: an empty line, but the header has 2 columns"),
        ('id,v\n"a,1\n', 'clients.csv: row 2: a quoted value is never closed (a " is missing)'),
    ],
)
def test_quoted_widths_are_checked_by_record(text: str, message: str) -> None:
    with pytest.raises(SnapshotError) as err:
        read_csv_text(text.encode(), "clients.csv")
    assert str(err.value) == message


def test_quoted_values_with_quotes_and_line_feeds_are_read_exactly() -> None:
    header, frame = read_csv_text(b'"id","note"\r\n"a ""b""","x\r\ny"\r\nc,\r\n', "clients.csv")
    assert header == ["id", "note"]
    assert frame.rows() == [('a "b"', "x\ny"), ("c", None)]
    assert frame.schema == pl.Schema({"c0": pl.String, "c1": pl.String})
