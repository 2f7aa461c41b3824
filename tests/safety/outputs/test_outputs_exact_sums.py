"""Per-tier sums in summary.csv are exact whole numbers, however large the orders."""

from __future__ import annotations

import numpy as np

from allocator.pipeline.summaries import cell_sums


def test_sums_past_two_to_the_53_are_exact() -> None:
    # float64 bincount gave 18014398509481984 for cell 0 (2**53 - 1 + 2**53 - 1 + 3 rounds)
    big = 2**53 - 1
    codes = np.array([0, 0, 0, 1, 2], dtype=np.int64)
    values = np.array([big, big, 3, 7, 0], dtype=np.int64)
    assert cell_sums(codes, values, 4) == [2 * big + 3, 7, 0, 0]


def test_booleans_count() -> None:
    codes = np.array([1, 1, 0], dtype=np.int64)
    assert cell_sums(codes, np.array([True, False, True]), 2) == [1, 1]
