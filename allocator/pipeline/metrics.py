"""The field's metrics of a summary line, computed exactly: pure functions over numpy arrays.

Every function takes one entry per client: `codes` (the client's line, 0 <= code < cells), its
`quota` and, where orders matter, its `ordered` units (whole numbers, 0 <= v < 2**53), and gives
one exact `Fraction` per line, or None where the denominator is empty (never 0/0):

- full_fill_rate (订足面): of the clients that ordered (ordered > 0), the share whose quota
  covers the whole order (quota >= ordered);
- coverage (投放面): the share of the line's clients that got more than 0;
- gap_rate (需求缺口率): (ordered - allocated) / ordered, summed over the line;
- top10_share: the share of the line's units held by its top 10 % of clients by quota, that is
  its ceil(n / 10) largest quotas (one client when n <= 10);
- gini: the Gini coefficient of the line's quotas, sum |x_i - x_j| over all ordered pairs
  divided by 2 n^2 mean: 0 when every quota is the same (so 0 for n = 1), at most 1 - 1/n
  (one client holds everything); None for a zero total, as for top10_share.

The sums behind them are whole numbers: int64 where no partial sum can pass 2**63, Python ints
(numpy object arrays) otherwise, so no rate ever moves with the size of a run. The one-line
forms (`coverage(quota)`, ...) are the per-line ones with a single line.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
Rates = list[Fraction | None]
_HALF = 26  # values below 2**53 split into two halves whose per-cell float sums stay exact
_DENSE = 1 << 22  # (line, quota value) bins counted with one bincount up to this many; sorted beyond
_SAFE = 2**62  # a bound below which int64 sums cannot overflow


def cell_sums(codes: npt.NDArray[np.int64], values: npt.NDArray[np.generic], cells: int) -> list[int]:
    """Exact whole-number sum of `values` (0 <= v < 2**53) per cell code, as Python ints.

    A float64 bincount rounds once a cell's total passes 2**53; each half of a value is below
    2**27, so its per-cell sum stays exact for fewer than 2**26 clients per cell.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0 or int(v.max()) * v.size < 2**53:  # no partial sum can pass 2**53: one float pass is exact
        return [int(x) for x in np.bincount(codes, weights=v, minlength=cells).tolist()]
    high = np.bincount(codes, weights=v >> _HALF, minlength=cells)
    low = np.bincount(codes, weights=v & ((1 << _HALF) - 1), minlength=cells)
    return [(int(h) << _HALF) + int(lo) for h, lo in zip(high.tolist(), low.tolist(), strict=True)]


def _ratios(nums: list[int], dens: list[int]) -> Rates:
    return [Fraction(n, d) if d else None for n, d in zip(nums, dens, strict=True)]


def coverage_by_line(codes: Ints, quota: Ints, cells: int) -> Rates:
    """Per line: clients with a quota above 0 over the line's clients."""
    served = cell_sums(codes, np.asarray(quota) > 0, cells)
    return _ratios(served, np.bincount(codes, minlength=cells).tolist())


def full_fill_by_line(codes: Ints, quota: Ints, ordered: Ints, cells: int) -> Rates:
    """Per line: of the clients that ordered, those whose quota covers the whole order."""
    ordering = np.asarray(ordered) > 0
    met = cell_sums(codes, ordering & (np.asarray(quota) >= ordered), cells)
    return _ratios(met, cell_sums(codes, ordering, cells))


def gap_by_line(codes: Ints, quota: Ints, ordered: Ints, cells: int) -> Rates:
    """Per line: (ordered - allocated) / ordered, from the line's exact sums."""
    wanted, got = cell_sums(codes, ordered, cells), cell_sums(codes, quota, cells)
    return _ratios([w - g for w, g in zip(wanted, got, strict=True)], wanted)


@dataclass(frozen=True)
class Histogram:
    """Each line's distinct quotas, ascending, with how many clients have each; lines in order.

    Entry i says that `count[i]` clients of line `line[i]` have quota `value[i]`; the entries of
    line c are `starts[c]` up to the next start (a line without clients has none)."""

    line: Ints
    value: Ints
    count: Ints
    starts: Ints  # the first entry of each line that has entries
    lines: Ints  # which line each start belongs to


def histogram(codes: Ints, quota: Ints, cells: int) -> Histogram:
    """How many clients of each line have each quota: one bincount when the (line, quota) grid is
    small, as it is for cartons per shop; a sort otherwise."""
    codes = np.asarray(codes, dtype=np.int64)
    q = np.asarray(quota, dtype=np.int64)
    width = int(q.max()) + 1 if q.size else 1
    if width * cells <= _DENSE:
        flat = np.bincount(codes * width + q, minlength=width * cells)
        at = np.flatnonzero(flat)
        line, value, count = at // width, at % width, flat[at]
    else:
        order = np.lexsort((q, codes))
        c, v = codes[order], q[order]
        first = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (v[1:] != v[:-1])])
        line, value, count = c[first], v[first], np.diff(np.r_[first, c.size])
    starts = np.flatnonzero(np.r_[True, line[1:] != line[:-1]]) if line.size else np.zeros(0, dtype=np.int64)
    return Histogram(line, value, count.astype(np.int64), starts, line[starts])


def _exact(values: Ints, bound: int) -> npt.NDArray[Any]:
    """`values` as int64 when every sum to come stays below `bound` < 2**62, else as Python ints."""
    return values if bound < _SAFE else values.astype(object)


def _per_line(h: Histogram, terms: npt.NDArray[Any], cells: int) -> list[int]:
    """The sum of `terms` (one per histogram entry) for every line; 0 for a line without clients."""
    out = [0] * cells
    if h.line.size:
        for c, s in zip(h.lines.tolist(), np.add.reduceat(terms, h.starts).tolist(), strict=True):
            out[c] = int(s)
    return out


def _ranks_below(h: Histogram) -> tuple[Ints, Ints]:
    """For each entry (of a non-empty histogram): how many clients of its line have a lower
    quota, and how many clients its line has."""
    before = np.cumsum(h.count) - h.count  # clients of earlier entries, across lines
    lengths = np.diff(np.r_[h.starts, h.line.size])
    line_first = np.repeat(before[h.starts], lengths)
    return before - line_first, np.repeat(np.add.reduceat(h.count, h.starts), lengths)


def top_share_by_line(h: Histogram, cells: int, share: Fraction = Fraction(1, 10)) -> Rates:
    """Per line: the units of its ceil(n * share) largest quotas over the line's total."""
    if not h.line.size:
        return [None] * cells
    below, n = _ranks_below(h)
    above = n - below - h.count  # clients of the line with a larger quota
    k = -((-n * share.numerator) // share.denominator)  # ceil(n * share), in whole numbers
    taken = np.clip(k - above, 0, h.count)
    value = _exact(h.value, int(h.value.max()) * int(n.max()))  # above every partial sum of units
    return _ratios(_per_line(h, value * taken, cells), _per_line(h, value * h.count, cells))


def gini_by_line(h: Histogram, cells: int) -> Rates:
    """Per line: the Gini coefficient of its quotas, from ranks: with the n quotas sorted,
    G = (2 * sum(i * x_i) - (n + 1) * total) / (n * total), i from 1 to n; None for a zero total."""
    if not h.line.size:
        return [None] * cells
    below, n = _ranks_below(h)
    biggest = int(n.max())
    bound = int(h.value.max()) * biggest * (biggest + 1)  # above every partial sum of value x rank
    count, value = _exact(h.count, bound), _exact(h.value, bound)
    # an entry's clients hold the ranks below + 1 .. below + count, which add up to this
    rank_sum = count * _exact(below, bound) + count * (count + 1) // 2
    weighted = _per_line(h, value * rank_sum, cells)
    total = _per_line(h, value * count, cells)
    sizes = _per_line(h, h.count, cells)
    return [Fraction(2 * s - (m + 1) * t, m * t) if t else None for s, t, m in zip(weighted, total, sizes, strict=True)]


def _single(quota: npt.ArrayLike) -> tuple[Ints, Ints]:
    """One line holding every client."""
    q = np.asarray(quota, dtype=np.int64)
    return np.zeros(q.size, dtype=np.int64), q


def coverage(quota: npt.ArrayLike) -> Fraction | None:
    """The share of clients with a quota above 0 (None without clients)."""
    codes, q = _single(quota)
    return coverage_by_line(codes, q, 1)[0]


def full_fill_rate(quota: npt.ArrayLike, ordered: npt.ArrayLike) -> Fraction | None:
    """Of the clients that ordered, the share whose order was fully met (None if nobody ordered)."""
    codes, q = _single(quota)
    return full_fill_by_line(codes, q, np.asarray(ordered, dtype=np.int64), 1)[0]


def gap_rate(quota: npt.ArrayLike, ordered: npt.ArrayLike) -> Fraction | None:
    """(ordered - allocated) / ordered (None when nothing was ordered)."""
    codes, q = _single(quota)
    return gap_by_line(codes, q, np.asarray(ordered, dtype=np.int64), 1)[0]


def top10_share(quota: npt.ArrayLike) -> Fraction | None:
    """The share of all units held by the ceil(n/10) largest quotas (None for a zero total)."""
    codes, q = _single(quota)
    return top_share_by_line(histogram(codes, q, 1), 1)[0]


def gini(quota: npt.ArrayLike) -> Fraction | None:
    """The Gini coefficient of the quotas (0 when all are equal; None for a zero total)."""
    codes, q = _single(quota)
    return gini_by_line(histogram(codes, q, 1), 1)[0]


def rounded(rate: Fraction | None) -> float | None:
    """A rate as summary.csv holds it: 4 decimal places, rounded once from the exact value."""
    return None if rate is None else round(rate.numerator / rate.denominator, 4)


METRICS = ("full_fill_rate", "coverage", "gap_rate", "top10_share", "gini")  # summary.csv's columns, in order


def line_metrics(codes: Ints, quota: Ints, ordered: Ints | None, cells: int) -> dict[str, Rates]:
    """Every metric of every line, by column name; `ordered` None: no orders known, so no
    full_fill_rate and no gap_rate."""
    figures = line_figures(codes, quota, ordered, cells)
    return {name: figures[name] for name in METRICS}


def merged(h: Histogram) -> Histogram:
    """Every line of a histogram as one line, line 0."""
    values, inverse = np.unique(h.value, return_inverse=True)
    counts = np.bincount(inverse, weights=h.count, minlength=values.size).astype(np.int64)  # counts < 2**53: exact
    first = np.zeros(min(values.size, 1), dtype=np.int64)
    return Histogram(np.zeros(values.size, dtype=np.int64), values.astype(np.int64), counts, first, first)


def line_figures(
    codes: Ints, quota: Ints, ordered: Ints | None, cells: int, whole: bool = False, h: Histogram | None = None
) -> dict[str, list[Any]]:
    """Everything the summary says of each line, in one pass over the clients: clients, ordered,
    allocated, ordering (clients that ordered), stocked_out (of those, the ones that got 0),
    min_quota and max_quota (None without clients) and the five metrics. With `whole`, every
    list has one more entry: all lines together (a product's own line). `ordered` None: no
    orders known, so ordered is 0 and the rates that need orders are None. `h` is the lines'
    histogram of `quota`, when the caller has it already."""
    codes, quota = np.asarray(codes, dtype=np.int64), np.asarray(quota, dtype=np.int64)
    h = histogram(codes, quota, cells) if h is None else h
    top = int(h.value.max()) if h.value.size else 0
    units = _exact(h.value, top * max(quota.size, 1)) * h.count
    out: dict[str, list[Any]] = {
        "clients": _per_line(h, h.count, cells),
        "allocated": _per_line(h, units, cells),
        "served": _per_line(h, h.count * (h.value > 0), cells),
        "min_quota": [None] * cells,
        "max_quota": [None] * cells,
    }
    ends = np.r_[h.starts[1:], h.line.size] - 1
    for c, lo, hi in zip(h.lines.tolist(), h.value[h.starts].tolist(), h.value[ends].tolist(), strict=True):
        out["min_quota"][c], out["max_quota"][c] = int(lo), int(hi)
    if ordered is not None:
        wanted = np.asarray(ordered, dtype=np.int64)
        ordering = wanted > 0
        out["ordered"] = cell_sums(codes, wanted, cells)
        # each client in one of four kinds, counted per line in one bincount: not ordering (0),
        # ordering and neither met nor stocked out (1), met (2), stocked out (3); an ordering
        # client cannot be both, as its order is above 0
        kind = ordering * (1 + (quota >= wanted) + 2 * (quota == 0))
        per = np.bincount(codes * 4 + kind, minlength=cells * 4).reshape(cells, 4)
        out["met"], out["stocked_out"] = per[:, 2].tolist(), per[:, 3].tolist()
        out["ordering"] = (per[:, 1] + per[:, 2] + per[:, 3]).tolist()
    else:
        out.update({k: [0] * cells for k in ("ordered", "ordering", "met", "stocked_out")})
    hists = [(h, cells)]
    if whole:
        for name, values in out.items():
            present = [v for v in values if v is not None]
            pick = min if name == "min_quota" else max if name == "max_quota" else sum
            values.append(pick(present) if present else None if name.endswith("_quota") else 0)
        hists.append((merged(h), 1))
    unknown: Rates = [None] * len(out["clients"])
    out["full_fill_rate"] = unknown if ordered is None else _ratios(out["met"], out["ordering"])
    out["coverage"] = _ratios(out["served"], out["clients"])
    gaps = [w - a for w, a in zip(out["ordered"], out["allocated"], strict=True)]
    out["gap_rate"] = unknown if ordered is None else _ratios(gaps, out["ordered"])
    out["top10_share"] = [r for g, n in hists for r in top_share_by_line(g, n)]
    out["gini"] = [r for g, n in hists for r in gini_by_line(g, n)]
    return out
