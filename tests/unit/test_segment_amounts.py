"""Hand-checked cases for allocator.apportionment.segment_amounts: whole results, whole messages."""

from fractions import Fraction
from unittest.mock import patch

import numpy as np
import pytest

from allocator.apportionment import segment_amounts
from allocator.apportionment.segment_amounts import SegmentAmounts, SegmentDemand, solve_segment_amounts
from allocator.apportionment.tier_amounts import (
    Shape,
    Target,
    TierAmountsError,
    TierAmountsTooLarge,
    TierDemand,
    solve_tier_amounts,
    total_for,
)

T = TierDemand
# district A: 2 uncapped shops in D2, 3 in D1; district B: 1 and 1
A = SegmentDemand("A", [T("D2", {None: 2}), T("D1", {None: 3})])
B = SegmentDemand("B", [T("D2", {None: 1}), T("D1", {None: 1})])


@pytest.mark.parametrize(
    ("tiers", "supply", "entitlement"),
    [
        # a capped tier above an uncapped one: (7, 7)
        ([T("D2", {1: 3}), T("D1", {None: 1})], 10, None),
        ([T("D2", {None: 2}), T("D1", {None: 3})], 4, None),
        # lam = 2: ideal (8, 2)
        ([T("D2", {1: 2}), T("D1", {None: 1})], 4, [4, 1]),
        ([T("D3", {}), T("D2", {None: 2}), T("D1", {})], 5, None),
    ],
)
def test_one_segment_is_the_single_ladder_solver(
    tiers: list[TierDemand], supply: int, entitlement: list[int] | None
) -> None:
    shape: Shape = "flat" if entitlement is None else "entitlement"
    targets: tuple[Target, ...] = ("at_most", "nearest")
    for target in targets:
        one = solve_tier_amounts(tiers, supply, target=target, shape=shape, entitlement=entitlement)
        got = solve_segment_amounts(
            [SegmentDemand("城区", tiers)], supply, target=target, shape=shape, entitlement=entitlement
        )
        assert got == SegmentAmounts({"城区": one.amounts}, one.total, 0, True)


def test_spread_zero_is_the_merged_ladder() -> None:
    # merged: 3 shops in D2, 4 in D1; 3 a2 + 4 a1 = 10 only as (2, 1): one amount per tier fits
    merged = solve_tier_amounts([T("D2", {None: 3}), T("D1", {None: 4})], 10)
    assert merged.amounts == (2, 1)
    assert solve_segment_amounts([A, B], 10) == SegmentAmounts({"A": (2, 1), "B": (2, 1)}, 10, 0, True)


def test_spread_one_when_no_common_ladder_reaches_the_total() -> None:
    """One amount per tier gives 3 a2 + 4 a1 with a2 >= a1: 0, 3, 6, 7, 9, 10, ... never 5. The
    districts' own amounts reach 5 (A alone: 2 + 3), so the total 5 needs a spread of 1. Among the
    plans of spread 1, `flat` takes the smallest D2 amounts (A, B) = (1, 0), and then D1 (1, 0)."""
    assert solve_segment_amounts([A, B], 5) == SegmentAmounts({"A": (1, 1), "B": (0, 0)}, 5, 1, True)


def test_tiers_that_share_no_segment_need_no_common_order() -> None:
    """A has shops only in D2, B only in D1: no segment holds both tiers, so B's D1 amount may pass
    A's D2 amount. Supply 3: 2 a + 3 b = 3 as (a, b) = (0, 1), spread 0 (each tier has one cell).
    A cell without shops gets the amount of the segment's next worse cell with shops, 0 below the last."""
    a = SegmentDemand("A", [T("D2", {None: 2}), T("D1", {})])
    b = SegmentDemand("B", [T("D2", {}), T("D1", {None: 3})])
    assert solve_segment_amounts([a, b], 3) == SegmentAmounts({"A": (0, 0), "B": (1, 1)}, 3, 0, True)
    assert solve_segment_amounts([a, b], 7) == SegmentAmounts({"A": (2, 0), "B": (1, 1)}, 7, 0, True)


def test_targets() -> None:
    # 3 shops in each district: totals are multiples of 3; supply 5: at_most 3 (one district gets 1),
    # nearest 6 (|6 - 5| < |3 - 5|), one amount for both
    a = SegmentDemand("A", [T("D1", {None: 3})])
    b = SegmentDemand("B", [T("D1", {None: 3})])
    assert solve_segment_amounts([a, b], 5) == SegmentAmounts({"A": (0,), "B": (1,)}, 3, 1, True)
    assert solve_segment_amounts([a, b], 5, target="nearest") == SegmentAmounts({"A": (1,), "B": (1,)}, 6, 0, True)


def test_entitlement_across_segments() -> None:
    e1 = SegmentDemand("A", [T("D2", {None: 1}), T("D1", {None: 1})])
    e2 = SegmentDemand("B", [T("D2", {None: 1}), T("D1", {None: 1})])
    # H(lam) = 2 * 3 lam + 2 * lam = 8: lam = 1, ideal (3, 1); flat would give (2, 2)
    assert solve_segment_amounts([e1, e2], 8, shape="entitlement", entitlement=[3, 1]) == SegmentAmounts(
        {"A": (3, 1), "B": (3, 1)}, 8, 0, True
    )
    assert solve_segment_amounts([e1, e2], 8) == SegmentAmounts({"A": (2, 2), "B": (2, 2)}, 8, 0, True)


def test_entitlement_with_a_spread() -> None:
    """A: 1 shop in D2, 1 in D1; B: 2 and 2. Common amounts give multiples of 3, so 10 needs spread 1.
    H(lam) = 3 lam * 3 + lam * 3 = 10: lam = 5/6, ideal (5/2, 5/6). Every D2 amount is at least 1/2
    from 5/2; with the deviation 1/2 every D1 amount is 1 (the only integer within 1/2 of 5/6), and
    a2 + 1 + 2 b2 + 2 = 10 with a2, b2 in {2, 3} leaves (3, 2). `flat` gives A (1, 1), B (2, 2)."""
    a = SegmentDemand("A", [T("D2", {None: 1}), T("D1", {None: 1})])
    b = SegmentDemand("B", [T("D2", {None: 2}), T("D1", {None: 2})])
    got = solve_segment_amounts([a, b], 10, shape="entitlement", entitlement=[Fraction(3), 1])
    assert got == SegmentAmounts({"A": (3, 1), "B": (2, 1)}, 10, 1, True)
    assert solve_segment_amounts([a, b], 10) == SegmentAmounts({"A": (1, 1), "B": (2, 2)}, 10, 1, True)


def test_multipliers_count_in_the_total() -> None:
    # A: 2 shops and one on a two-week cycle (factor 2, 两周一访上浮100%) in D1; B: 1 shop.
    # Totals 4 a + b; supply 9: (2, 1) has spread 1, (1, 5) spread 4
    a = SegmentDemand("A", [T("D1", {None: 2}, {(None, 2): 1})])
    b = SegmentDemand("B", [T("D1", {None: 1})])
    assert solve_segment_amounts([a, b], 9) == SegmentAmounts({"A": (2,), "B": (1,)}, 9, 1, True)
    assert total_for(a.tiers, [2]) == 2 * 2 + 2 * 2


def test_multipliers_in_the_single_ladder_solver() -> None:
    # one shop and one at factor 2: 3 a <= 7 -> a = 2
    assert solve_tier_amounts([T("D1", {None: 1}, {(None, 2): 1})], 7).amounts == (2,)
    # the doubled shop ordered 3: a + min(2 a, 3) = 1 + 2, 2 + 3, 3 + 3, 4 + 3 -> 7 at a = 4
    assert solve_tier_amounts([T("D1", {None: 1}, {(3, 2): 1})], 7).amounts == (4,)
    # max_amount bounds the amount, so a doubled shop receives up to twice it
    got = solve_tier_amounts([T("D1", {}, {(None, 2): 1})], 10, max_amount=3)
    assert (got.amounts, got.total) == ((3,), 6)


def test_a_cut_search_keeps_the_optimal_total() -> None:
    """With no work allowed the programme stops at once; spread 0 was already ruled out (no common
    ladder reaches 5), so the fallback's spread 1 is still proven the smallest, not its shape."""
    with patch.object(segment_amounts, "SEARCH_WORK", 0):
        got = solve_segment_amounts([A, B], 5)
    assert got == SegmentAmounts({"A": (1, 1), "B": (0, 0)}, 5, 1, spread_proven=True, shape_proven=False)


def test_no_segments_and_empty_windows() -> None:
    assert solve_segment_amounts([], 7) == SegmentAmounts({}, 0, 0, True)
    empty = [SegmentDemand("A", []), SegmentDemand("B", [])]
    assert solve_segment_amounts(empty, 7, target="nearest") == SegmentAmounts({"A": (), "B": ()}, 0, 0, True)


def test_every_problem_at_once() -> None:
    bad = [
        SegmentDemand("A", [T("D2", {None: 1}), T("D1", {-1: 2})]),
        SegmentDemand("A", [T("D2", {})]),
        SegmentDemand("C", [T("D2", {None: 1}), T("D1", {None: 1}, {(None, 0): 1})]),
    ]
    with pytest.raises(TierAmountsError) as info:
        solve_segment_amounts(bad, -1, target="exact", max_amount=-2)  # type: ignore[arg-type]
    assert str(info.value) == "\n".join(
        [
            "supply must be an int >= 0, got -1",
            "max_amount must be an int >= 0, got -2",
            "target must be 'at_most' or 'nearest', got 'exact'",
            "segments[0] (segment=A).tiers[1] (name=D1): cap -1 must be an int >= 0 or None",
            "segments[1] (segment=A): the segment name must be a string no other segment has",
            "segments[1] (segment=A): tiers ['D2'] differ from segments[0]'s ['D2', 'D1']; "
            "every segment of a pool has the same window",
            "segments[2] (segment=C).tiers[1] (name=D1): factor 0 must be an int >= 1",
        ]
    )


@pytest.mark.parametrize(
    ("multiplied", "message"),
    [
        ({(None, 1.5): 1}, "tiers[0] (name=D1): factor 1.5 must be an int >= 1"),
        ({(-2, 2): 1}, "tiers[0] (name=D1): cap -2 of the clients with factor 2 must be an int >= 0 or None"),
        ({(3, 2): -1}, "tiers[0] (name=D1): clients with cap 3 and factor 2 must be an int >= 0, got -1"),
        ({3: 1}, "tiers[0] (name=D1): multiplied key 3 must be a (cap, factor) pair"),
    ],
)
def test_multiplier_errors(multiplied: dict[object, int], message: str) -> None:
    with pytest.raises(TierAmountsError) as info:
        solve_tier_amounts([T("D1", {}, multiplied)], 3)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_a_pool_too_large_to_prove_is_refused() -> None:
    # one shop a district ordering 10**6: every level of amount up to the cap is a step of the proof
    big = [SegmentDemand(name, [T("D1", {10**6: 1})]) for name in ("A", "B")]
    with pytest.raises(TierAmountsTooLarge) as info:
        solve_segment_amounts(big, 10**6)
    assert str(info.value) == (
        "proving the optimal total of the pool needs 4,000,004,000,000 steps and 250,000,500,000 bytes of "
        "tables (2 segments, up to 1,000,000 levels of amount below the largest cap, totals up to 1,000,000), "
        "above the limits of 8,589,934,592 steps and 268,435,456 bytes: give clients smaller caps "
        "(max_per_client), or a smaller supply"
    )


# The real week's 白沙(和天下) (43010054, 按档位扩展投放 by 业态 商场.超市.烟草专业店, ADV 470): shops per
# tier D30 ... D1, counted from the peer's base_customer_info.xlsx without 不访销 and empty grades.
SHOPS = {
    name: [int(n) for n in counts.split()]
    for name, counts in {
        "商场": "3 1 0 0 1 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        "超市": "8 4 3 3 4 6 2 1 4 2 2 2 4 4 3 1 3 2 2 1 0 2 4 0 0 0 2 0 0 0",
        "烟草专业店": "74 45 73 55 62 48 40 47 32 22 27 16 23 24 20 19 13 21 8 8 6 6 4 2 5 6 4 6 2 3",
    }.items()
}


def reachable(coins: list[int], limit: int) -> np.ndarray:
    """Sums of the coins, each any number of times, up to limit (a plain coin-change table)."""
    reach = np.zeros(limit + 1, dtype=bool)
    reach[0] = True
    for coin in sorted(set(coins) - {0}):
        for x in range(coin, limit + 1):
            reach[x] |= reach[x - coin]
    return reach


def test_the_real_format_plan() -> None:
    """Uncapped shops: a segment's totals are sums of its prefix counts, the pool's of all of them,
    and one common amount per tier gives sums of the merged prefix counts only. 烟草专业店 has shops
    in every tier, so spread 0 is exactly the common ladder: it cannot reach 470, the pool can."""
    names = [f"D{30 - i}" for i in range(30)]
    demands = [
        SegmentDemand(k, [T(n, {None: c} if c else {}) for n, c in zip(names, v, strict=True)])
        for k, v in SHOPS.items()
    ]
    prefixes = {k: np.cumsum(v).tolist() for k, v in SHOPS.items()}
    assert reachable([c for p in prefixes.values() for c in p], 470)[470]
    assert not reachable(np.cumsum(np.sum(list(SHOPS.values()), axis=0)).tolist(), 470)[470]
    got = solve_segment_amounts(demands, 470, target="nearest")
    assert got == SegmentAmounts(
        {
            "商场": (1, 1) + (0,) * 28,
            "超市": (1,) * 5 + (0,) * 25,
            "烟草专业店": (1,) * 8 + (0,) * 22,
        },
        470,
        1,
        True,
    )
    assert sum(sum(a * c for a, c in zip(got.amounts[k], v, strict=True)) for k, v in SHOPS.items()) == 470
