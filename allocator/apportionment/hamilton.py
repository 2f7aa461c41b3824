"""Hamilton (largest remainder) over groups, with caps and floors (private to `apportion`).

The *capped fair share* of a member is s = min(cap, w·μ), with one common μ chosen so that the
shares of the positive weights add up to the supply (or everyone at the cap if the caps do not
reach it); zero weights have s = 0. It is the fixed point of "give everyone w·T/W; fix whoever
exceeds a cap at the cap; share what is left among the rest in proportion; repeat", computed
exactly by a sweep over the breakpoints cap/w. Floors do not enter the fair share.

Quotas: every member starts at its floor; the units left go one at a time to the member below
its cap that is owed the most, s - q (equal: larger weight first, then the tie-break key).
Without floors that is textbook largest remainder: everyone gets ⌊s⌋, the largest fractional
parts get one more. A floor above ⌊s⌋ is paid out of the remainder units, not by shrinking
everyone's share (as the 1880 US House with its minimum of one seat per state did), which is
the same as: the whole vector within [floor, cap] adding up to the supply that is closest to s
in the sum of squares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from allocator.apportionment.greedy import GroupTuple, Priority, clamp, movable, settle


def fair_shares(groups: Sequence[GroupTuple], total: int) -> list[Fraction]:
    """Capped fair share per member of each group (floors ignored, zero weights get 0)."""
    shares = [Fraction(0)] * len(groups)
    weighted = [g for g, (w, c, _, _) in enumerate(groups) if w > 0 and c > 0]
    # S(μ) = Σ count·min(cap, wμ) = at_cap + slope·μ between the breakpoints cap/w.
    breakpoints = []
    for g in weighted:
        w, _, cap, _ = groups[g]
        if cap is not None:
            breakpoints.append((Fraction(cap) / w, g))
    breakpoints.sort()
    at_cap = 0
    slope = sum((groups[g][1] * Fraction(groups[g][0]) for g in weighted), Fraction(0))
    for point, g in breakpoints:
        if at_cap + slope * point >= total:
            break
        w, count, cap, _ = groups[g]
        slope -= count * w
        at_cap += count * (cap or 0)
    # slope == 0: every weighted group is capped and the caps do not reach the supply.
    mu = (total - at_cap) / slope if slope > 0 else None
    for g in weighted:
        w, _, cap, _ = groups[g]
        if cap is None or mu is None:
            shares[g] = Fraction(cap) if cap is not None else Fraction(w) * (mu or 0)
        else:
            shares[g] = min(Fraction(cap), w * mu)
    return shares


def solve(groups: Sequence[GroupTuple], total: int) -> tuple[list[int], list[int], int]:
    """Per-group (base, tied) and `extra` for Hamilton; `total` is already feasible."""
    shares = fair_shares(groups, total)
    quota = [f for _, _, _, f in groups]
    active = movable(groups)
    if sum(c * f for _, c, _, f in groups) == total or not active:
        return quota, [0] * len(groups), 0

    def level_state(level: int) -> int:
        """Set every member to the units it is owed more than `level` (s - k > level); sum."""
        for g in active:
            _, _, cap, f = groups[g]
            quota[g] = clamp(max(0, math.ceil(shares[g] - level)), f, cap)
        return sum(q * g[1] for q, g in zip(quota, groups, strict=True))

    # The smallest whole level whose state does not exceed the supply: from there each group
    # is at most one unit short, so `settle` moves at most one level per group.
    high = max(math.ceil(shares[g]) for g in active)  # everyone at the floor
    step = 1
    while level_state(high - step) <= total:
        high -= step
        step *= 2
        if high < -total:  # every group at its cap
            break
    else:
        low = high - step
        while high - low > 1:
            middle = (low + high) // 2
            if level_state(middle) <= total:
                high = middle
            else:
                low = middle
    level_state(high)

    def priority(g: int, q: int) -> Priority:
        return (shares[g] - q, groups[g][0])

    tied, extra = settle(groups, active, quota, total, priority)
    return quota, tied, extra
