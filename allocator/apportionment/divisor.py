"""Divisor methods over groups of interchangeable claimants (private to `allocator.apportionment.methods`).

A divisor method ranks every unit a claimant could receive by its *priority* w / d(q): the unit
that lifts a claimant from q to q + 1 has priority w / d(q), where d is the method's signpost
function. Units are handed out in descending priority; floors are given first and caps stop a
claimant. That greedy order is the same as "quota_i = clamp(floor_i, cap_i, round_d(w_i / λ))
for a common divisor λ" because w / d(q) falls strictly as q grows.

d(0) = 0 (Adams, Huntington-Hill) makes the first unit's priority infinite. We read it as the
limit d(0) = ε → 0: all first units rank above every finite priority and, among themselves,
by weight (larger first). Only first units of *equal* weight are tied.

The solver never walks unit by unit: a float bisection guesses the divisor; exact counts at a
bracket around the guess, narrowed until no group is more than one unit apart, give a consistent
start; `settle` then moves whole priority levels (all groups at an equal priority together) until
the supply is met exactly. Every comparison that decides a unit is exact (Fraction); floats only
choose where to start.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from allocator.apportionment.greedy import GroupTuple, Priority, clamp, movable, settle

_HALF = Fraction(1, 2)


def _priority(method: str, weight: Fraction | int, q: int) -> Priority:
    """Priority of the unit that lifts a member from q to q + 1: (0, w / d(q)), or (1, w) if d = 0.

    Huntington-Hill gives (w / d)² to stay rational; squaring keeps the order of positive values.
    """
    w = Fraction(weight)
    if method == "dhondt":
        return (0, w / (q + 1))
    if method == "webster":
        return (0, 2 * w / (2 * q + 1))
    if q == 0:
        return (1, w)
    if method == "adams":
        return (0, w / q)
    return (0, w * w / (q * (q + 1)))


def _count_exact(method: str, x: Fraction) -> int:
    """Units with priority above 1/μ for a member with w·μ = x >= 0: #{k >= 0 : d(k) < x}."""
    if method == "dhondt":
        return max(0, math.ceil(x) - 1)
    if method == "webster":
        return max(0, math.ceil(x - _HALF))
    if method == "adams":
        return math.ceil(x)
    if x == 0:
        return 0
    square = x * x
    k = math.isqrt(math.floor(square))
    while k > 0 and k * (k + 1) >= square:
        k -= 1
    while (k + 1) * (k + 2) < square:
        k += 1
    return k + 1  # k = 0 .. k all satisfy k(k+1) < x²


def _count_float(method: str, x: float) -> int:
    """Float twin of `_count_exact`, used only to guess a starting divisor."""
    if x <= 0.0:
        return 0
    if method == "dhondt":
        return max(0, math.ceil(x) - 1)
    if method == "webster":
        return max(0, math.ceil(x - 0.5))
    if method == "adams":
        return math.ceil(x)
    whole = math.floor(x)
    return whole + (1 if whole * (whole + 1) < x * x else 0)


def _guess_multiplier(method: str, groups: Sequence[GroupTuple], active: list[int], total: int) -> Fraction | None:
    """A multiplier μ (= 1/λ, relative to the largest weight) whose exact counts are near `total`.

    None means even the smallest multiplier overshoots (Adams/HH with fewer units than first
    units): start from the floors instead.
    """
    top = max(Fraction(groups[g][0]) for g in active)
    scaled = [(float(Fraction(groups[g][0]) / top), groups[g]) for g in active]
    moving = set(active)
    fixed = sum(c * f for i, (_, c, _, f) in enumerate(groups) if i not in moving)

    def supply(mu: float) -> int:
        return fixed + sum(c * clamp(_count_float(method, w * mu), f, cap) for w, (_, c, cap, f) in scaled)

    mass = sum(w * g[1] for w, g in scaled)
    start = min(total, 10**300) / mass if mass > 0 else 1.0
    start = min(max(start, 1e-300), 1e300)
    if supply(start) <= total:
        low, high = start, start * 2
        while supply(high) <= total:
            if high > 1e300:
                return Fraction(high) / top
            low, high = high, high * 2
    else:
        low, high = start / 2, start
        while supply(low) > total:
            if low < 1e-300:
                return None
            low, high = low / 2, low
    for _ in range(60):
        mid = (low + high) / 2
        if supply(mid) <= total:
            low = mid
        else:
            high = mid
    return Fraction(low) / top


def solve(method: str, groups: Sequence[GroupTuple], total: int) -> tuple[list[int], list[int], int]:
    """Per-group (base, tied) and `extra` for a divisor method; `total` is already feasible.

    Returns bases, tied counts and extra: every member of group g gets bases[g]; `extra` more
    units go one each to members of the groups with tied[g] > 0 (tied[g] is the group's count).
    """
    floors = [f for _, _, _, f in groups]
    active = movable(groups)
    if sum(c * f for _, c, _, f in groups) == total or not active:
        return floors, [0] * len(groups), 0

    def state(mu: Fraction) -> tuple[list[int], int]:
        """Quotas holding every unit with priority above 1/μ, and their sum."""
        quota = list(floors)
        for g in active:
            w, _, cap, f = groups[g]
            quota[g] = clamp(_count_exact(method, w * mu), f, cap)
        return quota, sum(q * g[1] for q, g in zip(quota, groups, strict=True))

    guess = _guess_multiplier(method, groups, active, total)
    # None: only first units (d(0) = 0) are handed out, so the floors are the start.
    quota = floors if guess is None else _refine(groups, active, total, guess, state)

    def priority(g: int, q: int) -> Priority:
        return _priority(method, groups[g][0], q)

    tied, extra = settle(groups, active, quota, total, priority)
    return quota, tied, extra


def _refine(
    groups: Sequence[GroupTuple],
    active: list[int],
    total: int,
    guess: Fraction,
    state: Callable[[Fraction], tuple[list[int], int]],
) -> list[int]:
    """Exact quotas at a multiplier `low` below the answer, no group more than one unit short.

    Brackets the float guess exactly (state(low) fits the supply, state(high) does not), then
    halves the bracket: floats lose whole units once quotas pass 2**52.
    """
    low = high = guess
    gap = guess / 2**30
    quota, supplied = state(low)
    upper = quota
    if supplied > total:
        while supplied > total:  # μ = 0 is the floors, which always fit
            high, upper = low, quota
            low, gap = max(Fraction(0), low - gap), gap * 2
            quota, supplied = state(low)
    else:
        while True:
            high, gap = high + gap, gap * 2
            upper, above = state(high)
            if above > total:
                break
            if all(upper[g] == groups[g][2] for g in active):  # all at the cap: done
                return upper
            low, quota = high, upper
    while any(u - q > 1 for u, q in zip(upper, quota, strict=True)):
        middle = (low + high) / 2
        candidate, supplied = state(middle)
        if supplied <= total:
            low, quota = middle, candidate
        else:
            high, upper = middle, candidate
    return quota
