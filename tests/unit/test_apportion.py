"""allocator.apportionment.methods: hand-computed cases, whole results, whole error messages."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from allocator.apportionment.methods import (
    METHODS,
    ApportionError,
    Group,
    GroupShare,
    apportion,
    apportion_groups,
    tiebreak_keys,
)

# Weights 7, 5, 1 and 6 units, by hand:
# dhondt   w/(q+1):   7, 3.5, 2.33, 1.75 | 5, 2.5, 1.67 | 1        -> top six: 4, 2, 0
# webster  w/(q+½):   14, 4.67, 2.8, 2   | 10, 3.33, 2  | 2        -> five clear, then a
#                     three-way tie at 2 for the sixth unit: row order gives it to the first
# adams    w/q:       ∞ ∞ ∞, then 7, 5, 3.5                          -> 3, 2, 1
# HH       w/√(q(q+1)): ∞ ∞ ∞, then 4.95, 3.54, 2.86                 -> 3, 2, 1
# hamilton 6·w/13 = 3.23, 2.31, 0.46: 3 + 2 + 0, one left to .46     -> 3, 2, 1
SMALL = {
    "dhondt": [4, 2, 0],
    "webster": [4, 2, 0],
    "adams": [3, 2, 1],
    "huntington_hill": [3, 2, 1],
    "hamilton": [3, 2, 1],
}


@pytest.mark.parametrize("method", METHODS)
def test_small_case_by_hand(method: str) -> None:
    assert apportion([7, 5, 1], 6, method=method) == SMALL[method]


def test_webster_three_way_tie_goes_to_the_lowest_key() -> None:
    assert apportion([7, 5, 1], 6, tiebreak=[2, 1, 0]) == [3, 2, 1]
    assert apportion([7, 5, 1], 6, tiebreak=[2, 0, 1]) == [3, 3, 0]
    assert apportion([7, 5, 1], 6, tiebreak=[0, 2, 1]) == [4, 2, 0]


def test_dhondt_with_a_tie_across_different_weights() -> None:
    # 2/1 first; then 2/2 = 1/1 = 1: three members tied for the last unit.
    assert apportion([2, 1, 1], 2, method="dhondt") == [2, 0, 0]
    assert apportion([2, 1, 1], 2, method="dhondt", tiebreak=[5, 9, 3]) == [1, 0, 1]


@pytest.mark.parametrize("method", ["adams", "huntington_hill"])
def test_first_units_go_to_the_largest_weights_when_supply_is_short(method: str) -> None:
    assert apportion([1, 5, 3, 5], 2, method=method) == [0, 1, 0, 1]
    assert apportion([1, 5, 3, 5], 3, method=method) == [0, 1, 1, 1]
    # one unit, two equal weights at the top: only then the key decides
    assert apportion([1, 5, 3, 5], 1, method=method) == [0, 1, 0, 0]
    assert apportion([1, 5, 3, 5], 1, method=method, tiebreak=[9, 8, 7, 6]) == [0, 0, 0, 1]


@pytest.mark.parametrize("method", ["adams", "huntington_hill"])
def test_a_floor_already_served_does_not_compete_for_a_first_unit(method: str) -> None:
    # claimant 0 holds its floor of 1; its second unit has a finite priority, so the first
    # units of the others (infinite priority) come first, even though 9 > 2.
    assert apportion([9, 2, 1], 2, floors=[1, 0, 0], method=method) == [1, 1, 0]


def test_adams_weight_order_instance_from_the_counterexample_file() -> None:
    # capped_adams P8b: an implementation breaking first-unit ties by row gave [1, 0, 0, 0, 0].
    result = apportion([3, 3, 2, 5, 2], 1, caps=[17, 0, 14, 29, 15], method="adams")
    assert result == [0, 0, 0, 1, 0]


def test_caps_move_units_to_the_others() -> None:
    # webster: claimant 0 stops at 2; the other eight go by 10/(q+½) against 1/(q+½):
    # 20, 6.67, 4, 2.86, 2.22 | 2 (the 1) | 1.82, 1.54 -> 7 and 1
    assert apportion([10, 10, 1], 10, caps=[2, None, None]) == [2, 7, 1]


def test_floors_are_given_first() -> None:
    # dhondt, claimant 1 holds 2; the three left: 10/1, 10/2, 10/3 beat 1/3 and 1/1.
    assert apportion([10, 1, 1], 5, floors=[0, 2, 0], method="dhondt") == [3, 2, 0]


@pytest.mark.parametrize("method", METHODS)
def test_total_above_the_caps_gives_everyone_the_cap(method: str) -> None:
    assert apportion([1, 2], 100, caps=[3, 4], method=method) == [3, 4]
    assert apportion([1, 2], 100, caps=[3, 0], method=method) == [3, 0]


@pytest.mark.parametrize("method", METHODS)
def test_zero_weights_get_their_floor_only(method: str) -> None:
    assert apportion([0, 3, 0], 5, floors=[1, 0, 0], method=method) == [1, 4, 0]
    assert apportion([0, 0], 5, method=method) == [0, 0]
    assert apportion([0, 0], 5, floors=[2, 1], caps=[None, 9], method=method) == [2, 1]
    # the positive weight is capped: supply is left over rather than given to weight 0
    assert apportion([0, 3], 10, caps=[None, 4], method=method) == [0, 4]


@pytest.mark.parametrize("method", METHODS)
def test_empty_and_zero_supply(method: str) -> None:
    assert apportion([], 5, method=method) == []
    assert apportion([3, 1], 0, method=method) == [0, 0]
    assert apportion([3, 1], 1, floors=[0, 1], method=method) == [0, 1]
    assert apportion_groups([], 5, method) == ([], 0)


@pytest.mark.parametrize("method", METHODS)
def test_weight_types_are_converted_exactly(method: str) -> None:
    floats = apportion([0.1, 0.2, 0.3], 7, method=method)
    exact = apportion([Fraction(0.1), Fraction(0.2), Fraction(0.3)], 7, method=method)
    assert floats == exact
    assert apportion([Fraction(3, 2), 1, 0.5], 6, method=method) == apportion([3, 2, 1], 6, method=method)


def test_numpy_integers_are_accepted() -> None:
    result = apportion(np.array([3, 2, 1]), np.int64(6), caps=np.array([2, 5, 5]), method="hamilton")
    assert result == [2, 3, 1]
    assert all(type(q) is int for q in result)


def test_hamilton_caps_are_shared_out_in_proportion() -> None:
    # 24·13/58 = 5.38 > 2: fixed at 2; 22 among 9, 11, 25: 4.4, 5.38, 12.22 -> 4, 5, 12 + 1
    assert apportion([13, 9, 11, 25], 24, caps=[2, 16, 9, 19], method="hamilton") == [2, 5, 5, 12]


def test_hamilton_floor_is_paid_from_the_remainders() -> None:
    # shares 3·2/11 = .55 and 3·9/11 = 2.45; the floor of 1 for the first is the remainder unit
    assert apportion([2, 9], 3, method="hamilton") == [1, 2]
    assert apportion([1, 9], 3, floors=[1, 0], method="hamilton") == [1, 2]
    # the floor takes the unit the largest remainder would have had: shares .3, 4.5, 5.2
    assert apportion([3, 45, 52], 10, floors=[1, 0, 0], method="hamilton") == [1, 4, 5]


def test_hamilton_equal_remainders_go_to_the_larger_weight() -> None:
    # shares 19.5 and 6.5 after two caps bind: equal remainders, weight 3 beats weight 1
    result = apportion([5, 2, 3, 1, 3], 65, caps=[23, 20, 28, 23, 3], method="hamilton")
    assert result == [23, 13, 20, 6, 3]
    flipped = apportion([5, 2, 3, 1, 3], 65, caps=[23, 20, 28, 23, 3], method="hamilton", tiebreak=[0, 1, 4, 3, 2])
    assert flipped == result


def test_groups_report_ties_instead_of_breaking_them() -> None:
    # webster, three members of weight 1 and one of weight 2: 2/½ = 4 first, then 1/½ = 2 (x3)
    groups = [Group(1, 3), Group(2, 1)]
    assert apportion_groups(groups, 4) == ([GroupShare(1, 0), GroupShare(1, 0)], 0)
    assert apportion_groups(groups, 3) == ([GroupShare(0, 3), GroupShare(1, 0)], 2)
    # dhondt: 2/1 first; then 2/2 and 1/1 (x2) are tied across groups
    tied = apportion_groups([Group(2, 1), Group(1, 2)], 2, "dhondt")
    assert tied == ([GroupShare(1, 1), GroupShare(0, 2)], 1)


def test_groups_with_caps_floors_and_empty_groups() -> None:
    # adams: floors 5, a million first units (infinite priority), then 3/1 beats 1/1 for
    # the 234,562 left: every weight-3 member is tied for them, the weight-1 group waits.
    groups = [Group(3, 1_000_000), Group(1, 5, cap=2, floor=1), Group(7, 0)]
    shares, extra = apportion_groups(groups, 1_234_567, "adams")
    assert shares == [GroupShare(1, 1_000_000), GroupShare(1, 0), GroupShare(0, 0)]
    assert extra == 234_562
    assert apportion_groups([Group(1, 2, cap=None, floor=0), Group(1, 0)], 3) == (
        [GroupShare(1, 2), GroupShare(0, 0)],
        1,
    )


def test_a_million_claimants_in_a_few_groups() -> None:
    weights = [(i % 7) + 1 for i in range(1_000_000)]
    caps = [None if i % 3 else 2 for i in range(1_000_000)]
    result = apportion(weights, 3_000_001, caps=caps, method="huntington_hill")
    assert sum(result) == 3_000_001
    by_kind: dict[tuple[int, int | None], set[int]] = {}
    for w, c, q in zip(weights, caps, result, strict=True):
        by_kind.setdefault((w, c), set()).add(q)
    assert max(max(qs) - min(qs) for qs in by_kind.values()) <= 1


def test_huge_totals_stay_exact() -> None:
    # floats lose whole units past 2**53; the answer must not
    total = 10**30 + 1
    for method in METHODS:
        assert apportion([3, 1, 1], total, method=method) == [
            6 * 10**29 + 1,
            2 * 10**29,
            2 * 10**29,
        ]
        capped = apportion([1, 1, 1], 10**30, caps=[None, 5, None], method=method)
        assert capped == [(10**30 - 5) // 2 + 1, 5, (10**30 - 5) // 2]


def test_tiny_and_huge_weights() -> None:
    assert apportion([10**400, 1, 3 * 10**399], 50, method="webster") == [38, 0, 12]
    assert apportion([Fraction(1, 10**400), 1], 3, method="adams") == [1, 2]
    assert apportion([1e-300, 2.5, 0.1], 17, caps=[3, None, None], method="dhondt") == [0, 17, 0]


def test_tiebreak_keys_are_pinned() -> None:
    # Changing the encoding changes every published allocation: these values are part of the
    # contract (README: "ties go to the lowest key").
    keys = tiebreak_keys(42, "2024Q3", "zhonghua-soft", ["c1", "c2", "客户"])
    assert keys == [3125629336437670568, 3440399557725649056, 832657115694850894]
    assert tiebreak_keys(42, "2024Q3", "zhonghua-soft", []) == []


def test_tiebreak_keys_separate_the_fields() -> None:
    # length prefixes: moving a character from one field to the next changes the key
    assert tiebreak_keys(1, "ab", "c", ["x"]) != tiebreak_keys(1, "a", "bc", ["x"])
    assert tiebreak_keys(1, "a", "b", ["x"]) != tiebreak_keys(2, "a", "b", ["x"])
    assert tiebreak_keys(1, "a", "b", ["x"]) != tiebreak_keys(1, "a", "c", ["x"])
    assert tiebreak_keys(12, "a", "b", ["x"]) != tiebreak_keys(1, "2a", "b", ["x"])
    keys = tiebreak_keys(7, "2024Q1", "p", [f"c{i}" for i in range(10_000)])
    assert len(set(keys)) == 10_000
    assert all(0 <= k < 2**64 for k in keys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"method": "webstr"},
            "unknown apportionment method 'webstr'; did you mean 'webster'?",
        ),
        (
            {"method": "huntington"},
            "unknown apportionment method 'huntington'; did you mean 'huntington_hill'?",
        ),
        (
            {"method": "sainte_lague"},
            "unknown apportionment method 'sainte_lague'; "
            "expected one of webster, dhondt, adams, huntington_hill, hamilton",
        ),
        ({"weights": [1, -2, 3]}, "weights[1]: must be non-negative, got -2"),
        ({"weights": [1, Fraction(-1, 2), 3]}, "weights[1]: must be non-negative, got -1/2"),
        ({"weights": [1, 2, math.nan]}, "weights[2]: must be finite, got nan"),
        ({"weights": [math.inf, 2, 3]}, "weights[0]: must be finite, got inf"),
        ({"weights": [1, "2", 3]}, "weights[1]: must be an int, Fraction or float, got '2'"),
        ({"weights": [True, 2, 3]}, "weights[0]: must be an int, Fraction or float, got True"),
        ({"total": -5}, "total: must be non-negative, got -5"),
        ({"total": 5.0}, "total: must be a non-negative int, got 5.0"),
        ({"caps": [1, 2]}, "caps: expected 3 values (one per weight), got 2"),
        ({"caps": [1, -2, None]}, "caps[1]: must be non-negative, got -2"),
        ({"caps": [1, 2, 2.5]}, "caps[2]: must be a non-negative int or None, got 2.5"),
        ({"floors": [0, 0, 0, 0]}, "floors: expected 3 values (one per weight), got 4"),
        ({"floors": [0, None, 0]}, "floors[1]: must be a non-negative int, got None"),
        ({"floors": [0, -1, 0]}, "floors[1]: must be non-negative, got -1"),
        ({"floors": [0, 3, 3], "caps": [5, 2, 1]}, "floors[1]: 3 is above the cap 2"),
        ({"floors": [4, 4, 4]}, "floors add up to 12, more than the total 10"),
        ({"tiebreak": [1, 2]}, "tiebreak: expected 3 keys (one per weight), got 2"),
        ({"tiebreak": [1, "2", 3]}, "tiebreak[1]: must be an int, got '2'"),
        ({"tiebreak": [7, 3, 7]}, "tiebreak[2]: key 7 repeats tiebreak[0]"),
    ],
)
def test_error_messages(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"weights": [1, 2, 3], "total": 10, **kwargs}
    with pytest.raises(ApportionError) as caught:
        apportion(**arguments)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([Group(1, 2), Group(-1, 2)], "groups[1].weight: must be non-negative, got -1"),
        ([Group(1, -2)], "groups[0].count: must be non-negative, got -2"),
        ([Group(1, 2, cap=-1)], "groups[0].cap: must be non-negative, got -1"),
        ([Group(1, 2, cap=1, floor=2)], "groups[0].floor: 2 is above the cap 1"),
        ([Group(1, 3, floor=4)], "floors add up to 12, more than the total 10"),
    ],
)
def test_group_error_messages(groups: list[Group], message: str) -> None:
    with pytest.raises(ApportionError) as caught:
        apportion_groups(groups, 10)
    assert str(caught.value) == message


def test_apportion_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown apportionment method"):
        apportion_groups([Group(1, 1)], 1, "jefferson")


def test_tiebreak_keys_reject_non_text_ids() -> None:
    with pytest.raises(ApportionError) as caught:
        tiebreak_keys(1, "2024Q1", "p", ["a", 5])  # type: ignore[list-item]
    assert str(caught.value) == "client_ids[1]: must be a str, got 5"
