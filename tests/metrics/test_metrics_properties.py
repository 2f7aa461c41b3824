"""The field's metrics as properties, each against a brute-force reading of its definition.

For any quotas and orders hypothesis draws (small values, and values up to 2**53 - 1 that break
float sums and int64 products): the Gini coefficient equals the pairwise definition, lies in
[0, 1 - 1/n] and is 0 exactly when all quotas are equal; the top-10 % share equals the sum of the
ceil(n/10) largest quotas over the total and lies in [k/n, 1]; coverage, full fill rate and gap
rate equal their counts; and every line of a grouped computation, and all lines together, equal that line computed alone.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product
from typing import Any

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocator.pipeline.metrics import (
    coverage,
    full_fill_rate,
    gap_rate,
    gini,
    line_figures,
    line_metrics,
    top10_share,
)

BIG = 2**53 - 1
values = st.one_of(st.integers(0, 6), st.integers(0, BIG))
quotas = st.lists(values, min_size=1, max_size=40)


@st.composite
def orders_and_quotas(draw: Any) -> tuple[list[int], list[int]]:
    ordered = draw(st.lists(values, min_size=1, max_size=40))
    quota = [draw(st.integers(0, o)) for o in ordered]  # a client never gets more than it ordered
    return ordered, quota


def _pairwise_gini(x: list[int]) -> Fraction | None:
    total = sum(x)
    if total == 0:
        return None
    return Fraction(sum(abs(a - b) for a, b in product(x, x)), 2 * len(x) * total)


@settings(max_examples=300, deadline=None)
@given(quotas)
@example([0, 0, 1, 3])
@example([BIG, BIG, 0])
def test_gini_is_the_pairwise_definition_within_its_bounds(x: list[int]) -> None:
    g = gini(x)
    assert g == _pairwise_gini(x)
    if g is not None:
        n = len(x)
        assert 0 <= g <= 1 - Fraction(1, n)
        assert (g == 0) == (len(set(x)) == 1)
        assert gini([v * 3 for v in x]) == g and gini(x[::-1]) == g  # scale and order do not matter


@settings(max_examples=300, deadline=None)
@given(quotas)
@example(list(range(1, 21)))
@example([5] * 12)
def test_top10_share_is_the_largest_tenth_within_its_bounds(x: list[int]) -> None:
    share = top10_share(x)
    total, n = sum(x), len(x)
    k = -(-n // 10)
    if total == 0:
        assert share is None
        return
    assert share == Fraction(sum(sorted(x, reverse=True)[:k]), total)
    assert Fraction(k, n) <= share <= 1
    assert (share == Fraction(k, n)) == (len(set(x)) == 1)


@settings(max_examples=300, deadline=None)
@given(orders_and_quotas())
@example(([1, 3, 0, 3], [1, 2, 0, 3]))
def test_coverage_full_fill_and_gap_are_their_counts(case: tuple[list[int], list[int]]) -> None:
    ordered, quota = case
    assert coverage(quota) == Fraction(sum(q > 0 for q in quota), len(quota))
    ordering = [(o, q) for o, q in zip(ordered, quota, strict=True) if o > 0]
    met = sum(q >= o for o, q in ordering)
    assert full_fill_rate(quota, ordered) == (Fraction(met, len(ordering)) if ordering else None)
    wanted = sum(ordered)
    assert gap_rate(quota, ordered) == (Fraction(wanted - sum(quota), wanted) if wanted else None)
    if wanted:  # the gap and the fill rate add up to one, exactly
        assert gap_rate(quota, ordered) + Fraction(sum(quota), wanted) == 1  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), values, values), min_size=1, max_size=60), st.randoms())
@example([(0, 1, 1), (2, 0, 5), (2, 5, 5), (0, 3, 0)], None)
def test_every_line_of_a_grouped_computation_equals_the_line_alone(rows: list[tuple[int, int, int]], rnd: Any) -> None:
    if rnd is not None:
        rnd.shuffle(rows)  # the rows' order never matters
    codes = np.array([c for c, _, _ in rows], dtype=np.int64)
    quota = np.array([min(q, o) for _, q, o in rows], dtype=np.int64)
    ordered = np.array([o for _, _, o in rows], dtype=np.int64)
    grouped = line_metrics(codes, quota, ordered, 5)
    whole = line_figures(codes, quota, ordered, 5, whole=True)
    for line in range(6):  # line 5: every client together, as a product's own line
        q, o = (quota, ordered) if line == 5 else (quota[codes == line], ordered[codes == line])
        alone = {
            "full_fill_rate": full_fill_rate(q, o),
            "coverage": coverage(q),
            "gap_rate": gap_rate(q, o),
            "top10_share": top10_share(q),
            "gini": gini(q),
        }
        if line < 5:
            assert {name: got[line] for name, got in grouped.items()} == alone, line
        assert {name: whole[name][line] for name in alone} == alone, line
        assert (whole["clients"][line], whole["allocated"][line]) == (q.size, int(sum(q.tolist())))
        assert (whole["min_quota"][line], whole["max_quota"][line]) == (
            (int(q.min()), int(q.max())) if q.size else (None, None)
        )
