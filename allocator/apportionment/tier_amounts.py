"""Tier amounts (档位投放量): one integer amount per tier, with the total at the proven optimum.

The tiers are the brand's window, best first. Tier t gets one amount a_t, the amounts never grow
from a better tier to a worse one (a_1 >= a_2 >= ... >= a_T >= 0), and every client of tier t
receives min(a_t, its cap). With f_t(a) = sum over the clients of t of min(a, cap), the total is
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
stops growing (the largest finite cap if every client of t is capped, 0 for an empty tier,
unbounded otherwise; max_amount counts as every client's cap). For any non-increasing a define a'
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
min(lam * e_t, cap) (the continuous, cap-respecting plan that delivers the same total; if it cannot
reach it, the smallest lam at which it is full); among the vectors with the optimal total the one
minimising D(a) = max_t |a_t - lam * e_t| is chosen, ties going to `flat`. All in exact Fractions;
the minimal D is found by a galloping then a binary search over the values |a - lam * e_t| can take,
each step a reachability run restricted to the boxes |a_t - lam * e_t| <= D.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Target = Literal["at_most", "nearest"]
Shape = Literal["flat", "entitlement"]


@dataclass(frozen=True)
class TierDemand:
    """The clients of one tier: cap -> number of clients with that cap (None = uncapped)."""

    name: str
    caps: Mapping[int | None, int]


@dataclass(frozen=True)
class TierAmounts:
    """One amount per tier (best first) and the total the clients receive with them."""

    amounts: tuple[int, ...]
    total: int


class TierAmountsError(ValueError):
    """Invalid tiers, supply or options given to the tier-amounts solver."""


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


@dataclass(frozen=True)
class _Tier:
    """A tier's demand with caps sorted ascending; max_amount already folded in as a cap."""

    uncapped: int
    capped: tuple[tuple[int, int], ...]  # (cap, clients), cap ascending, clients > 0

    @property
    def saturation(self) -> int | None:
        """The amount from which the tier's quota stops growing; None if it never does."""
        if self.uncapped:
            return None
        return max((cap for cap, _ in self.capped), default=0)

    def quota(self, amount: int) -> int:
        """f(a): what the tier's clients receive in all at amount a."""
        return self.uncapped * amount + sum(n * min(amount, cap) for cap, n in self.capped)

    def quotas(self, lo: int, hi: int) -> list[int]:
        """[f(lo), ..., f(hi)], incrementally: f(a + 1) - f(a) = clients with cap > a."""
        if hi < lo:
            return []
        caps = [cap for cap, _ in self.capped]
        i = bisect_right(caps, lo)
        slope = self.uncapped + sum(n for _, n in self.capped[i:])
        value = self.quota(lo)
        out = [value]
        for a in range(lo + 1, hi + 1):
            value += slope
            out.append(value)
            while i < len(caps) and caps[i] <= a:
                slope -= self.capped[i][1]
                i += 1
        return out


def _tier(index: int, demand: TierDemand, max_amount: int | None) -> _Tier:
    where = f"tiers[{index}] (name={demand.name})"
    uncapped = 0
    capped: dict[int, int] = {}
    for cap, clients in demand.caps.items():
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 0):
            raise TierAmountsError(f"{where}: cap {cap!r} must be an int >= 0 or None")
        if isinstance(clients, bool) or not isinstance(clients, int) or clients < 0:
            raise TierAmountsError(f"{where}: clients with cap {cap!r} must be an int >= 0, got {clients!r}")
        if clients == 0:
            continue
        limit = cap if max_amount is None else max_amount if cap is None else min(cap, max_amount)
        if limit is None:
            uncapped += clients
        else:
            capped[limit] = capped.get(limit, 0) + clients
    return _Tier(uncapped, tuple(sorted(capped.items())))


def _non_negative_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TierAmountsError(f"{name} must be an int >= 0, got {value!r}")


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


def _positions(bits: int) -> npt.NDArray[np.int64]:
    """The positions of the set bits of a non-negative int, ascending."""
    words = np.frombuffer(bits.to_bytes((bits.bit_length() + 63) // 64 * 8, "little"), dtype="<u8")
    nonzero = np.flatnonzero(words)  # scan 64 bits at a time, unpack only the words that matter
    raw = words[nonzero].view(np.uint8).reshape(-1, 8)
    rows, cols = np.nonzero(np.unpackbits(raw, axis=1, bitorder="little"))
    return nonzero[rows] * 64 + cols


def _reach(
    quotas: Sequence[Sequence[int]], lows: Sequence[int], limit: int
) -> tuple[int, list[npt.NDArray[np.unsignedinteger[Any]]]]:
    """The totals <= limit all tiers reach (a bitset), and first[t][x]: the smallest a_t with
    which tiers t.. reach total x (above every amount if none), so x is reachable with a_t <= u
    iff first[t][x] <= u.

    The tiers advance in lockstep over the amounts, worst tier first at each amount: then
    P_{t+1}(a) is simply tier t+1's union so far, and memory is one bitset and one first table
    per tier, O(tiers * limit), whatever the number of amounts."""
    count = len(quotas)
    mask = (1 << (limit + 1)) - 1
    never = max((low + len(row) for low, row in zip(lows, quotas, strict=True)), default=0)
    dtype = np.min_scalar_type(never)
    first = [np.full(limit + 1 if t else 0, never, dtype=dtype) for t in range(count)]
    unions = [0] * count  # P_t(a): the totals tiers t.. reach with a_t <= the current amount
    done = [False] * count  # a tier is done once its quota passes the limit (quotas only grow)
    for amount in range(min(lows, default=0), never):
        for t in reversed(range(count)):
            i = amount - lows[t]
            if done[t] or not 0 <= i < len(quotas[t]):
                continue
            quota = quotas[t][i]
            if quota > limit:
                done[t] = True
                continue
            shifted = (unions[t + 1] if t + 1 < count else 1) << quota
            new = (shifted & mask if shifted.bit_length() > limit + 1 else shifted) & ~unions[t]
            if new:
                unions[t] |= new
                if t:
                    first[t][_positions(new)] = amount
    return unions[0], first


def _lexmin(
    quotas: Sequence[Sequence[int]],
    lows: Sequence[int],
    first: Sequence[npt.NDArray[np.unsignedinteger[Any]]],
    total: int,
) -> tuple[int, ...]:
    """The lexicographically smallest vector (best tier first) in the boxes with this total."""
    amounts: list[int] = []
    rest = total
    for t, row in enumerate(quotas):
        # smallest-first already keeps a_t <= a_{t-1}; the bound only saves the scan
        top = len(row) - 1 if not amounts else min(len(row) - 1, amounts[-1] - lows[t])
        for i in range(top + 1):
            left = rest - row[i]
            if left < 0:
                break
            # the last tier must land on the total; otherwise the worse tiers reach `left` with
            # a_{t+1} <= this amount
            last = t + 1 == len(quotas)
            if left == 0 if last else bool(first[t + 1][left] <= lows[t] + i):
                amounts.append(lows[t] + i)
                rest = left
                break
        else:
            raise AssertionError(f"total {total} is not reachable in tier {t}")  # a bug, not input
    if rest != 0:
        raise AssertionError(f"total {total} is not reachable")
    return tuple(amounts)


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
        slope += weight * (tier.uncapped + sum(n for _, n in tier.capped))
        for cap, n in tier.capped:
            drops[cap / weight] = drops.get(cap / weight, Fraction(0)) + weight * n
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
        union, first = _reach(quotas, lows, total)
        return (quotas, lows, first) if (union >> total) & 1 else None

    worst = max(abs(a - x) for a, x in zip(flat, ideal, strict=True))  # feasible: flat itself
    ceiling = math.ceil(worst)
    failed, step = -1, 1
    while True:  # gallop to the smallest feasible integer
        probe = min(failed + step, ceiling)
        if probe == ceiling or run(Fraction(probe)) is not None:
            break
        failed, step = probe, step * 2
    while probe - failed > 1:
        mid = (failed + probe) // 2
        if run(Fraction(mid)) is not None:
            probe = mid
        else:
            failed = mid
    # the optimum lies in (probe - 1, probe]; there |a - x| is probe - 1 + frac(x) or probe - frac(x)
    fractions = {x - math.floor(x) for x in ideal} - {Fraction(0)}
    values = {Fraction(probe)} | {probe - 1 + phi for phi in fractions} | {probe - phi for phi in fractions}
    candidates = sorted(c for c in values if probe - 1 < c <= probe and c >= 0)
    low, high = 0, len(candidates) - 1
    while low < high:
        mid = (low + high) // 2
        if run(candidates[mid]) is not None:
            high = mid
        else:
            low = mid + 1
    found = run(candidates[low])
    if found is None:
        raise AssertionError("no feasible deviation found")  # a bug, not input
    return _lexmin(found[0], found[1], found[2], total)


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
    if max_amount is not None:
        _non_negative_int("max_amount", max_amount)
    if target not in ("at_most", "nearest"):
        raise TierAmountsError(f"target must be 'at_most' or 'nearest', got {target!r}")
    if shape not in ("flat", "entitlement"):
        raise TierAmountsError(f"shape must be 'flat' or 'entitlement', got {shape!r}")
    if shape == "entitlement" and entitlement is None:
        raise TierAmountsError("shape 'entitlement' needs an entitlement per tier")
    if shape == "flat" and entitlement is not None:
        raise TierAmountsError("entitlement is only used with shape 'entitlement'")
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
    union, first = _reach(quotas, lows, limit)
    total = _pick(union, supply, target)
    flat = _lexmin(quotas, lows, first, total)
    if weights is None:
        return TierAmounts(flat, total)
    lam = _scale(demand, weights, total)
    return TierAmounts(_closest(demand, [lam * w for w in weights], total, flat, max_amount), total)
