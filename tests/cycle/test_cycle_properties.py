"""The cycle, as properties of its rounds (run here without a ledger: each round's quotas are
added to what is issued, as approving the round does):

- the cycle's rounds issue exactly its supply, for any feasible sequence of round overrides,
  locks and assignments, whatever the earlier rounds did;
- with rotation, n equal clients given u units a round have cumulative quotas that differ by at
  most 1 after any number of rounds; without it, the same clients win every round;
- a cycle of one round gives the quotas of the same product run once.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.inputs.manual import Assignment, Lock, Manual
from allocator.inputs.models import CycleSpec, Product, Reserve
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import terms_of, with_reserve
from allocator.pipeline.allocation import ProductResult, TieredClients, allocate_product
from allocator.pipeline.cycle import Issued, is_last_round, round_supplies

TIERS = ("A", "B", "C")


def rules_of(spec: dict[str, Any], per_client: dict[str, int] | None = None) -> ProductRules:
    product = Product.model_validate(spec)
    table = per_client or {"A": 4, "B": 2, "C": 1}
    entitlement = {"shops": table} if product.policy == "per_tier" else None
    weights = {"shops": {"A": Fraction(3), "B": Fraction(2), "C": Fraction(1)}} if product.policy == "weighted" else None
    return ProductRules(product, entitlement, weights, (), {"shops": TIERS}, None)


def one_round(
    table: pl.DataFrame,
    spec: dict[str, Any],
    issued: Issued,
    manual: Manual,
    reserve: Reserve | None = None,
    per_client: dict[str, int] | None = None,
) -> ProductResult:
    ctx = TieredClients.build(
        table, table.select("client_id", "ladder", "tier"), {"shops": TIERS}, 7, "2026-03", "grouped",
        manual=manual, cycle=issued,
    )  # fmt: skip
    rules = rules_of(spec, per_client)
    terms = terms_of(rules) if reserve is None else with_reserve(terms_of(rules), reserve)
    return allocate_product(rules, terms, ctx)


def shops(n: int, tiers: list[str], order: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"client_id": [f"s{i:02d}" for i in range(n)], "tier": tiers, "order": [order] * n}
    ).with_columns(pl.lit("shops").alias("ladder"))


@st.composite
def cycles(draw: Any) -> dict[str, Any]:
    k = draw(st.integers(1, 5))
    n = draw(st.integers(1, 8))
    total = draw(st.integers(0, 60))
    rounds = [f"W{i + 1}" for i in range(k)]
    shares = draw(st.none() | st.lists(st.integers(1, 4), min_size=k, max_size=k))
    overrides = {r: draw(st.integers(0, 20)) for r in rounds[:-1] if draw(st.booleans())}
    lock_rounds = {r: draw(st.integers(0, n - 1)) for r in rounds if draw(st.booleans())}
    assigned = {r: draw(st.integers(0, n - 1)) for r in rounds if draw(st.booleans())}
    return {
        "cycle": CycleSpec(id="2026-03", rounds=rounds, shares=dict(zip(rounds, shares, strict=True)) if shares else None,
                           supply={"p": total}),
        "table": shops(n, [draw(st.sampled_from(TIERS)) for _ in range(n)], 1000),
        "policy": draw(st.sampled_from(["per_tier", "weighted", "priority"])),
        "overrides": overrides, "locks": lock_rounds, "assigned": assigned,
        "reserve": draw(st.sampled_from([None, 0.1, 0.3])),
    }  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(cycles())
def test_the_rounds_issue_exactly_the_cycle_supply(case: dict[str, Any]) -> None:
    cycle, table = case["cycle"], case["table"]
    issued = Issued()
    total = 0
    for run_id, r in enumerate(cycle.rounds, 1):
        left = cycle.supply["p"] - total
        overrides = {"p": min(case["overrides"][r], left)} if r in case["overrides"] else {}  # feasible: not above
        supply = round_supplies(cycle, r, issued, overrides)["p"].supply
        locks: tuple[Lock, ...] = ()
        if r in case["locks"] and table.height > 1:  # someone else must be left to take the rest
            client = table["client_id"][case["locks"][r]]
            locks = (Lock(client, "p", min(supply // 2, 3), "complaint", "wang", {"quota": "q"}),)
        reserve = None
        assignments: tuple[Assignment, ...] = ()
        if case["reserve"] is not None:
            reserve = Reserve(share=case["reserve"], owners={"zhang": 1})
            units = int(Fraction(str(case["reserve"])) * supply)
            if r in case["assigned"] and units:
                client = table["client_id"][case["assigned"][r]]
                if not any(lk.client_id == client for lk in locks):
                    assignments = (Assignment("zhang", client, "p", units, "opening", {"units": "u", "client_id": "c"}),)
            if is_last_round(cycle, r, issued):
                reserve = reserve.model_copy(update={"unassigned": "release"})
        spec = {"id": "p", "supply": supply, "order_column": "order", "policy": case["policy"]}
        big = {"A": 400, "B": 200, "C": 100}  # claims that can take any round's supply: a feasible cycle
        res = one_round(table, spec, issued, Manual(assignments, locks), reserve, big)
        total += res.allocated
        issued = issued.after(r, run_id, [res.quotas])
    assert total == cycle.supply["p"]


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 12), st.integers(1, 6), st.data())
def test_rotation_keeps_equal_clients_within_one_unit_and_without_it_the_same_clients_win(
    n: int, k: int, data: st.DataObject
) -> None:
    u = data.draw(st.integers(1, 4 * n - 1))  # fewer units than the n clients' claims of 4
    table = shops(n, ["A"] * n, 1000)
    cycle = CycleSpec(id="2026-03", rounds=[f"W{i + 1}" for i in range(k)], supply={"p": u * k})
    spreads = {}
    for rotation in (True, False):
        issued = Issued()
        for run_id, r in enumerate(cycle.rounds, 1):
            supply = round_supplies(cycle, r, issued, {})["p"].supply
            assert supply == u
            spec = {"id": "p", "supply": supply, "order_column": "order", "policy": "per_tier", "rotation": rotation}
            res = one_round(table, spec, issued, Manual())
            issued = issued.after(r, run_id, [res.quotas])
        received = issued.clients["received"].to_list()
        spreads[rotation] = max(received) - min(received)
    assert spreads[True] <= 1
    extra = u % n  # the units that go by tie-break each round
    assert spreads[False] == (k if extra else 0)


def test_a_cycle_of_one_round_gives_the_quotas_of_one_run() -> None:
    table = shops(7, ["A", "A", "B", "B", "B", "C", "C"], 3)
    cycle = CycleSpec(id="2026-03", rounds=["all"], supply={"p": 13})
    supply = round_supplies(cycle, "all", Issued(), {})["p"].supply
    spec = {"id": "p", "supply": 13, "order_column": "order", "policy": "per_tier", "rotation": True}
    once = one_round(table, spec, Issued(), Manual())
    assert supply == 13
    assert one_round(table, {**spec, "supply": supply}, Issued(), Manual()).quotas.equals(once.quotas)
