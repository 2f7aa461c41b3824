"""Charts for the HTML report: inline SVG, and the HTML keys and heat-map tables that go with them.

Plain strings, no scripts, nothing loaded from outside. Every chart is an `<svg role="img">` with a
`<title>` (its accessible name) and a `<title>` on each mark, so a reader who hovers or uses a
screen reader gets the exact number. Coordinates have one decimal, so the same data always gives
the same bytes.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from allocator.escape import html
from allocator.labels import phrase

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in grey print.
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
INK = "#374151"
GRID = "#e5e7eb"
ZERO_COLOUR = "#e5e7eb"
HEAT = "#1d4ed8"
CHAR = 6.6  # average width of an 11px Latin label character, for laying out label columns
WIDE = 2 * CHAR  # a CJK character is about as wide as it is tall (11px): two Latin ones, rounded up


def text_width(text: str) -> float:
    """The width an 11px label takes: CJK and other wide characters count double, so that
    十档 or 一档 get room for both characters instead of being clipped at the chart's edge."""
    return sum(WIDE if unicodedata.east_asian_width(ch) in "WF" else CHAR for ch in text)


def esc(value: object) -> str:
    """Text from the input files, safe in element content and in quoted attributes; control and
    reordering characters shown as `\\x1b`, `\\u202e`, as on the terminal."""
    return html(value)


def num(x: float) -> str:
    """A coordinate with at most one decimal and no trailing '.0'."""
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def count(n: int, noun: str, lang: str = "en") -> str:
    """'1 client', '2,000 clients'; in zh '2,000 户'."""
    if lang != "en":
        return phrase("{n} " + noun, lang, n=f"{n:,}")
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def series_colour(i: int) -> str:
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


def blend(colour: str, t: float) -> str:
    """`colour` mixed with white: t=0 is white, t=1 the colour itself."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * t):02x}" for c in rgb)


def mix(a: str, b: str, t: float) -> str:
    """The colour a fraction `t` of the way from `a` to `b`."""
    ca, cb = ([int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def ramp(n: int, light: str = "#9ecae1", dark: str = "#08306b") -> list[str]:
    """`n` shades from light to dark of one hue, for ordered values such as quota sizes."""
    if n <= 1:
        return [mix(light, dark, 0.5)] * n
    return [mix(light, dark, i / (n - 1)) for i in range(n)]


def _svg(width: float, height: float, title: str, body: list[str], desc: str = "") -> str:
    head = (
        f'<svg role="img" aria-label="{esc(title)}" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}"><title>{esc(title)}</title>'
    )
    return head + (f"<desc>{esc(desc)}</desc>" if desc else "") + "".join(body) + "</svg>"


def _text(x: float, y: float, text: str, anchor: str = "start", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<text x="{num(x)}" y="{num(y)}" text-anchor="{anchor}"{c}>{esc(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, title: str) -> str:
    return (
        f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" fill="{fill}">'
        f"<title>{esc(title)}</title></rect>"
    )


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[float | None]  # one per group; None: not defined (nothing drawn)


@dataclass(frozen=True)
class Scale:
    top: float  # the value at the right end of the axis
    ticks: tuple[float, ...]
    percent: bool  # values are shares (0..1), shown as percentages
    noun: str = ""  # what is counted, for each mark's title: "3 clients"
    lang: str = "en"  # the language of the marks' titles

    def label(self, v: float) -> str:
        return f"{v:.1%}" if self.percent else f"{round(v):,}"


RATES = Scale(1.0, (0, 0.25, 0.5, 0.75, 1.0), percent=True)


def count_axis(largest: float, noun: str = "", lang: str = "en") -> Scale:
    """An axis from 0 past `largest`, with at most 5 round ticks (1, 2 or 5 times a power of ten)."""
    step = 1.0
    while largest / step > 4:
        step *= 2.5 if str(int(step))[0] == "2" else 2
    top = step * max(1, math.ceil(largest / step))
    return Scale(top, tuple(step * k for k in range(round(top / step) + 1)), False, noun, lang)


def grouped_bars(
    title: str, groups: Sequence[tuple[str, str]], series: Sequence[Series], scale: Scale, lang: str = "en"
) -> str:
    """Horizontal bars: a row per (ladder, tier), a bar per series, a heading per ladder if there are several.

    Rows grow downwards, so thirty tiers on three ladders stay as readable as four on one. A single
    series gets its values written at the bar ends.
    """
    several = len({lad for lad, _ in groups}) > 1
    label_w = 12 + max((text_width(name) for g in groups for name in (g if several else g[1:])), default=CHAR)
    # CJK fonts have a taller ascent than Latin ones: the axis labels on top need 4px more in zh
    plot_w, top = 330.0, 16.0 if lang == "en" else 20.0
    bar = 14.0 if len(series) == 1 else 7.0 if len(series) > 2 else 9.0
    row_h = len(series) * bar + (8 if len(series) == 1 else 7)
    body: list[str] = []
    y = top
    for i, (ladder, tier) in enumerate(groups):
        if several and (i == 0 or ladder != groups[i - 1][0]):
            body.append(_text(0, y + 15, ladder, cls="lad"))
            y += 22
        body.append(_text(label_w - 8, y + row_h / 2 + 3, tier, "end"))
        for j, s in enumerate(series):
            v = s.values[i]
            if v is not None:
                w = max(plot_w * v / scale.top, 1.5)
                what = f"{s.name} · {ladder} {tier}: {count(round(v), scale.noun, scale.lang) if scale.noun else scale.label(v)}"
                body.append(_rect(label_w, y + 4 + j * bar, w, bar - 1, s.colour, what))
                if len(series) == 1:
                    body.append(_text(label_w + w + 5, y + 4 + bar - 3, scale.label(v), cls="v"))
        y += row_h
    grid = []
    for t in scale.ticks:
        x = label_w + plot_w * t / scale.top
        grid.append(
            f'<line x1="{num(x)}" x2="{num(x)}" y1="{num(top - 2)}" y2="{num(y)}" stroke="{GRID if t else INK}"/>'
        )
        grid.append(_text(x, top - 5, f"{t:.0%}" if scale.percent else f"{round(t):,}", "middle", "ax"))
    return _svg(label_w + plot_w + 44, y + 4, title, grid + body)


def legend(items: Iterable[tuple[str, str]]) -> str:
    """An HTML key of (label, colour) swatches, for the charts below it."""
    lis = "".join(f'<li><span class="sw" style="background:{c}"></span>{esc(label)}</li>' for label, c in items)
    return f'<ul class="legend">{lis}</ul>'


def value_bins(values: Sequence[int], most: int = 8, lang: str = "en") -> list[tuple[int, int, str, str]]:
    """(low, high, label, colour) for sorted quota values: one by one up to `most`, else in ranges.

    0 (nothing allocated) always stands alone, in grey; larger values go from light to dark blue.
    """
    if len(values) <= most:
        ranges = [(v, v) for v in values]
    else:
        width = math.ceil(values[-1] / (most - 1))
        edges = [(lo, min(lo + width - 1, values[-1])) for lo in range(1, values[-1] + 1, width)]
        ranges = [(0, 0)] * (values[0] == 0) + [(lo, hi) for lo, hi in edges if any(lo <= v <= hi for v in values)]
    shades = iter(ramp(sum(1 for lo, _ in ranges if lo > 0)))
    return [
        (lo, hi, _quota(lo, hi, lang), ZERO_COLOUR if lo == 0 else next(shades))
        for lo, hi in ranges
    ]


def _quota(lo: int, hi: int, lang: str) -> str:
    """A bin's label: 'quota 3', 'quota 1–4'."""
    if lo == hi:
        return phrase("quota {low}", lang, low=f"{lo:,}")
    return phrase("quota {low}–{high}", lang, low=f"{lo:,}", high=f"{hi:,}")


def heat_table(
    caption: str, corner: str, tiers: tuple[str, ...], moves: dict[tuple[str | None, str], int], lang: str = "en"
) -> str:
    """A migration matrix: rows are tiers before, columns tiers after, each cell shaded by its count.

    Off-ladder previous tiers get their own rows, clients without one the row "new".
    """
    others = sorted({p for p, _ in moves if p is not None and p not in tiers})
    # a ladder where every client is new needs only the "new" row
    prev: list[tuple[str | None, str]] = [(t, t) for t in tiers] if any(p is not None for p, _ in moves) else []
    prev += [(p, phrase("{tier} (off ladder)", lang, tier=p)) for p in others]
    if any(p is None for p, _ in moves):
        prev.append((None, phrase("new", lang)))
    top = max(moves.values(), default=0) or 1
    head = "".join(f'<th scope="col" class="n">{esc(t)}</th>' for t in tiers)
    body = []
    for p, label in prev:
        cells = []
        for t in tiers:
            n = moves.get((p, t), 0)
            shade = 0.08 + 0.92 * n / top
            ink = "#fff" if shade > 0.5 else "#111827"
            style = f' style="background:{blend(HEAT, shade)};color:{ink}"' if n else ""
            cls = " ".join(c for c, on in (("diag", p == t), ("z", not n)) if on)
            cells.append(f'<td class="{cls}"{style}>{f"{n:,}" if n else "·"}</td>')
        row_total = sum(moves.get((p, t), 0) for t in tiers)
        first = ' class="first"' if p is None else ""
        body.append(
            f'<tr{first}><th scope="row">{esc(label)}</th>{"".join(cells)}<td class="n">{row_total:,}</td></tr>'
        )
    totals = "".join(f'<td class="n">{sum(moves.get((p, t), 0) for p, _ in prev):,}</td>' for t in tiers)
    dense = " dense" if len(tiers) > 12 else ""
    total = phrase("total", lang)
    return (
        f'<div class="scroll"><table class="matrix{dense}"><caption>{esc(caption)}</caption>'
        f'<thead><tr><th scope="col">{corner}</th>{head}<th scope="col" class="n">{total}</th></tr></thead>'
        f'<tbody>{"".join(body)}<tr class="first"><th scope="row">{total}</th>{totals}'
        f'<td class="n">{sum(moves.values()):,}</td></tr></tbody></table></div>'
    )


def stacked_bar(title: str, parts: Sequence[tuple[int, str, str]], width: float = 170.0, lang: str = "en") -> str:
    """One 100 % bar split into parts (count, colour, label): a distribution at a glance."""
    total = sum(n for n, _, _ in parts) or 1
    body: list[str] = []
    x = 0.0
    for n, colour, label in parts:
        if n:
            w = width * n / total
            body.append(_rect(x, 0, w, 14, colour, f"{label}: {count(n, 'client', lang)} ({n / total:.1%})"))
            x += w
    desc = "; ".join(f"{label}: {count(n, 'client', lang)}" for n, _, label in parts if n)
    return _svg(width, 14, title, body, desc)
