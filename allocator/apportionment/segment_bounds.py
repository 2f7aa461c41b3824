"""Per cell the amounts the exact search needs to try: bounds that lose no plan it is looking for.

A cell with an uncapped client cannot hold more than b, the largest amount at which the segment's
better cells and it, all at b, stay within the total (its clients take at least the amount each).
The tier's smallest amount m_t cannot pass P_t, the largest m at which every segment with a cell in
t, its cells up to t all at m, stays within the total (they all hold at least m_t), so no cell of t
holds more than P_t + spread. Every amount can be lowered to G = max(those b, every capped cell's
saturation, the largest ideal) without changing a quota, the order, a spread or a deviation from an
ideal, and keeping the plan lexicographically no larger. The spread and the order then carry each
bound to the other cells: down a segment, up a segment, and across a tier by the spread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from allocator.apportionment.tier_demand import _Tier

Cells = Sequence[Sequence[_Tier | None]]  # cells[s][t]; None: the segment has no client in that tier
Cell = tuple[int, int]  # (segment, tier)


def active(cells: Cells, tier: int) -> list[int]:
    """The segments with clients in this tier."""
    return [s for s, row in enumerate(cells) if row[tier] is not None]


def _largest(quota: Callable[[int], int], total: int, top: int | None) -> int | None:
    """The largest a with quota(a) <= total (quota non-decreasing, growing without end if top is
    None, constant from top on otherwise); None if every a qualifies."""
    if top is not None and quota(top) <= total:
        return None
    low, high = 0, total if top is None else top  # growing without end: quota(a) >= a
    while low < high:
        mid = (low + high + 1) // 2
        if quota(mid) <= total:
            low = mid
        else:
            high = mid - 1
    return low


def tier_bounds(cells: Cells, total: int) -> dict[int, int | None]:
    """P_t: the largest m such that the segments with a cell in t, with all their cells up to t at m,
    stay within the total. Every cell of t and every better cell of those segments is at least the
    tier's smallest amount, so that amount is at most P_t, and every cell of t at most P_t + spread."""
    out: dict[int, int | None] = {}
    for t in range(len(cells[0]) if cells else 0):
        up_to = [c for s in active(cells, t) for c in cells[s][: t + 1] if c is not None]
        if not up_to:
            continue
        sats = [c.saturation for c in up_to]
        top = None if None in sats else max(x or 0 for x in sats)
        out[t] = _largest(lambda m, up_to=up_to: sum(c.quota(m) for c in up_to), total, top)  # type: ignore[misc]
    return out


def own_bounds(cells: Cells, total: int) -> dict[Cell, int | None]:
    """b per cell: the largest a with f(a) of the segment's cells up to it (all at a) within total;
    None for a cell whose clients are all capped. Tier t's P_t comes in under the key (-1, t)."""
    out: dict[Cell, int | None] = {(-1, t): b for t, b in tier_bounds(cells, total).items()}
    for s, row in enumerate(cells):
        tiers: list[_Tier] = []
        high = total  # an uncapped client takes the whole amount, f(a) >= a; b only falls down a segment
        for t, cell in enumerate(row):
            if cell is None:
                continue
            tiers.append(cell)
            if cell.saturation is not None:
                out[s, t] = None
                continue
            low = 0
            while low < high:
                mid = (low + high + 1) // 2
                if sum(c.quota(mid) for c in tiers) <= total:
                    low = mid
                else:
                    high = mid - 1
            out[s, t] = high = low
    return out


@dataclass(frozen=True)
class Bounds:
    """Per cell the amounts the search tries: lo[cell] .. hi[cell]."""

    lo: dict[Cell, int]
    hi: dict[Cell, int]


def bounds(
    cells: Cells,
    own: dict[Cell, int | None],
    spread: int,
    max_amount: int | None,
    ideal: Sequence[Fraction] | None = None,
    deviation: Fraction | None = None,
) -> Bounds | None:
    """The boxes of every cell (see module; own from own_bounds); with ideal and deviation also
    |a - ideal_t| <= deviation. None if some box is empty."""
    tiers = len(cells[0]) if cells else 0
    sats = [cell.saturation or 0 for row in cells for cell in row if cell is not None]
    clamp = max([b for b in own.values() if b is not None] + sats + [0])
    if ideal is not None:
        clamp = max(clamp, math.ceil(max(ideal, default=Fraction(0))))
    if max_amount is not None:
        clamp = min(clamp, max_amount)
    lo: dict[Cell, int] = {}
    hi: dict[Cell, int] = {}
    for s, row in enumerate(cells):
        for t, cell in enumerate(row):
            if cell is None:
                continue
            b, pooled = own.get((s, t)), own.get((-1, t))
            lo[s, t], hi[s, t] = 0, clamp if b is None else min(b, clamp)
            if pooled is not None:
                hi[s, t] = min(hi[s, t], pooled + spread)
            if ideal is not None and deviation is not None:
                lo[s, t] = max(0, math.ceil(ideal[t] - deviation))
                hi[s, t] = min(hi[s, t], math.floor(ideal[t] + deviation))
    _carry(cells, tiers, spread, lo, hi)
    if any(lo[c] > hi[c] for c in lo):
        return None
    return Bounds(lo, hi)


def _carry(cells: Cells, tiers: int, spread: int, lo: dict[Cell, int], hi: dict[Cell, int]) -> None:
    """Carry upper bounds down each segment and lower bounds up, and both across a tier by the spread."""
    last: dict[int, int] = {}
    for t in range(tiers):  # best first: a_t <= the segment's amount in a better tier
        cells_t = active(cells, t)
        for s in cells_t:
            if s in last:
                hi[s, t] = min(hi[s, t], hi[s, last[s]])
            last[s] = t
        if cells_t:
            top = min(hi[s, t] for s in cells_t) + spread
            for s in cells_t:
                hi[s, t] = min(hi[s, t], top)
    last = {}
    for t in reversed(range(tiers)):  # worst first: a_t >= the segment's amount in a worse tier
        cells_t = active(cells, t)
        for s in cells_t:
            if s in last:
                lo[s, t] = max(lo[s, t], lo[s, last[s]])
            last[s] = t
        if cells_t:
            bottom = max(lo[s, t] for s in cells_t) - spread
            for s in cells_t:
                lo[s, t] = max(lo[s, t], bottom)
