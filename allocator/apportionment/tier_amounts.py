"""Tier amounts (档位投放量): one integer amount per tier, with the total at the proven optimum.

The tiers are the brand's window, best first. Tier t gets one amount a_t, the amounts never grow
from a better tier to a worse one (a_1 >= a_2 >= ... >= a_T >= 0), and every client of tier t
receives min(a_t, its cap); a client with a multiplier k (TierDemand.multiplied) receives
min(k * a_t, its cap). With f_t(a) = sum over the clients of t of min(k * a, cap), the total is
sum_t f_t(a_t). `at_most` wants the largest total <= supply; `nearest` the total with the smallest
|total - supply|, a tie going to the LOWER total (never hand out more than needed to be as close).

Algorithm. A dynamic programme from the worst tier up over sets of reachable totals, each set a
Python int used as a bitset. R_t(a), the totals of tiers t..T when a_t = a, is P_{t+1}(a) shifted
by f_t(a), where P_{t+1}(a) is the union of R_{t+1}(a') over a' <= a; totals above a limit L are
masked off (totals only grow). Instead of every P_t(a), a tier keeps first_t[x], the smallest a_t
with which tiers t..T reach x, so "x in P_t(u)" is first_t[x] <= u and memory is O(tiers * L).
The amounts are rebuilt from the best tier down, each the smallest that still completes to the
optimal total: the lexicographically smallest optimal vector (`flat`).

Why the amounts can be bounded without losing an optimum. Let sat_t be the amount from which f_t
stops growing (the largest ceil(cap / k) if every client of t is capped, 0 for an empty tier,
unbounded otherwise; max_amount bounds every amount, so it counts as a cap of k * max_amount). For any non-increasing a define a'
from the worst tier up by a'_t = max(min(a_t, sat_t), a'_{t+1}) (a'_{T+1} = 0). Then a' is
non-increasing, a' <= a, and f_t(a'_t) = f_t(a_t) because f_t is constant on [min(a_t, sat_t),
a_t]: same total, and a' is lexicographically <= a. Each a'_t equals min(a_s, sat_s) for some s >= t, and for that s
F_s(min(a_s, sat_s)) <= F_s(a_s) <= sum_{r<=s} f_r(a_r) <= total(a), with F_s = f_1 + ... + f_s,
because a_r >= a_s for every better tier r. So if total(a) <= L, then a'_t <= A_t where
b_s = max{a <= sat_s : F_s(a) <= L} and A_t = max_{s>=t} b_s. Restricting a_t to 0..A_t therefore
keeps, for every total <= L, a vector with that total, and keeps the flat optimum itself.
Note that "an amount above a tier's largest cap is useless" alone would be wrong: a capped tier
above an uncapped one must be allowed a large amount, or the tier below could not have it.

The limit L. For `at_most`, L = supply. For `nearest` an overshoot can win, so L = supply + e,
where e is the error of an explicit feasible vector (the best "staircase" k+1, ..., k+1, k, ..., k
around the supply): the optimum's error e* <= e, so its total is <= supply + e* <= L.

Bounds on the work. When every client is capped, L is also at most the sum of the caps (no total
above it exists), so a supply far above what the clients can take costs nothing. A run visits
sum_t (A_t + 1) * (L + 1) (amount, total) pairs and keeps tables of (tiers - 1) * (L + 1) amounts;
above STEP_LIMIT pairs or TABLE_LIMIT bytes it is refused (TierAmountsTooLarge)
before anything that large is built: an exact answer is never traded for a guess.

Shapes. `flat`: among the vectors with the optimal total, the lexicographically smallest read from
the best tier down. `entitlement`: the planner's entitlements e_t are scaled by
lam = min{lam >= 0 : H(lam) >= min(total, sup H)}, H(lam) = sum over clients of
min(k * lam * e_t, cap) (the continuous, cap-respecting plan that delivers the same total; if it cannot
reach it, the smallest lam at which it is full); among the vectors with the optimal total the one
minimising D(a) = max_t |a_t - lam * e_t| is chosen, ties going to `flat`. All in exact Fractions;
the minimal D is found by a galloping then a binary search over the values |a - lam * e_t| can take,
each step a reachability run restricted to the boxes |a_t - lam * e_t| <= D.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from allocator.apportionment.tier_demand import (
    TierAmountsError,
    TierDemand,
    _non_negative_int,
    _Tier,
    _tier,
)
from allocator.apportionment.tier_reach import lexmin, reach, smallest_deviation

__all__ = [  # TierDemand and TierAmountsError live in tier_demand; they are imported from here too
    "STEP_LIMIT",
    "TABLE_LIMIT",
    "Shape",
    "Target",
    "TierAmounts",
    "TierAmountsError",
    "TierAmountsTooLarge",
    "TierDemand",
    "amounts_for_total",
    "ideal_amounts",
    "solve_tier_amounts",
    "total_for",
]

Target = Literal["at_most", "nearest"]
Shape = Literal["flat", "entitlement"]


@dataclass(frozen=True)
class TierAmounts:
    """One amount per tier (best first) and the total the clients receive with them."""

    amounts: tuple[int, ...]
    total: int


class TierAmountsTooLarge(ValueError):
    """The proof of optimality would need more work or memory than the solver allows (the
    pipeline reports it as a user error, `errors.TooLargeError`)."""


# One reachability run visits every (amount, total) pair of every tier once, 64 totals a machine
# word: 2**33 pairs take seconds. Its first-amount tables hold a number per (tier, total).
STEP_LIMIT = 2**33
TABLE_LIMIT = 2**28  # bytes


def _check_size(spans: Sequence[int], lows: Sequence[int], limit: int) -> None:
    """Refuse a run over amounts lows[t] .. lows[t] + spans[t] - 1 and totals 0..limit that
    would pass STEP_LIMIT or TABLE_LIMIT, before anything of that size is built."""
    totals = limit + 1
    steps = sum(spans) * totals
    never = max((low + span for low, span in zip(lows, spans, strict=True)), default=0)
    table = (len(spans) - 1) * totals * np.min_scalar_type(never).itemsize
    if steps <= STEP_LIMIT and table <= TABLE_LIMIT:
        return
    raise TierAmountsTooLarge(
        f"proving the optimal tier amounts needs {steps:,} steps and {table:,} bytes of tables "
        f"({len(spans)} tiers, up to {max(spans):,} amounts a tier, totals up to {limit:,}), "
        f"above the limits of {STEP_LIMIT:,} steps and {TABLE_LIMIT:,} bytes: "
        "give clients caps (an order_column or max_per_client), or a smaller supply"
    )


def _entitlement(entitlement: Sequence[int | Fraction], count: int) -> list[Fraction]:
    if len(entitlement) != count:
        raise TierAmountsError(f"entitlement has {len(entitlement)} values for {count} tiers")
    values: list[Fraction] = []
    for i, value in enumerate(entitlement):
        if isinstance(value, bool) or not isinstance(value, int | Fraction) or value < 0:
            raise TierAmountsError(f"entitlement[{i}] must be an int or Fraction >= 0, got {value!r}")
        if values and value > values[-1]:
            raise TierAmountsError(
                f"entitlement must be non-increasing from the best tier: "
                f"entitlement[{i}]={value} > entitlement[{i - 1}]={values[-1]}"
            )
        values.append(Fraction(value))
    return values


def total_for(tiers: Sequence[TierDemand], amounts: Sequence[int]) -> int:
    """The total the tiers' clients receive with these amounts: sum of min(amount, cap)."""
    if len(amounts) != len(tiers):
        raise TierAmountsError(f"amounts has {len(amounts)} values for {len(tiers)} tiers")
    for i, amount in enumerate(amounts):
        _non_negative_int(f"amounts[{i}]", amount)
    return sum(_tier(i, t, None).quota(a) for i, (t, a) in enumerate(zip(tiers, amounts, strict=True)))


def _overshoot(tiers: Sequence[_Tier], supply: int) -> int:
    """The error of the best staircase vector (k+1, ..., k+1, k, ..., k): an upper bound on e*."""
    saturations = [tier.saturation for tier in tiers]
    if any(sat is None for sat in saturations):
        top = supply + 1  # an uncapped client makes the uniform total >= k
    else:
        top = max((sat for sat in saturations if sat is not None), default=0)
    low, high = 0, top
    while low < high:  # the largest k with a uniform total <= supply
        mid = (low + high + 1) // 2
        if sum(tier.quota(mid) for tier in tiers) <= supply:
            low = mid
        else:
            high = mid - 1
    running = sum(tier.quota(low) for tier in tiers)
    if low == top:
        return 0  # every total is <= supply: nothing can overshoot
    best = supply - running
    for tier in tiers:
        running += tier.quota(low + 1) - tier.quota(low)
        best = min(best, abs(running - supply))
    return best


def _upper_bounds(tiers: Sequence[_Tier], limit: int) -> list[int]:
    """A_t = max over s >= t of b_s, b_s = max{a <= sat_s : f_1(a) + ... + f_s(a) <= limit}."""
    bounds: list[int] = []
    for s, tier in enumerate(tiers):
        sat = tier.saturation
        low, high = 0, limit if sat is None else sat  # uncapped: f_s(a) >= a
        while low < high:
            mid = (low + high + 1) // 2
            if sum(tiers[r].quota(mid) for r in range(s + 1)) <= limit:
                low = mid
            else:
                high = mid - 1
        bounds.append(low)
    for t in reversed(range(len(bounds) - 1)):
        bounds[t] = max(bounds[t], bounds[t + 1])
    return bounds


def _capacity(tiers: Sequence[_Tier]) -> int | None:
    """The most the clients can receive at all (every one at its cap); None if one is uncapped."""
    if any(tier.uncapped for tier in tiers):
        return None
    return sum(tier.quota(tier.saturation or 0) for tier in tiers)


def _pick(reachable: int, supply: int, target: Target) -> int:
    """The optimal reachable total for the target; `nearest` ties go to the lower total."""
    # reachable holds totals <= the limit only: never build a mask wider than it
    cut = min(supply, reachable.bit_length())
    below = (reachable & ((1 << (cut + 1)) - 1)).bit_length() - 1  # 0 is always reachable
    above = reachable >> (supply + 1)
    if target == "at_most" or not above:
        return below
    over = supply + 1 + (above & -above).bit_length() - 1
    return over if over - supply < supply - below else below


def _scale(tiers: Sequence[_Tier], entitlement: Sequence[Fraction], goal: int) -> Fraction:
    """lam = min{lam >= 0 : H(lam) >= min(goal, sup H)}, H piecewise linear in lam."""
    slope = Fraction(0)
    drops: dict[Fraction, Fraction] = {}
    for tier, weight in zip(tiers, entitlement, strict=True):
        if weight == 0:
            continue
        slope += weight * (tier.uncapped + sum(k * n for _, k, n in tier.capped))
        for cap, k, n in tier.capped:  # n min(k lam w, cap) stops growing at lam = cap / (k w)
            point = Fraction(cap, k) / weight
            drops[point] = drops.get(point, Fraction(0)) + weight * k * n
    lam, height = Fraction(0), Fraction(0)
    if goal == 0:
        return lam
    for point in sorted(drops):
        if point > lam:
            reached = height + slope * (point - lam)
            if reached >= goal:
                return lam + (goal - height) / slope
            lam, height = point, reached
        slope -= drops[point]
    return lam if slope == 0 else lam + (goal - height) / slope


def _closest(
    tiers: Sequence[_Tier],
    ideal: Sequence[Fraction],
    total: int,
    flat: Sequence[int],
    max_amount: int | None,
) -> tuple[int, ...]:
    """Among the vectors with this total, minimise max_t |a_t - ideal_t|; ties go to flat."""

    def run(delta: Fraction) -> tuple[list[list[int]], list[int], list[npt.NDArray[np.unsignedinteger[Any]]]] | None:
        lows = [max(0, math.ceil(x - delta)) for x in ideal]
        highs = [math.floor(x + delta) for x in ideal]
        if max_amount is not None:
            highs = [min(high, max_amount) for high in highs]
        if any(high < low for low, high in zip(lows, highs, strict=True)):
            return None
        _check_size([high - low + 1 for low, high in zip(lows, highs, strict=True)], lows, total)
        quotas = [tier.quotas(lo, hi) for tier, lo, hi in zip(tiers, lows, highs, strict=True)]
        union, first = reach(quotas, lows, total)
        return (quotas, lows, first) if (union >> total) & 1 else None

    worst = max(abs(a - x) for a, x in zip(flat, ideal, strict=True))  # feasible: flat itself
    found = smallest_deviation(run, math.ceil(worst), ideal)
    return lexmin(found[0], found[1], found[2], total)


def _option_problems(target: str, shape: str, entitlement: object, max_amount: int | None) -> list[str]:
    """Every problem with the options both solvers share."""
    problems = []
    if max_amount is not None and (isinstance(max_amount, bool) or not isinstance(max_amount, int) or max_amount < 0):
        problems.append(f"max_amount must be an int >= 0, got {max_amount!r}")
    if target not in ("at_most", "nearest"):
        problems.append(f"target must be 'at_most' or 'nearest', got {target!r}")
    if shape not in ("flat", "entitlement"):
        problems.append(f"shape must be 'flat' or 'entitlement', got {shape!r}")
    if shape == "entitlement" and entitlement is None:
        problems.append("shape 'entitlement' needs an entitlement per tier")
    if shape == "flat" and entitlement is not None:
        problems.append("entitlement is only used with shape 'entitlement'")
    return problems


def _check_options(target: str, shape: str, entitlement: object, max_amount: int | None) -> None:
    """The options both solvers share, or the first problem with them as a TierAmountsError."""
    problems = _option_problems(target, shape, entitlement, max_amount)
    if problems:
        raise TierAmountsError(problems[0])


def solve_tier_amounts(
    tiers: Sequence[TierDemand],
    supply: int,
    *,
    target: Target = "at_most",
    shape: Shape = "flat",
    entitlement: Sequence[int | Fraction] | None = None,
    max_amount: int | None = None,
) -> TierAmounts:
    """The non-increasing per-tier amounts whose total is optimal for the target (see module)."""
    _non_negative_int("supply", supply)
    _check_options(target, shape, entitlement, max_amount)
    weights = _entitlement(entitlement, len(tiers)) if entitlement is not None else None
    demand = [_tier(i, t, max_amount) for i, t in enumerate(tiers)]
    if not demand:
        return TierAmounts((), 0)
    limit = supply if target == "at_most" else supply + _overshoot(demand, supply)
    capacity = _capacity(demand)
    if capacity is not None:
        limit = min(limit, capacity)  # no total above what every client at its cap receives
    highs = _upper_bounds(demand, limit)
    lows = [0] * len(demand)
    _check_size([high + 1 for high in highs], lows, limit)
    quotas = [tier.quotas(0, high) for tier, high in zip(demand, highs, strict=True)]
    union, first = reach(quotas, lows, limit)
    total = _pick(union, supply, target)
    flat = lexmin(quotas, lows, first, total)
    if weights is None:
        return TierAmounts(flat, total)
    lam = _scale(demand, weights, total)
    return TierAmounts(_closest(demand, [lam * w for w in weights], total, flat, max_amount), total)


def _at_total(
    demand: Sequence[_Tier], weights: Sequence[Fraction] | None, total: int, max_amount: int | None
) -> tuple[int, ...] | None:
    """The flat (weights None) or entitlement vector among those with exactly this total, or None."""
    if not demand:
        return () if total == 0 else None
    capacity = _capacity(demand)
    if capacity is not None and total > capacity:
        return None
    highs = _upper_bounds(demand, total)
    lows = [0] * len(demand)
    _check_size([high + 1 for high in highs], lows, total)
    quotas = [tier.quotas(0, high) for tier, high in zip(demand, highs, strict=True)]
    union, first = reach(quotas, lows, total)
    if not (union >> total) & 1:
        return None
    flat = lexmin(quotas, lows, first, total)
    if weights is None:
        return flat
    lam = _scale(demand, weights, total)
    return _closest(demand, [lam * w for w in weights], total, flat, max_amount)


def amounts_for_total(
    tiers: Sequence[TierDemand],
    total: int,
    *,
    shape: Shape = "flat",
    entitlement: Sequence[int | Fraction] | None = None,
    max_amount: int | None = None,
) -> tuple[int, ...] | None:
    """The amounts the shape picks among the vectors whose total is exactly `total`; None if none has it.

    The segment solver asks this of the pool's tiers merged (one common amount a tier) once it
    knows the pool's optimal total; the proof and the limits are solve_tier_amounts's."""
    _non_negative_int("total", total)
    _check_options("at_most", shape, entitlement, max_amount)
    weights = _entitlement(entitlement, len(tiers)) if entitlement is not None else None
    return _at_total([_tier(i, t, max_amount) for i, t in enumerate(tiers)], weights, total, max_amount)


def ideal_amounts(
    tiers: Sequence[TierDemand], entitlement: Sequence[int | Fraction], total: int, max_amount: int | None = None
) -> list[Fraction]:
    """lam * e_t for every tier: the entitlements scaled as the `entitlement` shape scales them for this total."""
    weights = _entitlement(entitlement, len(tiers))
    lam = _scale([_tier(i, t, max_amount) for i, t in enumerate(tiers)], weights, total)
    return [lam * w for w in weights]
