"""Random snapshots against the demo's real field declarations: a clean SnapshotError or an exact load.

Each generated cell carries what it must load as (or that it is bad), so a successful load is checked
value by value against what was written, and a refusal must have a reason among the cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from allocator.errors import SnapshotError
from allocator.inputs.scenarios import load_rules, snapshot_columns
from allocator.inputs.snapshot_cells import Column
from allocator.inputs.snapshots import load_snapshot

ROOT = Path(__file__).resolve().parents[3]
COLUMNS: dict[str, Column] = snapshot_columns(*load_rules(ROOT / "rules/tiering.yaml", ROOT / "rules/allocation.yaml"))
LIMIT = 2**53 - 1
BAD = object()  # a cell that must make the load fail
# Unicode White_Space: what the loader strips from cells (Python's str.strip also strips \x1c-\x1f).
WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
SECRET = "SECRET"
SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _strip(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip(WHITESPACE)


def _in_bounds(value: Any, col: Column) -> bool:
    spec = col.spec
    return (spec.min is None or value >= spec.min) and (spec.max is None or value <= spec.max)


# --- cells as text: (text written, value expected or BAD) -------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00\x1c\x1d\x1e\x1f"), max_size=8)


@st.composite
def number_cell(draw: st.DrawFn, col: Column) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["float", "int", "bad", "empty", "huge"]))
    if kind == "float":
        x = draw(st.floats(min_value=-LIMIT, max_value=LIMIT, allow_nan=False))
        text = draw(st.sampled_from([repr(x), f"{x:.6f}", f" {x!r} "]))
        value = float(text)
    elif kind == "int":
        n = draw(st.integers(-LIMIT, LIMIT))
        text, value = str(n), float(n)
    elif kind == "huge":
        text = draw(st.sampled_from(["99999999999999999999", "9007199254740993", "-9223372036854775808", "1e400"]))
        return text, BAD
    elif kind == "empty":
        return draw(st.sampled_from(["", "  "])), None if col.spec.optional else BAD
    else:
        return draw(st.sampled_from(["NaN", "inf", "-Infinity", "abc", "1_0", "0x10", "1,5", "true"])), BAD
    return text, value if _in_bounds(value, col) else BAD


@st.composite
def integer_cell(draw: st.DrawFn, col: Column) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["int", "int", "decimal", "bad", "empty", "huge"]))
    if kind in ("int", "decimal"):
        n = draw(st.integers(-LIMIT, LIMIT) | st.integers(0, 20))
        forms = [str(n), f"{n}.0", f"{n}e0", f" {n} "] + ([f"+{n}", f"00{n}"] if n >= 0 else [])
        text = draw(st.sampled_from(forms if kind == "decimal" else [str(n)]))
        return text, n if _in_bounds(n, col) else BAD
    if kind == "huge":
        huge = ["99999999999999999999", "9223372036854775807", "9007199254740992", "-9007199254740992", "1e400"]
        return draw(st.sampled_from(huge)), BAD
    if kind == "empty":
        return "", None if col.spec.optional else BAD
    return draw(st.sampled_from(["1.5", "4503599627370496.5", "NaN", "inf", "x", "2,0", "1e-1"])), BAD


@st.composite
def choice_cell(draw: st.DrawFn, col: Column) -> tuple[str, Any]:
    if draw(st.booleans()) and col.allowed:
        value = draw(st.sampled_from(col.allowed))
        return draw(st.sampled_from([value, f" {value} "])), value
    text = draw(TEXT)
    value = _strip(text)
    if value == "":
        return text, None if col.spec.optional else BAD
    return text, value if not col.allowed or value in col.allowed else BAD


def cell(col: Column) -> st.SearchStrategy[tuple[str, Any]]:
    return {"number": number_cell, "integer": integer_cell}.get(col.spec.type, choice_cell)(col)


@st.composite
def csv_table(draw: st.DrawFn) -> tuple[bytes, list[str], dict[str, list[Any]], bool]:
    """Bytes of a CSV file, its declared columns' expected values, and whether it is bad anyway."""
    n = draw(st.integers(1, 5))
    names = [c for c in COLUMNS if not COLUMNS[c].spec.optional or draw(st.booleans())]
    extra = [f"zz_{SECRET}_{i}" for i in range(draw(st.integers(0, 2)))]
    header = draw(st.permutations(["client_id", *names, *extra]))
    hostile_ids = draw(st.booleans())
    expected: dict[str, list[Any]] = {c: [] for c in ["client_id", *names]}
    rows = []
    for i in range(n):
        row = {}
        for name in header:
            if name == "client_id":
                text = draw(st.sampled_from([f"c{i}", "c0", "", "c0\u200b", unicodedata.normalize("NFD", "é0")]))
                text = text if hostile_ids else f"c{i}"
                value = _strip(text) or BAD
            elif name in COLUMNS:
                text, value = draw(cell(COLUMNS[name]))
            else:
                text, value = draw(TEXT) + SECRET + draw(st.sampled_from(['"', ",", "\n", "", '""'])), None
            row[name] = text
            if name in expected:
                expected[name].append(value)
        rows.append([row[h] for h in header])
    written = list(header)
    duplicated = draw(st.booleans()) and draw(st.booleans())
    if duplicated:
        written.append(draw(st.sampled_from(header)))
        for r in rows:
            r.append("0")
    buffer = io.StringIO(newline="")
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(buffer, quoting=quoting, lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(written)
    writer.writerows(rows)
    text = ("\ufeff" if draw(st.booleans()) else "") + buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "gb18030", "utf-16", "cp1252"]))
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw, encoding = text.encode("utf-8"), "utf-8"
    hostile = hostile_ids or duplicated or (encoding != "utf-8" and raw != text.encode("utf-8"))
    return raw, header, expected, hostile


def _load(tmp_path: Path, raw: bytes, name: str = "clients.csv") -> pl.DataFrame:
    path = tmp_path / name
    path.write_bytes(raw)
    return load_snapshot(path, name, COLUMNS)


def _check_outcome(tmp_path: Path, raw: bytes, expected: dict[str, list[Any]], hostile: bool, name: str) -> None:
    bad = any(v is BAD for values in expected.values() for v in values)
    try:
        got = _load(tmp_path, raw, name)
    except SnapshotError as exc:
        assert bad or hostile, str(exc)
        assert SECRET not in str(exc)
        return
    assert not bad
    by_row = got.sort("_row")
    for column, values in expected.items():
        assert by_row[column].to_list() == values, column


@SETTINGS
@given(table=csv_table())
@example(table=(b"client_id,market\n", [], {}, True))
def test_random_csv_is_refused_cleanly_or_loaded_exactly(tmp_path: Path, table: Any) -> None:
    raw, _, expected, hostile = table
    _check_outcome(tmp_path, raw, expected, hostile, "clients.csv")


@SETTINGS
@given(
    raw=st.binary(max_size=200) | csv_table().map(lambda t: t[0]), cut=st.integers(0, 300), noise=st.binary(max_size=4)
)
def test_random_or_damaged_csv_bytes_never_crash(tmp_path: Path, raw: bytes, cut: int, noise: bytes) -> None:
    damaged = raw[:cut] + noise + raw[cut:]
    try:
        got = _load(tmp_path, damaged)
    except SnapshotError as exc:
        assert "Traceback" not in str(exc)
        return
    assert got.columns == ["_row", "client_id", *COLUMNS]


# --- Parquet ----------------------------------------------------------------------------------

DTYPES: list[pl.DataType] = [
    pl.Int8(), pl.Int16(), pl.Int32(), pl.Int64(), pl.UInt8(), pl.UInt16(), pl.UInt32(), pl.UInt64(),
    pl.Float32(), pl.Float64(), pl.Decimal(38, 2), pl.String(), pl.Categorical(), pl.Enum(["city", "village", "A"]),
    pl.Boolean(), pl.Date(), pl.Datetime("us"), pl.Duration("us"), pl.Time(), pl.Binary(), pl.List(pl.Int64()),
    pl.Struct({"a": pl.Int64()}), pl.Null(),
]  # fmt: skip


def _values_for(draw: st.DrawFn, dtype: pl.DataType, n: int, col: Column | None) -> list[Any]:
    """Values a column of this type can hold, near what the column declares."""
    none = st.none()
    if dtype.is_integer():
        lo, hi = (-(2**63), 2**63 - 1) if dtype.is_signed_integer() else (0, 2**64 - 1)
        bits = {pl.Int8: 8, pl.Int16: 16, pl.Int32: 32, pl.UInt8: 8, pl.UInt16: 16, pl.UInt32: 32}
        b = bits.get(dtype.base_type())  # type: ignore[call-overload]
        if b:
            lo, hi = (-(2 ** (b - 1)), 2 ** (b - 1) - 1) if dtype.is_signed_integer() else (0, 2**b - 1)
        small = st.integers(max(lo, -3), min(hi, 20))
        return [draw(small | st.integers(lo, hi) | none) for _ in range(n)]
    if dtype.is_float():
        return [
            draw(st.floats(width=32 if dtype == pl.Float32 else 64) | st.integers(0, 9).map(float) | none)
            for _ in range(n)
        ]
    if isinstance(dtype, pl.Decimal):
        return [
            draw(st.decimals(-(10**20), 10**20, places=2, allow_nan=False, allow_infinity=False) | none)
            for _ in range(n)
        ]
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        choices = list(col.allowed) if col is not None and col.allowed else ["7", "1.5", "x"]
        if isinstance(dtype, pl.Enum):
            choices = ["city", "village", "A"]
        return [
            draw(st.sampled_from(choices) | (TEXT if not isinstance(dtype, pl.Enum) else none) | none) for _ in range(n)
        ]
    if dtype == pl.Boolean:
        return [draw(st.booleans() | none) for _ in range(n)]
    if dtype == pl.Date:
        return [draw(st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)) | none) for _ in range(n)]
    if isinstance(dtype, pl.Datetime):
        return [draw(st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)) | none) for _ in range(n)]
    if isinstance(dtype, pl.Duration):
        return [draw(st.timedeltas(dt.timedelta(days=-9), dt.timedelta(days=9)) | none) for _ in range(n)]
    if dtype == pl.Time:
        return [draw(st.times() | none) for _ in range(n)]
    if dtype == pl.Binary:
        return [draw(st.binary(max_size=4) | none) for _ in range(n)]
    if isinstance(dtype, pl.List):
        return [draw(st.lists(st.integers(-5, 5), max_size=3) | none) for _ in range(n)]
    if isinstance(dtype, pl.Struct):
        return [draw(st.fixed_dictionaries({"a": st.integers(-5, 5)}) | none) for _ in range(n)]
    return [None] * n


def _expected(value: Any, dtype: pl.DataType, col: Column) -> Any:
    """What a Parquet value must load as in a declared column, or BAD."""
    kind = col.spec.type
    if value is None:
        return None if col.spec.optional else BAD
    if kind in ("number", "integer"):
        if isinstance(value, str):
            text = value.strip(WHITESPACE)
            if text == "":
                return None if col.spec.optional else BAD
            try:
                exact = Decimal(text)
            except ArithmeticError:
                return BAD
            if not text.replace(".", "", 1).lstrip("-").isdigit():
                return BAD  # only plain decimals are generated as valid number text
            value = exact
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return BAD
        exact = Decimal(value)
        if abs(exact) > LIMIT or (kind == "integer" and exact != exact.to_integral_value()):
            return BAD
        loaded: Any = int(exact) if kind == "integer" else float(value)
        return loaded if _in_bounds(loaded, col) else BAD
    text = str(value).strip(WHITESPACE)
    if text == "":
        return None if col.spec.optional else BAD
    return text if not col.allowed or text in col.allowed else BAD


def _holds(dtype: pl.DataType, kind: str) -> bool:
    if dtype in (pl.String, pl.Null) or dtype.is_integer():
        return True
    if kind in ("number", "integer"):
        return dtype.is_float() or isinstance(dtype, pl.Decimal)
    return isinstance(dtype, pl.Categorical | pl.Enum)


@st.composite
def parquet_table(draw: st.DrawFn) -> tuple[pl.DataFrame, dict[str, list[Any]], bool]:
    n = draw(st.integers(1, 4))
    id_type = draw(st.sampled_from([pl.String(), pl.Int64(), pl.Categorical(), pl.UInt8(), pl.Binary(), pl.Float64()]))
    ids: list[Any] = [f"p{i}" if id_type != pl.Binary else f"p{i}".encode() for i in range(n)]
    if id_type.is_integer() or id_type.is_float():
        ids = [i * 1.0 if id_type.is_float() else i for i in range(n)]
    data = {"client_id": pl.Series(ids, dtype=id_type)}
    expected: dict[str, list[Any]] = {"client_id": [str(i) for i in ids]}
    wrong_type = not _holds(id_type, "text")
    for name, col in COLUMNS.items():
        if col.spec.optional and draw(st.booleans()):
            continue
        dtype = draw(st.sampled_from(DTYPES))
        values = _values_for(draw, dtype, n, col)
        data[name] = pl.Series(values, dtype=dtype)
        if _holds(dtype, col.spec.type):
            expected[name] = [_expected(v, dtype, col) for v in data[name].to_list()]
        else:
            wrong_type = True
    for i in range(draw(st.integers(0, 2))):
        dtype = draw(st.sampled_from(DTYPES))
        data[f"zz_{SECRET}_{i}"] = pl.Series(_values_for(draw, dtype, n, None), dtype=dtype)
    return pl.DataFrame(data), expected, wrong_type


@SETTINGS
@given(table=parquet_table())
def test_random_parquet_is_refused_cleanly_or_loaded_exactly(tmp_path: Path, table: Any) -> None:
    frame, expected, wrong_type = table
    path = tmp_path / "clients.parquet"
    frame.write_parquet(path)
    bad = wrong_type or any(v is BAD for values in expected.values() for v in values)
    try:
        got = load_snapshot(path, "clients.parquet", COLUMNS)
    except SnapshotError as exc:
        assert bad, str(exc)
        assert SECRET not in str(exc)
        return
    assert not bad
    by_row = got.sort("_row")
    for column, values in expected.items():
        assert by_row[column].to_list() == values, column


@SETTINGS
@given(table=parquet_table(), cut=st.integers(0, 2000), noise=st.binary(min_size=1, max_size=8))
def test_damaged_parquet_bytes_never_crash(tmp_path: Path, table: Any, cut: int, noise: bytes) -> None:
    buffer = io.BytesIO()
    table[0].write_parquet(buffer)
    raw = buffer.getvalue()
    damaged = raw[:cut] + noise + raw[cut + len(noise) :]
    try:
        got = _load(tmp_path, damaged, "clients.parquet")
    except SnapshotError:
        return
    assert got.columns == ["_row", "client_id", *COLUMNS]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_every_polars_type_in_every_declared_kind(tmp_path: Path, dtype: pl.DataType) -> None:
    # One column at a time, so that each type meets each kind of declared field at least once.
    for name, col in COLUMNS.items():
        frame = pl.DataFrame({"client_id": ["p1"], name: pl.Series([None], dtype=dtype)})
        path = tmp_path / "clients.parquet"
        frame.write_parquet(path)
        try:
            load_snapshot(path, "clients.parquet", {name: col})
        except SnapshotError as exc:
            if _holds(dtype, col.spec.type):
                assert str(exc) == f"clients.parquet: row 1, column {name}: empty, but this column may not be empty"
            else:
                kind = {"number": "a number", "integer": "an integer", "category": "a category", "tier": "a tier"}
                assert str(exc) == (
                    f"clients.parquet: column {name}: its Parquet type is {dtype.base_type()},"
                    f" but {name} is declared {kind[col.spec.type]}"
                )
        else:
            assert col.spec.optional and _holds(dtype, col.spec.type)
