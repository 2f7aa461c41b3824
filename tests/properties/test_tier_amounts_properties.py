"""Properties of solve_tier_amounts checked against a brute-force enumerator.

The enumerator lists every non-increasing amount vector with entries in 0..B, where B rests on
an argument independent of the solver's bounds: clamping every amount to B keeps the vector
non-increasing and changes no client's quota, when B is the largest finite cap (no uncapped client
anywhere) or >= 2 * supply (an uncapped client then holds the amount below the total, and a total
above 2 * supply is worse than the zero vector for both targets); with max_amount, B <= max_amount.
"""

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from hypothesis import example, given
from hypothesis import strategies as st

from allocator.apportionment.tier_amounts import TierAmounts, TierDemand, solve_tier_amounts, total_for

Target = Literal["at_most", "nearest"]
BRUTE_VECTORS = 150000  # C(B + T, T), the most vectors one example may enumerate


@dataclass(frozen=True)
class Instance:
    tiers: tuple[TierDemand, ...]
    supply: int
    max_amount: int | None


def effective_caps(instance: Instance) -> list[list[int | None]]:
    """Every client's cap with max_amount folded in, one list per tier."""
    out: list[list[int | None]] = []
    for tier in instance.tiers:
        caps: list[int | None] = []
        for cap, count in tier.caps.items():
            limit = cap
            if instance.max_amount is not None:
                limit = instance.max_amount if cap is None else min(cap, instance.max_amount)
            caps += [limit] * count
        out.append(caps)
    return out


def brute_bound(instance: Instance) -> int:
    caps = [c for tier in effective_caps(instance) for c in tier]
    finite = max((c for c in caps if c is not None), default=0)
    return max(finite, 2 * instance.supply) if None in caps else finite


def quota(caps: list[int | None], amount: int) -> int:
    return sum(amount if cap is None else min(amount, cap) for cap in caps)


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    count = draw(st.integers(0, 5))
    tiers = []
    for i in range(count):
        clients = draw(st.lists(st.one_of(st.none(), st.integers(0, 4)), max_size=6))
        caps: dict[int | None, int] = {}
        for cap in clients:
            caps[cap] = caps.get(cap, 0) + 1
        tiers.append(TierDemand(f"D{count - i}", caps))
    max_amount = draw(st.one_of(st.none(), st.integers(0, 6)))
    top = 40
    while math.comb(brute_bound(Instance(tuple(tiers), top, max_amount)) + count, count) > BRUTE_VECTORS:
        top -= 1  # keep the enumeration small: only instances with uncapped clients shrink
    # supply 0 is a unit test; here it would only crowd out the instances that decide something
    return Instance(tuple(tiers), draw(st.integers(min(1, top), top)), max_amount)


def enumerate_vectors(instance: Instance) -> Iterator[tuple[tuple[int, ...], int]]:
    """Every non-increasing vector in 0..B (lexicographic order, best tier first) with its total,
    except those whose total exceeds 2 * supply (worse than the zero vector for both targets)."""
    caps = effective_caps(instance)
    bound = brute_bound(instance)
    limit = 2 * instance.supply

    def walk(t: int, upper: int, total: int) -> Iterator[tuple[tuple[int, ...], int]]:
        if t == len(caps):
            yield (), total
            return
        for amount in range(upper + 1):
            here = total + quota(caps[t], amount)
            if here > limit:
                break  # totals only grow, and any total above 2 * supply is worse than zero
            for rest, final in walk(t + 1, amount, here):
                yield (amount, *rest), final

    yield from walk(0, bound, 0)


def brute_total(instance: Instance, target: Target) -> int:
    totals = {total for _, total in enumerate_vectors(instance)}
    s = instance.supply
    if target == "at_most":
        return max(x for x in totals if x <= s)
    return min(totals, key=lambda x: (abs(x - s), x))


def brute_optimal_vectors(instance: Instance, target: Target) -> list[tuple[int, ...]]:
    best = brute_total(instance, target)
    return [v for v, total in enumerate_vectors(instance) if total == best]


def brute_scale(instance: Instance, weights: list[int], goal: int) -> Fraction:
    """lam = min{lam : H(lam) >= min(goal, sup H)}, by evaluating H at its breakpoints."""
    caps = effective_caps(instance)

    def h(lam: Fraction) -> Fraction:
        return sum(
            (
                lam * w if c is None else min(lam * w, Fraction(c))
                for t, w in zip(caps, weights, strict=True)
                for c in t
            ),
            Fraction(0),
        )

    points = sorted({Fraction(0)} | {Fraction(c, w) for t, w in zip(caps, weights, strict=True) if w for c in t if c})
    slope = h(points[-1] + 1) - h(points[-1])
    goal_ = Fraction(goal) if slope else min(Fraction(goal), h(points[-1]))
    if goal_ == 0:
        return Fraction(0)
    for before, point in itertools.pairwise(points):
        if h(point) >= goal_:
            return before + (goal_ - h(before)) * (point - before) / (h(point) - h(before))
    return points[-1] + (goal_ - h(points[-1])) / slope


def brute_entitlement(instance: Instance, target: Target, weights: list[int]) -> tuple[int, ...]:
    """Minimise max |a_t - lam e_t| over the vectors with the optimal total, then lexicographic."""
    optimal = brute_optimal_vectors(instance, target)
    total = brute_total(instance, target)
    ideal = [brute_scale(instance, weights, total) * w for w in weights]
    caps = effective_caps(instance)

    def deviation(v: tuple[int, ...]) -> Fraction:
        return max((abs(a - x) for a, x in zip(v, ideal, strict=True)), default=Fraction(0))

    best = deviation(optimal[0])  # a branch and bound below this: every better vector is inside
    found: list[tuple[int, ...]] = []

    def walk(t: int, upper: int, partial: int, prefix: tuple[int, ...]) -> None:
        nonlocal best, found
        if t == len(caps):
            if partial == total:
                d = deviation(prefix)
                if d < best:
                    best, found = d, [prefix]
                elif d == best:
                    found.append(prefix)
            return
        low = max(0, math.ceil(ideal[t] - best))
        for amount in range(low, min(upper, math.floor(ideal[t] + best)) + 1):
            here = partial + quota(caps[t], amount)
            if here > total:
                break
            if abs(amount - ideal[t]) <= best:
                walk(t + 1, amount, here, (*prefix, amount))

    top = instance.max_amount if instance.max_amount is not None else 10**9
    walk(0, top, 0, ())
    return min(found)


targets = st.sampled_from(["at_most", "nearest"])


@given(instances(), targets)
@example(Instance((TierDemand("D2", {1: 3}), TierDemand("D1", {None: 1})), 10, None), "at_most")
@example(Instance((TierDemand("D1", {None: 2}),), 3, None), "nearest")
@example(Instance((TierDemand("D2", {None: 4}), TierDemand("D1", {2: 1})), 0, None), "nearest")
def test_total_is_the_brute_force_optimum(instance: Instance, target: Target) -> None:
    got = solve_tier_amounts(instance.tiers, instance.supply, target=target, max_amount=instance.max_amount)
    assert got.total == brute_total(instance, target)


@given(instances(), targets, st.booleans())
def test_amounts_are_valid(instance: Instance, target: Target, entitled: bool) -> None:
    weights = sorted(range(len(instance.tiers)), reverse=True) if entitled else None
    got = solve_tier_amounts(
        instance.tiers,
        instance.supply,
        target=target,
        max_amount=instance.max_amount,
        shape="entitlement" if entitled else "flat",
        entitlement=weights,
    )
    assert len(got.amounts) == len(instance.tiers)
    assert all(a >= b for a, b in itertools.pairwise(got.amounts))
    assert all(a >= 0 for a in got.amounts)
    if instance.max_amount is not None:
        assert all(a <= instance.max_amount for a in got.amounts)
    assert total_for(instance.tiers, got.amounts) == got.total
    if target == "at_most":
        assert got.total <= instance.supply


@given(instances(), targets)
@example(Instance((TierDemand("D3", {}), TierDemand("D2", {None: 2}), TierDemand("D1", {})), 5, None), "nearest")
def test_flat_is_the_lexicographic_minimum(instance: Instance, target: Target) -> None:
    got = solve_tier_amounts(instance.tiers, instance.supply, target=target, max_amount=instance.max_amount)
    assert got.amounts == min(brute_optimal_vectors(instance, target))


@st.composite
def entitled_instances(draw: st.DrawFn) -> tuple[Instance, list[int]]:
    instance = draw(instances())
    weights = sorted(
        draw(st.lists(st.integers(0, 4), min_size=len(instance.tiers), max_size=len(instance.tiers))), reverse=True
    )
    return instance, weights


@given(entitled_instances(), targets)
@example((Instance((TierDemand("D2", {1: 2}), TierDemand("D1", {None: 1})), 4, None), [4, 1]), "at_most")
def test_entitlement_is_the_brute_force_best(case: tuple[Instance, list[int]], target: Target) -> None:
    instance, weights = case
    got = solve_tier_amounts(
        instance.tiers,
        instance.supply,
        target=target,
        max_amount=instance.max_amount,
        shape="entitlement",
        entitlement=weights,
    )
    assert got.amounts == brute_entitlement(instance, target, weights)


@given(entitled_instances(), targets, st.booleans())
def test_deterministic(case: tuple[Instance, list[int]], target: Target, entitled: bool) -> None:
    instance, weights = case

    def solve(tiers: tuple[TierDemand, ...]) -> TierAmounts:
        return solve_tier_amounts(
            tiers,
            instance.supply,
            target=target,
            max_amount=instance.max_amount,
            shape="entitlement" if entitled else "flat",
            entitlement=weights if entitled else None,
        )

    # the same demand, the histogram keys in reverse order and a zero-count entry added
    shuffled = tuple(TierDemand(t.name, {**dict(reversed(list(t.caps.items()))), 7: 0}) for t in instance.tiers)
    assert solve(instance.tiers) == solve(instance.tiers) == solve(shuffled)


def test_raising_supply_can_lower_a_tier_amount() -> None:
    """An optimal total and supply monotonicity cannot always hold together.

    Tier D2 has 2 uncapped clients, tier D1 one: totals are 2 a1 + a2 with a1 >= a2. Supply 3 is
    met only by (1, 1); supply 4 only by (2, 0). Whatever the tie rule, the D1 client falls from
    1 to 0 when supply grows by one (found by a brute-force search over tiers of 1..4 clients).
    """
    demand = (TierDemand("D2", {None: 2}), TierDemand("D1", {None: 1}))
    assert brute_optimal_vectors(Instance(demand, 3, None), "at_most") == [(1, 1)]
    assert brute_optimal_vectors(Instance(demand, 4, None), "at_most") == [(2, 0)]
    assert solve_tier_amounts(demand, 3) == TierAmounts((1, 1), 3)
    assert solve_tier_amounts(demand, 4) == TierAmounts((2, 0), 4)


HUGE = 10**12  # far above any total the capped instances can reach


@st.composite
def capped_instances(draw: st.DrawFn) -> tuple[Instance, list[int]]:
    """Instances where every client has a cap (its own or max_amount), with a supply of ~10**12."""
    instance = draw(instances())
    if any(None in tier for tier in effective_caps(instance)):
        instance = Instance(instance.tiers, instance.supply, draw(st.integers(0, 6)))
    weights = sorted(
        draw(st.lists(st.integers(0, 4), min_size=len(instance.tiers), max_size=len(instance.tiers))), reverse=True
    )
    return Instance(instance.tiers, HUGE + draw(st.integers(0, 1000)), instance.max_amount), weights


def capacity(instance: Instance) -> int:
    return sum(quota(caps, brute_bound(instance)) for caps in effective_caps(instance))


@given(capped_instances(), targets)
@example((Instance((TierDemand("D2", {5: 30, 9: 2}), TierDemand("D1", {5: 30, 9: 2})), HUGE, None), [2, 1]), "at_most")
def test_a_huge_supply_against_capped_clients_is_the_brute_force_optimum(
    case: tuple[Instance, list[int]], target: Target
) -> None:
    """The brute force enumerates amounts up to the largest cap only, so it is exact at any supply;
    the solver's work must not grow with the supply for it to answer at all."""
    instance, weights = case
    flat = solve_tier_amounts(instance.tiers, instance.supply, target=target, max_amount=instance.max_amount)
    assert flat.total == brute_total(instance, target) == capacity(instance)
    assert flat.amounts == min(brute_optimal_vectors(instance, target))
    # the reduced problem: the supply is exactly what the caps add up to
    reduced = Instance(instance.tiers, capacity(instance), instance.max_amount)
    assert flat == solve_tier_amounts(reduced.tiers, reduced.supply, target=target, max_amount=reduced.max_amount)
    entitled = solve_tier_amounts(
        instance.tiers,
        instance.supply,
        target=target,
        max_amount=instance.max_amount,
        shape="entitlement",
        entitlement=weights,
    )
    assert (
        entitled.amounts == brute_entitlement(instance, target, weights) == brute_entitlement(reduced, target, weights)
    )
