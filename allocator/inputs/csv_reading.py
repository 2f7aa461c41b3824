"""CSV snapshots read as text: every record and value found by a scan of the bytes, then read.

polars reads the values, but only after a scan of the bytes has found every record and proved
the quoting plain RFC 4180, and only when each row it reads holds exactly the bytes the scan
counted; any other file is read by Python's strict csv module, so the structure checks and the
values can never disagree. Every problem names its row, counting the header as row 1.
"""

from __future__ import annotations

import csv
import io
import re
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import polars as pl
from polars.exceptions import PanicException

from allocator.errors import SnapshotError

_CHUNK = 50_000  # CSV records turned into columns at a time
_SCAN_BLOCK = 1 << 22  # CSV bytes scanned for quotes, commas and line feeds at a time
_QUOTE, _COMMA, _LF = ord('"'), ord(","), ord("\n")


def more_rows(n: int) -> str:
    """' (3 more rows like this)': how many other rows share a problem."""
    return "" if n == 0 else f" ({n} more row like this)" if n == 1 else f" ({n} more rows like this)"


def read_csv_text(raw: bytes, display: str, declare_as: str | None = None) -> tuple[list[str], pl.DataFrame]:
    """The header cells and the data rows (all text, columns c0, c1, ...) of a CSV file.

    polars reads the values; a scan of the bytes first finds every record and value (so widths
    are checked here, not padded by polars) and proves the quoting plain RFC 4180, which polars
    and the csv module read alike. Any other quoting, or a row polars reads otherwise than the
    scan says, is read by the strict csv module instead. `declare_as`: the file is a scenario's
    snapshot, named so in the scenario, where an encoding may be declared (the fix a message
    for a Chinese file names)."""
    text = _decode(raw, display, declare_as)
    nul = raw.find(b"\x00")
    if nul >= 0:
        row = _line_of(raw, nul)
        raise SnapshotError(f"{display}: row {row}: a NUL byte (0x00) at offset {nul}; this is not a text file")
    if not text or text.isspace():
        raise SnapshotError(f"{display}: the file is empty; expected a header row and client rows")
    del text  # the bytes are checked from here on; only the strict reading needs the text again
    data = raw.removeprefix(b"\xef\xbb\xbf")
    if b"\r" in data:  # CRLF and old Mac CR-only line ends both become LF
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    quoted = b'"' in data
    layout = _layout(data, quoted)
    if layout is None or (quoted and int(layout.lengths.max()) > csv.field_size_limit()):
        return _parse_quoted(data.decode("utf-8"), display)
    width = _check_widths(layout.fields, display)
    header = _header_cells(data[: int(layout.ends[0])])
    names = [f"c{i}" for i in range(width)]
    if len(layout.fields) == 1:
        return header, pl.DataFrame(schema=dict.fromkeys(names, pl.String))
    frame = _polars_rows(data, names, quoted, layout.values)
    if frame is None:
        return _parse_quoted(data.decode("utf-8"), display)
    return header, frame[1:]


def _decode(raw: bytes, display: str, declare_as: str | None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = _line_of(raw, exc.start)
        hint = _encoding_hint(raw, declare_as)
        raise SnapshotError(
            f"{display}: row {row}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}){hint}"
        ) from None


CODEC_NAMES = {"gbk": "GBK", "gb18030": "GB18030"}
_NOT_ASCII = re.compile(rb"[\x80-\xff]")


def as_utf8(raw: bytes, display: str, encoding: str) -> bytes:
    """The file's bytes in UTF-8, from the encoding its scenario declares (gbk or gb18030).

    Both are ASCII-compatible: no byte of a two- or four-byte character is a line feed, a carriage
    return, a comma or a quote, so every row keeps its number. A file that does not decode is
    refused, and so is a file that reads as Chinese in UTF-8: declared otherwise, it would decode
    into other characters (a GBK file is valid UTF-8 by chance only in a few bytes, and then not
    as Chinese text)."""
    name = CODEC_NAMES[encoding]
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise SnapshotError(
            f"{display}: row {_line_of(raw, nul)}: a NUL byte (0x00) at offset {nul}; this is not a text file"
        )
    wide = _NOT_ASCII.search(raw)
    if wide is not None and (raw.startswith(b"\xef\xbb\xbf") or _looks_chinese(raw, "utf-8")):
        at = wide.start()
        raise SnapshotError(
            f"{display}: row {_line_of(raw, at)}: UTF-8 text (byte 0x{raw[at]:02x} at offset {at}), but the scenario "
            f"declares encoding: {encoding}; leave the encoding out (UTF-8 is the default)"
        )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        row, bad = _line_of(raw, exc.start), raw[exc.start : exc.end]
        shown = " ".join(f"0x{b:02x}" for b in bad[:4])
        fix = 'check which encoding the file was saved in, or save it as "CSV UTF-8"'
        if encoding == "gbk" and _decodes(raw, "gb18030"):
            fix = "declare encoding: gb18030 (GBK's successor, which has these characters)"
        raise SnapshotError(
            f"{display}: row {row}: not {name} text ({'byte' if len(bad) == 1 else 'bytes'} {shown} at offset "
            f"{exc.start}), though the scenario declares encoding: {encoding}; {fix}"
        ) from None
    return text.encode("utf-8")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _looks_chinese(raw: bytes, encoding: str) -> bool:
    """Whether the bytes decode in `encoding` to text whose non-ASCII characters are (80 % or
    more) CJK ideographs, CJK punctuation or full-width forms."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if ord(c) > 0x7F]
    chinese = sum("\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in wide)
    return bool(wide) and chinese >= 0.8 * len(wide)


def _line_of(raw: bytes, offset: int) -> int:
    """The line an offset is on, counting LF, CRLF and lone CR line ends."""
    head = raw[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _encoding_hint(raw: bytes, declare_as: str | None = None) -> str:
    """'; it looks like X: save it as "CSV UTF-8"' for the encodings spreadsheets commonly write;
    for Chinese text in a scenario's snapshot (`declare_as`), the setting that reads it as it is."""
    fix = ': save it as "CSV UTF-8"'
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f'; it looks like UTF-16 (Excel "Unicode Text"){fix}'
    if _looks_chinese(raw, "gb18030"):
        if declare_as is not None:
            fix = f": declare it in the scenario, snapshot: {{path: {declare_as}, encoding: gb18030}}, or{fix[1:]}"
        return f"; it looks like GBK/GB18030 (Chinese Excel){fix}"
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return ""
    return f"; it looks like Windows-1252 (Western Excel){fix}"


class _Layout(NamedTuple):
    """Each record of a CSV file as its bytes show it (the header is record 0)."""

    ends: npt.NDArray[np.int64]  # offset of the line feed ending the record (or of the end of the data)
    lengths: npt.NDArray[np.int64]  # bytes in the record
    fields: npt.NDArray[np.int64]  # values in the record, 0 for an empty line
    values: npt.NDArray[np.int64]  # bytes of the record's values once the quoting is taken off


def _layout(data: bytes, quoted: bool) -> _Layout | None:
    """The records of `data`, or None when its quoting is not plain RFC 4180: a quote inside an
    unquoted value, anything after a closing quote but a separator, or a quote never closed.

    Line feeds and commas are separators where an even number of quotes precede them. The bytes
    are scanned a block at a time, so the scan's memory stays small whatever the file's size."""
    b = np.frombuffer(data, dtype=np.uint8)
    ends: list[npt.NDArray[np.int64]] = []
    counts: list[tuple[int, npt.NDArray[np.int64]]] = []
    inside = records_before = 0  # whether the block starts inside a quoted value; records ended so far
    for start in range(0, len(b), _SCAN_BLOCK):
        block = b[start : start + _SCAN_BLOCK]
        lf_at, commas_at = np.flatnonzero(block == _LF), np.flatnonzero(block == _COMMA)
        marks: list[npt.NDArray[np.int64]] = []  # positions in the block of quotes and of opening quotes
        if quoted:
            scanned = _scan_quotes(b, start, block, inside)
            if scanned is None:
                return None
            parity, marks, inside = scanned
            lf_at, commas_at = lf_at[parity[lf_at] == 0], commas_at[parity[commas_at] == 0]
        # Each record's part in this block runs from the block's start or a line feed to the next.
        bounds = np.concatenate(([0], lf_at + 1))
        bounds = np.concatenate((bounds[bounds < len(block)], [len(block)]))
        per_record = np.stack([np.diff(np.searchsorted(x, bounds)) for x in (commas_at, *marks)])
        counts.append((records_before, per_record))
        ends.append(lf_at + start)
        records_before += len(lf_at)
    if inside:
        return None
    total = np.zeros((3, records_before + 1), dtype=np.int64)
    for first, per_record in counts:
        total[: len(per_record), first : first + per_record.shape[1]] += per_record
    ends.append(np.array([len(b)], dtype=np.int64))
    end = np.concatenate(ends).astype(np.int64)
    if len(b) and b[-1] == _LF:  # that line feed ends the last record; no empty record follows it
        end, total = end[:-1], total[:, :-1]
    lengths = end - np.concatenate(([0], end[:-1] + 1))
    separators, quotes, quoted_values = total
    fields = np.where(lengths == 0, 0, separators + 1)
    return _Layout(end, lengths, fields, lengths - separators - quotes // 2 - quoted_values)


def _scan_quotes(
    b: npt.NDArray[np.uint8], start: int, block: npt.NDArray[np.uint8], inside: int
) -> tuple[npt.NDArray[np.uint8], list[npt.NDArray[np.int64]], int] | None:
    """For each byte of the block, 1 inside a quoted value (and on its opening quote), else 0; where
    its quotes and the quotes opening a value are; and whether it ends inside a value. None unless
    every quote opens a value, closes one or is doubled."""
    quote = block == _QUOTE
    parity = np.bitwise_xor.accumulate(quote.view(np.uint8))
    if inside:
        parity ^= 1
    at = np.flatnonzero(quote)
    opens, closes = at[inside::2] + start, at[1 - inside :: 2] + start  # quotes alternate: open, close
    before = b[opens - 1]
    before[opens == 0] = _COMMA  # the start of the data starts a value
    after = b[np.minimum(closes + 1, len(b) - 1)]
    after[closes == len(b) - 1] = _COMMA  # the end of the data ends a value too
    # An opening quote right after a closing one is the second of a doubled quote.
    if not (_separator_or_quote(before) and _separator_or_quote(after)):
        return None
    value_opens = opens[before != _QUOTE] - start
    return parity, [at, value_opens], int(parity[-1])


def _separator_or_quote(x: npt.NDArray[np.uint8]) -> bool:
    return bool(((x == _COMMA) | (x == _LF) | (x == _QUOTE)).all())


def _header_cells(record: bytes) -> list[str]:
    text = record.decode("utf-8")
    if '"' not in text:
        return text.split(",")
    return next(csv.reader(io.StringIO(text, newline=""), strict=True), [])


def _polars_rows(data: bytes, names: list[str], quoted: bool, values: npt.NDArray[np.int64]) -> pl.DataFrame | None:
    """Every record read by polars, or None unless each row holds exactly the bytes the layout says."""
    try:
        frame = pl.read_csv(
            data, has_header=False, infer_schema=False, quote_char='"' if quoted else None, new_columns=names
        )
        got = frame.select(pl.sum_horizontal(pl.all().str.len_bytes().cast(pl.Int64).fill_null(0)))[:, 0]
    except (pl.exceptions.PolarsError, PanicException):
        return None
    if frame.height != len(values) or not np.array_equal(got.to_numpy(), values):
        return None
    return frame


def _check_widths(fields: npt.NDArray[np.int64], display: str) -> int:
    """The header width; every row must have as many values (polars would pad short rows)."""
    width = int(fields[0])
    bad = np.flatnonzero(fields != width)
    if len(bad):
        row, n = int(bad[0]) + 1, int(fields[bad[0]])
        what = "an empty line" if n == 0 else f"{n} values"
        raise SnapshotError(
            f"{display}: row {row}: {what}, but the header has {width} columns{more_rows(len(bad) - 1)}"
        )
    return width


def _parse_quoted(text: str, display: str) -> tuple[list[str], pl.DataFrame]:
    """A file whose quoting is not plain, read strictly by the csv module; polars' faster reading of
    the values is used only when it agrees with it on every row (the row count and each row's total
    length)."""
    header: list[str] = []
    widths: list[int] = []
    lengths: list[int] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), strict=True):
            header = header or record
            widths.append(len(record))
            lengths.append(sum(map(len, record)))
    except csv.Error as exc:
        raise SnapshotError(f"{display}: row {len(widths) + 1}: {_csv_problem(str(exc))}") from None
    width = _check_widths(np.array(widths, dtype=np.int64), display)
    names = [f"c{i}" for i in range(width)]
    try:
        frame = pl.read_csv(text.encode(), has_header=False, infer_schema=False, new_columns=names)
        got = frame.select(pl.sum_horizontal(pl.all().str.len_chars().fill_null(0)))[:, 0].to_list()
    except (pl.exceptions.PolarsError, PanicException):
        got = []
    if got == lengths:
        return header, frame[1:]
    return header, _records_frame(text, width)


def _records_frame(text: str, width: int) -> pl.DataFrame:
    """The data rows as the csv module reads them, turned into columns a chunk at a time."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader)
    chunks, records = [], []
    for record in reader:
        records.append(record)
        if len(records) == _CHUNK:
            chunks.append(_chunk_frame(records, width))
            records = []
    chunks.append(_chunk_frame(records, width))
    return pl.concat(chunks)


def _chunk_frame(records: list[list[str]], width: int) -> pl.DataFrame:
    columns = list(zip(*records, strict=True)) if records else [()] * width
    return pl.DataFrame({f"c{i}": pl.Series(values=list(v), dtype=pl.String) for i, v in enumerate(columns)})


def _csv_problem(message: str) -> str:
    if "unexpected end of data" in message:
        return 'a quoted value is never closed (a " is missing)'
    if "expected after" in message:
        return "a value goes on after its closing quote; quote the whole value and double any quote inside it"
    if "field larger than field limit" in message:
        return f"a value is longer than {csv.field_size_limit()} characters"
    return f"cannot be read as CSV ({message})"
