"""Grouped evaluation (one engine fact per truth vector) decides exactly what exact mode decides.

Random rule sets (placement, adjustments, eligibility) over a number, an integer and a category
field, a derived ratio that can divide by zero, two ladders, and random clients with nulls,
values on the thresholds, ints against floats. Both modes must give identical tiers.csv rows
(so identical placed_by / adjustments rule ids) and identical exclusions.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.inputs.conditions import Compare, Cond, FieldKind
from allocator.inputs.expressions import BinOp, Col
from allocator.inputs.models import FieldSpec, Product
from allocator.inputs.product_rules import Eligibility, ProductRules
from allocator.inputs.tiering_rules import Adjustment, Placement, TieringRules
from allocator.pipeline.allocation import TieredClients, excluded_by
from allocator.pipeline.tiering import tier_clients
from tests.strategies import condition_trees

TIERS = ("A", "B", "C", "D")
THRESHOLDS = [0, 1, 2, 2.5, 10, 100]


def compares() -> st.SearchStrategy[Compare]:
    number = st.sampled_from(["v", "w", "ratio"])
    value = st.sampled_from(THRESHOLDS)
    return st.one_of(
        st.tuples(number, st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), value).map(lambda t: Compare(*t)),
        st.tuples(number, st.sampled_from(["in", "not_in"]), st.lists(value, min_size=1, max_size=3)).map(
            lambda t: Compare(t[0], t[1], tuple(t[2]))
        ),
        st.tuples(number, value, value).map(lambda t: Compare(t[0], "between", (min(t[1:]), max(t[1:])))),
        st.tuples(st.sampled_from(["v", "w", "ratio", "m"]), st.booleans()).map(
            lambda t: Compare(t[0], "is_null", t[1])
        ),
        st.tuples(st.sampled_from(["eq", "ne"]), st.sampled_from(["x", "y"])).map(lambda t: Compare("m", *t)),
        st.lists(st.sampled_from(["x", "y"]), min_size=1, max_size=2).map(lambda xs: Compare("m", "in", tuple(xs))),
    )


conds: st.SearchStrategy[Cond] = condition_trees(compares(), max_leaves=4)

ladder_scope = st.sampled_from([("city", "village"), ("city",), ("village",)])


@st.composite
def tiering_rules(draw: Any) -> TieringRules:
    placement = tuple(
        Placement(f"p{i}", draw(ladder_scope), draw(conds), draw(st.sampled_from(TIERS)))
        for i in range(draw(st.integers(0, 4)))
    )
    adjust = tuple(
        Adjustment(f"a{i}", draw(ladder_scope), draw(conds), draw(st.sampled_from([-2, -1, 1, 2])))
        for i in range(draw(st.integers(0, 2)))
    )
    return TieringRules(
        file="random.yaml",
        sha256="",
        fields={
            "market": FieldSpec(type="category", values=["city", "village"]),
            "v": FieldSpec(type="number", optional=True),
            "w": FieldSpec(type="integer", optional=True),
            "m": FieldSpec(type="category", values=["x", "y"], optional=True),
            "current": FieldSpec(type="tier", optional=True),
        },
        derive={"ratio": BinOp("/", Col("v", 1), Col("w", 5))},
        by="market",
        ladders={"city": TIERS, "village": TIERS},
        placement=placement,
        default_tier={"city": "D", "village": "C"},
        adjust=adjust,
        max_up=draw(st.sampled_from([None, 0, 1])),
        max_down=draw(st.sampled_from([None, 1, 2])),
        current_field="current",
        names={
            "market": FieldKind("category", ("city", "village")),
            "v": FieldKind("number"),
            "w": FieldKind("integer"),
            "m": FieldKind("category", ("x", "y")),
            "current": FieldKind("tier", TIERS),
            "ratio": FieldKind("number"),
        },
    )


clients = st.lists(
    st.tuples(
        st.sampled_from(["city", "village"]),
        st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, 10.0, 99.5, 100.0, 250.0])),
        st.one_of(st.none(), st.integers(0, 3), st.just(100)),
        st.one_of(st.none(), st.sampled_from(["x", "y"])),
        st.one_of(st.none(), st.sampled_from(TIERS)),
    ),
    min_size=1,
    max_size=40,
)


def _frame(rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(f"c{i:03d}", *r) for i, r in enumerate(rows)],
        schema={
            "client_id": pl.String,
            "market": pl.String,
            "v": pl.Float64,
            "w": pl.Int64,
            "m": pl.String,
            "current": pl.String,
        },
        orient="row",
    )


@settings(max_examples=500)
@given(tiering_rules(), clients, st.lists(conds, min_size=1, max_size=3))
def test_grouped_and_exact_modes_agree(
    rules: TieringRules, rows: list[tuple[Any, ...]], eligibility: list[Cond]
) -> None:
    snapshot = _frame(rows)
    table_g, tiers_g = tier_clients(rules, snapshot, "grouped")
    table_e, tiers_e = tier_clients(rules, snapshot, "exact")
    assert tiers_g.to_dicts() == tiers_e.to_dicts()
    product = ProductRules(
        spec=Product(id="p", supply=1),
        entitlement=None,
        weights=None,
        eligible=tuple(Eligibility(f"e{i}", c) for i, c in enumerate(eligibility)),
        window={},
    )
    grouped = excluded_by(product, TieredClients.build(table_g, tiers_g, rules.ladders, 1, "P", "grouped"))
    exact = excluded_by(product, TieredClients.build(table_e, tiers_e, rules.ladders, 1, "P", "exact"))
    assert grouped.to_list() == exact.to_list()
