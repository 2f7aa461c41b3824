"""What a Parquet file says about itself, read without pyarrow: its footer (Thrift compact
protocol, parquet.thrift's FileMetaData), decoded just far enough to tell how each column chunk
is encoded and of which physical type each column is.

A file ends with the footer, its length (4 bytes, little-endian) and b"PAR1". The fields used:
FileMetaData 2 schema, 3 num_rows, 4 row_groups; SchemaElement 1 type, 4 name; RowGroup
1 columns, 3 num_rows; ColumnChunk 3 meta_data; ColumnMetaData 2 encodings, 3 path_in_schema,
11 dictionary_page_offset.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENCODINGS = {0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
             6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT"}  # fmt: skip
TYPES = {0: "BOOLEAN", 1: "INT32", 2: "INT64", 3: "INT96", 4: "FLOAT", 5: "DOUBLE", 6: "BYTE_ARRAY",
         7: "FIXED_LEN_BYTE_ARRAY"}  # fmt: skip


class _Compact:
    """A reader of Thrift's compact protocol: structs as {field id: value}."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def byte(self) -> int:
        self.at += 1
        return self.data[self.at - 1]

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind: int) -> Any:
        if kind in (1, 2):  # a boolean in a struct: the type is the value
            return kind == 1
        if kind == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            self.at += 8
            return struct.unpack("<d", self.data[self.at - 8 : self.at])[0]
        if kind == 8:
            n = self.varint()
            self.at += n
            return self.data[self.at - n : self.at]
        if kind in (9, 10):
            head = self.byte()
            size, element = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            return [self.byte() == 1 if element in (1, 2) else self.value(element) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            types = self.byte() if size else 0
            return {self.value(types >> 4): self.value(types & 0x0F) for _ in range(size)}
        if kind == 12:
            return self.struct()
        raise ValueError(f"unknown compact type {kind} at byte {self.at}")

    def struct(self) -> dict[int, Any]:
        fields: dict[int, Any] = {}
        last = 0
        while (head := self.byte()) != 0:
            delta, kind = head >> 4, head & 0x0F
            field = last + delta if delta else self.zigzag()
            fields[field] = self.value(kind)
            last = field
        return fields


@dataclass(frozen=True)
class Chunk:
    """One column chunk of one row group."""

    column: str
    encodings: tuple[str, ...]
    dictionary_page: bool


@dataclass(frozen=True)
class Footer:
    rows: int
    types: dict[str, str]  # column -> physical type
    row_groups: tuple[tuple[int, tuple[Chunk, ...]], ...]  # (rows, chunks)
    created_by: str


def read_footer(path: Path) -> Footer:
    """The footer of the Parquet file at `path`."""
    data = path.read_bytes()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1", path
    (length,) = struct.unpack("<I", data[-8:-4])
    meta = _Compact(data[-8 - length : -8]).struct()
    types = {e[4].decode(): TYPES[e[1]] for e in meta[2] if 1 in e}  # the root element has no type
    groups = []
    for group in meta[4]:
        chunks = tuple(
            Chunk(
                ".".join(p.decode() for p in c[3][3]),
                tuple(ENCODINGS[e] for e in c[3][2]),
                11 in c[3],
            )
            for c in group[1]
        )
        groups.append((group[3], chunks))
    return Footer(meta[3], types, tuple(groups), meta.get(6, b"").decode())
