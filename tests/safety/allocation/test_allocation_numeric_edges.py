"""Allocation at the int64 edges: a big order is an order, sums never wrap, bad numbers are user errors.

The rule files and snapshots bound their numbers (models.MAX_QUANTITY, snapshots.LIMIT); these tests
call allocate_product directly, as the Python API may, with values past those bounds.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest

from allocator.errors import AllocatorError
from allocator.inputs.models import Product
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of
from allocator.pipeline.allocation import TieredClients, allocate_product

INT64_MAX = 2**63 - 1
LADDERS = {"shops": ("A", "B")}


def context(orders: list[int | None]) -> TieredClients:
    table = pl.DataFrame(
        {
            "client_id": [f"c{i}" for i in range(len(orders))],
            "ladder": ["shops"] * len(orders),
            "tier": ["A"] * len(orders),
            "order": pl.Series(orders, dtype=pl.Int64),
        }
    )
    return TieredClients.build(table, table.select("client_id", "ladder", "tier"), LADDERS, 1, "P", "grouped")


def product(**fields: object) -> ProductRules:
    spec = Product(id="p", supply=10, order_column="order", policy="priority").model_copy(update=fields)
    policy = spec.policy
    entitlement = {"shops": {"A": 4, "B": 0}} if policy == "per_tier" else None
    weights = {"shops": {"A": Fraction(1), "B": Fraction(1)}} if policy == "weighted" else None
    return ProductRules(spec, entitlement, weights, (), dict(LADDERS))


def columns(rules: ProductRules, orders: list[int | None]) -> list[tuple[int | None, int | None, int]]:
    result = allocate_product(rules, terms_of(rules), context(orders))
    return result.quotas.select("ordered", "entitled", "quota").rows()


@pytest.mark.parametrize("policy", ["priority", "weighted", "tier_amounts"])
def test_an_order_of_int64_max_is_an_order_and_no_order_is_null(policy: str) -> None:
    got = columns(product(policy=policy), [INT64_MAX, 3, None])
    if policy == "tier_amounts":
        # one amount for tier A: 4 gives 4 + 3 + 4 = 11 > 10, 3 gives 9; the client without an
        # order is uncapped (the order column is null), the int64-max order caps nothing
        assert got == [(INT64_MAX, 3, 3), (3, 3, 3), (None, 3, 3)]
    else:
        # 10 units: 3 to the order of 3, and the other two share 7 (the tie goes by key)
        assert sorted(got[i][2] for i in (0, 2)) == [3, 4]
        assert [(o, e) for o, e, _ in got] == [(INT64_MAX, INT64_MAX), (3, 3), (None, None)]
        assert got[1][2] == 3


def test_a_negative_order_is_refused_not_read_as_no_order() -> None:
    with pytest.raises(AllocatorError) as info:
        columns(product(policy="per_tier"), [-1, 2])
    assert str(info.value) == "product p: order column order: -1 is below 0 (client c0)"


def test_floors_adding_up_past_int64_are_dropped_with_a_note() -> None:
    rules = product(policy="weighted", min_per_client=2**62)
    result = allocate_product(rules, terms_of(rules), context([2**62] * 4))
    assert result.notes == (f"min_per_client {2**62} not applied: {2**64} needed, 10 available",)
    # four equal claims share 10: two get 3, two get 2, the tie going by key
    assert sorted(result.quotas["quota"].to_list()) == [2, 2, 3, 3]
    assert result.allocated == 10


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"supply": 2**63}, f"product p: supply {2**63:,} is above the largest allocation supports, {INT64_MAX:,}"),
        (
            {"max_per_client": 2**63},
            f"product p: max_per_client {2**63:,} is above the largest allocation supports, {INT64_MAX:,}",
        ),
        (
            {"min_per_client": 2**64},
            f"product p: min_per_client {2**64:,} is above the largest allocation supports, {INT64_MAX:,}",
        ),
    ],
)
def test_quantities_past_int64_are_user_errors(fields: dict[str, int], message: str) -> None:
    with pytest.raises(AllocatorError) as info:
        columns(product(**fields), [1, 2])
    assert str(info.value) == message


def test_a_per_client_past_int64_is_a_user_error() -> None:
    rules = product(policy="per_tier")
    rules = ProductRules(rules.spec, {"shops": {"A": 2**63, "B": 0}}, None, (), dict(LADDERS))
    with pytest.raises(AllocatorError) as info:
        columns(rules, [1, 2])
    assert str(info.value) == (
        f"product p: per_client shops/A {2**63:,} is above the largest allocation supports, {INT64_MAX:,}"
    )
