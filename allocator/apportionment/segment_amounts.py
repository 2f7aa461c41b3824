"""Tier amounts per segment (按档位扩展投放): one amount per (segment, tier), one shared pool.

The segments of a pool (districts, market types, ...) share one window of tiers, best first, and
one supply. A plan gives each cell (segment s, tier t) with clients an integer amount; a segment's
amounts never grow from a better tier to a worse one; a client receives min(k * amount, its cap),
k its multiplier (1 unless TierDemand.multiplied says otherwise); max_amount bounds every amount.

Which plan (every step among the plans the step before kept):
1. The total: the optimum for the target over every plan of the pool (`at_most`: the largest total
   <= supply; `nearest`: the smallest |total - supply|, a tie to the lower total). Proven: the
   pool's reachable totals are the sum-set of the segments' (segment_reach, one bitset per run).
2. The spread: max over tiers of (largest - smallest amount of the tier's cells), the smallest.
3. `flat`: the smallest amounts read tier by tier from the best, within a tier segment by segment
   in the order given. `entitlement`: first the smallest max |a - lam * e_t| over the cells, lam
   scaled on the whole pool as solve_tier_amounts scales it, then `flat`.
A cell without clients takes no part in 2 or 3: it gets the smallest amount the order allows (the
amount of the segment's next worse cell, 0 below its last), with `entitlement` raised to
ceil(lam * e_t - the plan's deviation) if the order allows that.

How the spread is proven. Spread 0 is one common amount per tier: when every two neighbouring tiers
with clients share a segment, that is solve_tier_amounts on the merged tiers at the optimal total,
which decides it exactly. Otherwise segment_search runs the exact programme over the segments'
amounts for spread 0, 1, 2, ...: the first spread with a plan is the smallest, and the programme
also picks the shape. With one segment the result is solve_tier_amounts's, spread 0.

When spread_proven is False. The exact programme's work grows with the segments' window of amounts
and the number of cells a tier has ((spread + 1) ** cells states per amount); past SEARCH_WORK units
it stops. The plan is then the best a cheaper search finds: segment_reach's witness (the optimal
total, any shape), improved by searching, for spreads from the proven lower bound up, windows of
the given width around common ladders near the total (FALLBACK_WORK units). Its total is still the
proven optimum and it is a valid plan; its spread is the smallest that search found, and the
`flat` or `entitlement` choice among plans of that spread is not proven.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from allocator.apportionment.segment_bounds import Cell, Cells, active, bounds, own_bounds
from allocator.apportionment.segment_reach import LevelRun, check_levels, pool_reach, pool_witness
from allocator.apportionment.segment_search import Budget, Search, SearchCut, closest, deviation
from allocator.apportionment.tier_amounts import (
    Shape,
    Target,
    TierAmountsTooLarge,
    _at_total,
    _capacity,
    _entitlement,
    _option_problems,
    _overshoot,
    _pick,
    _scale,
    solve_tier_amounts,
)
from allocator.apportionment.tier_demand import TierAmountsError, TierDemand, _non_negative_int, _Tier, _tier
from allocator.apportionment.tier_reach import lexmin, positions, reach

SEARCH_WORK = 2**20  # work units (about a microsecond each): about a second on this project's machine
FALLBACK_WORK = 2**19


@dataclass(frozen=True)
class SegmentDemand:
    """One segment of a pool: its name and its clients per tier of the window, best first."""

    segment: str
    tiers: Sequence[TierDemand]


@dataclass(frozen=True)
class SegmentAmounts:
    """The amounts per segment (one per tier of the window, best first), the total they hand out
    (always the proven optimum), their spread, whether that spread is proven the smallest, and
    whether the `flat` or `entitlement` choice among the plans of that spread is proven too."""

    amounts: dict[str, tuple[int, ...]]
    total: int
    spread: int
    spread_proven: bool
    shape_proven: bool = True


def _problems(
    segments: Sequence[SegmentDemand], supply: int, options: tuple[str, str, object, int | None]
) -> list[str]:
    """Every problem with the arguments, each with its place."""
    problems: list[str] = []
    try:
        _non_negative_int("supply", supply)
    except TierAmountsError as exc:
        problems.append(str(exc))
    problems += _option_problems(*options)
    names = [t.name for t in segments[0].tiers] if segments else []
    seen: set[str] = set()
    for i, demand in enumerate(segments):
        where = f"segments[{i}] (segment={demand.segment})"
        if not isinstance(demand.segment, str) or demand.segment in seen:
            problems.append(f"{where}: the segment name must be a string no other segment has")
        seen.add(str(demand.segment))
        if [t.name for t in demand.tiers] != names:
            problems.append(
                f"{where}: tiers {[t.name for t in demand.tiers]} differ from segments[0]'s {names}; "
                "every segment of a pool has the same window"
            )
            continue
        for j, tier in enumerate(demand.tiers):
            try:
                _tier(j, tier, None, f"{where}.tiers[{j}] (name={tier.name})")
            except TierAmountsError as exc:
                problems.append(str(exc))
    entitlement = options[2]
    if isinstance(entitlement, Sequence):
        try:
            _entitlement(entitlement, len(names))
        except TierAmountsError as exc:
            problems.append(str(exc))
    return problems


def _merge(tiers: Sequence[_Tier]) -> _Tier:
    """The clients of several cells as one tier."""
    capped: dict[tuple[int, int], int] = {}
    for tier in tiers:
        for cap, k, n in tier.capped:
            capped[cap, k] = capped.get((cap, k), 0) + n
    groups = tuple(sorted((cap, k, n) for (cap, k), n in capped.items()))
    return _Tier(sum(t.uncapped for t in tiers), groups, sum(t.clients for t in tiers))


def _spread(cells: Cells, plan: dict[Cell, int]) -> int:
    """max over tiers of (largest - smallest amount of the tier's cells)."""
    width = len(cells[0]) if cells else 0
    spans = [
        max(plan[s, t] for s in active(cells, t)) - min(plan[s, t] for s in active(cells, t))
        for t in range(width)
        if active(cells, t)
    ]
    return max(spans, default=0)


def _chained(cells: Cells) -> bool:
    """Do every two neighbouring tiers with clients share a segment (so common amounts never grow)?"""
    order = [t for t in range(len(cells[0])) if active(cells, t)]
    return all(any(row[t] is not None and row[u] is not None for row in cells) for t, u in itertools.pairwise(order))


@dataclass(frozen=True)
class _Pool:
    cells: Cells
    merged: list[_Tier]  # every tier of the window, its cells merged
    total: int
    weights: list[Fraction] | None
    ideal: list[Fraction] | None
    max_amount: int | None


def _common(pool: _Pool) -> dict[Cell, int] | bool:
    """The rule's plan if it has spread 0 and the tiers are chained; False if spread 0 is proven
    impossible; True if undecided (not chained, or too large for solve_tier_amounts's limits)."""
    if not _chained(pool.cells):
        return True
    order = [t for t in range(len(pool.merged)) if active(pool.cells, t)]
    weights = [pool.weights[t] for t in order] if pool.weights is not None else None
    try:
        common = _at_total([pool.merged[t] for t in order], weights, pool.total, pool.max_amount)
    except TierAmountsTooLarge:
        return True
    if common is None:
        return False
    return {(s, t): a for t, a in zip(order, common, strict=True) for s in active(pool.cells, t)}


def _exact(pool: _Pool, budget: Budget) -> dict[Cell, int]:
    """The rule's plan, proven (module docstring). Past the budget SearchCut(the smallest spread
    still possible, and the proven `flat` plan of that spread if the cut came in the entitlement step)."""
    common = _common(pool)
    if isinstance(common, dict):
        return common
    cells, total = pool.cells, pool.total
    spread = 0 if common else 1
    own = own_bounds(cells, total)
    try:
        while True:
            box = bounds(cells, own, spread, pool.max_amount)
            search = Search(cells, total, spread, box, budget) if box is not None else None
            if search is not None and search.tables is not None:
                break
            if box is not None and spread > max(box.hi.values(), default=0):
                raise AssertionError("the optimal total has no plan")  # a bug, not input
            spread += 1  # proven: no plan of this spread reaches the total
        flat = search.lexmin()
    except SearchCut:
        raise SearchCut(spread, None) from None
    if pool.ideal is None:
        return flat
    try:
        found = closest(cells, total, spread, pool.max_amount, pool.ideal, deviation(flat, pool.ideal), budget)
        return found.lexmin()
    except SearchCut:
        raise SearchCut(spread, flat) from None


def _windowed(pool: _Pool, common: dict[int, int], spread: int, shift: int, budget: Budget) -> dict[Cell, int] | None:
    """A plan with every cell of tier t in [common_t - shift, common_t - shift + spread], or None."""
    ladders = []
    for s, row in enumerate(pool.cells):
        tiers = [t for t, cell in enumerate(row) if cell is not None]
        if not tiers:
            continue  # reaches only 0: the base stays as it is
        lows = [max(0, common[t] - shift) for t in tiers]
        highs = [low + spread if pool.max_amount is None else min(low + spread, pool.max_amount) for low in lows]
        if any(high < low for low, high in zip(lows, highs, strict=True)):
            return None
        quotas = [row[t].quotas(lo, hi) for t, lo, hi in zip(tiers, lows, highs, strict=True)]  # type: ignore[union-attr]
        budget.spend(sum(len(q) for q in quotas) * (2 + pool.total // 2048))
        ladders.append((s, tiers, lows, quotas))
    bases = [1]
    for _, _, lows, quotas in ladders:
        bases.append(reach(quotas, lows, pool.total, bases[-1])[0])
    if not (bases[-1] >> pool.total) & 1:
        return None
    plan: dict[Cell, int] = {}
    rest = pool.total
    for index in range(len(ladders) - 1, -1, -1):
        s, tiers, lows, quotas = ladders[index]
        first = reach(quotas, lows, pool.total, bases[index])[1]
        amounts = lexmin(quotas, lows, first, rest, bases[index])
        for t, low, values, a in zip(tiers, lows, quotas, amounts, strict=True):
            plan[s, t] = a
            rest -= values[a - low]
    return plan


def _near(pool: _Pool, count: int) -> list[dict[int, int]]:
    """Common ladders (flat, one amount a tier) whose totals are the merged ladder's nearest to the total."""
    order = [t for t in range(len(pool.merged)) if active(pool.cells, t)]
    merged = [pool.merged[t] for t in order]
    totals = positions(LevelRun(merged, 1, 2 * pool.total + 1, pool.max_amount).reach).tolist()
    below = [x for x in totals if x <= pool.total][-count:]
    above = [x for x in totals if x > pool.total][:count]
    out = []
    for goal in sorted(below + above, key=lambda x: (abs(x - pool.total), x)):
        try:
            amounts = _at_total(merged, None, goal, pool.max_amount)
        except TierAmountsTooLarge:
            continue
        if amounts is not None:
            out.append(dict(zip(order, amounts, strict=True)))
    return out


def _fallback(pool: _Pool, ladders: list[list[_Tier]], bases: list[int], low: int) -> dict[Cell, int]:
    """A valid plan at the optimal total with the smallest spread a bounded search finds."""
    witness = pool_witness(ladders, bases, pool.total, pool.max_amount)
    best: dict[Cell, int] = {}
    for s, row in enumerate(pool.cells):
        best.update(zip([(s, t) for t, cell in enumerate(row) if cell is not None], witness[s], strict=True))
    budget = Budget(FALLBACK_WORK)
    try:
        commons = _near(pool, 2)
        for spread in range(low, _spread(pool.cells, best)):
            for common, shift in itertools.product(commons, sorted({0, spread})):
                found = _windowed(pool, common, spread, shift, budget)
                if found is not None:
                    return found
    except (SearchCut, TierAmountsTooLarge):
        pass
    return best


def _fill(pool: _Pool, plan: dict[Cell, int]) -> dict[int, tuple[int, ...]]:
    """Every segment's amounts, the cells without clients filled as the module docstring says."""
    delta = deviation(plan, pool.ideal) if pool.ideal is not None else Fraction(0)
    out: dict[int, tuple[int, ...]] = {}
    width = len(pool.merged)
    for s, row in enumerate(pool.cells):
        above: list[int | None] = []
        last = pool.max_amount
        for t in range(width):
            above.append(last)
            if row[t] is not None:
                last = plan[s, t]
        values = [0] * width
        carry = 0
        for t in reversed(range(width)):
            if row[t] is not None:
                carry = values[t] = plan[s, t]
            elif pool.ideal is None:
                values[t] = carry
            else:
                wanted = max(carry, math.ceil(pool.ideal[t] - delta))
                bound = above[t]
                values[t] = wanted if bound is None else min(wanted, bound)
        out[s] = tuple(values)
    return out


def solve_segment_amounts(
    segments: Sequence[SegmentDemand],
    supply: int,
    *,
    target: Target = "at_most",
    shape: Shape = "flat",
    entitlement: Sequence[int | Fraction] | None = None,
    max_amount: int | None = None,
) -> SegmentAmounts:
    """The pool's amounts per (segment, tier): the optimal total, then the smallest spread, then the shape."""
    problems = _problems(segments, supply, (target, shape, entitlement, max_amount))
    if problems:
        raise TierAmountsError("\n".join(problems))
    if not segments:
        return SegmentAmounts({}, 0, 0, True)
    if len(segments) == 1:
        one = solve_tier_amounts(
            segments[0].tiers, supply, target=target, shape=shape, entitlement=entitlement, max_amount=max_amount
        )
        return SegmentAmounts({segments[0].segment: one.amounts}, one.total, 0, True)
    cells: list[list[_Tier | None]] = []
    for seg in segments:
        row = [_tier(j, tier, max_amount) for j, tier in enumerate(seg.tiers)]
        cells.append([cell if cell.clients else None for cell in row])
    width = len(segments[0].tiers) if segments else 0
    merged = [_merge([cell for row in cells if (cell := row[t]) is not None]) for t in range(width)]
    limit = supply if target == "at_most" else supply + _overshoot(merged, supply)
    capacity = _capacity(merged)
    if capacity is not None:
        limit = min(limit, capacity)
    ladders = [[cell for cell in row if cell is not None] for row in cells]
    check_levels(ladders, limit, max_amount)
    bases = pool_reach(ladders, limit, max_amount)
    total = _pick(bases[-1], supply, target)
    weights = _entitlement(entitlement, width) if entitlement is not None else None
    ideal = [_scale(merged, weights, total) * w for w in weights] if weights is not None else None
    pool = _Pool(cells, merged, total, weights, ideal, max_amount)
    low = 0
    try:
        plan, shaped = _exact(pool, Budget(SEARCH_WORK)), True
    except SearchCut as cut:
        low, flat = cut.args
        plan, shaped = (flat if flat is not None else _fallback(pool, ladders, bases, low)), False
    filled = _fill(pool, plan)
    amounts = {seg.segment: filled[s] for s, seg in enumerate(segments)}
    spread = _spread(cells, plan)
    # proven either by the exact programme, or because the plan found meets the proven lower bound
    return SegmentAmounts(amounts, total, spread, shaped or spread == low, shaped)
