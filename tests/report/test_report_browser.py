"""The demo report in headless Chromium: it paints a real page, and the DOM it builds holds the CSV numbers."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from allocator.outputs.report import render_report
from allocator.pipeline.run import RunResult

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_colours(data: bytes) -> tuple[int, int, Counter[bytes]]:
    """Width, height and how many pixels have each RGB colour, for an 8-bit RGB(A) non-interlaced PNG."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    pos, idat, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour_type in (2, 6), (depth, colour_type, interlace)
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    counts: Counter[int] = Counter()
    wide = bytearray(width * 4)  # each pixel as R, G, B, 0: one 32-bit number to count
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        for channel in range(3):
            wide[channel::4] = line[channel::bpp]
        counts.update(memoryview(wide).cast("I"))
        prev = line
    pixel = memoryview(bytearray(4)).cast("I")
    colours: Counter[bytes] = Counter()
    for value, n in counts.items():
        pixel[0] = value
        colours[pixel.tobytes()[:3]] = n
    return width, height, colours


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    """Undo one scanline's PNG filter (None, Sub, Up, Average, Paeth)."""
    n = len(line)
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        # Byte-wise sum modulo 256 in one big-integer addition: each byte gets a 16-bit lane, the
        # carry lands in the lane's high byte and is dropped.
        here, above = bytearray(2 * n), bytearray(2 * n)
        here[1::2], above[1::2] = line, prev
        total = (int.from_bytes(here, "big") + int.from_bytes(above, "big")).to_bytes(2 * n + 1, "big")
        line = bytearray(total[2::2])
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        if not any(line) and prev[:bpp] * (n // bpp) == prev:
            return bytearray(prev)  # a run of one colour under another: Paeth predicts it exactly
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return line


@pytest.fixture(scope="module")
def demo_page(demo: RunResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("report") / "report.html"
    page.write_text(render_report(demo), encoding="utf-8")
    return page


def _png(rows: list[bytes], bpp: int, filters: list[int]) -> bytes:
    """A PNG of these scanlines, each filtered with the given filter type (the encoder's side)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    out, prev = [], bytes(len(rows[0]))
    for line, kind in zip(rows, filters, strict=True):
        encoded = bytearray([kind])
        for i, x in enumerate(line):
            a, b, c = (line[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            p = a + b - c
            paeth = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            encoded.append((x - (0, a, b, (a + b) >> 1, paeth)[kind]) & 0xFF)
        out.append(bytes(encoded))
        prev = line
    header = struct.pack(">IIBBBBB", len(rows[0]) // bpp, len(rows), 8, 2 if bpp == 3 else 6, 0, 0, 0)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(out))) + chunk(b"IEND", b"")


@pytest.mark.parametrize("bpp", [3, 4])
def test_png_reader_undoes_every_filter(bpp: int) -> None:
    red, white, grey = bytes([250, 10, 20]), bytes([255, 255, 255]), bytes([90, 91, 92])
    alpha = b"\xff" if bpp == 4 else b""
    pixels = [[red, white, grey], [white, grey, red], [grey, grey, grey], [grey, grey, grey], [red, red, white]]
    rows = [b"".join(p + alpha for p in row) for row in pixels] * 2
    data = _png(rows, bpp, [0, 1, 2, 3, 4, 4, 4, 3, 2, 1])  # row 4: Paeth over a one-colour row
    assert png_colours(data) == (3, 10, Counter({red: 8, white: 6, grey: 16}))


def test_demo_report_paints_a_page(chromium: Any, demo_page: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    chromium.run(demo_page, f"--screenshot={png}", "--window-size=1280,2400", expect=png)
    width, height, colours = png_colours(png.read_bytes())
    assert (width, height) == (1280, 2400)
    background, count = colours.most_common(1)[0]
    assert background == b"\xff\xff\xff"
    assert 1 - count / (width * height) > 0.02, "the page is (almost) blank"
    assert len(colours) >= 3


def test_browser_dom_holds_the_csv_numbers(
    chromium: Any,
    demo: RunResult,
    demo_page: Path,
    read_page: Callable[[str], Any],
    csv_summaries: Callable[[RunResult], dict[str, list[list[str]]]],
) -> None:
    dom = read_page(chromium.run(demo_page, "--dump-dom"))
    source = read_page(demo_page.read_text(encoding="utf-8"))
    assert list(dom.summaries()) == [v.name for v in demo.variants]
    assert dom.summaries() == csv_summaries(demo)
    assert sum(tag == "svg" for tag, _ in dom.tags) == sum(tag == "svg" for tag, _ in source.tags)
    assert dom.titles == source.titles
