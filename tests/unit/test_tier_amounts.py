"""Hand-checked cases for allocator.apportionment.tier_amounts: whole results, whole error messages."""

from fractions import Fraction

import pytest

from allocator.apportionment.tier_amounts import (
    Shape,
    Target,
    TierAmounts,
    TierAmountsError,
    TierDemand,
    solve_tier_amounts,
    total_for,
)


def tiers(*caps: dict[int | None, int]) -> list[TierDemand]:
    """Tiers named D<k>, best first, from cap histograms."""
    return [TierDemand(f"D{len(caps) - i}", c) for i, c in enumerate(caps)]


@pytest.mark.parametrize(
    ("demand", "supply", "target", "expected"),
    [
        # 2a1 + 3a2 with a1 >= a2: 4 only as (2, 0), 5 only as (1, 1)
        (tiers({None: 2}, {None: 3}), 4, "at_most", TierAmounts((2, 0), 4)),
        (tiers({None: 2}, {None: 3}), 5, "at_most", TierAmounts((1, 1), 5)),
        # 3 clients: totals 0, 3, 6, ...
        (tiers({None: 3}), 4, "at_most", TierAmounts((1,), 3)),
        (tiers({None: 3}), 4, "nearest", TierAmounts((1,), 3)),
        (tiers({None: 3}), 5, "at_most", TierAmounts((1,), 3)),
        (tiers({None: 3}), 5, "nearest", TierAmounts((2,), 6)),
        # 2 clients, supply 3: 2 and 4 are both 1 away; the tie goes to the lower total
        (tiers({None: 2}), 3, "nearest", TierAmounts((1,), 2)),
        (tiers({None: 10}), 14, "nearest", TierAmounts((1,), 10)),
        (tiers({None: 10}), 16, "nearest", TierAmounts((2,), 20)),
        # a capped tier above an uncapped one must be allowed more than its cap
        (tiers({1: 3}, {None: 1}), 10, "at_most", TierAmounts((7, 7), 10)),
        (tiers({1: 3}, {None: 1}), 10, "nearest", TierAmounts((7, 7), 10)),
        # empty tiers: amounts there are free, flat keeps them as low as the order allows
        (tiers({}, {None: 2}, {}), 5, "at_most", TierAmounts((2, 2, 0), 4)),
        (tiers({}, {None: 2}, {}), 5, "nearest", TierAmounts((2, 2, 0), 4)),
        (tiers({}, {}), 9, "nearest", TierAmounts((0, 0), 0)),
        # every cap 0, supply 0, one client
        (tiers({0: 5}), 3, "at_most", TierAmounts((0,), 0)),
        (tiers({None: 4}, {2: 1}), 0, "nearest", TierAmounts((0, 0), 0)),
        (tiers({None: 1}), 7, "at_most", TierAmounts((7,), 7)),
        (tiers({3: 1}), 7, "nearest", TierAmounts((3,), 3)),
        # supply above everything achievable (6 + 4): the maximum is reported
        (tiers({2: 3}, {1: 4}), 100, "at_most", TierAmounts((2, 1), 10)),
        (tiers({2: 3}, {1: 4}), 100, "nearest", TierAmounts((2, 1), 10)),
        # f1(a) = min(a, 1) + 2 min(a, 3) + a = 0, 4, 7, 10, 11, 12; f2(a) = 2 min(a, 2):
        # 12 = f1(5) + f2(0) = f1(3) + f2(1); the lexicographic minimum is (3, 1)
        (tiers({1: 1, 3: 2, None: 1}, {2: 2}), 12, "at_most", TierAmounts((3, 1), 12)),
        (tiers(), 5, "nearest", TierAmounts((), 0)),
    ],
)
def test_flat(demand: list[TierDemand], supply: int, target: Target, expected: TierAmounts) -> None:
    assert solve_tier_amounts(demand, supply, target=target) == expected


def test_max_amount_bounds_every_tier() -> None:
    demand = tiers({None: 1}, {None: 1})
    assert solve_tier_amounts(demand, 10, max_amount=3) == TierAmounts((3, 3), 6)
    assert solve_tier_amounts(demand, 10, target="nearest", max_amount=3) == TierAmounts((3, 3), 6)
    assert solve_tier_amounts(demand, 5, max_amount=3) == TierAmounts((3, 2), 5)


@pytest.mark.parametrize(
    ("demand", "supply", "entitlement", "expected"),
    [
        # lam = 6 / 6 = 1: exactly the entitlement; flat would be (2, 2, 2)
        (tiers({None: 1}, {None: 1}, {None: 1}), 6, [3, 2, 1], TierAmounts((3, 2, 1), 6)),
        # lam = 3/2, ideal (3/2, 3/2): (2, 1) deviates 1/2, (3, 0) 3/2
        (tiers({None: 1}, {None: 1}), 3, [1, 1], TierAmounts((2, 1), 3)),
        # all weights 0: ideal 0, so the largest amount is kept small
        (tiers({None: 1}, {None: 1}), 3, [0, 0], TierAmounts((2, 1), 3)),
        # H(lam) = 2 min(4 lam, 1) + lam = 4 at lam = 2, ideal (8, 2); flat would be (2, 2)
        (tiers({1: 2}, {None: 1}), 4, [4, 1], TierAmounts((8, 2), 4)),
        # lam = 10 / (2*3 + 2*1) = 5/4, ideal (15/4, 5/4): (4, 1) deviates 1/4, (3, 2) 3/4
        (
            tiers({None: 2}, {None: 2}),
            10,
            [Fraction(3), Fraction(1)],
            TierAmounts((4, 1), 10),
        ),
        # the total 10 is the cap sum; H is full from lam = 2/5, ideal (2, 2): the worse tier
        # gets 2 although its clients take 1 (flat would give (2, 1))
        (tiers({2: 3}, {1: 4}), 100, [5, 5], TierAmounts((2, 2), 10)),
    ],
)
def test_entitlement(
    demand: list[TierDemand], supply: int, entitlement: list[int | Fraction], expected: TierAmounts
) -> None:
    got = solve_tier_amounts(demand, supply, shape="entitlement", entitlement=entitlement)
    assert got == expected


@pytest.mark.parametrize(
    ("target", "shape", "expected"),
    [
        # totals are 3 (a1 + a2); supply 14: 12 is 2 below, 15 is 1 above
        ("at_most", "flat", TierAmounts((2, 2), 12)),
        # lam = 12/15, ideal (16/5, 4/5): (3, 1) deviates 1/5, (2, 2) 6/5, (4, 0) 4/5
        ("at_most", "entitlement", TierAmounts((3, 1), 12)),
        ("nearest", "flat", TierAmounts((3, 2), 15)),
        # lam = 1, ideal (4, 1)
        ("nearest", "entitlement", TierAmounts((4, 1), 15)),
    ],
)
def test_targets_and_shapes(target: Target, shape: Shape, expected: TierAmounts) -> None:
    demand = tiers({None: 3}, {None: 3})
    entitlement: list[int | Fraction] | None = [4, 1] if shape == "entitlement" else None
    got = solve_tier_amounts(demand, 14, target=target, shape=shape, entitlement=entitlement)
    assert got == expected


def test_total_for() -> None:
    demand = tiers({1: 1, 3: 2, None: 1}, {2: 2}, {})
    assert total_for(demand, [3, 2, 9]) == 1 + 6 + 3 + 4
    assert total_for([], []) == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: solve_tier_amounts(tiers({None: 1}), -1), "supply must be an int >= 0, got -1"),
        (
            lambda: solve_tier_amounts(tiers({None: 1}), 3, max_amount=-2),
            "max_amount must be an int >= 0, got -2",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}), 3, target="exact"),  # type: ignore[arg-type]
            "target must be 'at_most' or 'nearest', got 'exact'",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}), 3, shape="round"),  # type: ignore[arg-type]
            "shape must be 'flat' or 'entitlement', got 'round'",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}), 3, shape="entitlement"),
            "shape 'entitlement' needs an entitlement per tier",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}), 3, entitlement=[1]),
            "entitlement is only used with shape 'entitlement'",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}, {}), 3, shape="entitlement", entitlement=[1]),
            "entitlement has 1 values for 2 tiers",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}, {}), 3, shape="entitlement", entitlement=[1, -1]),
            "entitlement[1] must be an int or Fraction >= 0, got -1",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}, {}), 3, shape="entitlement", entitlement=[Fraction(3, 2), 2]),
            "entitlement must be non-increasing from the best tier: entitlement[1]=2 > entitlement[0]=3/2",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: 1}, {-1: 2}), 3),
            "tiers[1] (name=D1): cap -1 must be an int >= 0 or None",
        ),
        (
            lambda: solve_tier_amounts(tiers({None: -2}), 3),
            "tiers[0] (name=D1): clients with cap None must be an int >= 0, got -2",
        ),
        (
            lambda: total_for(tiers({None: 1}, {}), [1]),
            "amounts has 1 values for 2 tiers",
        ),
        (
            lambda: total_for(tiers({None: 1}), [-1]),
            "amounts[0] must be an int >= 0, got -1",
        ),
    ],
)
def test_errors(call: object, message: str) -> None:
    with pytest.raises(TierAmountsError) as info:
        call()  # type: ignore[operator]
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)
