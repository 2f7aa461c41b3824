"""The policies on small hand-checked cases: whole quota lists, reserve and leftover lines."""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from allocator.inputs.models import Product, Window
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of
from allocator.pipeline.allocation import TieredClients, allocate_product

TIERS = ("A", "B", "C")


def context(rows: list[tuple[str, str, str, int | None]], ladders: dict[str, tuple[str, ...]] | None = None) -> TieredClients:
    table = pl.DataFrame(
        rows, schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String, "order": pl.Int64}, orient="row"
    )
    return TieredClients.build(
        table, table.select("client_id", "ladder", "tier"), ladders or {"shops": TIERS}, 1, "P", "grouped"
    )


def quotas(product: ProductRules, ctx: TieredClients) -> list[int]:
    return allocate_product(product, terms_of(product), ctx).quotas["quota"].to_list()


def rules(
    spec: Product,
    entitlement: dict[str, dict[str, int]] | None = None,
    weights: dict[str, dict[str, Fraction]] | None = None,
    ladders: dict[str, tuple[str, ...]] | None = None,
) -> ProductRules:
    return ProductRules(spec, entitlement, weights, (), dict(ladders or {"shops": TIERS}))


SHOPS = [
    ("a1", "shops", "A", 9),
    ("a2", "shops", "A", 2),
    ("b1", "shops", "B", 9),
    ("b2", "shops", "B", 9),
    ("c1", "shops", "C", 9),
]


def test_weighted_shares_in_proportion_to_tier_weights_until_orders_are_met() -> None:
    spec = Product(id="p", supply=12, order_column="order", policy="weighted")
    weights = {"shops": {"A": Fraction(3), "B": Fraction(2), "C": Fraction(1)}}
    # Webster, one unit at a time to the highest w/(q + 1/2): a1 6, a2 6, b1 4, b2 4, a1 2, a2 2 (its
    # order: capped), c1 2, b1 4/3, b2 4/3, a1 6/5, a1 6/7; the 12th unit is a tie between b1 and
    # b2 at 4/5, decided by the tie-break key.
    got = quotas(rules(spec, weights=weights), context(SHOPS))
    assert got[:2] == [4, 2] and sorted(got[2:4]) == [2, 3] and got[4] == 1


def test_priority_serves_the_best_tier_first_with_equal_shares_within() -> None:
    spec = Product(id="p", supply=14, order_column="order", policy="priority")
    # A: a1 wants 9, a2 2 -> 11; 3 left for B: b1 and b2 share equally (2 and 1, tie by key); C gets nothing
    got = quotas(rules(spec), context(SHOPS))
    assert got[:2] == [9, 2] and sorted(got[2:4]) == [1, 2] and got[4] == 0


def test_priority_leaves_supply_over_once_every_order_is_met() -> None:
    spec = Product(id="p", supply=100, order_column="order", policy="priority")
    result = allocate_product(rules(spec), terms_of(rules(spec)), context(SHOPS))
    assert result.quotas["quota"].to_list() == [9, 2, 9, 9, 9]
    assert (result.allocated, result.unallocated) == (38, 62)


def test_reserve_share_rounds_down_and_is_reported() -> None:
    spec = Product(
        id="p", supply=99, order_column="order", policy="per_tier", reserve={"share": 0.05, "owner": "managers"}
    )  # type: ignore[arg-type]
    product = rules(spec, entitlement={"shops": {"A": 5, "B": 3, "C": 1}})
    result = allocate_product(product, terms_of(product), context(SHOPS))
    assert (result.supply, result.reserve, result.available, result.allocated, result.unallocated) == (
        99,
        4,
        95,
        14,
        81,
    )
    assert result.quotas["quota"].to_list() == [5, 2, 3, 3, 1]


def test_tier_amounts_split_across_three_equal_ladders_loses_no_unit() -> None:
    # The peer's rounding gives 3 equal groups sharing 100 only 99; the split here adds up exactly.
    ladders = {"north": ("A",), "south": ("A",), "west": ("A",)}
    rows = [(f"{lad}-{i}", lad, "A", None) for lad in ladders for i in range(1)]
    spec = Product(id="p", supply=100, policy="tier_amounts", ladder_split={"north": 1, "south": 1, "west": 1})
    product = rules(spec, ladders=ladders)
    result = allocate_product(product, terms_of(product), context(rows, ladders))
    assert result.tier_amounts == {("north", "A"): 34, ("south", "A"): 33, ("west", "A"): 33}
    assert result.quotas["quota"].to_list() == [34, 33, 33]
    assert result.allocated == 100


def test_tier_amounts_window_and_caps() -> None:
    spec = Product(
        id="p", supply=10, order_column="order", policy="tier_amounts", window=Window(highest="A", lowest="B")
    )
    product = ProductRules(spec, None, None, (), {"shops": ("A", "B")})
    result = allocate_product(product, terms_of(product), context(SHOPS))
    # C is outside the window; a2 is capped by its order of 2. Totals min(a, 9) + min(a, 2) + 2b
    # reach 10 with (4, 2) and (6, 1); `flat` takes the smaller amounts from the best tier down.
    assert result.tier_amounts == {("shops", "A"): 4, ("shops", "B"): 2}
    assert result.quotas["quota"].to_list() == [4, 2, 2, 2, 0]
    assert (result.allocated, result.unallocated) == (10, 0)


def test_per_tier_weights_are_the_capped_claims_not_the_uncapped_entitlement() -> None:
    # claims: a min(100, order 4) = 4, b min(4, 9) = 4, c min(2, 9) = 2. One common divisor 2
    # gives 4/2, 4/2, 2/2 = 2, 2, 1 (no rounding boundary: unique). Weighting by the uncapped 100
    # would fill a first: 4, 1, 0.
    spec = Product(id="p", supply=5, order_column="order", policy="per_tier")
    product = rules(spec, entitlement={"shops": {"A": 100, "B": 4, "C": 2}})
    rows = [("a", "shops", "A", 4), ("b", "shops", "B", 9), ("c", "shops", "C", 9)]
    result = allocate_product(product, terms_of(product), context(rows))
    assert result.quotas["entitled"].to_list() == [4, 4, 2]
    assert result.quotas["quota"].to_list() == [2, 2, 1]


def test_per_tier_identical_capped_claims_get_the_same_quota_whatever_the_entitlement() -> None:
    # a (A: 3 or 100, order 3) and b (B: 3, order 3) claim 3 each; supply 4: webster gives 2 and 2
    spec = Product(id="p", supply=4, order_column="order", policy="per_tier")
    rows = [("a", "shops", "A", 3), ("b", "shops", "B", 3)]
    for top in (3, 100):
        product = rules(spec, entitlement={"shops": {"A": top, "B": 3, "C": 1}})
        assert quotas(product, context(rows)) == [2, 2], top
