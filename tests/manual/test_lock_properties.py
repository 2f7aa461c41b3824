"""Locks, as properties, for any small snapshot, policy and rounding:

- a locked client gets exactly its lock;
- every other client gets what the product's own policy gives it on (supply - locks) among the
  other clients alone (the same product run on a snapshot without the locked clients);
- the totals add up: the quotas, the reserve kept and the unallocated units make the supply;
- a lock equal to what the client would have got anyway changes nobody's quota. This holds for
  the policies built on divisor methods (per_tier, weighted, priority with webster, dhondt, adams
  or huntington_hill). Largest remainder (hamilton) is not consistent in this sense (the
  Alabama-paradox family), and neither are tier amounts (one amount for a whole tier: a client
  taken out of the tier can free the units that let the others' amount rise); a counterexample
  of each is below.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.inputs.manual import Lock, Manual
from allocator.inputs.models import Product
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of
from allocator.pipeline.allocation import ProductResult, TieredClients, allocate_product

TIERS = ("A", "B", "C")
DIVISORS = ("webster", "dhondt", "adams", "huntington_hill")
POLICIES = ("per_tier", "weighted", "priority", "tier_amounts")


@st.composite
def cases(
    draw: Any, roundings: tuple[str, ...] = (*DIVISORS, "hamilton"), policies: tuple[str, ...] = POLICIES
) -> tuple[pl.DataFrame, dict[str, Any]]:
    n = draw(st.integers(1, 12))
    rows = [(f"c{i:02d}", draw(st.sampled_from(TIERS)), draw(st.integers(0, 6))) for i in range(n)]
    table = pl.DataFrame(
        rows, schema={"client_id": pl.String, "tier": pl.String, "order": pl.Int64}, orient="row"
    ).with_columns(pl.lit("shops").alias("ladder"))
    policy = draw(st.sampled_from(policies))
    spec = {"id": "p", "supply": draw(st.integers(0, 40)), "order_column": "order", "policy": policy,
            "rounding": draw(st.sampled_from(roundings))}  # fmt: skip
    if policy == "tier_amounts":
        spec["target"] = draw(st.sampled_from(["at_most", "nearest"]))
    return table, spec


def rules_of(spec: dict[str, Any]) -> ProductRules:
    product = Product.model_validate(spec)
    entitlement = {"shops": {"A": 4, "B": 2, "C": 1}} if product.policy == "per_tier" else None
    weights = {"shops": {"A": Fraction(3), "B": Fraction(2), "C": Fraction(1)}} if product.policy == "weighted" else None
    return ProductRules(product, entitlement, weights, (), {"shops": TIERS}, None)


def allocated(table: pl.DataFrame, spec: dict[str, Any], locks: dict[str, int] | None = None) -> ProductResult:
    manual = Manual(locks=tuple(Lock(c, "p", q, "test", "tester", {"quota": f"lock {c}"}) for c, q in (locks or {}).items()))
    ctx = TieredClients.build(
        table, table.select("client_id", "ladder", "tier"), {"shops": TIERS}, 7, "P", "grouped", manual=manual
    )
    rules = rules_of(spec)
    return allocate_product(rules, terms_of(rules), ctx)


@st.composite
def locked_cases(draw: Any) -> tuple[pl.DataFrame, dict[str, Any], dict[str, int]]:
    table, spec = draw(cases())
    ids, orders = table["client_id"].to_list(), table["order"].to_list()
    chosen = draw(st.lists(st.sampled_from(range(len(ids))), unique=True, max_size=len(ids)))
    locks: dict[str, int] = {}
    left = spec["supply"]
    for i in chosen:
        quota = draw(st.integers(0, min(orders[i], left)))
        locks[ids[i]] = quota
        left -= quota
    return table, spec, locks


@settings(max_examples=300, deadline=None)
@given(locked_cases())
def test_locked_clients_get_their_lock_and_the_others_what_the_policy_gives_them_alone(
    case: tuple[pl.DataFrame, dict[str, Any], dict[str, int]],
) -> None:
    table, spec, locks = case
    res = allocated(table, spec, locks)
    got = dict(zip(res.quotas["client_id"].to_list(), res.quotas["quota"].to_list(), strict=True))
    assert {c: got[c] for c in locks} == locks
    others = table.filter(~pl.col("client_id").is_in(list(locks)))
    if others.height:
        alone = allocated(others, {**spec, "supply": spec["supply"] - sum(locks.values())})
        expected = dict(zip(alone.quotas["client_id"].to_list(), alone.quotas["quota"].to_list(), strict=True))
        assert {c: got[c] for c in expected} == expected
    sources = dict(zip(res.quotas["client_id"].to_list(), res.quotas["source"].to_list(), strict=True))
    assert {c for c, s in sources.items() if s == "lock"} == set(locks)
    assert res.allocated + res.unallocated == spec["supply"]  # no reserve here: nothing kept
    assert res.allocated == sum(got.values())


@settings(max_examples=300, deadline=None)
@given(cases(roundings=DIVISORS, policies=("per_tier", "weighted", "priority")), st.data())
def test_a_lock_at_the_quota_the_client_would_get_changes_nobody(
    case: tuple[pl.DataFrame, dict[str, Any]], data: st.DataObject
) -> None:
    table, spec = case
    before = allocated(table, spec).quotas["quota"].to_list()
    i = data.draw(st.integers(0, table.height - 1))
    client = table["client_id"][i]
    after = allocated(table, spec, {client: before[i]}).quotas["quota"].to_list()
    assert after == before


def test_largest_remainder_is_not_consistent_so_a_lock_at_the_same_quota_can_move_others() -> None:
    # weighted, hamilton, weights 3, 3, 1 (tiers A, A, C), 3 units: exact shares 9/7, 9/7, 3/7,
    # so 1, 1, 0 and the last unit to the largest remainder, C's 3/7: quotas 1, 1, 1. Lock the
    # first client at its 1: the other two share 2 units 3:1, exact shares 1.5 and 0.5, so 1 and
    # 0 with the last unit to the equal remainders' tie-break: 2, 0. C loses its unit.
    table = pl.DataFrame({"client_id": ["c0", "c1", "c2"], "tier": ["A", "A", "C"], "order": [20, 20, 20]})
    table = table.with_columns(pl.lit("shops").alias("ladder"))
    spec = {"id": "p", "supply": 3, "order_column": "order", "policy": "weighted", "rounding": "hamilton"}
    assert allocated(table, spec).quotas["quota"].to_list() == [1, 1, 1]
    assert allocated(table, spec, {"c0": 1}).quotas["quota"].to_list() == [1, 2, 0]


def test_tier_amounts_are_not_consistent_so_a_lock_at_the_same_quota_can_raise_the_others() -> None:
    # Two clients of tier A order 1 each; 1 unit, target at_most: one amount for the tier, and 1
    # for both would need 2, so the amount is 0 and the unit is left. Lock one of them at its 0:
    # the other is alone in the tier, and its amount 1 now fits.
    table = pl.DataFrame({"client_id": ["c1", "c2"], "tier": ["A", "A"], "order": [1, 1]}).with_columns(
        pl.lit("shops").alias("ladder")
    )
    spec = {"id": "p", "supply": 1, "order_column": "order", "policy": "tier_amounts", "target": "at_most"}
    assert allocated(table, spec).quotas["quota"].to_list() == [0, 0]
    assert allocated(table, spec, {"c1": 0}).quotas["quota"].to_list() == [0, 1]
