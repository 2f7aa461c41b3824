"""Segments, as properties: a pool is allocated exactly as if its clients were alone with its supply.

For any small snapshot, choice of segments and weights, and the per_tier, weighted and priority
policies: clients outside the chosen segments get 0; the pools' supplies add up to the supply
exactly (largest remainder); and each pool's quotas equal those of the same product without
segments run on the pool's clients alone with the pool's supply.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.inputs.models import Product
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of
from allocator.pipeline.allocation import TieredClients, allocate_product
from allocator.pipeline.segments import plan_segments

TIERS = ("A", "B", "C")
DISTRICTS = ("east", "west", "north")


@st.composite
def cases(draw: Any) -> tuple[pl.DataFrame, dict[str, Any], str | None]:
    n = draw(st.integers(1, 12))
    rows = [
        (f"c{i:02d}", draw(st.sampled_from(TIERS)), draw(st.sampled_from((*DISTRICTS, None))), draw(st.integers(0, 6)))
        for i in range(n)
    ]
    table = pl.DataFrame(
        rows, schema={"client_id": pl.String, "tier": pl.String, "district": pl.String, "order": pl.Int64}, orient="row"
    ).with_columns(pl.lit("shops").alias("ladder"))
    chosen = draw(st.lists(st.sampled_from(DISTRICTS), unique=True, min_size=1) | st.just("all"))
    weights = draw(
        st.none()
        | st.sampled_from(["clients", "orders"])
        | st.dictionaries(st.sampled_from(DISTRICTS), st.integers(0, 5), min_size=1).filter(lambda w: any(w.values()))
    )
    policy = draw(st.sampled_from(["per_tier", "weighted", "priority"]))
    spec = {"id": "p", "supply": draw(st.integers(0, 40)), "order_column": "order", "policy": policy,
            "segments": {"by": ["district"], "values": chosen, "weights": weights},
            "rounding": draw(st.sampled_from(["webster", "hamilton", "dhondt"]))}  # fmt: skip
    return table, spec, "district" if isinstance(weights, dict) else None


def rules_of(spec: dict[str, Any], weighted_field: str | None) -> ProductRules:
    product = Product.model_validate(spec)
    entitlement = {"shops": {"A": 4, "B": 2, "C": 1}} if product.policy == "per_tier" else None
    weights = {"shops": {"A": Fraction(3), "B": Fraction(2), "C": Fraction(1)}} if product.policy == "weighted" else None
    return ProductRules(product, entitlement, weights, (), {"shops": TIERS}, weighted_field)


def clients(table: pl.DataFrame) -> TieredClients:
    return TieredClients.build(table, table.select("client_id", "ladder", "tier"), {"shops": TIERS}, 7, "P", "grouped")


@settings(max_examples=150, deadline=None)
@given(cases())
def test_each_pool_is_allocated_as_if_alone(case: tuple[pl.DataFrame, dict[str, Any], str | None]) -> None:
    table, spec, field = case
    rules = rules_of(spec, field)
    got = allocate_product(rules, terms_of(rules), clients(table)).quotas["quota"].to_numpy()
    assert rules.spec.segments is not None
    plan = plan_segments(rules.spec.segments, field, table, table["order"].to_numpy(), spec["supply"])
    assert sum(p.supply for p in plan.pools) == spec["supply"]
    assert not got[~plan.chosen].any()
    plain = {k: v for k, v in spec.items() if k != "segments"}
    for pool in plan.pools:
        if not pool.members.any():
            continue
        alone = table.filter(pl.Series(pool.members))
        expected = allocate_product(rules_of({**plain, "supply": pool.supply}, None), terms_of(rules_of({**plain, "supply": pool.supply}, None)), clients(alone))
        assert np.array_equal(got[pool.members], expected.quotas["quota"].to_numpy()), pool.name
