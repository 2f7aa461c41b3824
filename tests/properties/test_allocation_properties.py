"""DESIGN.md's fairness properties, on whole products: random clients, tiers, orders, rules.

Each example builds a small run context (two ladders, random tiers and orders, some clients
excluded by an eligibility rule) and allocates one product through `allocate_product`, the
same code the command line runs.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import example, given
from hypothesis import strategies as st

from allocator.inputs.conditions import Compare
from allocator.inputs.models import Product
from allocator.inputs.product_rules import Eligibility, ProductRules
from allocator.inputs.product_terms import ProductTerms
from allocator.pipeline.allocation import ProductResult, TieredClients, allocate_product

LADDERS = {"city": ("A", "B", "C", "D"), "village": ("A", "B", "C")}
DIVISORS = ["webster", "dhondt", "adams", "huntington_hill"]


@st.composite
def cases(draw: Any, methods: list[str] = [*DIVISORS, "hamilton"]) -> tuple[ProductRules, ProductTerms, TieredClients]:  # noqa: B006
    n = draw(st.integers(1, 30))
    rows = []
    for i in range(n):
        ladder = draw(st.sampled_from(sorted(LADDERS)))
        rows.append(
            {
                "client_id": f"c{i:02d}",
                "ladder": ladder,
                "tier": draw(st.sampled_from(LADDERS[ladder])),
                "order": draw(st.integers(0, 8)),
                "violations": draw(st.integers(0, 3)),
            }
        )
    table = pl.DataFrame(rows).sort("client_id")
    tiers = table.select("client_id", "ladder", "tier")
    entitlement = {}
    for ladder, names in LADDERS.items():
        values = sorted(draw(st.lists(st.integers(0, 6), min_size=len(names), max_size=len(names))), reverse=True)
        entitlement[ladder] = dict(zip(names, values, strict=True))
    spec = Product(
        id="p",
        supply=draw(st.integers(0, 120)),
        order_column="order",
        policy="per_tier",
        per_client=None,
        max_per_client=draw(st.one_of(st.none(), st.integers(0, 6))),
        rounding=draw(st.sampled_from(methods)),
    )
    eligible = (Eligibility("repeat-offenders", Compare("violations", "gte", 2)),) if draw(st.booleans()) else ()
    product = ProductRules(spec, entitlement, None, eligible, dict(LADDERS))
    share = draw(st.sampled_from([None, Fraction(1, 20), Fraction(1, 4)]))
    settings = ProductTerms(spec.supply, spec.rounding, entitlement, share, None, "managers" if share else None)
    return product, settings, TieredClients.build(table, tiers, LADDERS, draw(st.integers(0, 3)), "P", "grouped")


def rows(result: ProductResult) -> list[dict[str, Any]]:
    return result.quotas.to_dicts()


@given(cases())
def test_quotas_are_whole_bounded_and_nothing_is_wasted(case: tuple[ProductRules, ProductTerms, TieredClients]) -> None:
    product, settings, ctx = case
    result = allocate_product(product, settings, ctx)
    claims = 0
    for r in rows(result):
        cap = r["ordered"] if product.spec.max_per_client is None else min(r["ordered"], product.spec.max_per_client)
        assert isinstance(r["quota"], int) and 0 <= r["quota"] <= cap
        assert r["quota"] <= product.entitlement[r["ladder"]][r["tier"]]  # type: ignore[index]
        if r["excluded_by"] is not None:
            assert r["quota"] == 0 and r["entitled"] == 0
        claims += r["entitled"]
    assert result.allocated == min(result.available, claims)
    assert result.reserve + result.available == settings.supply
    assert result.unallocated == result.available - result.allocated >= 0


@given(cases())
def test_a_better_tier_never_gets_less_and_equals_differ_by_at_most_one(
    case: tuple[ProductRules, ProductTerms, TieredClients],
) -> None:
    product, settings, ctx = case
    eligible = [r for r in rows(allocate_product(product, settings, ctx)) if r["excluded_by"] is None]
    for a in eligible:
        for b in eligible:
            if a["ladder"] != b["ladder"] or a["ordered"] != b["ordered"]:
                continue
            tiers = LADDERS[a["ladder"]]
            if tiers.index(a["tier"]) < tiers.index(b["tier"]):
                assert a["quota"] >= b["quota"], (a, b)
            if a["tier"] == b["tier"]:
                assert abs(a["quota"] - b["quota"]) <= 1, (a, b)


@given(cases(methods=DIVISORS), st.integers(1, 20))
def test_more_supply_never_lowers_anyone_for_divisor_methods(
    case: tuple[ProductRules, ProductTerms, TieredClients], more: int
) -> None:
    product, settings, ctx = case
    settings = replace(settings, reserve_share=None)  # a share of a larger supply may hold back more
    before = rows(allocate_product(product, settings, ctx))
    after = rows(allocate_product(product, replace(settings, supply=settings.supply + more), ctx))
    for b, a in zip(before, after, strict=True):
        assert a["quota"] >= b["quota"], (b, a)


@given(cases(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing_and_the_same_seed_gives_the_same_result(
    case: tuple[ProductRules, ProductTerms, TieredClients], rnd: Any
) -> None:
    product, settings, ctx = case
    first = allocate_product(product, settings, ctx).quotas
    order = list(range(ctx.tiers.height))
    rnd.shuffle(order)
    # Rows in any order (not re-sorted): every client must get the same quota.
    shuffled = TieredClients.build(ctx.table[order], ctx.tiers[order], LADDERS, ctx.seed, ctx.period, "exact")
    assert allocate_product(product, settings, shuffled).quotas.sort("client_id").equals(first)
    assert allocate_product(product, settings, ctx).quotas.equals(first)


@st.composite
def short_per_tier(draw: Any) -> tuple[ProductRules, ProductTerms, TieredClients]:
    """One ladder, entitlements up to 100 against orders up to 8 (so capped claims collide across
    tiers), and a supply short of the claims."""
    names = LADDERS["city"]
    table = pl.DataFrame(
        [
            {
                "client_id": f"c{i:02d}",
                "ladder": "city",
                "tier": draw(st.sampled_from(names)),
                "order": draw(st.integers(0, 8)),
            }
            for i in range(draw(st.integers(2, 12)))
        ]
    )
    values = sorted(draw(st.lists(st.integers(0, 100), min_size=len(names), max_size=len(names))), reverse=True)
    entitlement = {"city": dict(zip(names, values, strict=True))}
    spec = Product(
        id="p",
        supply=draw(st.integers(0, 30)),
        order_column="order",
        policy="per_tier",
        max_per_client=draw(st.one_of(st.none(), st.integers(0, 6))),
        rounding=draw(st.sampled_from([*DIVISORS, "hamilton"])),
    )
    product = ProductRules(spec, entitlement, None, (), {"city": names})
    settings = ProductTerms(spec.supply, spec.rounding, entitlement, None, None, None)
    ladders = {"city": names}
    return (
        product,
        settings,
        TieredClients.build(table, table.select("client_id", "ladder", "tier"), ladders, 1, "P", "grouped"),
    )


@given(st.one_of(cases(), short_per_tier()))
@example(
    (
        ProductRules(
            Product(id="p", supply=4, order_column="order", policy="per_tier"),
            {"city": {"A": 100, "B": 3, "C": 1, "D": 0}},
            None,
            (),
            {"city": LADDERS["city"]},
        ),
        ProductTerms(4, "webster", {"city": {"A": 100, "B": 3, "C": 1, "D": 0}}, None, None, None),
        TieredClients.build(
            pl.DataFrame({"client_id": ["a", "b"], "ladder": ["city", "city"], "tier": ["A", "B"], "order": [3, 3]}),
            pl.DataFrame({"client_id": ["a", "b"], "ladder": ["city", "city"], "tier": ["A", "B"]}),
            {"city": LADDERS["city"]},
            1,
            "P",
            "grouped",
        ),
    )
)
def test_per_tier_equal_capped_claims_differ_by_at_most_one(case: tuple[ProductRules, ProductTerms, TieredClients]) -> None:
    """per_tier divides every capped claim by one common divisor: two clients claiming the same
    (tier entitlement capped by order and max_per_client) are treated alike whatever their tiers'
    uncapped per_client, across tiers and ladders."""
    product, settings, ctx = case
    eligible = [r for r in rows(allocate_product(product, settings, ctx)) if r["excluded_by"] is None]
    for a in eligible:
        for b in eligible:
            if a["entitled"] == b["entitled"]:
                assert abs(a["quota"] - b["quota"]) <= 1, (a, b)
