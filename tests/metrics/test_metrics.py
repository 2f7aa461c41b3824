"""The field's metrics on hand-checked cases: each value worked out on paper, as an exact fraction.

The arithmetic of each case is in its comment, so a reader can check it without running anything.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from allocator.pipeline.metrics import (
    cell_sums,
    coverage,
    full_fill_rate,
    gap_rate,
    gini,
    gini_by_line,
    histogram,
    line_metrics,
    rounded,
    top10_share,
    top_share_by_line,
)


def test_full_fill_rate_counts_the_ordering_clients_whose_order_was_met() -> None:
    # orders 1, 3, 0, 3 and quotas 1, 2, 0, 3: three clients ordered; 1 >= 1 and 3 >= 3 are met, 2 < 3 is not
    assert full_fill_rate([1, 2, 0, 3], [1, 3, 0, 3]) == F(2, 3)
    # a client that ordered nothing is not counted, whatever it got; nobody ordering leaves it undefined
    assert full_fill_rate([0, 0], [0, 0]) is None
    assert full_fill_rate([], []) is None


def test_coverage_is_the_share_of_clients_that_got_something() -> None:
    # quotas 0, 1, 2, 0: two of four clients got more than 0
    assert coverage([0, 1, 2, 0]) == F(1, 2)
    assert coverage([0, 0, 0]) == 0
    assert coverage([]) is None


def test_gap_rate_is_the_unmet_share_of_the_orders() -> None:
    # ordered 1 + 3 + 0 + 3 = 7, allocated 1 + 2 + 0 + 3 = 6: (7 - 6) / 7
    assert gap_rate([1, 2, 0, 3], [1, 3, 0, 3]) == F(1, 7)
    assert gap_rate([4, 1], [4, 1]) == 0
    assert gap_rate([0], [0]) is None


def test_top10_share_takes_the_ceil_of_a_tenth_of_the_clients() -> None:
    # 20 clients with quotas 1..20: ceil(20/10) = 2 largest, 20 + 19 = 39 of 210
    assert top10_share(list(range(1, 21))) == F(39, 210) == F(13, 70)
    # 4 clients: ceil(4/10) = 1, the largest quota 3 of 0 + 0 + 1 + 3 = 4
    assert top10_share([0, 0, 1, 3]) == F(3, 4)
    # 11 clients: ceil(11/10) = 2; ten 1s and one 10: 10 + 1 = 11 of 20
    assert top10_share([1] * 10 + [10]) == F(11, 20)
    # ties are taken as many as needed: 12 clients of quota 5, the top 2 hold 10 of 60
    assert top10_share([5] * 12) == F(1, 6)
    assert top10_share([7]) == 1
    assert top10_share([0, 0]) is None


def test_gini_by_hand() -> None:
    # 0, 0, 1, 3: sum of |x_i - x_j| over unordered pairs = 1 + 1 + 3 + 3 + 2 = 10, so 20 over
    # ordered pairs; n = 4, mean 1: G = 20 / (2 * 16 * 1) = 5/8
    assert gini([0, 0, 1, 3]) == F(5, 8)
    # one client of four holds everything: the largest value for n = 4, 1 - 1/4
    assert gini([0, 0, 0, 4]) == F(3, 4)
    # 1, 2, 3: pairs 1 + 2 + 1 = 4, ordered 8; n = 3, mean 2: 8 / (2 * 9 * 2) = 2/9
    assert gini([3, 1, 2]) == F(2, 9)
    assert gini([2, 2, 2]) == 0
    assert gini([5]) == 0  # one client: nobody to be unequal to
    assert gini([0, 0]) is None  # a zero total: nothing to concentrate
    assert gini([]) is None


def test_metrics_stay_exact_past_two_to_the_53() -> None:
    big = 2**52
    # 0, 3, 2**52: ranks give 2 * (2 * 3 + 3 * 2**52) - 4 * (2**52 + 3) over 3 * (2**52 + 3) = 2**53 / (3 * 2**52 + 9)
    assert gini([big, 0, 3]) == F(2**53, 3 * big + 9)
    # 2**52 + 1 is not a float: a float pass would lose the 1
    assert top10_share([big + 1, 1, 1]) == F(big + 1, big + 3)
    assert gap_rate([big, 1], [big + 1, 1]) == F(1, big + 2)
    # a million clients of 2**40 each: the int64 sums would overflow, the object path is exact
    many = np.full(1_000_000, 2**40, dtype=np.int64)
    assert gini(many) == 0 and top10_share(many) == F(1, 10)


def test_lines_are_computed_apart() -> None:
    # line 0: quotas 0, 1 (orders 2, 1); line 1: nobody; line 2: quotas 4, 4, 0 (orders 4, 5, 0)
    codes = np.array([0, 2, 0, 2, 2])
    quota = np.array([0, 4, 1, 4, 0])
    ordered = np.array([2, 4, 1, 5, 0])
    got = line_metrics(codes, quota, ordered, 3)
    assert got == {
        "full_fill_rate": [F(1, 2), None, F(1, 2)],  # line 2: 4 >= 4 met, 4 < 5 not; the 0 order is not counted
        "coverage": [F(1, 2), None, F(2, 3)],
        "gap_rate": [F(2, 3), None, F(1, 9)],  # line 0: (3 - 1) / 3; line 2: (9 - 8) / 9
        "top10_share": [F(1), None, F(1, 2)],  # ceil(2/10) = ceil(3/10) = 1 client
        "gini": [F(1, 2), None, F(1, 3)],  # 0, 4, 4: pairs 4 + 4 + 0 = 8, ordered 16; 16 / (2 * 9 * 8/3)
    }
    assert line_metrics(codes, quota, None, 3)["gap_rate"] == [None, None, None]  # no orders known


def test_the_sorted_histogram_gives_what_the_dense_one_gives() -> None:
    # quotas above the dense grid's width go through a sort: the same entries, the same metrics
    codes = np.array([1, 0, 1, 1, 0])
    small = np.array([2, 0, 2, 5, 1])
    large = small * 10**9
    dense, wide = histogram(codes, small, 2), histogram(codes, large, 2)
    assert dense.line.tolist() == wide.line.tolist() == [0, 0, 1, 1]
    assert dense.count.tolist() == wide.count.tolist() == [1, 1, 2, 1]
    assert wide.value.tolist() == (dense.value * 10**9).tolist()
    assert gini_by_line(dense, 2) == gini_by_line(wide, 2) == [F(1, 2), F(2, 9)]
    assert top_share_by_line(dense, 2) == top_share_by_line(wide, 2) == [F(1), F(5, 9)]


def test_cell_sums_are_exact_and_rounding_happens_once() -> None:
    big = 2**53 - 1
    assert cell_sums(np.array([0, 0, 1]), np.array([big, big, 3]), 2) == [2 * big, 3]
    assert rounded(F(2, 3)) == 0.6667 and rounded(F(1, 8)) == 0.125 and rounded(None) is None


@pytest.mark.parametrize("quota", [[0, 0, 1, 3], [5], list(range(50))])
def test_single_line_forms_equal_the_per_line_ones(quota: list[int]) -> None:
    q = np.array(quota)
    codes = np.zeros(q.size, dtype=np.int64)
    assert line_metrics(codes, q, q, 1) == {
        "full_fill_rate": [full_fill_rate(q, q)],
        "coverage": [coverage(q)],
        "gap_rate": [gap_rate(q, q)],
        "top10_share": [top10_share(q)],
        "gini": [gini(q)],
    }
