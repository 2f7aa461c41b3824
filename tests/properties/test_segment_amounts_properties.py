"""Properties of solve_segment_amounts checked against a brute-force enumerator of whole plans.

A plan gives every cell (segment, tier) with clients an amount, non-increasing down each segment's
cells, each amount <= max_amount; a client with factor k and cap c receives min(k * amount, c). The
enumerator lists, per segment, every such vector with amounts in 0..B, then every combination of
the segments' vectors. B rests on an argument independent of the solver's bounds: lowering every
amount to min(amount, B) keeps a plan valid, keeps every quota (B >= every finite ceil(cap / k), and
an uncapped client's amount is at most the total, which is at most 2 * supply: a larger total is
worse than the zero plan for both targets), does not widen any tier's spread, does not move an
amount away from an ideal <= B and does not make the plan lexicographically larger; so the best
plan by every criterion is among the enumerated ones.
"""

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal
from unittest.mock import patch

from hypothesis import example, given
from hypothesis import strategies as st

from allocator.apportionment import segment_amounts
from allocator.apportionment.segment_amounts import SegmentAmounts, SegmentDemand, solve_segment_amounts
from allocator.apportionment.tier_amounts import TierDemand, solve_tier_amounts

Target = Literal["at_most", "nearest"]
Clients = list[tuple[int | None, int]]  # one (cap, factor) per client
Vector = tuple[int, ...]
ENUMERATED = 4000  # the most vectors one segment may enumerate


@dataclass(frozen=True)
class Pool:
    segments: tuple[SegmentDemand, ...]
    supply: int
    max_amount: int | None

    @property
    def width(self) -> int:
        return len(self.segments[0].tiers)


def clients(tier: TierDemand) -> Clients:
    """Every client of a tier as (cap, factor)."""
    out: Clients = [(cap, 1) for cap, n in tier.caps.items() for _ in range(n)]
    return out + [(cap, k) for (cap, k), n in tier.multiplied.items() for _ in range(n)]


def quota(people: Clients, amount: int) -> int:
    return sum(k * amount if cap is None else min(k * amount, cap) for cap, k in people)


def cells(pool: Pool) -> list[list[Clients]]:
    return [[clients(t) for t in seg.tiers] for seg in pool.segments]


def bound(pool: Pool, ideal: list[Fraction] | None = None) -> int:
    everyone = [c for row in cells(pool) for cell in row for c in cell]
    finite = max((-(-cap // k) for cap, k in everyone if cap is not None), default=0)
    b = max(finite, 2 * pool.supply) if any(cap is None for cap, _ in everyone) else finite
    if ideal is not None:
        b = max(b, math.ceil(max(ideal, default=Fraction(0))))
    return b if pool.max_amount is None else min(b, pool.max_amount)


def vectors(row: list[Clients], top: int, limit: int) -> list[tuple[Vector, int]]:
    """Every non-increasing vector over the cells with clients (amounts 0..top), with its total."""
    busy = [cell for cell in row if cell]
    out: list[tuple[Vector, int]] = []

    def walk(i: int, upper: int, total: int, prefix: Vector) -> None:
        if i == len(busy):
            out.append((prefix, total))
            return
        for amount in range(upper + 1):
            here = total + quota(busy[i], amount)
            if here > limit:
                break  # totals only grow with the amount
            walk(i + 1, amount, here, (*prefix, amount))

    walk(0, top, 0, ())
    return out


def size(pool: Pool) -> int:
    return max(len(vectors(row, bound(pool), 2 * pool.supply)) for row in cells(pool))


@st.composite
def pools(draw: st.DrawFn, most: int = 3) -> Pool:
    count = draw(st.integers(2, most))
    width = draw(st.integers(1, 3))
    segments = []
    for s in range(count):
        tiers = []
        for t in range(width):
            caps: dict[int | None, int] = {}
            for cap in draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=3)):
                caps[cap] = caps.get(cap, 0) + 1
            doubled: dict[tuple[int | None, int], int] = {}
            for cap in draw(st.lists(st.one_of(st.none(), st.integers(0, 5)), max_size=1)):
                doubled[cap, 2] = doubled.get((cap, 2), 0) + 1
            tiers.append(TierDemand(f"D{width - t}", caps, doubled))
        segments.append(SegmentDemand(f"s{s}", tuple(tiers)))
    max_amount = draw(st.one_of(st.none(), st.integers(0, 5)))
    pool = Pool(tuple(segments), draw(st.integers(1, 14)), max_amount)
    while pool.supply > 1 and size(pool) > ENUMERATED:
        pool = Pool(pool.segments, pool.supply - 1, pool.max_amount)  # only uncapped pools shrink
    return pool


def plans(pool: Pool, top: int) -> Iterator[tuple[list[Vector], int]]:
    """Every plan (one vector per segment) with total <= 2 * supply."""
    per = [vectors(row, top, 2 * pool.supply) for row in cells(pool)]

    def walk(s: int, total: int, chosen: list[Vector]) -> Iterator[tuple[list[Vector], int]]:
        if s == len(per):
            yield chosen, total
            return
        for v, x in per[s]:
            if total + x <= 2 * pool.supply:
                yield from walk(s + 1, total + x, [*chosen, v])

    yield from walk(0, 0, [])


def best_total(pool: Pool, target: Target) -> int:
    per = [{x for _, x in vectors(row, bound(pool), 2 * pool.supply)} for row in cells(pool)]
    totals = {0}
    for xs in per:
        totals = {a + b for a in totals for b in xs if a + b <= 2 * pool.supply}
    if target == "at_most":
        return max(x for x in totals if x <= pool.supply)
    return min(totals, key=lambda x: (abs(x - pool.supply), x))


def grid(pool: Pool, plan: list[Vector]) -> dict[tuple[int, int], int]:
    """(segment, tier) -> amount for the cells with clients."""
    out: dict[tuple[int, int], int] = {}
    for s, (row, v) in enumerate(zip(cells(pool), plan, strict=True)):
        out.update(zip([(s, t) for t, cell in enumerate(row) if cell], v, strict=True))
    return out


def spread(pool: Pool, amounts: dict[tuple[int, int], int]) -> int:
    spans = []
    for t in range(pool.width):
        here = [a for (_, u), a in amounts.items() if u == t]
        if here:
            spans.append(max(here) - min(here))
    return max(spans, default=0)


def reading(pool: Pool, amounts: dict[tuple[int, int], int]) -> Vector:
    """The cells' amounts tier by tier from the best, segment by segment: the `flat` order."""
    return tuple(amounts[cell] for cell in sorted(amounts, key=lambda c: (c[1], c[0])))


def scale(pool: Pool, weights: list[int], goal: int) -> Fraction:
    """lam = min{lam : H(lam) >= min(goal, sup H)}, H(lam) = sum of min(k * min(lam e_t, M), cap)."""
    people = [(c, w) for row in cells(pool) for cell, w in zip(row, weights, strict=True) for c in cell]

    def h(lam: Fraction) -> Fraction:
        total = Fraction(0)
        for (cap, k), w in people:
            amount = lam * w if pool.max_amount is None else min(lam * w, Fraction(pool.max_amount))
            total += k * amount if cap is None else min(k * amount, Fraction(cap))
        return total

    points = {Fraction(0)} | {Fraction(cap, k * w) for (cap, k), w in people if w and cap}
    if pool.max_amount is not None:
        points |= {Fraction(pool.max_amount, w) for _, w in people if w}
    ordered = sorted(points)
    slope = h(ordered[-1] + 1) - h(ordered[-1])
    wanted = Fraction(goal) if slope else min(Fraction(goal), h(ordered[-1]))
    if wanted == 0:
        return Fraction(0)
    for before, point in itertools.pairwise(ordered):
        if h(point) >= wanted:
            return before + (wanted - h(before)) * (point - before) / (h(point) - h(before))
    return ordered[-1] + (wanted - h(ordered[-1])) / slope


def brute(pool: Pool, target: Target, weights: list[int] | None) -> tuple[int, int, dict[tuple[int, int], int]]:
    """The optimal total, the smallest spread among its plans, and the rule's plan (its cells)."""
    total = best_total(pool, target)
    ideal = [scale(pool, weights, total) * w for w in weights] if weights is not None else None
    best: tuple[object, ...] | None = None
    chosen: dict[tuple[int, int], int] = {}
    for plan, x in plans(pool, bound(pool, ideal)):
        if x != total:
            continue
        amounts = grid(pool, plan)
        dev = max((abs(a - ideal[t]) for (_, t), a in amounts.items()), default=Fraction(0)) if ideal else 0
        key = (spread(pool, amounts), dev, reading(pool, amounts))
        if best is None or key < best:
            best, chosen = key, amounts
    assert best is not None
    return total, spread(pool, chosen), chosen


def filled(pool: Pool, amounts: dict[tuple[int, int], int], ideal: list[Fraction] | None) -> dict[str, Vector]:
    """Every segment's amounts with the cells without clients filled as the docstring says."""
    dev = max((abs(a - ideal[t]) for (_, t), a in amounts.items()), default=Fraction(0)) if ideal else Fraction(0)
    out = {}
    for s, seg in enumerate(pool.segments):
        values = []
        for t in range(pool.width):
            if (s, t) in amounts:
                values.append(amounts[s, t])
                continue
            below = [amounts[s, u] for u in range(t + 1, pool.width) if (s, u) in amounts]
            above = [amounts[s, u] for u in range(t) if (s, u) in amounts]
            carry = below[0] if below else 0
            if ideal is None:
                values.append(carry)
                continue
            wanted = max(carry, math.ceil(ideal[t] - dev))
            ceiling = above[-1] if above else pool.max_amount
            values.append(wanted if ceiling is None else min(wanted, ceiling))
        out[seg.segment] = tuple(values)
    return out


def solve(pool: Pool, target: Target, weights: list[int] | None = None) -> SegmentAmounts:
    return solve_segment_amounts(
        pool.segments,
        pool.supply,
        target=target,
        max_amount=pool.max_amount,
        shape="flat" if weights is None else "entitlement",
        entitlement=weights,
    )


targets = st.sampled_from(["at_most", "nearest"])
T = TierDemand


def two(a: tuple[TierDemand, ...], b: tuple[TierDemand, ...], supply: int, most: int | None = None) -> Pool:
    return Pool((SegmentDemand("s0", a), SegmentDemand("s1", b)), supply, most)


@given(pools(), targets)
@example(two((T("D2", {None: 2}), T("D1", {None: 3})), (T("D2", {None: 1}), T("D1", {None: 1})), 5), "at_most")
@example(two((T("D2", {None: 2}), T("D1", {})), (T("D2", {}), T("D1", {None: 3})), 5), "nearest")
def test_total_spread_and_flat_are_the_brute_force_optimum(pool: Pool, target: Target) -> None:
    got = solve(pool, target)
    total, least, plan = brute(pool, target, None)
    assert got.spread_proven  # small pools are always proven
    assert (got.total, got.spread) == (total, least)
    assert got.amounts == filled(pool, plan, None)


@st.composite
def entitled(draw: st.DrawFn) -> tuple[Pool, list[int]]:
    pool = draw(pools(most=2))
    weights = sorted(draw(st.lists(st.integers(0, 4), min_size=pool.width, max_size=pool.width)), reverse=True)
    return pool, weights


@given(entitled(), targets)
# ideal 4/3: (2, 0) deviates 4/3, (1, 3) 5/3; an integer deviation of 2 would let (1, 3) win
@example((two((T("D1", {None: 3}, {(None, 2): 1}),), (T("D1", {None: 1, 2: 1}),), 10), [1]), "at_most")
def test_entitlement_is_the_brute_force_best(case: tuple[Pool, list[int]], target: Target) -> None:
    pool, weights = case
    got = solve(pool, target, weights)
    total, least, plan = brute(pool, target, weights)
    ideal = [scale(pool, weights, total) * w for w in weights]
    assert got.spread_proven
    assert (got.total, got.spread) == (total, least)
    assert got.amounts == filled(pool, plan, ideal)


@given(pools(), targets, st.booleans())
def test_plans_are_valid_and_count_every_multiplier(pool: Pool, target: Target, entitle: bool) -> None:
    weights = list(range(pool.width, 0, -1)) if entitle else None
    got = solve(pool, target, weights)
    assert list(got.amounts) == [seg.segment for seg in pool.segments]
    received = 0
    for row, seg in zip(cells(pool), pool.segments, strict=True):
        values = got.amounts[seg.segment]
        assert len(values) == pool.width
        assert all(a >= b >= 0 for a, b in itertools.pairwise(values))
        assert pool.max_amount is None or all(a <= pool.max_amount for a in values)
        received += sum(quota(cell, a) for cell, a in zip(row, values, strict=True))
    assert received == got.total
    assert target == "nearest" or got.total <= pool.supply
    amounts = {
        (s, t): got.amounts[seg.segment][t]
        for s, seg in enumerate(pool.segments)
        for t, cell in enumerate(cells(pool)[s])
        if cell
    }
    assert spread(pool, amounts) == got.spread


@given(pools(most=2), targets)
def test_one_segment_is_the_single_ladder_solver(pool: Pool, target: Target) -> None:
    """One segment delegates; a second segment without clients changes nothing under `flat`."""
    lonely = pool.segments[0]
    single = solve_tier_amounts(lonely.tiers, pool.supply, target=target, max_amount=pool.max_amount)
    one = solve_segment_amounts([lonely], pool.supply, target=target, max_amount=pool.max_amount)
    assert one == SegmentAmounts({lonely.segment: single.amounts}, single.total, 0, True)
    empty = SegmentDemand("nobody", tuple(TierDemand(t.name, {}) for t in lonely.tiers))
    both = solve_segment_amounts([lonely, empty], pool.supply, target=target, max_amount=pool.max_amount)
    assert both == SegmentAmounts({lonely.segment: single.amounts, "nobody": (0,) * pool.width}, single.total, 0, True)


@given(pools(), targets, st.booleans())
@example(two((T("D2", {None: 2}), T("D1", {None: 3})), (T("D2", {None: 1}), T("D1", {None: 1})), 5), "at_most", False)
def test_a_cut_search_still_gives_the_optimal_total(pool: Pool, target: Target, entitle: bool) -> None:
    """With no work allowed the exact programme stops at once: the total stays the proven optimum,
    the plan stays valid, and the flags say what is left proven."""
    weights = list(range(pool.width, 0, -1)) if entitle else None
    with patch.object(segment_amounts, "SEARCH_WORK", 0):
        got = solve(pool, target, weights)
    total, least, plan = brute(pool, target, weights)
    assert got.total == total
    assert got.spread >= least
    assert got.spread == least or not got.spread_proven
    for seg in pool.segments:
        values = got.amounts[seg.segment]
        assert all(a >= b >= 0 for a, b in itertools.pairwise(values))
        assert pool.max_amount is None or all(a <= pool.max_amount for a in values)
    received = sum(
        quota(cell, a)
        for row, seg in zip(cells(pool), pool.segments, strict=True)
        for cell, a in zip(row, got.amounts[seg.segment], strict=True)
    )
    assert received == got.total
    if got.shape_proven:  # only the common ladder (spread 0 on chained tiers) needs no search
        assert got.spread == 0 and got.amounts == filled(
            pool, plan, None if weights is None else [scale(pool, weights, total) * w for w in weights]
        )


@given(pools(), targets, st.booleans())
def test_deterministic(pool: Pool, target: Target, entitle: bool) -> None:
    """The same demand with its histograms in another order and zero-count entries added."""
    weights = list(range(pool.width, 0, -1)) if entitle else None

    def shuffled(tier: TierDemand) -> TierDemand:
        caps = {**dict(reversed(list(tier.caps.items()))), 7: 0}
        return TierDemand(tier.name, caps, {**dict(reversed(list(tier.multiplied.items()))), (7, 9): 0})

    other = Pool(
        tuple(SegmentDemand(s.segment, tuple(shuffled(t) for t in s.tiers)) for s in pool.segments),
        pool.supply,
        pool.max_amount,
    )
    assert solve(pool, target, weights) == solve(pool, target, weights) == solve(other, target, weights)
