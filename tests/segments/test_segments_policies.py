"""Segments for every policy on hand-checked cases: who is in, how the supply is split, exact quotas."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl

from allocator.inputs.models import Product
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of
from allocator.pipeline.allocation import ProductResult, TieredClients, allocate_product
from allocator.pipeline.summaries import summarize

TIERS = ("A", "B", "C")
#        client  tier district market  order
SHOPS = [
    ("e1", "A", "east", "城网", 9),
    ("e2", "B", "east", "农网", 9),
    ("e3", "C", "east", "农网", 9),
    ("w1", "A", "west", "城网", 9),
    ("w2", "B", "west", "农网", 9),
    ("n1", "A", None, "城网", 9),  # no district: in no segment of district
]


def clients(rows: list[tuple[str, str, str | None, str, int]] = SHOPS) -> TieredClients:
    table = pl.DataFrame(
        [(c, "shops", t, d, m, o) for c, t, d, m, o in rows],
        schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String, "district": pl.String,
                "market": pl.String, "order": pl.Int64},
        orient="row",
    )  # fmt: skip
    return TieredClients.build(table, table.select("client_id", "ladder", "tier"), {"shops": TIERS}, 1, "P", "grouped", True)


def allocate(spec: dict[str, Any], weighted_field: str | None = None, **extra: Any) -> ProductResult:
    product = Product.model_validate({"id": "p", "order_column": "order", **spec})
    rules = ProductRules(product, extra.get("entitlement"), extra.get("weights"), (), {"shops": TIERS}, weighted_field)
    return allocate_product(rules, terms_of(rules), clients())


def rows(result: ProductResult) -> list[tuple[Any, ...]]:
    return result.quotas.select("client_id", "segment", "excluded_by", "quota").rows()


def test_per_tier_in_one_district_only() -> None:
    # east alone shares 10: entitlements A 5, B 3, C 1 (capped by orders of 9) claim 9, not short
    ent = {"shops": {"A": 5, "B": 3, "C": 1}}
    result = allocate({"supply": 10, "segments": {"by": ["district"], "values": ["east"]}}, entitlement=ent)
    assert rows(result) == [
        ("e1", "east", None, 5), ("e2", "east", None, 3), ("e3", "east", None, 1),
        ("w1", "west", "not in segments", 0), ("w2", "west", "not in segments", 0), ("n1", "", "not in segments", 0),
    ]  # fmt: skip
    assert (result.allocated, result.unallocated) == (9, 1)


def test_all_values_leave_out_only_clients_without_a_value() -> None:
    ent = {"shops": {"A": 2, "B": 1, "C": 1}}
    result = allocate({"supply": 100, "segments": {"by": ["district"]}}, entitlement=ent)
    assert [q for *_, q in rows(result)] == [2, 1, 1, 2, 1, 0]
    assert rows(result)[-1] == ("n1", "", "not in segments", 0)


def test_fixed_weights_split_the_supply_first_into_pools() -> None:
    # 城网 4 : 农网 6 of 10 -> 4 and 6; 城网 pool e1, w1 (A); 农网 pool e2, e3, w2 (B, C)
    weights = {"shops": {"A": Fraction(3), "B": Fraction(2), "C": Fraction(1)}}
    seg = {"by": ["market"], "weights": {"城网": 4, "农网": 6}}
    result = allocate({"supply": 10, "policy": "weighted", "segments": seg}, "market", weights=weights)
    got = dict((c, q) for c, _, _, q in rows(result))
    assert got["e1"] + got["w1"] + got["n1"] == 4  # the 城网 pool, n1 included (it has a market)
    assert got["e2"] + got["e3"] + got["w2"] == 6
    # within 农网: weights B 2, C 1 -> Webster: e2 and w2 (B) 2 each ... 6 = 2.4+2.4+1.2 -> 2, 3/2... exact:
    assert (got["e2"], got["w2"], got["e3"]) in {(3, 2, 1), (2, 3, 1)}
    assert result.quotas["segment"].to_list() == ["城网", "农网", "农网", "城网", "农网", "城网"]


def test_weights_by_clients_give_each_segment_its_own_pool() -> None:
    # east 3 clients, west 2 -> 10 splits 6 : 4; priority within each pool
    seg = {"by": ["district"], "values": ["east", "west"], "weights": "clients"}
    result = allocate({"supply": 10, "policy": "priority", "segments": seg})
    got = [q for *_, q in rows(result)]
    assert got == [6, 0, 0, 4, 0, 0]  # A first: e1 takes all 6 of east (order 9), w1 all 4 of west


def test_weights_by_orders() -> None:
    # east orders 27, west 18 (n1 has no district: not counted) -> 15 splits 9 : 6
    seg = {"by": ["district"], "values": ["east", "west"], "weights": "orders"}
    result = allocate({"supply": 15, "policy": "priority", "segments": seg})
    assert [q for *_, q in rows(result)] == [9, 0, 0, 6, 0, 0]


def test_a_pool_without_clients_keeps_its_units_and_says_so() -> None:
    seg = {"by": ["market"], "weights": {"城网": 1, "农网": 1, "其他": 2}}
    result = allocate({"supply": 8, "policy": "priority", "segments": seg}, "market")
    # 城网 gets 2 for e1, w1, n1 (all tier A: a tie, won by the seeded keys of e1 and n1); 农网 gets 2
    # for e2, w2 (tier B, served before e3 in C)
    assert [q for *_, q in rows(result)] == [1, 1, 0, 0, 1, 1]
    assert result.notes == ("pool 其他: no client, its 4 units are left",)
    assert (result.allocated, result.unallocated) == (4, 4)


def test_summary_has_one_line_per_segment_and_tier_and_one_for_the_clients_outside() -> None:
    ent = {"shops": {"A": 5, "B": 3, "C": 1}}
    result = allocate({"supply": 10, "segments": {"by": ["district"], "values": ["east"]}}, entitlement=ent)
    summary = summarize([result], clients())
    assert summary.select("line", "segment", "tier", "clients", "ordered", "allocated", "note").rows() == [
        ("tier", "east", "A", 1, 9, 5, ""),
        ("tier", "east", "B", 1, 9, 3, ""),
        ("tier", "east", "C", 1, 9, 1, ""),
        ("product", "", "", 3, 27, 9, ""),  # the clients in the segments, every tier
        ("outside", "", "", 3, 27, 0, "not in the chosen segments: quota 0"),
        ("unallocated", "", "", None, None, 1, "supply 10, available 10"),
    ]


def test_a_product_without_segments_in_a_run_that_shows_them_has_an_empty_segment() -> None:
    ent = {"shops": {"A": 1, "B": 1, "C": 1}}
    result = allocate({"supply": 100}, entitlement=ent)
    assert result.quotas["segment"].to_list() == [""] * 6
    assert [q for *_, q in rows(result)] == [1] * 6
